"""Paintings larger than one whole optimisation fits in memory: painted whole at the largest size
that fits, then grown to the asked size the way a poster is (``nst.poster``: tiles sharing the whole
painting's style targets, overlapped and blended).

``nst stylize --size N`` calls ``stylize_any_size``: up to ``nst.memory.WHOLE_UP_TO`` px, or whatever
fits the memory budget whole, it is exactly ``nst.engine.stylize``; above, the engine refuses a whole
run (``check_whole_run_fits``) and this module does the growing. Masks and flat-area protection act on
the whole run only, so they are refused above that size in one sentence rather than silently dropped.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from nst.engine import stylize
from nst.errors import ParamsError
from nst.losses import LossForm
from nst.memory import DEFAULT_BUDGET, WHOLE_UP_TO, largest_whole_side, step_bytes
from nst.model import FeatureNet
from nst.params import StyleParams
from nst.poster import PosterProgress, plan_poster
from nst.poster_paint import paint_poster
from nst.precision import resolve_precision
from nst.run_types import ProgressEvent, RunControl, RunInputs, StyleResult


def output_dims(content: np.ndarray, long_side: int) -> tuple[int, int]:
    height, width = np.shape(content)[:2]
    factor = long_side / max(width, height)
    return max(1, round(width * factor)), max(1, round(height * factor))


def whole_side(content: np.ndarray, params: StyleParams, budget: int = DEFAULT_BUDGET) -> int:
    """``params.size`` if a whole run fits, else the longest side painted whole before growing."""
    width, height = output_dims(content, params.size)
    precision, layers = resolve_precision(params.precision), LossForm.from_params(params).layers
    if params.size <= WHOLE_UP_TO or step_bytes(width, height, precision, layers) <= budget:
        return params.size
    return largest_whole_side(width, height, precision, layers, budget)


def stylize_any_size(inputs: RunInputs, params: StyleParams, *,
                     net: FeatureNet, control: RunControl | None = None,
                     on_event: Callable[[ProgressEvent], None] | None = None,
                     on_grow: Callable[[PosterProgress], None] | None = None,
                     budget: int = DEFAULT_BUDGET) -> StyleResult:
    """``nst.engine.stylize`` at any size up to ``MAX_SIZE``: grown in tiles when it cannot run whole."""
    content, styles = inputs.content, inputs.styles
    base = whole_side(content, params, budget)
    if base == params.size:
        return stylize(inputs, params, net=net, control=control, on_event=on_event)
    if inputs.style_mask is not None or inputs.detail_mask is not None or params.protect_flat > 0:
        raise ParamsError(f"Masks and --protect-flat work on pictures painted whole, here up to {base} px; "
                          f"choose --size {base} or drop them.")
    control = control or RunControl()
    whole = stylize(RunInputs(content, styles, init_image=inputs.init_image), params.replace(size=base), net=net,
                    control=control, on_event=on_event)
    if whole.status != "finished":
        return whole
    width, height = output_dims(content, params.size)
    plan = plan_poster(width, height, base, params, budget=budget)
    # the whole run's balance, measured at its size: at params.size (up to 8192 px) one forward pass of the
    # photo would need the memory the tiles exist to avoid
    grown = paint_poster(plan, content, styles, whole.image, params, net=net, control=control, on_progress=on_grow,
                         style_factor=whole.style_factor)
    return dataclasses.replace(
        whole, image=grown.image, status=grown.status, steps=whole.steps + grown.steps,
        seconds=whole.seconds + grown.seconds, params=params,
        message=f"painted whole at {base} px, then grown to {width} x {height} px: {plan.describe()}")
