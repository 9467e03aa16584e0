"""The one parameters dataclass that travels from slider to engine to gallery to CLI.

``StyleParams()`` is the default preset everywhere ("Standard quality, Balanced"). Every knob
has a default, is validated in ``__post_init__`` (a clear ``ParamsError`` for NaN, negative or
out-of-range values and unknown options), and round-trips through ``to_dict`` / ``from_dict``
as plain JSON types.

The loss *form* is data too (layers and their weights, how Gram matrices and the content
term are normalised, the total-variation form, pooling), so well-known recipes (the
TensorFlow tutorial, Gatys et al. 2015, jcjohnson/neural-style) are just presets.

What ``iterations`` counts: optimiser steps at the *coarsest* scale; each finer scale gets
``iteration_decay`` times as many as the one before (at least 1), because a step costs 4x
more at each doubling of size while the coarse scales already settle the composition. Each
step is one VGG19 forward + backward pass (for L-BFGS, one function/gradient evaluation,
line-search evaluations included). ``scale_iterations()`` gives the per-scale budgets and
``total_steps()`` their sum; scales under 64 px are dropped.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any, Mapping

from nst.errors import ParamsError

VGG19_CONV_LAYERS: tuple[str, ...] = (
    "block1_conv1", "block1_conv2",
    "block2_conv1", "block2_conv2",
    "block3_conv1", "block3_conv2", "block3_conv3", "block3_conv4",
    "block4_conv1", "block4_conv2", "block4_conv3", "block4_conv4",
    "block5_conv1", "block5_conv2", "block5_conv3", "block5_conv4",
)

OPTIMIZERS = ("lbfgs", "adam")
# palette: the photo with its colours' mean and covariance mapped to the painting's (nst.colors.palette_matched);
# fast: the TF-Hub model's picture (nst.fast)
INITS = ("palette", "content", "noise", "style", "image", "fast")
PRESERVE_COLORS = ("none", "luminance", "histogram")
POOLINGS = ("max", "avg")
PRECISIONS = ("auto", "float32", "bfloat16")  # of the VGG convolutions; losses are always float32
# relative: squared error divided by the target's energy (this studio; size- and image-invariant)
# mean:     mean squared error (TensorFlow tutorial)
# gatys:    1/(4 N^2 M^2) sum of squared Gram differences / 1/2 sum of squared feature differences
LOSS_FORMS = ("relative", "mean", "gatys")
# w2: squared Wasserstein-2 distance of the features' Gaussians (mean + covariance), relative to
#     the painting's mean squared activation (style only; nst.losses.w2_layer_loss)
STYLE_LOSS_FORMS = (*LOSS_FORMS, "w2")
TV_FORMS = ("squared_mean", "l1_sum")

# Style layers block1..4_conv1 weighted 1, 1, 1, 1/8, no block5 (issue #20, docs/quality.md): block5's Gram
# (relu5_1) encodes a portrait's face parts, and even at 1/16 it paid the optimiser to draw a face on a tower;
# block4 at 1/8 still shapes the larger strokes. Style weight 28 with the style balance (exponent 0.75) and the
# palette start: at 512 px every figurative pair's style and colour gap is below the #12 default's and none
# copies; the textural pairs beat jcjohnson's published results on structure and style gap (30 copied
# 0.023 on Hoover x Van Gogh; docs/quality.md, "The palette start and the style balance").
DEFAULT_STYLE_LAYERS: tuple[tuple[str, float], ...] = (
    ("block1_conv1", 1.0), ("block2_conv1", 1.0), ("block3_conv1", 1.0), ("block4_conv1", 0.125),
)
DEFAULT_CONTENT_LAYERS: tuple[tuple[str, float], ...] = (("block4_conv2", 1.0),)

# What a saved run made before a field existed used instead (StyleParams.from_saved).
SAVED_BEFORE_FIELD: dict[str, Any] = {"style_balance": 0.0}

MIN_SIZE = 64
MAX_SIZE = 8192  # px; above what a whole run fits, `nst stylize` grows it in tiles (nst.big_stylize)


@dataclass(frozen=True)
class FieldSpec:
    """What a ``StyleParams`` field means and which values it takes: the one source for its
    validation, its CLI flags (nst.flags), its studio widget (studio.controls), whether batches can
    sweep it (nst.batch) and how the gallery shows it (studio.gallery.model). No list of fields is
    kept anywhere else: each is derived from these specs, so a new field shows up everywhere it should.

    ``low``/``high`` bound numbers (``strict_low``: above ``low``); ``choices`` lists the
    options of a text field. ``kind`` is ``"float"``, ``"int"``, ``"choice"`` or ``"layers"``
    / ``"blend"`` for the two structured fields (their flags and widgets are written by hand).

    Hints: ``label`` is the studio widget's label ("" = the name, capitalised). ``widget`` says where the
    studio draws it: ``"weight"`` (a slider of multiples of the default; ``slider`` ``"log"``, or ``"log0"``
    to offer 0 = off too), ``"direct"`` (a hand-made widget keyed by the field's name), ``"expert"``
    (generated in the Expert section) or ``""`` (a structured field's own widgets). ``sweep``: the
    studio's default sweep values, in the widget's units (multiples of the default for a weight);
    non-empty makes the field sweepable. ``key``: 1, 2, ...: a key parameter, shown in that order on
    gallery cards and first in comparisons. ``axis``: a gallery group may be laid out by it (key and
    sweepable fields always may). ``fast``: the fast model honours it (``nst fast`` has its flag).
    ``loss_form``: part of the loss's form (layers, normalisation), which a compared recipe carries itself.
    """

    kind: str
    help: str
    low: float | None = None
    high: float | None = None
    strict_low: bool = False
    choices: tuple[str, ...] = ()
    label: str = ""
    widget: str = "expert"
    slider: str = ""
    sweep: tuple[float, ...] = ()
    key: int = 0
    axis: bool = False
    fast: bool = False
    loss_form: bool = False

    @property
    def sweepable(self) -> bool:
        return bool(self.sweep)

    def check(self, name: str, value: object) -> None:
        if self.kind == "float":
            _check_number(name, value, low=self.low, high=self.high, strict_low=self.strict_low)
        elif self.kind == "int":
            _check_int(name, value, int(self.low), int(self.high))  # type: ignore[arg-type]
        elif self.kind == "choice":
            _check_choice(name, value, self.choices)


def _num(default: float, help: str, low: float | None = None, high: float | None = None,
         strict_low: bool = False, **hints: Any) -> Any:
    return dataclasses.field(default=default, metadata={"spec": FieldSpec("float", help, low, high, strict_low,
                                                                          **hints)})


def _int(default: int, help: str, low: int, high: int, **hints: Any) -> Any:
    return dataclasses.field(default=default, metadata={"spec": FieldSpec("int", help, low, high, **hints)})


def _choice(default: str, help: str, choices: tuple[str, ...], **hints: Any) -> Any:
    return dataclasses.field(default=default, metadata={"spec": FieldSpec("choice", help, choices=choices,
                                                                          **hints)})


def _structured(default: Any, kind: str, help: str, **hints: Any) -> Any:
    return dataclasses.field(default=default, metadata={"spec": FieldSpec(kind, help, widget="", **hints)})


@dataclass(frozen=True)
class StyleParams:
    """Every knob of a run. Frozen: derive variants with ``dataclasses.replace``.

    Each field carries a ``FieldSpec`` (``field_spec(name)``): help text, range, choices."""

    # what the user drags (the sliders offer multiples of these defaults)
    content_weight: float = _num(1.0, "weight of the content (photo) loss", low=0.0, label="Content weight",
                                 widget="weight", slider="log", sweep=(0.5, 1, 2), key=2)
    style_weight: float = _num(28.0, "weight of the style loss; higher is more painterly", low=0.0,
                               label="Style weight", widget="weight", slider="log", sweep=(7, 28, 112), key=1)
    tv_weight: float = _num(1.0, "total-variation weight; higher is smoother", low=0.0,
                            label="Smoothness (TV weight)", widget="weight", slider="log0", sweep=(0.5, 1, 2), key=3)
    # output and quality
    size: int = _int(512, "long side of the output in px", MIN_SIZE, MAX_SIZE, label="Output size (long side, px)",
                     widget="direct", key=4, fast=True)
    scales: int = _int(3, "coarse-to-fine scales (each half the size of the next)", 1, 8,
                       label="Scales (coarse to fine)", widget="direct", axis=True)
    iterations: int = _int(80, "optimiser steps at the coarsest scale (each one VGG19 forward+backward)",
                           1, 100_000, label="Iterations", widget="direct", axis=True)
    iteration_decay: float = _num(0.4, "each finer scale gets this fraction of the previous scale's steps",
                                  low=0.05, high=1.0)
    optimizer: str = _choice("lbfgs", "lbfgs (best quality) or adam", OPTIMIZERS, label="Optimizer",
                             widget="direct", key=5)
    learning_rate: float = _num(0.02, "Adam's step size (the image lives in 0..1)", low=0.0, strict_low=True,
                                label="Adam learning rate", widget="direct", sweep=(0.01, 0.02, 0.05))
    adam_beta1: float = _num(0.9, "Adam's first-moment decay", low=0.0, high=0.9999)
    adam_epsilon: float = _num(1e-8, "Adam's epsilon", low=0.0, strict_low=True)
    # palette: the photo in the painting's colours (issue #20, docs/quality.md "The palette start and the style
    # balance"): the steps no longer spend the style weight on recolouring, so structure and style both gain
    init: str = _choice("palette", "the starting image (palette: the photo in the painting's colours; image: "
                        "--init-image; fast: the fast model's picture)", INITS, label="Start from",
                        widget="direct", axis=True)
    seed: int = _int(0, "random seed: same seed and settings, same picture", 0, 2**31 - 1, label="Seed",
                     widget="direct", axis=True)
    # style images
    style_blend: tuple[float, ...] = _structured((), "blend", "blend weights, one per style image")
    style_scale: float = _num(1.0, "style image size relative to the output (size of the brush marks)",
                              low=0.1, high=4.0, label="Style scale", widget="direct", sweep=(0.5, 1, 1.5),
                              fast=True)
    preserve_colors: str = _choice("none", "keep the photo's colours: luminance or histogram matching",
                                   PRESERVE_COLORS, label="Keep the photo's colours?", widget="direct", axis=True,
                                   fast=True)
    # spatial control (nst.masks): how strongly a user mask and flat-area protection apply, 0..1
    mask_strength: float = _num(1.0, "0..1: how fully black mask areas keep the photo", low=0.0, high=1.0,
                                label="Mask strength", widget="direct")
    protect_flat: float = _num(0.0, "0..1: keep flat areas (plain skies, walls) free of style texture",
                               low=0.0, high=1.0, label="Protect flat areas", widget="direct")
    # detail regions (a detail mask, 1 = keep detail and colour): the content weight there is
    # multiplied by 1 + 9 * detail_strength (nst.masks.DETAIL_GAIN), so 1 means 10x; 0..1.
    # Only applies when a detail mask is given. Saved runs from before it load with the default.
    detail_strength: float = _num(1.0, "0..1: content weight in detail regions x (1 + 9 x this)",
                                  low=0.0, high=1.0, label="Detail strength", widget="direct")
    # loss form
    content_layers: tuple[tuple[str, float], ...] = _structured(
        DEFAULT_CONTENT_LAYERS, "layers", "content layers and weights, e.g. block4_conv2=1", loss_form=True)
    style_layers: tuple[tuple[str, float], ...] = _structured(
        DEFAULT_STYLE_LAYERS, "layers", "style layers and weights, e.g. block1_conv1=1,block2_conv1=0.5",
        loss_form=True)
    style_loss_form: str = _choice("relative", "how Gram differences are normalised", STYLE_LOSS_FORMS,
                                   loss_form=True)
    content_loss_form: str = _choice("relative", "how feature differences are normalised", LOSS_FORMS,
                                     loss_form=True)
    tv_form: str = _choice("squared_mean", "total-variation form", TV_FORMS, loss_form=True)
    # The style weight is multiplied by (painting's Gram energy / photo's) ** style_balance, measured once per
    # run at the output size over the style layers (nst.losses.style_balance_factor). The relative losses
    # divide each term by its own target's energy, which under-paints a busy painting over a quiet photo
    # (The Starry Night over Tubingen) and over-paints a quiet one over a busy photo; 0.75 sits between
    # that and jcjohnson's absolute losses (docs/quality.md). 0 = off (saved runs from before it load with 0).
    style_balance: float = _num(0.75, "style weight x (painting's feature energy / photo's) ** this; 0 = off",
                                low=0.0, high=2.0, loss_form=True)
    pooling: str = _choice("max", "VGG19 pooling (Gatys et al. used avg)", POOLINGS, label="Pooling",
                           widget="direct", axis=True)
    # "auto": bfloat16 only on a CPU where it is clearly faster (nst.precision decides, once per machine)
    precision: str = _choice("auto", "of the VGG19 convolutions; auto = bfloat16 only where this CPU runs it fast",
                             PRECISIONS, label="Precision", widget="direct")
    # budget: 0 = none. Otherwise the run ends after this many seconds, each scale getting a
    # share proportional to its planned work (steps x pixels), so a budget still ends at full size.
    time_limit: float = _num(0.0, "time budget in seconds (0 = none); still ends at full size", low=0.0)
    # reporting
    snapshot_every: int = _int(10, "keep a snapshot every this many steps", 1, 100_000)

    def __post_init__(self) -> None:
        for name, spec in _SPECS.items():
            spec.check(name, getattr(self, name))
        object.__setattr__(self, "style_blend", tuple(float(b) for b in self.style_blend))
        for blend in self.style_blend:
            _check_number("style_blend", blend, low=0.0)
        if self.style_blend and sum(self.style_blend) <= 0:
            raise ParamsError("style_blend must have at least one weight above 0.")
        object.__setattr__(self, "content_layers", _layer_weights("content_layers", self.content_layers))
        object.__setattr__(self, "style_layers", _layer_weights("style_layers", self.style_layers))

    # ---- derived values -------------------------------------------------------------
    def scale_sizes(self) -> tuple[int, ...]:
        """Long-side sizes of the coarse-to-fine schedule, halving from ``size`` down.

        Scales that would be smaller than ``MIN_SIZE`` px are dropped rather than refused, so
        a "High" preset at a small output size still runs (with fewer scales).
        """
        sizes = [int(round(self.size / 2**k)) for k in range(self.scales)]
        return tuple(reversed([s for s in sizes if s >= MIN_SIZE]))

    def scale_iterations(self) -> tuple[int, ...]:
        """Step budget of each scale, coarse to fine. With L-BFGS a finer scale whose share rounds to one step gets
        none: that step would only measure the picture the scale starts from (L-BFGS's first evaluation), so the
        engine enlarges the last painted picture to it instead (the Print's 2048 px scale: docs/speed.md)."""
        n = len(self.scale_sizes())
        steps = [max(1, round(self.iterations * self.iteration_decay**k)) for k in range(n)]
        if self.optimizer == "lbfgs":
            steps[1:] = [0 if s == 1 else s for s in steps[1:]]
        return tuple(steps)

    def total_steps(self) -> int:
        return sum(self.scale_iterations())

    def blend_weights(self, n_styles: int) -> tuple[float, ...]:
        """Blend weights for ``n_styles`` style images, normalised to sum 1 (equal when unset)."""
        if not self.style_blend:
            return tuple(1.0 / n_styles for _ in range(n_styles))
        if len(self.style_blend) != n_styles:
            raise ParamsError(
                f"style_blend has {len(self.style_blend)} weights for {n_styles} style images; "
                "give one weight per style image."
            )
        total = sum(self.style_blend)
        return tuple(b / total for b in self.style_blend)

    # ---- JSON ----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name in ("content_layers", "style_layers"):
                value = {name: weight for name, weight in value}
            elif isinstance(value, tuple):
                value = list(value)
            out[f.name] = value
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "StyleParams":
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ParamsError(f"Unknown parameter(s): {', '.join(unknown)}.")
        kwargs = dict(data)
        for key in ("content_layers", "style_layers"):
            if key in kwargs and isinstance(kwargs[key], Mapping):
                kwargs[key] = tuple(kwargs[key].items())
            elif key in kwargs:
                kwargs[key] = tuple(tuple(item) for item in kwargs[key])
        if "style_blend" in kwargs:
            kwargs["style_blend"] = tuple(kwargs["style_blend"])
        return cls(**kwargs)

    @classmethod
    def from_saved(cls, data: Mapping[str, Any]) -> "StyleParams":
        """A run's parameters as saved (the gallery, a print's metadata): every field the run had. A field
        added since takes the value that reproduces the run, not today's default."""
        return cls.from_dict({**SAVED_BEFORE_FIELD, **data})

    def replace(self, **changes: Any) -> "StyleParams":
        return dataclasses.replace(self, **changes)


def field_spec(name: str) -> FieldSpec:
    """The ``FieldSpec`` of a ``StyleParams`` field (KeyError for an unknown name)."""
    return _SPECS[name]


def param_specs() -> dict[str, FieldSpec]:
    """Every field's spec, in field order."""
    return dict(_SPECS)


# ---- validation helpers -------------------------------------------------------------
def _check_number(
    name: str, value: object, *, low: float | None = None, high: float | None = None,
    strict_low: bool = False,
) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ParamsError(f"{name} must be a number, not {value!r}.")
    if not math.isfinite(value):
        raise ParamsError(f"{name} must be a finite number, not {value}.")
    if low is not None and (value < low or (strict_low and value == low)):
        bound = "above" if strict_low else "at least"
        raise ParamsError(f"{name} must be {bound} {low}, not {value}.")
    if high is not None and value > high:
        raise ParamsError(f"{name} must be at most {high}, not {value}.")


def _check_int(name: str, value: object, low: int, high: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParamsError(f"{name} must be a whole number, not {value!r}.")
    if not low <= value <= high:
        raise ParamsError(f"{name} must be between {low} and {high}, not {value}.")


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ParamsError(f"{name} must be one of {', '.join(choices)}, not {value!r}.")


def _layer_weights(name: str, layers: object) -> tuple[tuple[str, float], ...]:
    try:
        pairs = tuple((str(layer), weight) for layer, weight in layers)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        raise ParamsError(f"{name} must be pairs of (layer name, weight).") from None
    if not pairs:
        raise ParamsError(f"{name} needs at least one layer.")
    for layer, weight in pairs:
        if layer not in VGG19_CONV_LAYERS:
            raise ParamsError(f"{name}: {layer!r} is not a VGG19 conv layer (e.g. block4_conv2).")
        _check_number(f"{name}[{layer}]", weight, low=0.0)
    if len({layer for layer, _ in pairs}) != len(pairs):
        raise ParamsError(f"{name} names a layer twice.")
    return tuple((layer, float(weight)) for layer, weight in pairs)


# A field declared without a FieldSpec (plain ``name: str = "x"``) gets no generated check, flag or
# widget; tests/test_params.py fails until it has one, so a merge cannot drop it silently.
_SPECS: dict[str, FieldSpec] = {f.name: f.metadata["spec"] for f in dataclasses.fields(StyleParams)
                                if "spec" in f.metadata}

# Starting points the app offers. Strength presets multiply the default style weight.
STRENGTH_PRESETS: dict[str, float] = {"Subtle": 0.3, "Balanced": 1.0, "Strong": 3.0}

QUALITY_PRESETS: dict[str, dict[str, float]] = {
    # 20/13/8 steps at 128/256/512 px: 0.47x the Standard's step time, and on #21's second screen (docs/speed.md)
    # more structure, less copying and a smaller style gap than 40/16/6 (0.48x). Before #21 it was 2 scales of
    # 50/20 steps at 256/512 px, which cost 1.2x the Standard's: a 512 px step costs ~13x a 128 px one.
    "Preview": {"scales": 3, "iterations": 20, "iteration_decay": 0.63},
    "Standard": {"scales": 3, "iterations": 80, "iteration_decay": 0.4},
    "High": {"scales": 4, "iterations": 160, "iteration_decay": 0.5},
    # for 2048 px prints: two more, coarser scales do the painting (128 .. 2048 px, 80/28/10/3/0 steps: see
    # scale_iterations); 1024 px only sharpens, 2048 px is an enlargement. 80/32/13/5/2 cost 1.28x the time for
    # structure +1-2 % and the same style gap, whole and in 100 % crops (docs/speed.md, "The Print preset");
    # 80/24/7/2/1 lost 4-6 % structure.
    "Print": {"scales": 5, "iterations": 80, "iteration_decay": 0.35},
}


def with_strength(params: StyleParams, preset: str) -> StyleParams:
    """``params`` with the style weight of a strength preset (Subtle / Balanced / Strong)."""
    if preset not in STRENGTH_PRESETS:
        raise ParamsError(f"strength must be one of {', '.join(STRENGTH_PRESETS)}, not {preset!r}.")
    return params.replace(style_weight=StyleParams().style_weight * STRENGTH_PRESETS[preset])


def with_quality(params: StyleParams, preset: str) -> StyleParams:
    """``params`` with the scales and iterations of a quality preset (Preview / Standard / High)."""
    if preset not in QUALITY_PRESETS:
        raise ParamsError(f"quality must be one of {', '.join(QUALITY_PRESETS)}, not {preset!r}.")
    return params.replace(**QUALITY_PRESETS[preset])


__all__ = [
    "StyleParams", "FieldSpec", "field_spec", "param_specs", "VGG19_CONV_LAYERS", "STRENGTH_PRESETS", "QUALITY_PRESETS", "with_strength", "with_quality",
    "OPTIMIZERS", "INITS", "PRESERVE_COLORS", "POOLINGS", "PRECISIONS", "LOSS_FORMS", "TV_FORMS",
]
