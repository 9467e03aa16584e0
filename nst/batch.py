"""Batches of runs: parameter sweeps (a small labelled grid) and method comparisons.

A batch is a list of ``BatchItem``s (a label, grid coordinates, the sweep axes' values, the params)
run one after the other by ``run_batch`` with one ``RunControl`` (cancel stops the rest of the
batch); a single run is a batch of one (``single_item``). The gallery shows a batch as a labelled
grid, like the grids in jcjohnson/neural-style's README, laid out by the axes stored with each cell;
each cell is an ordinary run. Which fields can be swept comes from their FieldSpecs (nst/params.py).
"""

from __future__ import annotations

import itertools
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence


from nst.errors import ParamsError
from nst.params import StyleParams, param_specs, with_quality
from nst.recipes import COMPARE_SECONDS, COMPARE_SIZE, STUDIO_RECIPE, recipe
from nst.run_types import RunInputs

SWEEPABLE = tuple(name for name, spec in param_specs().items() if spec.sweepable)
MAX_VALUES_PER_AXIS = 5
SWEEP_SIZE = 256


@dataclass(frozen=True)
class BatchItem:
    """One run of a batch: its label, its cell in the batch's grid and its parameters. ``axes``: a sweep
    cell's values of the swept fields, rows' field first (what the gallery lays the grid out by)."""

    label: str
    row: int
    col: int
    params: StyleParams
    axes: Mapping[str, float] = field(default_factory=dict)


def single_item(params: StyleParams) -> BatchItem:
    """A single run as a batch of one (no label, no axes)."""
    return BatchItem("", 0, 0, params)


def sweep_items(base: StyleParams, grid: Mapping[str, Sequence[float]], *,
                preview: bool = True) -> list[BatchItem]:
    """A grid over one or two parameters; rows follow the first, columns the second.

    ``preview``: run at the Preview quality and at most 256 px, so a 3x3 sweep is quick.
    """
    if not 1 <= len(grid) <= 2:
        raise ParamsError("A sweep varies one or two parameters.")
    for name, values in grid.items():
        if name not in SWEEPABLE:
            raise ParamsError(f"Cannot sweep {name!r}; choose from {', '.join(SWEEPABLE)}.")
        if not 1 <= len(values) <= MAX_VALUES_PER_AXIS:
            raise ParamsError(f"Give 1 to {MAX_VALUES_PER_AXIS} values for {name}, not {len(values)}.")
    if preview:
        base = with_quality(base, "Preview").replace(size=min(base.size, SWEEP_SIZE))
    axes = list(grid.items())
    if len(axes) == 1:
        axes.append(("", [None]))
    (row_name, row_values), (col_name, col_values) = axes
    items = []
    for (r, row_value), (c, col_value) in itertools.product(enumerate(row_values), enumerate(col_values)):
        changes = {row_name: float(row_value)}
        if col_name:
            changes[col_name] = float(col_value)
        label = " · ".join(f"{k}={_short(v)}" for k, v in changes.items())
        items.append(BatchItem(label, r, c, base.replace(**changes), changes))  # validates each value
    return items


def compare_items(methods: Sequence[str], *, size: int = COMPARE_SIZE, seconds: float = COMPARE_SECONDS,
                  native: bool = False, seed: int | None = 0, studio: StyleParams | None = None,
                  overrides: Mapping[str, Any] | None = None) -> list[BatchItem]:
    """One item per recipe: same size and time budget (fair), or each recipe's own settings.

    ``seed``: every method's (None: each keeps its own). ``studio``: the parameters "this studio's"
    method starts from (default: the defaults), e.g. a gallery run's; ``overrides``: fields set in every
    method (flags), after the recipe's own."""
    items = []
    for col, key in enumerate(methods):
        method = recipe(key)
        if key == STUDIO_RECIPE and studio is not None:
            base = studio
            method = dataclasses.replace(method, build=lambda s: base.replace(size=s),
                                         native_iterations=base.iterations)
        params = method.params(size, time_limit=0.0 if native else seconds, native=native)
        if seed is not None:
            params = params.replace(seed=seed)
        items.append(BatchItem(method.name, 0, col, params.replace(**dict(overrides or {}))))
    return items


def parse_grid(specs: Sequence[str]) -> dict[str, list[float]]:
    """CLI form ``name=v1,v2,v3`` (one per axis) -> {name: [values]}."""
    grid: dict[str, list[float]] = {}
    for spec in specs:
        name, _, values = spec.partition("=")
        try:
            grid[name.strip().replace("-", "_")] = [float(v) for v in values.split(",") if v.strip()]
        except ValueError:
            raise ParamsError(f"--grid takes name=v1,v2,... with numbers, not {spec!r}.") from None
    return grid


def run_batch(items: Sequence[BatchItem], inputs: RunInputs, *,
              net, control=None, on_event: Callable[[int, object], None] | None = None,
              on_result: Callable[[BatchItem, object], None] | None = None) -> list:
    """Run items one after another on the same inputs; a cancel ends the current item (kept) and skips the rest.

    Events go to ``on_event(index, event)``, each result to ``on_result(item, result)``."""
    from nst.engine import stylize
    from nst.run_types import RunControl

    control = control or RunControl()
    results = []
    for index, item in enumerate(items):
        if control.cancelled:
            break
        result = stylize(inputs, item.params, net=net, control=control,
                         on_event=(lambda event, i=index: on_event(i, event)) if on_event else None)
        results.append(result)
        if on_result:
            on_result(item, result)
    return results


def _short(value: float) -> str:
    return f"{value:g}"
