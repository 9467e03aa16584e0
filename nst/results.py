"""What a finished run is called everywhere: its status words and its PNG text chunks.

One status vocabulary from engine to job to store: the engine ends a run ``finished``,
``stopped`` or ``diverged``; a run (as the studio's job shows it and the store keeps it) is
``finished``, ``stopped`` or ``failed``, and ``run_status`` is the one mapping between them
(a diverged run *failed*, though its best image before the loss blew up is kept).
No TensorFlow here, so the CLI, the store and the pages can all use it.

It also holds the typed boundary from engine to jobs to store: :class:`RunOutcome` (what an
engine result offers, :class:`nst.engine.StyleResult` is one), :class:`RunToSave` (a result
with its input pictures and gallery labels: what ``Store.save`` takes) and the one shape of a
loss-history row (:func:`history_row`), which the engine and the job runner both record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Protocol, Sequence

import numpy as np

from nst.params import StyleParams

SOFTWARE = "nst style transfer studio"

FINISHED = "finished"
STOPPED = "stopped"
DIVERGED = "diverged"
FAILED = "failed"
ENGINE_STATUSES = (FINISHED, STOPPED, DIVERGED)  # how the engine ends a run (StyleResult.status)
RUN_STATUSES = (FINISHED, STOPPED, FAILED)  # what a job shows and the store keeps


def run_status(status: str) -> str:
    """The run status of an engine (or already run) status: diverged -> failed (ValueError if unknown)."""
    status = FAILED if status == DIVERGED else status
    if status not in RUN_STATUSES:
        raise ValueError(f"A run's status must be one of {', '.join(RUN_STATUSES + (DIVERGED,))}, not {status!r}.")
    return status


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


def result_png_metadata(result: Any) -> dict[str, Any]:
    """``png_metadata`` of an engine result (nst.engine.StyleResult)."""
    return png_metadata(result.params, result.status, result.losses.to_dict(), result.steps, result.weights_id)


class _AsDict(Protocol):
    def to_dict(self) -> dict[str, float]: ...


def history_row(step: int, scale_index: int, elapsed: float, losses: _AsDict, weights: _AsDict) -> dict[str, float]:
    """One row of a run's loss history: step, scale, elapsed seconds, each loss term and each weight (``w_*``)."""
    return {"step": step, "scale": scale_index, "elapsed": elapsed, **losses.to_dict(),
            **{f"w_{k}": v for k, v in weights.to_dict().items()}}


class RunOutcome(Protocol):
    """What the store reads from a finished run (``nst.engine.StyleResult`` has all of it).

    Optional for the store, read with a default when absent: ``message``, ``history``,
    ``snapshots``, ``device``, ``weights_id``, ``weight_changes``, ``trace_seconds``.
    """

    image: np.ndarray  # float in [0, 1] or uint8, H x W x 3
    status: str  # an engine status (ENGINE_STATUSES) or a run status
    steps: int
    seconds: float
    losses: Any  # LossTerms, or a mapping of total / content / style / tv
    params: StyleParams | Mapping[str, Any]


@dataclass(frozen=True)
class RunInputs:
    """The pictures a run was made from, as the engine took them, and what they are called."""

    content: np.ndarray
    styles: Sequence[np.ndarray]
    blend: Sequence[float] = ()  # default: params.blend_weights(len(styles))
    content_name: str = ""
    style_names: Sequence[str] = ()
    masks: Mapping[str, np.ndarray | None] = field(default_factory=dict)  # "style" / "detail", H x W in [0, 1]


@dataclass(frozen=True)
class RunLabels:
    """How the gallery shows a run: its title, notes, star, group (a sweep or comparison cell) and scores."""

    title: str = ""
    notes: str = ""
    favourite: bool = False
    group_id: str | None = None
    group_kind: str | None = None
    group_label: str | None = None
    score: float | None = None
    leakage: float | None = None


@dataclass(frozen=True)
class RunToSave:
    """Everything ``Store.save`` keeps of one run."""

    result: RunOutcome
    inputs: RunInputs
    labels: RunLabels = RunLabels()
