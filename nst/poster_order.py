"""What a print is painted from and how big: shared by ``nst poster`` and the studio's "Make a print".

A :class:`PosterSource` is the picture to print bigger (a gallery run's result, or a file), the photo
whose detail the print takes (the run's kept original when there is one: ``nst.store.originals``),
the paintings and the parameters. A :class:`PosterTarget` is the sheet: a paper preset turned to the
picture (``nst.print_output``) or a long side in px. :func:`poster_plan_for` plans it
(``nst.poster.plan_poster``: scales, tiles, estimated time and memory) before anything is painted,
and :func:`print_metadata` is what the file and the gallery keep about it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from nst.errors import ParamsError
from nst.params import MIN_SIZE, StyleParams
from nst.print_output import DPIS, FITS, crop_to_aspect, painted_size, paper_for

POSTER_MAX_SIDE = 8192  # px: the longest print side (and how much of an original photo is kept and read)


@dataclass
class PosterSource:
    content: np.ndarray  # the photo (the original when the run kept one)
    styles: list[np.ndarray]
    start: np.ndarray  # the picture to print bigger
    params: StyleParams
    run_id: int | None
    content_name: str = ""
    style_names: Sequence[str] = ()
    blend: Sequence[float] = field(default_factory=tuple)
    stored_content: np.ndarray | None = None  # the run's photo as its run keeps it (None: ``content``)
    original: bytes | None = None  # the original photo's file, kept with the print's run too


@dataclass(frozen=True)
class PosterTarget:
    painted: tuple[int, int]  # (width, height) the engine paints
    sheet: tuple[int, int]  # (width, height) of the file (pad adds margins)
    dpi: int
    fit: str  # "crop", "pad", or "size" (a long side instead of paper)
    paper: str | None

    def describe(self) -> str:
        """"A3 at 300 dpi (4961 x 3508 px, crop)" or "4096 x 3072 px at 300 dpi"."""
        w, h = self.sheet
        if self.paper is None:
            return f"{w} x {h} px at {self.dpi} dpi"
        return f"{self.paper} at {self.dpi} dpi ({w} x {h} px, {self.fit})"


def poster_target(picture_size: tuple[int, int], *, paper: str = "A3", dpi: int = 300, fit: str = "crop",
                  size: int | None = None) -> PosterTarget:
    """The sheet for a ``picture_size`` (width, height) picture: a paper preset turned to it, or
    ``size`` px on the long side at ``dpi``."""
    width, height = picture_size
    if size is not None:
        if not MIN_SIZE <= size <= POSTER_MAX_SIDE:
            raise ParamsError(f"--size must be between {MIN_SIZE} and {POSTER_MAX_SIDE}, not {size}.")
        if dpi not in DPIS:
            raise ParamsError(f"dpi must be one of {', '.join(map(str, DPIS))}, not {dpi}.")
        factor = size / max(width, height)
        dims = (max(1, round(width * factor)), max(1, round(height * factor)))
        return PosterTarget(dims, dims, dpi, "size", None)
    sheet = paper_for(paper, dpi, width, height)
    if fit not in FITS:
        raise ParamsError(f"--fit must be crop or pad, not {fit!r}.")
    return PosterTarget(painted_size(sheet.pixels, picture_size, fit), sheet.pixels, dpi, fit, paper)


def source_from_run(store: Any, run_id: int, content_file: str | None = None) -> PosterSource:
    """A gallery run as a poster's source: its result, paintings and parameters, and its photo: the file
    ``content_file`` when given (``nst poster --content``), else the original the run kept, else the
    photo at the run's size."""
    record = store.get_run(run_id)
    inputs = store.input_images(run_id)
    start = store.output_image(run_id)
    if content_file is not None:
        from nst.images import load_image

        content = load_image(content_file, max_side=POSTER_MAX_SIDE).pixels  # a bad file: one sentence
        original: bytes | None = Path(content_file).read_bytes()
    else:
        original, content = store.original_file(run_id), store.original_photo(run_id)
    return PosterSource(inputs.content if content is None else content, list(inputs.styles), start, record.params,
                        run_id, inputs.content_name, tuple(inputs.style_names), tuple(inputs.blend),
                        inputs.content, original)


def photo_too_small(source: PosterSource, painted: tuple[int, int]) -> str | None:
    """One sentence when the photo is smaller than the print (its detail would only be enlarged).

    ``source.original`` set: the photo is the person's own file (kept with the run, or given), so there is
    nothing bigger to ask for; unset for a run: only the photo at the run's size was kept (an older run)."""
    h, w = source.content.shape[:2]
    if max(w, h) >= max(painted):
        return None
    if source.run_id is None:
        what = "The photo"
    else:
        what = f"Run {source.run_id}'s {'original' if source.original is not None else 'stored'} photo"
    return f"{what} is {w} x {h} px, smaller than the {painted[0]} x {painted[1]} px print"


def cropped(source: PosterSource, target: PosterTarget) -> tuple[np.ndarray, np.ndarray]:
    """(photo, starting picture), both cut to the painted aspect."""
    return crop_to_aspect(source.content, *target.painted), crop_to_aspect(source.start, *target.painted)


def poster_plan_for(source: PosterSource, target: PosterTarget, budget: int, resident: int = 0) -> Any:
    """``nst.poster.PosterPlan`` of painting ``target`` from ``source`` within ``budget`` bytes in a process
    that holds ``resident`` bytes more than a fresh one (a ParamsError in one sentence when even tiles
    cannot fit)."""
    from nst.poster import plan_poster

    return plan_poster(*target.painted, max(source.start.shape[:2]), source.params, budget=budget,
                       resident=resident)


def print_metadata(source: PosterSource, target: PosterTarget, status: str, plan_text: str) -> dict[str, Any]:
    """What a print file carries: the parameters, as every result, and how the print was made."""
    return {"Software": "nst style transfer studio (poster)", "nst:params": source.params.to_dict(),
            "nst:poster": {"source_run": source.run_id, "paper": target.paper, "dpi": target.dpi,
                           "fit": target.fit, "status": status, "plan": plan_text}}


def sheet_image(image: np.ndarray, target: PosterTarget) -> np.ndarray:
    """The painted picture on its sheet (white margins for ``pad``)."""
    from nst.print_output import pad_to

    return pad_to(image, *target.sheet) if target.painted != target.sheet else image
