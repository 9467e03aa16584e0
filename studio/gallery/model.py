"""Pure data helpers for the gallery page's views (``studio/gallery``): no Streamlit here.

- :func:`param_diff`: the comparison table of 2-4 runs, each row flagged when the runs differ.
- :func:`grid_layout`: a sweep's runs laid out as a labelled grid (rows x columns: the sweep axes
  stored with each run, else the parameters that vary between them), like the grids in
  jcjohnson/neural-style's README.
- :func:`loss_curve_rows`: the stored loss histories of several runs in long form, for one
  overlaid chart.
- (pictures side by side, used by the studio page too, are in ``nst.comparison``)
- small formatters (:func:`card_caption`, :func:`format_value`) and the sort options.

Everything takes the store's records (``RunSummary`` / ``RunRecord``) or anything with the same
attributes, so the helpers are tested without a database.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from nst.scorecard_measures import MEASURES
from nst.params import StyleParams, param_specs
from nst.units import LOSS_TERMS, format_seconds, format_time

PAGE_SIZE = 24
MAX_COMPARE = 4
MIN_COMPARE = 2
SCORE_SORT_LABEL = "lowest loss (under this studio's objective)"
SORT_LABELS = {"newest": "newest", "fastest": "fastest", "score": SCORE_SORT_LABEL,
               **{name: f"{m.label} ({'highest' if m.higher_is_better else 'lowest'} first)"
                  for name, m in MEASURES.items()}}
SCORECARD_FILTER_MAX = 1.0  # the filters' range: every measure is about 0..1 (a gap can pass 1 when worse)
# shown wherever compared runs show their scores (nst.masks.leakage: texture where the photo is flat)
LEAKAGE_NOTE = ("leakage = style texture in the photo's flat areas (skies, walls); lower = cleaner flat areas")

_SPECS = param_specs()
# Parameters worth a column on a card / first in the comparison table (FieldSpec.key, in its order).
KEY_PARAMS = tuple(sorted((name for name, spec in _SPECS.items() if spec.key), key=lambda name: _SPECS[name].key))
# What can define the axes of a grid when a group's runs carry no sweep axes: the key parameters, then
# every sweepable or axis field (FieldSpec), in field order.
GRID_CANDIDATES = KEY_PARAMS + tuple(name for name, spec in _SPECS.items()
                                     if (spec.sweepable or spec.axis) and name not in KEY_PARAMS)


# ============================================================================ formatting


def format_value(value: Any) -> str:
    """A parameter value as a short readable string (floats with 4 significant digits)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        return f"{value:.4g}"
    if isinstance(value, Mapping):
        return ", ".join(f"{k} {format_value(v)}" for k, v in value.items()) or "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v) for v in value) or "—"
    return str(value)


def run_title(run: Any) -> str:
    """The run's title, or a generated one (its group label, else ``Run <id>``)."""
    title = (getattr(run, "title", "") or "").strip()
    if title:
        return title
    label = getattr(run, "group_label", None)
    return f"Run {run.id} · {label}" if label else f"Run {run.id}"


def style_names(run: Any) -> str:
    names = [s.name or s.sha256[:8] for s in getattr(run, "styles", ())]
    return " + ".join(names) or "—"


def card_caption(run: Any) -> str:
    """One line of key parameters for a grid card: weights, size, optimizer."""
    return (f"style {format_value(float(run.style_weight))} · content {format_value(float(run.content_weight))}"
            f" · tv {format_value(float(run.tv_weight))} · {run.size} px · {run.optimizer}")


def result_line(run: Any, *, score: bool = True, loss: bool = False) -> str:
    """``score 1.23 · leakage 0.0045`` (and/or the final loss) of a compared run, for captions."""
    parts = []
    if loss:
        losses = getattr(run, "losses", None) or {}
        parts.append(f"loss {format_value(losses.get('total', getattr(run, 'loss_total', None)))}")
    if score:
        parts.append(f"score {format_value(getattr(run, 'score', None))}")
    parts.append(f"leakage {format_value(getattr(run, 'leakage', None))}")
    return " · ".join(parts)


def card_meta(run: Any) -> str:
    """Date, status and duration for a grid card."""
    return f"{format_time(run.created)} · {run.status} · {format_seconds(run.seconds)}"


def sort_options(content_selected: bool, style_selected: bool) -> list[str]:
    """Sort keys offered: score only within one content + style pair (the store refuses it otherwise)."""
    keys = ["newest", "fastest", *MEASURES]  # scorecard measures compare across pairs (normalised)
    if content_selected and style_selected:
        keys.append("score")
    return keys


def page_count(total: int, page_size: int = PAGE_SIZE) -> int:
    return max(1, -(-int(total) // int(page_size)))


# ============================================================================ comparison table


def _params_dict(record: Any) -> dict[str, Any]:
    params = getattr(record, "params", record)
    if isinstance(params, StyleParams):
        return params.to_dict()
    if isinstance(params, Mapping):
        return dict(params)
    raise TypeError(f"expected a run record, StyleParams or a mapping, not {type(record).__name__}")


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=0.0)
    return a == b


@dataclass(frozen=True)
class DiffRow:
    """One row of the comparison table: a parameter, each run's value, and whether they differ."""

    name: str
    values: tuple[Any, ...]
    differs: bool
    section: str = "parameters"  # "inputs" | "parameters" | "result"


def param_diff(records: Sequence[Any], *, include_inputs: bool = True,
               include_results: bool = False) -> list[DiffRow]:
    """The parameters of 2 or more runs side by side, each row flagged ``differs`` when not all equal.

    ``records``: ``RunRecord``s (or anything with ``.params``), ``StyleParams`` or parameter dicts.
    Rows follow :data:`KEY_PARAMS` first, then the dataclass's field order; a parameter one run
    lacks (e.g. an older parameters version) shows as ``None``. With ``include_inputs`` (records
    only) the content and style images come first; with ``include_results`` the status, steps,
    duration, final loss, score and leakage follow.
    """
    records = list(records)
    rows: list[DiffRow] = []

    def add(name: str, values: list[Any], section: str) -> None:
        differs = any(not _same(values[0], v) for v in values[1:])
        rows.append(DiffRow(name, tuple(values), differs, section))

    if include_inputs and records and all(hasattr(r, "content_sha256") for r in records):
        add("content image", [r.content_name or r.content_sha256[:8] for r in records], "inputs")
        add("style images", [style_names(r) for r in records], "inputs")
        if all(hasattr(r, "styles") for r in records):
            # same names are not the same pictures: compare the hashes too
            hashes = [tuple(s.sha256 for s in r.styles) for r in records]
            if len(set(hashes)) > 1 and not rows[-1].differs:
                rows[-1] = DiffRow(rows[-1].name, rows[-1].values, True, "inputs")
            content = [r.content_sha256 for r in records]
            if len(set(content)) > 1 and not rows[-2].differs:
                rows[-2] = DiffRow(rows[-2].name, rows[-2].values, True, "inputs")
    dicts = [_params_dict(r) for r in records]
    names: list[str] = [k for k in KEY_PARAMS if any(k in d for d in dicts)]
    for d in dicts:
        names += [k for k in d if k not in names]
    for name in names:
        add(name, [d.get(name) for d in dicts], "parameters")
    if include_results and records and all(hasattr(r, "status") for r in records):
        add("status", [r.status for r in records], "result")
        add("steps", [r.steps for r in records], "result")
        add("seconds", [round(float(r.seconds), 2) for r in records], "result")
        losses = [getattr(r, "losses", None) or {} for r in records]
        add("final loss", [lo.get("total", getattr(r, "loss_total", None)) for lo, r in zip(losses, records)],
            "result")
        add("score", [getattr(r, "score", None) for r in records], "result")
        add("leakage", [getattr(r, "leakage", None) for r in records], "result")
    return rows


# ============================================================================ sweep grids

def _stored_axes(record: Any) -> dict[str, Any]:
    """A sweep cell's stored axes (``group_axes``: the swept fields' values, rows' field first), or {}."""
    return dict(getattr(record, "group_axes", None) or {})


def _axis_values(record: Any) -> dict[str, Any]:
    """The values a grid can be laid out by: the stored sweep axes', then the record's parameters."""
    values: dict[str, Any] = {}
    params = getattr(record, "params", None)
    if isinstance(params, StyleParams):
        values.update({k: getattr(params, k) for k in GRID_CANDIDATES})
    else:
        values.update({k: getattr(record, k) for k in GRID_CANDIDATES if hasattr(record, k)})
    values.update(_stored_axes(record))
    return values


def _varying_keys(records: Sequence[Any]) -> list[str]:
    """Parameters that differ between the records: the stored axes' order first (rows, then columns)."""
    per_record = [_axis_values(r) for r in records]
    order: list[str] = []
    for r in records:
        order += [k for k in _stored_axes(r) if k not in order]
    order += [k for k in GRID_CANDIDATES if k not in order]
    varying = []
    for key in order:
        values = [v.get(key) for v in per_record]
        if any(not _same(values[0], v) for v in values[1:]):
            varying.append(key)
    return varying


def _sort_key(value: Any) -> tuple[int, Any]:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (0, float(value))
    return (1, str(value))


def _axis_label(keys: Sequence[str], values: Sequence[Any]) -> str:
    return " · ".join(f"{k}={format_value(v)}" for k, v in zip(keys, values))


def grid_layout(records: Sequence[Any]) -> tuple[list[str], list[str], list[list[Any | None]]]:
    """Lay out a group's runs as a labelled grid: ``(row_labels, col_labels, cells)``.

    The axes are the parameters that vary between the runs (each run's stored sweep axes, such as
    ``{"style_weight": 10.0, "content_weight": 2.0}``, else its parameters):

    - two varying parameters: rows follow the first (the sweep's first axis), columns the second;
    - one: a single row, one column per value (row label ``""``);
    - more than two: rows follow the first, columns every combination of the rest;
    - none: a single row with one column per run (labelled by each run's title).

    Values are sorted numerically. ``cells[r][c]`` is the record in that cell or ``None`` when
    the group has no run there (a stopped sweep); if two runs land in one cell the first wins.
    """
    records = list(records)
    if not records:
        return [], [], []
    varying = _varying_keys(records)
    if not varying:
        return [""], [run_title(r) for r in records], [list(records)]
    values = [_axis_values(r) for r in records]
    row_keys = varying[:1] if len(varying) >= 2 else []
    col_keys = varying[1:] if len(varying) >= 2 else varying
    rows = sorted({tuple(v.get(k) for k in row_keys) for v in values}, key=lambda t: [_sort_key(x) for x in t])
    cols = sorted({tuple(v.get(k) for k in col_keys) for v in values}, key=lambda t: [_sort_key(x) for x in t])
    cells: list[list[Any | None]] = [[None] * len(cols) for _ in rows]
    for record, v in zip(records, values):
        r = rows.index(tuple(v.get(k) for k in row_keys))
        c = cols.index(tuple(v.get(k) for k in col_keys))
        if cells[r][c] is None:
            cells[r][c] = record
    row_labels = [_axis_label(row_keys, t) for t in rows] if row_keys else [""]
    col_labels = [_axis_label(col_keys, t) for t in cols]
    return row_labels, col_labels, cells


def method_name(run: Any) -> str:
    """A compare-methods cell's method name (its group label), else the run's title."""
    return getattr(run, "group_label", None) or run_title(run)


# ============================================================================ charts and pictures


def run_label(run: Any) -> str:
    """A short unique legend label: ``#12 title``."""
    title = (getattr(run, "title", "") or "").strip() or (getattr(run, "group_label", None) or "")
    return f"#{run.id} {title}".strip()


def loss_curve_rows(records: Iterable[Any], term: str = "total", max_points: int = 400) -> list[dict[str, Any]]:
    """Long-form rows ``{"run", "step", "loss"}`` of each record's stored history, for one chart.

    Non-finite and non-positive losses are left out (the chart is on a log scale); long
    histories are thinned to about ``max_points`` per run, keeping the last point.
    """
    if term not in LOSS_TERMS:
        raise ValueError(f"term must be one of {', '.join(LOSS_TERMS)}, not {term!r}")
    rows: list[dict[str, Any]] = []
    for record in records:
        history = list(getattr(record, "history", None) or [])
        if len(history) > max_points:
            stride = -(-len(history) // max_points)
            history = history[::stride] + ([history[-1]] if (len(history) - 1) % stride else [])
        label = run_label(record)
        for index, entry in enumerate(history):
            value = entry.get(term)
            if value is None:
                continue
            value = float(value)
            if not math.isfinite(value) or value <= 0:
                continue
            rows.append({"run": label, "step": int(entry.get("step", index + 1)), "loss": value})
    return rows


# ============================================================================ downloads and re-run


def rerun_params(record: Any) -> dict[str, Any]:
    """What the studio page receives for "Re-run with these settings": ``StyleParams.to_dict()``."""
    return record.params.to_dict()


def params_table(record: Any) -> list[dict[str, str]]:
    """The run's parameters as ``{"parameter", "value"}`` rows (key ones first)."""
    return [{"parameter": row.name, "value": format_value(row.values[0])}
            for row in param_diff([record], include_inputs=False)]
