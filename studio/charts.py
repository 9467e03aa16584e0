"""Loss-curve charts as plain Vega-Lite specs, for the studio's live and result views and the gallery.

Plain specs, not Altair: the live panel redraws its chart every couple of seconds on a 2-core
machine, and Altair's schema validation costs more than the drawing. No Streamlit here.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Mapping, Sequence

from nst.units import LOSS_TERMS

MAX_POINTS = 600  # per curve: keeps the browser light on long runs
RULE_KINDS = ("weights changed", "next scale")


def thin(history: Sequence[Any], max_points: int = MAX_POINTS) -> list[Any]:
    """Every k-th entry so about ``max_points`` remain, always keeping the last."""
    history = list(history)
    if len(history) <= max_points:
        return history
    stride = -(-len(history) // max_points)
    return history[::stride] + ([history[-1]] if (len(history) - 1) % stride else [])


def job_loss_values(history: Iterable[Mapping[str, float]]) -> list[dict[str, Any]]:
    """Long-form ``{"step", "term", "loss"}`` rows of a run's history; a log scale has no 0, so
    zero and non-finite losses are left out (the content loss is 0 at step 1 from the photo)."""
    return [{"step": h["step"], "term": term, "loss": float(h[term])}
            for h in thin(list(history)) for term in LOSS_TERMS
            if math.isfinite(float(h[term])) and float(h[term]) > 0]


def loss_chart(values: list[dict[str, Any]], *, series: str = "term", sort: Sequence[str] | None = None,
               rules: Sequence[Mapping[str, Any]] = (), height: int = 260,
               y_title: str = "loss (log scale)") -> dict[str, Any]:
    """Log-scale loss curves, one colour per ``series`` value, with dashed rules at ``rules``
    (``{"step", "what"}``, ``what`` one of RULE_KINDS)."""
    color: dict[str, Any] = {"field": series, "type": "nominal", "legend": {"orient": "top", "title": None}}
    if sort is not None:
        color["sort"] = list(sort)
    layers: list[dict[str, Any]] = [
        {"data": {"values": values}, "mark": {"type": "line", "strokeWidth": 1.6},
         "encoding": {
             "x": {"field": "step", "type": "quantitative", "title": "step"},
             "y": {"field": "loss", "type": "quantitative", "title": y_title, "scale": {"type": "log"}},
             "color": color,
             "tooltip": [{"field": "step", "type": "quantitative"}, {"field": series, "type": "nominal"},
                         {"field": "loss", "type": "quantitative", "format": ".3g"}]}}]
    if rules:
        layers.append(
            {"data": {"values": list(rules)}, "mark": {"type": "rule", "strokeWidth": 2},
             "encoding": {
                 "x": {"field": "step", "type": "quantitative"},
                 "color": {"value": "#d62728"},
                 "strokeDash": {"field": "what", "type": "nominal", "legend": None,
                                "scale": {"domain": list(RULE_KINDS), "range": [[6, 3], [2, 2]]}},
                 "opacity": {"field": "what", "type": "nominal", "legend": None,
                             "scale": {"domain": list(RULE_KINDS), "range": [1.0, 0.35]}},
                 "tooltip": [{"field": "what", "type": "nominal"}, {"field": "step", "type": "quantitative"}]}})
    return {"height": height, "layer": layers}


def job_chart(view: Any, height: int = 260) -> dict[str, Any]:
    """A run's curves (a JobView): every loss term, live weight changes and scale starts marked."""
    rules = ([{"step": s, "what": RULE_KINDS[0]} for s in view.weight_changes]
             + [{"step": s, "what": RULE_KINDS[1]} for s in view.scale_starts if s > 0])
    return loss_chart(job_loss_values(view.history), sort=LOSS_TERMS, rules=rules, height=height)


def runs_chart(rows: list[dict[str, Any]], term: str, height: int = 300) -> dict[str, Any]:
    """Several stored runs' curves of one term (rows from studio.gallery.model.loss_curve_rows)."""
    return loss_chart(rows, series="run", height=height, y_title=f"{term} loss (log scale)")


def moments_chart(rows: Sequence[Mapping[str, Any]], overdone: Sequence[Mapping[str, Any]],
                  marks: Sequence[Mapping[str, Any]], height: int = 200) -> dict[str, Any]:
    """A run's final-scale moments: structure and style gap per step (``rows``: ``{"step", "measure",
    "value"}``), each overdone stretch shaded (``{"from", "to"}``), the suggested and kept moments as rules
    (``{"step", "what"}``)."""
    layers: list[dict[str, Any]] = []
    if overdone:
        layers.append({"data": {"values": list(overdone)}, "mark": {"type": "rect", "color": "#d62728", "opacity": 0.15},
                       "encoding": {"x": {"field": "from", "type": "quantitative"}, "x2": {"field": "to"},
                                    "tooltip": [{"field": "what", "type": "nominal"}]}})
    layers.append(
        {"data": {"values": list(rows)}, "mark": {"type": "line", "point": True, "strokeWidth": 1.6},
         "encoding": {"x": {"field": "step", "type": "quantitative", "title": "step", "scale": {"zero": False}},
                      "y": {"field": "value", "type": "quantitative", "title": None},
                      "color": {"field": "measure", "type": "nominal", "legend": {"orient": "top", "title": None}},
                      "tooltip": [{"field": "step", "type": "quantitative"}, {"field": "measure", "type": "nominal"},
                                  {"field": "value", "type": "quantitative", "format": ".3f"}]}})
    if marks:
        layers.append({"data": {"values": list(marks)}, "mark": {"type": "rule", "strokeWidth": 2, "strokeDash": [4, 2]},
                       "encoding": {"x": {"field": "step", "type": "quantitative"},
                                    "color": {"value": "#2ca02c"},
                                    "tooltip": [{"field": "what", "type": "nominal"},
                                                {"field": "step", "type": "quantitative"}]}})
    return {"height": height, "layer": layers}
