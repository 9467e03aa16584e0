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
INITS = ("content", "noise", "style", "image", "fast")  # fast: the TF-Hub model's picture (nst.fast)
PRESERVE_COLORS = ("none", "luminance", "histogram")
POOLINGS = ("max", "avg")
PRECISIONS = ("auto", "float32", "bfloat16")  # of the VGG convolutions; losses are always float32
# relative: squared error divided by the target's energy (this studio; size- and image-invariant)
# mean:     mean squared error (TensorFlow tutorial)
# gatys:    1/(4 N^2 M^2) sum of squared Gram differences / 1/2 sum of squared feature differences
LOSS_FORMS = ("relative", "mean", "gatys")
TV_FORMS = ("squared_mean", "l1_sum")

DEFAULT_STYLE_LAYERS: tuple[tuple[str, float], ...] = tuple(
    (f"block{n}_conv1", 1.0) for n in range(1, 6)
)
DEFAULT_CONTENT_LAYERS: tuple[tuple[str, float], ...] = (("block4_conv2", 1.0),)

MIN_SIZE = 64
MAX_SIZE = 4096


@dataclass(frozen=True)
class StyleParams:
    """Every knob of a run. Frozen: derive variants with ``dataclasses.replace``."""

    # what the user drags
    content_weight: float = 1.0
    style_weight: float = 10.0
    tv_weight: float = 1.0
    # output and quality
    size: int = 512
    scales: int = 3
    iterations: int = 80
    iteration_decay: float = 0.4
    optimizer: str = "lbfgs"
    learning_rate: float = 0.02  # Adam only; the image lives in [0,1]
    adam_beta1: float = 0.9
    adam_epsilon: float = 1e-8
    init: str = "content"
    seed: int = 0
    # style images
    style_blend: tuple[float, ...] = ()
    style_scale: float = 1.0
    preserve_colors: str = "none"
    # spatial control (nst.masks): how strongly a user mask and flat-area protection apply, 0..1
    mask_strength: float = 1.0
    protect_flat: float = 0.0
    # detail regions (a detail mask, 1 = keep detail and colour): the content weight there is
    # multiplied by 1 + 9 * detail_strength (nst.masks.DETAIL_GAIN), so 1 means 10x; 0..1.
    # Only applies when a detail mask is given. Saved runs from before it load with the default.
    detail_strength: float = 1.0
    # loss form
    content_layers: tuple[tuple[str, float], ...] = DEFAULT_CONTENT_LAYERS
    style_layers: tuple[tuple[str, float], ...] = DEFAULT_STYLE_LAYERS
    style_loss_form: str = "relative"
    content_loss_form: str = "relative"
    tv_form: str = "squared_mean"
    pooling: str = "max"
    # "auto": bfloat16 only on a CPU where it is clearly faster (nst.precision decides, once per machine)
    precision: str = "auto"
    # budget: 0 = none. Otherwise the run ends after this many seconds, each scale getting a
    # share proportional to its planned work (steps x pixels), so a budget still ends at full size.
    time_limit: float = 0.0
    # reporting
    snapshot_every: int = 10

    def __post_init__(self) -> None:
        _check_number("content_weight", self.content_weight, low=0.0)
        _check_number("style_weight", self.style_weight, low=0.0)
        _check_number("tv_weight", self.tv_weight, low=0.0)
        _check_number("learning_rate", self.learning_rate, low=0.0, strict_low=True)
        _check_number("iteration_decay", self.iteration_decay, low=0.05, high=1.0)
        _check_number("adam_beta1", self.adam_beta1, low=0.0, high=0.9999)
        _check_number("adam_epsilon", self.adam_epsilon, low=0.0, strict_low=True)
        _check_number("style_scale", self.style_scale, low=0.1, high=4.0)
        _check_int("size", self.size, MIN_SIZE, MAX_SIZE)
        _check_int("scales", self.scales, 1, 8)
        _check_int("iterations", self.iterations, 1, 100_000)
        _check_int("seed", self.seed, 0, 2**31 - 1)
        _check_number("mask_strength", self.mask_strength, low=0.0, high=1.0)
        _check_number("protect_flat", self.protect_flat, low=0.0, high=1.0)
        _check_number("detail_strength", self.detail_strength, low=0.0, high=1.0)
        _check_number("time_limit", self.time_limit, low=0.0)
        _check_int("snapshot_every", self.snapshot_every, 1, 100_000)
        _check_choice("optimizer", self.optimizer, OPTIMIZERS)
        _check_choice("init", self.init, INITS)
        _check_choice("preserve_colors", self.preserve_colors, PRESERVE_COLORS)
        _check_choice("pooling", self.pooling, POOLINGS)
        _check_choice("precision", self.precision, PRECISIONS)
        _check_choice("style_loss_form", self.style_loss_form, LOSS_FORMS)
        _check_choice("content_loss_form", self.content_loss_form, LOSS_FORMS)
        _check_choice("tv_form", self.tv_form, TV_FORMS)
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
        """Step budget of each scale, coarse to fine."""
        n = len(self.scale_sizes())
        return tuple(max(1, round(self.iterations * self.iteration_decay**k)) for k in range(n))

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

    def replace(self, **changes: Any) -> "StyleParams":
        return dataclasses.replace(self, **changes)


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


# Starting points the app offers. Strength presets multiply the default style weight.
STRENGTH_PRESETS: dict[str, float] = {"Subtle": 0.3, "Balanced": 1.0, "Strong": 3.0}

QUALITY_PRESETS: dict[str, dict[str, float]] = {
    "Preview": {"scales": 2, "iterations": 50, "iteration_decay": 0.4},
    "Standard": {"scales": 3, "iterations": 80, "iteration_decay": 0.4},
    "High": {"scales": 4, "iterations": 160, "iteration_decay": 0.5},
    # for 2048 px prints: two more, coarser scales do the painting (128 .. 2048 px, 80/32/13/5/2
    # steps); the 2048 px scale only sharpens, as its steps cost ~80 s each on 2 cores
    "Print": {"scales": 5, "iterations": 80, "iteration_decay": 0.4},
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
    "StyleParams", "VGG19_CONV_LAYERS", "STRENGTH_PRESETS", "QUALITY_PRESETS", "with_strength", "with_quality",
    "OPTIMIZERS", "INITS", "PRESERVE_COLORS", "POOLINGS", "PRECISIONS", "LOSS_FORMS", "TV_FORMS",
]
