"""What a run reports and how it is steered: loss terms, weights, snapshots, progress events,
the result, and ``RunControl``. Plain data and a lock, no TensorFlow, so jobs, the store, Ray
workers' callers and the views can use them without loading the engine.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

import numpy as np

from nst.errors import ParamsError
from nst.params import StyleParams


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
    status: str = ""


@dataclass
class StyleResult:
    image: np.ndarray  # float32 H x W x 3 in [0,1] at the requested size
    status: str  # "finished" | "stopped" | "diverged"
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
    leakage: dict[str, float] = field(default_factory=dict)  # nst.masks.leakage of the result
    precision: str = "float32"  # of the convolutions (params.precision resolved on this machine)
    optimizer_stats: dict[str, int] = field(default_factory=dict)  # L-BFGS: iterations, backtracks, resets
    interrupted: bool = False  # Ctrl-C (KeyboardInterrupt) rather than a cancel()

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
