"""Loss terms of Gatys et al. style transfer, and how they are normalised.

The studio's own form ("relative") makes the user-facing weights mean the same at any
output size and for any style image:

- Gram matrices are averaged over positions, ``G = F^T F / (H W)``, so they do not grow
  with the image.
- Style loss per layer = ``sum((G - A)^2) / sum(A^2)``: the squared error relative to the
  target Gram's energy. A bright, busy painting and a pale one start from the same scale.
- Content loss per layer = ``sum((F - P)^2) / sum(P^2)``: relative feature error.
- Layer losses are combined with the layer weights normalised to sum 1.
- Total variation "squared_mean" = mean squared difference of neighbouring pixels.

So at content init the content term is 0 and the style term is of order 1, whatever the
size. The other forms exist so well-known recipes can be expressed as presets: "mean"
(TensorFlow tutorial: mean squared error of Grams/features) and "gatys" (the paper's
``1/(4 N^2 M^2) sum (G - A)^2`` and ``1/2 sum (F - P)^2``); "l1_sum" TV is
``tf.image.total_variation``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Mapping, NamedTuple, Sequence, Union

import numpy as np
import tensorflow as tf

from nst.params import VGG19_CONV_LAYERS, StyleParams

_EPS = 1e-8


def _wide(features: tf.Tensor) -> tf.Tensor:
    """Activations in float32, whatever precision the network ran in: every sum of the losses is float32."""
    return tf.cast(features, tf.float32)


@tf.custom_gradient
def _gram_of_rows(flat: tf.Tensor):
    """F^T F of a [N,C] matrix (float32, whatever ``flat``'s precision), with the symmetric gradient
    in one product in ``flat``'s own precision.

    Autodiff of ``matmul(F, F, transpose_a=True)`` differentiates each operand separately:
    two [N,C] products and a sum, the largest tensors of the backward pass at block1.
    ``dF = F (dG + dG^T)`` is the same gradient for half the work and memory. With bfloat16
    activations that product runs in bfloat16: its result only flows on into bfloat16
    convolutions, and in float32 it was 10 % of a 512 px step (docs/speed.md).
    """
    def grad(upstream: tf.Tensor) -> tf.Tensor:
        return tf.matmul(flat, tf.cast(upstream + tf.transpose(upstream), flat.dtype))

    wide = _wide(flat)
    return tf.matmul(wide, wide, transpose_a=True), grad


def gram_matrix(features: tf.Tensor) -> tf.Tensor:
    """[1,H,W,C] activations (any precision) -> [C,C] float32 Gram matrix averaged over the H*W positions."""
    channels = tf.shape(features)[-1]
    flat = tf.reshape(features, [-1, channels])
    positions = tf.cast(tf.shape(flat)[0], tf.float32)
    return _gram_of_rows(flat) / positions


def style_layer_loss(gram: tf.Tensor, target: tf.Tensor, form: str) -> tf.Tensor:
    squared = tf.square(gram - target)
    if form == "relative":
        return tf.reduce_sum(squared) / (tf.reduce_sum(tf.square(target)) + _EPS)
    if form == "mean":
        return tf.reduce_mean(squared)
    # gatys: 1/(4 N^2 M^2) sum (G_raw - A_raw)^2 with G_raw = M * G  ==  mean(squared) / 4
    return tf.reduce_mean(squared) / 4.0


class W2Target(NamedTuple):
    """A painting layer's Gaussian statistics for the "w2" style loss (computed once per scale)."""

    mean: tf.Tensor  # [C]
    cov_sqrt: tf.Tensor  # [C,C] symmetric square root of the covariance
    cov_trace: tf.Tensor  # scalar
    energy: tf.Tensor  # scalar: |mean|^2 + trace(cov), the mean squared activation (the normaliser)


StyleTarget = Union[tf.Tensor, W2Target]


def _psd_sqrt(matrix: tf.Tensor) -> tf.Tensor:
    values, vectors = tf.linalg.eigh(matrix)
    return tf.matmul(vectors * tf.sqrt(tf.maximum(values, 0.0)), vectors, transpose_b=True)


def w2_target(mean: tf.Tensor, gram: tf.Tensor) -> W2Target:
    cov = gram - mean[:, None] * mean[None, :]
    trace = tf.linalg.trace(cov)
    return W2Target(mean, _psd_sqrt(cov), trace, tf.reduce_sum(tf.square(mean)) + trace)


def w2_layer_loss(mean: tf.Tensor, gram: tf.Tensor, target: W2Target) -> tf.Tensor:
    """Squared Wasserstein-2 distance between the Gaussians of the image's and the painting's
    features (mean and covariance), relative to the painting's mean squared activation:
    ``(|m - m_s|^2 + tr(S) + tr(S_s) - 2 tr((S_s^1/2 S S_s^1/2)^1/2)) / (|m_s|^2 + tr(S_s))``.
    0 at the painting's statistics, 1 for all-zero features."""
    cov = gram - mean[:, None] * mean[None, :]
    inner = tf.matmul(tf.matmul(target.cov_sqrt, cov), target.cov_sqrt)
    values = tf.linalg.eigh(inner)[0]
    floor = tf.square(1e-6 * target.energy)  # sqrt's gradient is infinite at 0
    cross = tf.reduce_sum(tf.sqrt(tf.maximum(values, floor)))
    distance = (tf.reduce_sum(tf.square(mean - target.mean)) + tf.linalg.trace(cov) + target.cov_trace
                - 2.0 * cross)
    return distance / (target.energy + _EPS)


def content_layer_loss(features: tf.Tensor, target: tf.Tensor, form: str,
                       detail: tf.Tensor | None = None) -> tf.Tensor:
    """Content error of one layer; ``detail`` ([1,H,W,1] per-pixel weight, at least 1) weights each
    position's error (resized to the layer by area), so marked regions count more."""
    features, target = _wide(features), _wide(target)
    squared = tf.square(features - target)
    if detail is not None:
        squared = squared * tf.image.resize(detail, tf.shape(features)[1:3], method="area")
    if form == "relative":
        return tf.reduce_sum(squared) / (tf.reduce_sum(tf.square(target)) + _EPS)
    if form == "mean":
        return tf.reduce_mean(squared)
    return 0.5 * tf.reduce_sum(squared)


def total_variation(image: tf.Tensor, form: str) -> tf.Tensor:
    """Smoothness penalty of a [1,H,W,3] image in [0,1]."""
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    if form == "squared_mean":
        return tf.reduce_mean(tf.square(dy)) + tf.reduce_mean(tf.square(dx))
    return tf.reduce_sum(tf.abs(dy)) + tf.reduce_sum(tf.abs(dx))


def weighted_sum(per_layer: Mapping[str, tf.Tensor], layer_weights: Mapping[str, float]) -> tf.Tensor:
    """Combine per-layer losses with weights normalised to sum 1 (so adding a layer keeps the scale)."""
    total_weight = sum(layer_weights.values()) or 1.0
    return tf.add_n([per_layer[name] * (w / total_weight) for name, w in layer_weights.items()])


@dataclass(frozen=True)
class LossForm:
    """The data that defines an objective (everything except the three user weights)."""

    content_layers: tuple[tuple[str, float], ...]
    style_layers: tuple[tuple[str, float], ...]
    style_loss_form: str
    content_loss_form: str
    tv_form: str
    pooling: str

    @property
    def layers(self) -> tuple[str, ...]:
        used = {n for n, _ in self.content_layers} | {n for n, _ in self.style_layers}
        return tuple(n for n in VGG19_CONV_LAYERS if n in used)

    @classmethod
    def from_params(cls, params: StyleParams) -> "LossForm":
        return cls(
            content_layers=params.content_layers,
            style_layers=params.style_layers,
            style_loss_form=params.style_loss_form,
            content_loss_form=params.content_loss_form,
            tv_form=params.tv_form,
            pooling=params.pooling,
        )


def blended_style_targets(
    extract: Callable[[tf.Tensor], Mapping[str, tf.Tensor]],
    styles: Sequence[np.ndarray],
    blend: Sequence[float],
    form: LossForm,
) -> dict[str, StyleTarget]:
    """Each style layer's target: the blend-weighted average of the style images' Grams (their
    position-averaged raw second moments) and, for "w2", means; then the form's own target."""
    total = sum(blend)
    grams: dict[str, tf.Tensor] = {}
    means: dict[str, tf.Tensor] = {}
    for style, weight in zip(styles, blend):
        features = extract(tf.constant(style[None]))
        for name, _ in form.style_layers:
            share = weight / total
            gram = gram_matrix(features[name]) * share
            mean = tf.reduce_mean(_wide(features[name]), axis=[0, 1, 2]) * share
            grams[name] = grams[name] + gram if name in grams else gram
            means[name] = means[name] + mean if name in means else mean
    if form.style_loss_form != "w2":
        return grams
    return {name: w2_target(means[name], grams[name]) for name in grams}


def style_balance_factor(photo: Mapping[str, tf.Tensor], painting: Mapping[str, StyleTarget],
                         style_layers: Sequence[tuple[str, float]], exponent: float) -> float:
    """How much stronger the painting's style layers are than the photo's, to the power ``exponent``:
    ``prod_l (|A_l| / |G_l|) ** (exponent * w_l / sum w)`` with ``A_l`` the painting's (blended) Gram,
    ``G_l`` the photo's and ``w_l`` the layer weights.

    The relative losses divide the style error by the painting's energy and the content error by the
    photo's, so a busy painting over a quiet photo is held back by the content term far more than a
    quiet one over a busy photo (the Starry Night's block3 Gram is 3x Tubingen's, The Scream's 0.7x the
    Golden Gate's). Multiplying the style weight by this factor (``StyleParams.style_balance``) paints
    the first harder and the second lighter, as jcjohnson's absolute losses do (docs/quality.md)."""
    if exponent == 0:
        return 1.0
    total = sum(w for _, w in style_layers) or 1.0
    log_ratio = sum(weight / total * math.log(_gram_norm(painting[name]) / _gram_norm(gram_matrix(photo[name])))
                    for name, weight in style_layers)
    return math.exp(exponent * log_ratio)


def _gram_norm(target: StyleTarget) -> float:
    if isinstance(target, W2Target):
        target = tf.matmul(target.cov_sqrt, target.cov_sqrt) + target.mean[:, None] * target.mean[None, :]
    return float(tf.norm(target)) + _EPS


# Weight of the pixel anchor that keeps masked-out areas looking like the photo (see nst.masks).
ANCHOR_WEIGHT = 100.0


# How much a position of the style guide counts in the guided Gram: g ** GUIDE_POWER (see below).
GUIDE_POWER = 0.75


def guided_gram_matrix(features: tf.Tensor, guide: tf.Tensor) -> tf.Tensor:
    """Gram of the features where the guide (1 = stylise) is on, averaged over the guided area.

    Each position counts as ``g^GUIDE_POWER``: ``sum(g^p f f^T) / sum(g^p)`` (the features are
    scaled by ``g^(p/2)``), so the half-protected fringe of a flat-area mask is painted more than
    in proportion to ``g``. The default layers paint local texture (block1-3, block4 at 1/8, no
    block5: issue #20), which does not spread into the fringe by itself: weighted by ``g^2``
    ``--protect-flat 1`` kept 58 % of the texture outside the flat areas, by ``g`` 66 %, by
    ``g^0.75`` 73 % at 256 px and 82 % at 512 px, leakage 0.08-0.09x; by ``g^0.5`` 78 % but
    leakage 0.11x (docs/quality.md, "Flat-area protection").
    With a guide of ones this is exactly ``gram_matrix`` (Gatys et al. 2017, guided Gram).
    """
    guide = tf.image.resize(guide, tf.shape(features)[1:3], method="area")
    weighted = _wide(features) * tf.pow(guide, GUIDE_POWER / 2.0)
    channels = tf.shape(features)[-1]
    flat = tf.reshape(weighted, [-1, channels])
    area = tf.reduce_sum(tf.pow(guide, GUIDE_POWER))
    return _gram_of_rows(flat) / tf.maximum(area, 1e-3)


def anchor_loss(image: tf.Tensor, content_image: tf.Tensor, guide: tf.Tensor) -> tf.Tensor:
    """Mean squared distance to the photo, counted only where the guide keeps the photo.

    Weighted by ``(1 - g)^2``: fully kept areas (g = 0) are held as firmly as ever, the
    feathered fringe (0 < g < 1) much less, so it can still take the style there."""
    return tf.reduce_mean(tf.square(1.0 - guide) * tf.square(image - content_image))


# Detail regions also keep the photo's local colour: a pixel anchor on blurred colour (means over
# DETAIL_COLOUR_POOL x DETAIL_COLOUR_POOL px), weighted by how strongly the region is marked, so
# brush-mark texture may still form there but the colours do not fade (see nst.masks).
DETAIL_COLOUR_WEIGHT = 50.0
DETAIL_COLOUR_POOL = 4


def detail_colour_loss(image: tf.Tensor, content_image: tf.Tensor, detail: tf.Tensor) -> tf.Tensor:
    """Mean squared distance of local mean colours, weighted by the detail marking (0 where unmarked)."""
    from nst.masks import DETAIL_GAIN

    def pool(t: tf.Tensor) -> tf.Tensor:
        return tf.nn.avg_pool2d(t, DETAIL_COLOUR_POOL, DETAIL_COLOUR_POOL, "SAME")

    marked = pool((detail - 1.0) / DETAIL_GAIN)
    return tf.reduce_mean(marked * tf.square(pool(image) - pool(content_image)))


def _style_term(features: tf.Tensor, target: StyleTarget, form: str, guide: tf.Tensor | None) -> tf.Tensor:
    """One style layer's loss, over the guided area when there is a guide."""
    if guide is None:
        gram, weights = gram_matrix(features), None
    else:
        gram = guided_gram_matrix(features, guide)
        weights = tf.pow(tf.image.resize(guide, tf.shape(features)[1:3], method="area"), GUIDE_POWER)
    if form != "w2":
        return style_layer_loss(gram, target, form)
    features = _wide(features)
    if weights is None:
        mean = tf.reduce_mean(features, axis=[0, 1, 2])
    else:
        mean = tf.reduce_sum(features * weights, axis=[0, 1, 2]) / tf.maximum(tf.reduce_sum(weights), 1e-3)
    return w2_layer_loss(mean, gram, target)


def loss_terms(
    features: Mapping[str, tf.Tensor],
    image: tf.Tensor,
    content_targets: Mapping[str, tf.Tensor],
    style_targets: Mapping[str, tf.Tensor],
    form: LossForm,
    guide: tf.Tensor | None = None,
    content_image: tf.Tensor | None = None,
    detail: tf.Tensor | None = None,
    anchor_weight: tf.Tensor | float = ANCHOR_WEIGHT,
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor]:
    """Unweighted (content, style, tv) terms of one image's features.

    ``guide`` ([1,H,W,1], 1 = stylise) restricts the style term to where the style may paint
    and anchors the rest to ``content_image``; the anchor is part of the content term, weighted
    ``anchor_weight`` (a run's style balance scales it with the style weight it holds against).
    ``detail`` ([1,H,W,1], per-pixel content-weight multiplier, 1 = unmarked) makes the content
    error count more in detail regions (``nst.masks.detail_weights``) and anchors their local
    mean colour to ``content_image``.
    """
    content = weighted_sum(
        {n: content_layer_loss(features[n], content_targets[n], form.content_loss_form, detail)
         for n, _ in form.content_layers},
        dict(form.content_layers),
    )
    style = weighted_sum(
        {n: _style_term(features[n], style_targets[n], form.style_loss_form, guide) for n, _ in form.style_layers},
        dict(form.style_layers),
    )
    if guide is not None:
        content = content + anchor_weight * anchor_loss(image, content_image, guide)
    if detail is not None:
        content = content + DETAIL_COLOUR_WEIGHT * detail_colour_loss(image, content_image, detail)
    return content, style, total_variation(image, form.tv_form)
