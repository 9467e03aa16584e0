"""What a finished run is called everywhere: its status words and its PNG text chunks.

One status vocabulary from engine to job to store: the engine ends a run ``finished``,
``stopped`` or ``diverged``; a run (as the studio's job shows it and the store keeps it) is
``finished``, ``stopped`` or ``failed``, and ``run_status`` is the one mapping between them
(a diverged run *failed*, though its best image before the loss blew up is kept).
No TensorFlow here, so the CLI, the store and the pages can all use it.
"""

from __future__ import annotations

from typing import Any, Mapping

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
