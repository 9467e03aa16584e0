"""Test helper: a ``RunToSave`` from keywords, so a test names only the fields it cares about."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np

from nst.run_types import RunInputs, RunLabels, RunToSave


def run_to_save(result: Any, *, content: np.ndarray, styles: Sequence[np.ndarray], blend: Sequence[float] = (),
                content_name: str = "", style_names: Sequence[str] = (),
                masks: Mapping[str, np.ndarray | None] | None = None, **labels: Any) -> RunToSave:
    """``result`` is a run outcome (or a mapping of its fields); ``labels`` are RunLabels' fields."""
    outcome = SimpleNamespace(**result) if isinstance(result, Mapping) else result
    inputs = RunInputs(content=content, styles=styles, blend=blend, content_name=content_name,
                       style_names=style_names, masks=masks or {})
    return RunToSave(outcome, inputs, RunLabels(**labels))
