"""The studio's controls as pure data: widget values <-> ``StyleParams``. No Streamlit here.

The page shows a *base* ``StyleParams`` (the defaults, or a gallery run's stored params) as
widget values (``widget_values``), remembers what it showed (the *seeded* values), and builds
the params to paint by overlaying only the widgets the user changed (``params_from_widgets``).
So an untouched re-run paints exactly its stored params, even where a widget cannot show a
value (a loss form, several content layers, a weight between slider steps).

Widget ranges and choices come from each field's ``FieldSpec`` (nst.params); fields without a
hand-made widget get a generated one in the Expert section (``expert_fields``).
"""

from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np

from nst.errors import ParamsError
from nst.units import format_seconds
from nst.params import (
    QUALITY_PRESETS, STRENGTH_PRESETS, StyleParams, field_spec, param_specs, with_quality, with_strength,
)

DEFAULTS = StyleParams()
SIZES = (256, 384, 512, 640, 768, 1024, 1280, 1536, 2048)
# log-spaced multiples of the default weights, readable at a glance
MULTIPLIERS = (0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 7.0,
               10.0, 15.0, 20.0, 30.0, 50.0, 70.0, 100.0)
TV_MULTIPLIERS = (0.0,) + MULTIPLIERS  # a "log0" slider: 0 turns the term off
_SPECS = param_specs()
# every list of fields below is derived from the FieldSpecs (nst/params.py), never kept by hand
# widget key -> the weight field whose default it multiplies ("m_style" -> style_weight)
WEIGHT_KEYS = {"m_" + name.removesuffix("_weight"): name for name, spec in _SPECS.items() if spec.widget == "weight"}
# fields with a hand-made widget whose key is the field's name
DIRECT_FIELDS = tuple(name for name, spec in _SPECS.items() if spec.widget == "direct")
EXPERT_PREFIX = "x_"
INIT_LABELS = {"palette": "the photo in the painting's colours", "content": "the photo", "noise": "random noise",
               "style": "the first style image", "fast": "the fast preview"}
PRESERVE_LABELS = {"none": "no (take the style's colours)", "luminance": "yes, keep the photo's colours",
                   "histogram": "match style colours to the photo"}
OPTIMIZER_LABELS = {"lbfgs": "L-BFGS (best quality)", "adam": "Adam"}
BRUSH_MODES = {"keep_photo": "Keep the photo here", "keep_detail": "Keep detail here"}
# what the studio's Sweep offers (nst.batch.SWEEPABLE), with the values it starts from, as typed
SWEEP_DEFAULTS = {name: ", ".join(f"{v:g}" for v in spec.sweep) for name, spec in _SPECS.items() if spec.sweep}


# ---- multipliers ------------------------------------------------------------------------------
def nearest(options: Sequence[float], value: float) -> float:
    """The option closest to ``value`` on a log scale (0 maps to the smallest option)."""
    positive = [o for o in options if o > 0]
    if value <= 0:
        return options[0]
    return min(positive, key=lambda o: abs(math.log(o) - math.log(value)))


def ratio(value: float, default: float) -> float:
    return value / default if default else 1.0


def with_value(options: Sequence[float], value: float) -> list[float]:
    """``options`` plus ``value`` (sorted): a slider that can show a stored value exactly."""
    return sorted(set(options) | {value})


def readable(value: float) -> str:
    return f"{value:,.0f}" if value >= 1000 else f"{value:.3g}"


def weight_label(default: float, multiple: float) -> str:
    """"3× (= 30)": the multiple and the absolute weight it gives."""
    return f"{multiple:g}×  (= {readable(multiple * default)})" if default else f"{multiple:g}×"


def weights(values: Mapping[str, Any]) -> dict[str, float]:
    """The three live weights from the multiplier sliders, as the engine's set_weights takes them."""
    return {field.split("_")[0]: float(values[key]) * getattr(DEFAULTS, field) for key, field in WEIGHT_KEYS.items()}


def strength_values(preset: str) -> dict[str, float]:
    """The multiplier slider values of a strength preset."""
    params = with_strength(DEFAULTS, preset)
    return {key: nearest(multiples(field), ratio(getattr(params, field), getattr(DEFAULTS, field)))
            for key, field in WEIGHT_KEYS.items()}


def quality_values(preset: str) -> dict[str, Any]:
    params = with_quality(DEFAULTS, preset)
    return {"scales": params.scales, "iterations": params.iterations,
            f"{EXPERT_PREFIX}iteration_decay": params.iteration_decay}


def preset_of(params: StyleParams) -> tuple[str | None, str | None]:
    """(strength, quality) preset names that ``params`` matches, or None."""
    strength = next((n for n in STRENGTH_PRESETS if with_strength(params, n).style_weight == params.style_weight),
                    None)
    quality = next((n for n in QUALITY_PRESETS if with_quality(params, n) == params), None)
    return strength, quality


# ---- widget ranges -------------------------------------------------------------------------------
def expert_fields() -> list[str]:
    """Scalar fields with no hand-made widget: the Expert section draws one each from its spec."""
    return [name for name, spec in param_specs().items()
            if spec.kind in ("float", "int", "choice") and spec.widget == "expert"]


def label(name: str) -> str:
    """A field's widget label: its spec's, else its name capitalised ("Iteration decay")."""
    return field_spec(name).label or name.replace("_", " ").capitalize()


def multiples(name: str) -> tuple[float, ...]:
    """The multiples of the default a weight's slider offers (log-spaced; "log0" also offers 0 = off)."""
    return TV_MULTIPLIERS if field_spec(name).slider == "log0" else MULTIPLIERS


def widget_range(name: str) -> tuple[float | int | None, float | int | None]:
    """(min, max) of a field's number widget, from its FieldSpec (None: unbounded)."""
    spec = field_spec(name)
    if spec.kind == "int":
        return int(spec.low), int(spec.high)  # type: ignore[arg-type]
    return spec.low, spec.high


def choices(name: str) -> list[str]:
    return list(field_spec(name).choices)


def style_factor_note(factor: float) -> str:
    """What the style balance did to a finished run's style weight, in a sentence ("" when nothing)."""
    if factor == 1.0:
        return ""
    stronger = "stronger" if factor > 1.0 else "weaker"
    return (f"Style balance: this painting's features are {stronger} than the photo's, so the style weight was "
            f"multiplied by {factor:.2f} (Expert: style balance; 0 turns it off).")


# ---- params <-> widget values ---------------------------------------------------------------------
def widget_values(params: StyleParams) -> dict[str, Any]:
    """Every widget's value showing ``params`` (weights as exact multiples of the defaults)."""
    values: dict[str, Any] = {key: ratio(getattr(params, field), getattr(DEFAULTS, field))
                              for key, field in WEIGHT_KEYS.items()}
    values.update({name: getattr(params, name) for name in DIRECT_FIELDS})
    values["init"] = params.init if params.init in INIT_LABELS else DEFAULTS.init
    values.update({EXPERT_PREFIX + name: getattr(params, name) for name in expert_fields()})
    values["content_layer"] = params.content_layers[0][0]
    values["style_layers"] = [name for name, _ in params.style_layers]
    values.update({f"lw_{name}": float(weight) for name, weight in params.style_layers})
    return values


def params_from_widgets(base: StyleParams, values: Mapping[str, Any], seeded: Mapping[str, Any],
                        blend: Sequence[float] = ()) -> StyleParams:
    """``base`` with every widget the user changed (``values`` != ``seeded``) on top (raises ParamsError).

    ``blend``: the blend sliders, one per style image chosen now.
    """
    def changed(key: str) -> bool:
        return key in values and values[key] != seeded.get(key)

    changes: dict[str, Any] = {}
    for key, field in WEIGHT_KEYS.items():
        if changed(key):
            changes[field] = float(values[key]) * getattr(DEFAULTS, field)
    for name in DIRECT_FIELDS:
        if changed(name):
            changes[name] = _typed(name, values[name])
    for name in expert_fields():
        if changed(EXPERT_PREFIX + name):
            changes[name] = _typed(name, values[EXPERT_PREFIX + name])
    if changed("content_layer"):
        changes["content_layers"] = ((values["content_layer"], 1.0),)
    layer_keys = ["style_layers"] + [f"lw_{n}" for n in values.get("style_layers", ())]
    if any(changed(key) for key in layer_keys):
        changes["style_layers"] = tuple((n, float(values.get(f"lw_{n}", 1.0))) for n in values["style_layers"])
    changes["style_blend"] = _blend(base, blend)
    return base.replace(**changes)


def _typed(name: str, value: Any) -> Any:
    kind = field_spec(name).kind
    return int(value) if kind == "int" else float(value) if kind == "float" else value


def _blend(base: StyleParams, blend: Sequence[float]) -> tuple[float, ...]:
    """The blend sliders as ``style_blend``; the base's own when they show the same mix."""
    if len(blend) <= 1:
        return ()
    try:
        same = np.allclose(base.blend_weights(len(blend)), np.asarray(blend) / max(sum(blend), 1e-12))
    except ParamsError:
        same = False
    return base.style_blend if same else tuple(float(b) for b in blend)


# ---- sweeps ---------------------------------------------------------------------------------------
def sweep_grid(names: Sequence[str], texts: Mapping[str, str]) -> dict[str, list[float]]:
    """The sweep's choices -> {field: absolute values} (raises ParamsError).

    Weights are typed as multiples of the defaults (like the sliders); the others as values."""
    if not 1 <= len(names) <= 2:
        raise ParamsError("A sweep varies one or two parameters.")
    grid = {}
    for name in names:
        text = str(texts.get(name, SWEEP_DEFAULTS.get(name, "")))
        try:
            values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
        except ValueError:
            raise ParamsError(f"Values for {name} must be numbers separated by commas, not {text!r}.") from None
        scale = getattr(DEFAULTS, name) if name in WEIGHT_KEYS.values() else None
        grid[name] = [v * scale for v in values] if scale else values
    return grid


# ---- pictures and lines the panels show ------------------------------------------------------------
KEEP_RGB = np.array([0.85, 0.1, 0.1], np.float32)
DETAIL_RGB = np.array([0.15, 0.4, 0.9], np.float32)


def mask_overlay(small: np.ndarray, mask: np.ndarray | None, detail: np.ndarray | None) -> np.ndarray:
    """The photo with kept areas tinted red (``mask`` 0 = keep) and detail areas blue; float 0..1.

    ``detail`` must already be at ``small``'s size."""
    shown = small.astype(np.float32).copy()
    if mask is not None:
        keep = (1.0 - mask)[..., None] * 0.6
        shown = shown * (1 - keep) + KEEP_RGB * keep
    if detail is not None:
        marked = detail[..., None] * 0.5
        shown = shown * (1 - marked) + DETAIL_RGB * marked
    return shown


def progress_line(view: Any) -> str:
    """"Step 12 / 80 · scale 1/3 (128×96) · 8 s elapsed · ETA 40 s · 1.5 it/s"."""
    parts = [f"Step {view.step} / {view.total_steps}"]
    if view.n_items > 1:
        parts.insert(0, f"Item {view.item_index + 1} of {view.n_items} ({view.item_label})")
    if view.scale_size:
        parts.append(f"scale {view.scale_index + 1}/{view.n_scales} ({view.scale_size[0]}×{view.scale_size[1]})")
    parts.append(f"{format_seconds(view.elapsed)} elapsed")
    if view.active:
        parts.append(f"ETA {format_seconds(view.eta)}")
    if view.steps_per_second:
        parts.append(f"{view.steps_per_second:.2f} it/s")
    return " · ".join(parts)


def result_summary(result: Any) -> str:
    """"40 steps in 12 s · 3.3 it/s · 512×384 px · CPU"."""
    rate = f" · {result.steps / result.seconds:.2f} it/s" if result.seconds > 0 else ""
    return (f"{result.steps} steps in {format_seconds(result.seconds)}{rate} · "
            f"{result.size[0]}×{result.size[1]} px · {result.device}")
