"""What a finished run is called everywhere: its status words and its PNG text chunks.

No TensorFlow here, so the CLI, the store and the pages can all use it.
"""

from __future__ import annotations

from typing import Any, Mapping

from nst.params import StyleParams

SOFTWARE = "nst style transfer studio"


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
