"""A print of a gallery run, made by the studio's job runner: the order, its estimate, the painting, the keeping.

The studio's "Make a print" (studio/gallery/prints.py) builds a :class:`PosterOrder` (which run, which
paper, dpi and fit, the memory budget, the gallery), shows :func:`estimate_order` (sizes, time and memory,
from the stored sizes only: no picture is decoded) and, once confirmed, queues a ``nst.job.Job`` with
``poster=order``. The runner's worker calls :func:`paint_poster_job`: it reads the run's original photo
(``Store.original_photo``), paints the plan (``nst.poster_paint``; planned with the studio process's own
memory counted: ``nst.memory.STUDIO_RESIDENT_BYTES``) feeding ``Job.record_poster`` (progress, time left, a
downscaled snapshot at most every ``nst.poster.SNAPSHOT_SECONDS``), and keeps the print in the gallery as
a run linked to its source (``nst.store.run_files``): the 16-bit TIFF beside it, a copy of
at most ``GRID_SIDE`` px as its picture. Stop keeps the tiles finished so far (saved as a stopped run);
the canvas is also kept after every tile under ``<gallery>/poster-progress/``, so the same order given
again after the server was killed continues from the last finished tile.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from nst.errors import NSTError, ParamsError
from nst.memory import DEFAULT_BUDGET, STUDIO_RESIDENT_BYTES
from nst.poster_order import (PosterSource, PosterTarget, cropped, photo_too_small, poster_plan_for,
                              poster_target, print_metadata, sheet_image, source_from_run)
from nst.run_types import (FINISHED, RUNNING, STOPPED, LossTerms, PrintFile, RunInputs, RunLabels, RunToSave,
                           StyleResult)

GRID_SIDE = 2048  # px: the long side of a print's picture in the gallery (the full size is the TIFF beside it)
PROGRESS_DIR = "poster-progress"


@dataclass(frozen=True)
class PosterOrder:
    """A print to make of gallery run ``source_run``."""

    source_run: int
    paper: str = "A3"
    dpi: int = 300
    fit: str = "crop"
    budget: int = DEFAULT_BUDGET  # bytes
    data_dir: str | None = None  # the gallery the run is in (and the print goes to); None: not kept

    def label(self) -> str:
        return f"{self.paper} {self.dpi} dpi print of run {self.source_run}"


@dataclass(frozen=True)
class PosterEstimate:
    """What a print will be and cost, said before it starts."""

    target: PosterTarget
    plan: Any  # nst.poster.PosterPlan
    photo_note: str | None  # the photo is smaller than the print (its detail is enlarged)
    original_kept: bool = False  # the run kept its original photo (so there is no bigger one to ask for)

    @property
    def seconds(self) -> float:
        return self.plan.estimated_seconds

    @property
    def peak_bytes(self) -> int:
        return self.plan.peak_bytes


def estimate_order(store: Any, order: PosterOrder) -> PosterEstimate:
    """Sizes, plan, time and memory of ``order`` from the stored sizes (a ParamsError when it cannot fit)."""
    record = store.get_run(order.source_run)
    kept = store.original_size(order.source_run)
    width, height = kept or store.photo_size(order.source_run)
    target = poster_target((record.width, record.height), paper=order.paper, dpi=order.dpi, fit=order.fit)
    shapes = PosterSource(np.empty((height, width, 0)), [], np.empty((record.height, record.width, 0)),
                          record.params, order.source_run, original=b"" if kept else None)  # sizes only
    note = photo_too_small(shapes, target.painted)
    plan = poster_plan_for(shapes, target, order.budget, STUDIO_RESIDENT_BYTES)
    return PosterEstimate(target, plan, note, kept is not None)


def progress_dir(order: PosterOrder) -> Path | None:
    """Where an unfinished print of this order keeps its canvas between tiles."""
    if order.data_dir is None:
        return None
    return Path(order.data_dir) / PROGRESS_DIR / f"run{order.source_run}-{order.paper}-{order.dpi}-{order.fit}"


def _open_store(order: PosterOrder) -> Any:
    from nst.store import Store

    return Store(order.data_dir)


def paint_poster_job(job: Any, net: Any, *, here: bool = True) -> None:
    """Paint ``job.poster`` in this (the worker's) thread, keep it in the gallery, finish the job.
    ``here``: ``net`` is a network this process paints with (not a Ray cluster's description)."""
    if not here:
        raise ParamsError("Prints paint in the studio's own process, not on a Ray cluster: start the studio "
                          "without NST_RAY_ADDRESS to make one.")
    order: PosterOrder = job.poster
    store = _open_store(order) if order.data_dir is not None else None
    try:
        _paint_and_keep(job, net, order, store)
    finally:
        if store is not None:
            store.close()


def _paint_and_keep(job: Any, net: Any, order: PosterOrder, store: Any) -> None:
    from nst.poster_paint import paint_poster
    from nst.print_output import tiff_bytes

    source = source_from_run(store, order.source_run) if store is not None else _job_source(job, order)
    target = poster_target((source.start.shape[1], source.start.shape[0]), paper=order.paper, dpi=order.dpi,
                           fit=order.fit)
    plan = poster_plan_for(source, target, order.budget, STUDIO_RESIDENT_BYTES)  # the studio's own memory too
    content, start = cropped(source, target)
    job.set_phase(RUNNING, f"painting the print: {plan.describe()}")
    folder = progress_dir(order)
    painted = paint_poster(plan, content, source.styles, start, source.params, net=net, control=job.control,
                           on_progress=job.record_poster, resume_dir=folder)
    status = STOPPED if painted.status == "stopped" else FINISHED
    job.set_phase(RUNNING, "writing the 16-bit print and keeping it in the gallery")
    data = tiff_bytes(sheet_image(painted.image, target), target.dpi,
                      print_metadata(source, target, status, plan.describe()))
    run = gallery_run(painted, data, source, target, net, job.view().snapshots)
    del painted, data  # the full-size picture is in the file now
    result: StyleResult = run.result  # type: ignore[assignment]
    run_id, error = None, None
    if store is not None:
        try:
            run_id = store.save(run)
        except NSTError as err:
            error = f"Not saved to the gallery: {err}"
    if status == FINISHED and folder is not None:
        shutil.rmtree(folder, ignore_errors=True)
    job.record_saved("", result, run_id, error)
    job.finish(status, _closing_words(status, target, result.seconds, run_id), result)


def _job_source(job: Any, order: PosterOrder) -> PosterSource:
    """Without a gallery (tests): the job's own inputs, its init image as the picture to print."""
    inputs = job.inputs
    start = inputs.init_image if inputs.init_image is not None else inputs.content
    return PosterSource(inputs.content, list(inputs.styles), np.asarray(start, np.float32), job.params,
                        order.source_run, inputs.content_name, tuple(inputs.style_names), tuple(inputs.blend))


def gallery_run(painted: Any, data: bytes, source: PosterSource, target: PosterTarget, net: Any,
                snapshots: Sequence[Any] = ()) -> RunToSave:
    """A painted print (``nst.poster_paint.PosterResult``) as a gallery run linked to its source: the print
    file ``data`` beside it, its picture at most ``GRID_SIDE`` px, the photo and paintings as the source run
    keeps them (its original too), downscaled ``snapshots``."""
    from nst.precision import compute_device
    from nst.resize import resize_long_side

    sheet = sheet_image(painted.image, target)
    small = resize_long_side(sheet, GRID_SIDE) if max(sheet.shape[:2]) > GRID_SIDE else sheet
    nan = math.nan
    words = "finished" if painted.status != "stopped" else "stopped: the tiles painted so far are kept"
    result = StyleResult(image=np.asarray(small, np.float32), status=painted.status, message=f"Print {words}.",
                         steps=painted.steps, seconds=painted.seconds, losses=LossTerms(nan, nan, nan, nan),
                         history=[], snapshots=list(snapshots), weight_changes=[], trace_seconds={},
                         params=source.params, weights_id=getattr(net, "weights_id", ""), device=compute_device())
    photo = source.stored_content if source.stored_content is not None else source.content
    inputs = RunInputs(photo, source.styles, source.blend, source.content_name, source.style_names,
                       original=source.original)
    title = f"{target.paper + ' ' if target.paper else ''}print of run {source.run_id}"
    link = PrintFile(source.run_id, data, target.sheet[0], target.sheet[1], target.dpi, target.paper, target.fit)
    return RunToSave(result, inputs, RunLabels(title=title), print_file=link)


def _closing_words(status: str, target: PosterTarget, seconds: float, run_id: int | None) -> str:
    kept = f" It is run {run_id} in the gallery." if run_id is not None else ""
    if status == STOPPED:
        return f"Stopped: the tiles painted so far are kept ({target.describe()}).{kept}"
    from nst.units import format_seconds

    return f"The print is ready: {target.describe()} in {format_seconds(seconds)}.{kept}"


def print_progress_words(view: Any) -> str:
    """A print's progress in words (a ``nst.job.JobView``): "scale 2 of 3 · tile 4 of 6 · 35 % · 6 min 10 s
    elapsed · about 12 min 30 s left"."""
    from nst.units import format_seconds

    parts = [f"scale {view.scale_index + 1} of {view.n_scales}"] if view.n_scales else []
    if view.n_tiles > 1:
        parts.append(f"tile {view.tile_index + 1} of {view.n_tiles}")
    parts += [f"{view.fraction:.0%}", f"{format_seconds(view.elapsed)} elapsed"]
    if view.active:
        parts.append(f"about {format_seconds(view.eta)} left" if view.eta is not None
                     else "time left known after the first tile")
    return " · ".join(parts)


def waiting_words(running: Sequence[Any], whose: str = "yours") -> str:
    """Why a queued painting waits, in one sentence (``running``: the ``JobView``s painting now)."""
    prints = [view for view in running if view.poster is not None]
    if prints:
        view = prints[0]
        return (f"The studio is painting a print ({view.poster.label()}, {print_progress_words(view)}); a print "
                f"runs alone, so {whose} starts as soon as it is done.")
    return f"Another session's painting is using the CPU; {whose} starts as soon as it is done."
