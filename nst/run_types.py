"""What a run is and reports, in one place: status words, loss terms, leakage, weights,
snapshots, progress events, the result, ``RunControl``, the typed boundary to the store
(:class:`RunOutcome`, :class:`RunInputs`, :class:`RunLabels`, :class:`RunToSave`) and a
result's PNG text chunks. Plain data and a lock, no TensorFlow, so jobs, the store, the CLI,
Ray workers' callers and the views can use them without loading the engine.

One status vocabulary from engine to job to store: the engine ends a run ``finished``,
``stopped`` or ``diverged`` (:data:`EngineStatus`); a run (as the studio's job shows it and the
store keeps it) is ``finished``, ``stopped`` or ``failed`` (:data:`RunStatus`), and
:func:`run_status` is the one mapping between them (a diverged run *failed*, though its best
image before the loss blew up is kept); a job is also ``queued`` or ``running`` first
(:data:`JobStatus`).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field
from typing import Any, Literal, Mapping, Protocol, Sequence, get_args

import numpy as np

from nst.errors import ParamsError
from nst.params import StyleParams


SOFTWARE = "nst style transfer studio"

EngineStatus = Literal["finished", "stopped", "diverged"]  # how the engine ends a run (StyleResult.status)
RunStatus = Literal["finished", "stopped", "failed"]  # what a job shows and the store keeps
JobStatus = Literal["queued", "running", "finished", "stopped", "failed"]  # a job's life

QUEUED: JobStatus = "queued"
RUNNING: JobStatus = "running"
FINISHED: RunStatus = "finished"
STOPPED: RunStatus = "stopped"
DIVERGED: EngineStatus = "diverged"
FAILED: RunStatus = "failed"
ENGINE_STATUSES: tuple[EngineStatus, ...] = get_args(EngineStatus)
RUN_STATUSES: tuple[RunStatus, ...] = get_args(RunStatus)
ACTIVE_STATUSES: frozenset[JobStatus] = frozenset({QUEUED, RUNNING})
DONE_STATUSES: frozenset[JobStatus] = frozenset(RUN_STATUSES)


def run_status(status: str) -> RunStatus:
    """The run status of an engine (or already run) status: diverged -> failed (ValueError if unknown)."""
    status = FAILED if status == DIVERGED else status
    if status not in RUN_STATUSES:
        raise ValueError(f"A run's status must be one of {', '.join(RUN_STATUSES + (DIVERGED,))}, not {status!r}.")
    return status  # type: ignore[return-value]


@dataclass(frozen=True)
class LossTerms:
    """Content, style and TV terms (unweighted) and the weighted total."""

    total: float
    content: float
    style: float
    tv: float

    def to_dict(self) -> dict[str, float]:
        return {"total": self.total, "content": self.content, "style": self.style, "tv": self.tv}

    @property
    def finite(self) -> bool:
        return all(math.isfinite(v) for v in (self.total, self.content, self.style, self.tv))

    @classmethod
    def from_dict(cls, data: Mapping[str, float]) -> "LossTerms":
        """The terms of a stored mapping (NaN for a term it lacks)."""
        return cls(*(float(data.get(k, math.nan)) for k in ("total", "content", "style", "tv")))


@dataclass(frozen=True)
class Leakage:
    """``nst.masks.leakage`` of a result: texture where the photo is flat."""

    leakage: float  # mean squared Laplacian of the result in the content's flat region
    detail_elsewhere: float  # the same outside it
    flat_fraction: float  # share of the picture that counts as flat

    def to_dict(self) -> dict[str, float]:
        return {"leakage": self.leakage, "detail_elsewhere": self.detail_elsewhere,
                "flat_fraction": self.flat_fraction}


@dataclass(frozen=True)
class Weights:
    content: float
    style: float
    tv: float

    def to_dict(self) -> dict[str, float]:
        return {"content": self.content, "style": self.style, "tv": self.tv}


@dataclass(frozen=True)
class Snapshot:
    step: int
    scale_index: int
    image: np.ndarray  # uint8 H x W x 3, as the user would see it (colour options applied)
    losses: LossTerms


@dataclass(frozen=True)
class ProgressEvent:
    """One report from a running optimisation.

    kind: "scale_start" (a new scale begins), "step" (one optimiser step done),
    "weights_changed" (live weights took effect), "finished" (the run is over).
    ``image`` is set on steps that made a snapshot (every ``snapshot_every`` steps and at
    least every 2 s) and on "finished".
    """

    kind: str
    step: int
    total_steps: int
    scale_index: int
    n_scales: int
    scale_size: tuple[int, int]  # (width, height)
    elapsed: float
    eta: float | None
    weights: Weights
    losses: LossTerms | None = None
    image: np.ndarray | None = None
    status: EngineStatus | Literal[""] = ""  # set on "finished"


@dataclass
class StyleResult:
    image: np.ndarray  # float32 H x W x 3 in [0,1] at the requested size
    status: EngineStatus
    message: str
    steps: int
    seconds: float
    losses: LossTerms
    history: list[dict[str, float]]
    snapshots: list[Snapshot]
    weight_changes: list[int]  # steps at which live weights took effect
    trace_seconds: dict[str, float]  # first call at a new size: trace + compile + one step
    params: StyleParams
    weights_id: str
    device: str
    leakage: Leakage | None = None  # nst.masks.leakage of the result
    precision: str = "float32"  # of the convolutions (params.precision resolved on this machine)
    optimizer_stats: dict[str, int] = field(default_factory=dict)  # L-BFGS: iterations, backtracks, resets
    interrupted: bool = False  # Ctrl-C (KeyboardInterrupt) rather than a cancel()
    style_factor: float = 1.0  # the style weight was multiplied by this (params.style_balance)

    @property
    def size(self) -> tuple[int, int]:
        return int(self.image.shape[1]), int(self.image.shape[0])


class RunControl:
    """Thread-safe handle to steer a running ``stylize()``: cancel, or change weights."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cancelled = False
        self._pending: dict[str, float] = {}

    def cancel(self) -> None:
        with self._lock:
            self._cancelled = True

    @property
    def cancelled(self) -> bool:
        with self._lock:
            return self._cancelled

    def set_weights(self, *, content: float | None = None, style: float | None = None,
                    tv: float | None = None) -> None:
        """Ask the run to use these weights from its next step on."""
        changes = {k: v for k, v in (("content", content), ("style", style), ("tv", tv)) if v is not None}
        for name, value in changes.items():
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
                raise ParamsError(f"{name} weight must be a finite number of at least 0, not {value!r}.")
        with self._lock:
            self._pending.update({k: float(v) for k, v in changes.items()})

    def take_weight_changes(self) -> dict[str, float]:
        with self._lock:
            pending, self._pending = self._pending, {}
            return pending


def png_metadata(params: StyleParams, status: str, losses: Mapping[str, Any], steps: int,
                 weights_id: str | None, **extra: Any) -> dict[str, Any]:
    """PNG text chunks of a result: enough to reproduce (``nst:params``) and to compare it."""
    metadata: dict[str, Any] = {
        "Software": SOFTWARE,
        "nst:params": params.to_dict(),
        "nst:status": status,
        "nst:losses": dict(losses),
        "nst:steps": steps,
        "nst:vgg19_weights": weights_id,
    }
    metadata.update(extra)
    return metadata


def result_png_metadata(result: "RunOutcome") -> dict[str, Any]:
    """``png_metadata`` of an engine result (nst.engine.StyleResult)."""
    return png_metadata(result.params, result.status, result.losses.to_dict(), result.steps, result.weights_id)


def history_row(step: int, scale_index: int, elapsed: float, losses: LossTerms,
                weights: Weights) -> dict[str, float]:
    """One row of a run's loss history: step, scale, elapsed seconds, each loss term and each weight (``w_*``)."""
    return {"step": step, "scale": scale_index, "elapsed": elapsed, **losses.to_dict(),
            **{f"w_{k}": v for k, v in weights.to_dict().items()}}


class RunOutcome(Protocol):
    """What the store reads from a finished run (``nst.engine.StyleResult`` has all of it).

    Optional for the store, read with a default when absent: ``message``, ``history``,
    ``snapshots``, ``device``, ``weights_id``, ``weight_changes``, ``trace_seconds``.
    """

    image: np.ndarray  # float in [0, 1] or uint8, H x W x 3
    status: EngineStatus | RunStatus
    steps: int
    seconds: float
    losses: LossTerms
    params: StyleParams | Mapping[str, Any]


@dataclass(frozen=True)
class RunInputs:
    """The pictures of a run (photo, paintings, masks, init image) and what they are called: the
    one value batches, jobs and Ray workers hand to the engine, and the store keeps."""

    content: np.ndarray
    styles: Sequence[np.ndarray]
    blend: Sequence[float] = ()  # default: params.blend_weights(len(styles))
    content_name: str = ""
    style_names: Sequence[str] = ()
    masks: Mapping[str, np.ndarray | None] = field(default_factory=dict)  # "style" / "detail", H x W in [0, 1]
    init_image: np.ndarray | None = None  # params.init == "image" starts here (not stored)
    # the photo as the person gave it (the file's bytes, or pixels), kept with the run for prints when it is
    # bigger than ``content`` (nst.store.run_files; at most 8192 px long side); never painted
    original: bytes | np.ndarray | None = None

    @property
    def style_mask(self) -> np.ndarray | None:
        return self.masks.get("style")

    @property
    def detail_mask(self) -> np.ndarray | None:
        return self.masks.get("detail")


@dataclass(frozen=True)
class RunLabels:
    """How the gallery shows a run: its title, notes, star, group (a sweep or comparison cell) and scores."""

    title: str = ""
    notes: str = ""
    favourite: bool = False
    group_id: str | None = None
    group_kind: str | None = None
    group_label: str | None = None
    group_axes: Mapping[str, float] | None = None  # a sweep cell's swept fields and values, rows' field first
    score: float | None = None
    leakage: float | None = None


@dataclass(frozen=True)
class PrintFile:
    """A print of a gallery run (``nst poster``, the studio's "Make a print"): its full-size file, kept
    beside the print's run, and how it relates to the run it was made from."""

    source_run: int | None
    data: bytes  # the print file (16-bit TIFF)
    width: int  # of the sheet, px
    height: int
    dpi: int
    paper: str | None  # None: a long side in px rather than a paper preset
    fit: str


@dataclass(frozen=True)
class RunToSave:
    """Everything ``Store.save`` keeps of one run."""

    result: RunOutcome
    inputs: RunInputs
    labels: RunLabels = RunLabels()
    print_file: PrintFile | None = None  # set when the run is a print of another run
