"""The compiled objective: one loss form on one network, its steps as ``tf.function``s, and
the per-scale targets they compare against.

Kept per (network, loss form, precision) for the life of the process (:func:`objective_for`).
Each step is traced once per image size, so the next run at a size already seen never retraces.
A single trace with height and width left open (``tf.TensorSpec([1, None, None, 3])``) would save
the other sizes' traces (~0.35 s of CPU each) but made every step 11-16 % slower in wall time at the
same CPU time (128 and 512 px, bfloat16, interleaved; docs/speed.md), which costs far more than the
traces over a run. The targets' forward pass, two calls per scale, keeps the shape-free trace. The
weights are ``tf.Variable``s read inside the compiled step, so a live weight change retraces nothing.
``autograph=False``: the traced code has no tensor-dependent Python control flow, and AutoGraph's
source conversion was half of the trace (0.75 -> 0.35 s CPU). Used by the engine's run loop
(``nst.engine``) and the poster painter (``nst.poster_paint``).
"""

from __future__ import annotations

import threading
from typing import NamedTuple, Sequence

import numpy as np
import tensorflow as tf

from nst.losses import ANCHOR_WEIGHT, LossForm, blended_style_targets, loss_terms, style_balance_factor
from nst.model import FeatureNet
from nst.run_types import Weights


class Objective:
    """The loss of one loss form on one network, as compiled TensorFlow functions."""

    def __init__(self, net: FeatureNet, form: LossForm, precision: str = "float32") -> None:
        self.net = net
        self.form = form
        self.precision = precision
        self.extract = net.extractor(form.layers, form.pooling, precision)
        self.content_weight = tf.Variable(1.0, trainable=False, name="content_weight")
        self.style_weight = tf.Variable(1.0, trainable=False, name="style_weight")
        self.tv_weight = tf.Variable(1.0, trainable=False, name="tv_weight")
        self.anchor_weight = tf.Variable(ANCHOR_WEIGHT, trainable=False, name="anchor_weight")
        self.traces = 0  # python side effect: counts retraces, for tests and reports
        self.lock = threading.Lock()  # one run at a time uses these weight variables
        # value_and_grad(image, targets) -> ((total, content, style, tv), d total / d image);
        # adam_step(image, m, v, t, lr, beta1, epsilon, targets) -> (new image, m, v, loss terms)
        self.value_and_grad = tf.function(self._value_and_grad, autograph=False)
        self.adam_step = tf.function(self._adam_step, autograph=False)
        # targets are computed once per scale at many shapes: one shape-generic trace serves them all
        self._features_fn = tf.function(self.extract, input_signature=[_ANY_IMAGE], autograph=False)

    def features(self, image: tf.Tensor) -> dict[str, tf.Tensor]:
        """The form's layers of one image [1,H,W,3] float32, of any size (the targets' forward pass).

        Anything else is refused here, before the compiled function sees it: TensorFlow 2.21 takes a
        tf.function's lock before binding the call to its input signature and never releases it when
        the binding fails, so one broken picture (a grey photo, a job's bad input) would leave every
        later call from another thread (the next studio job's worker) waiting forever."""
        if not _ANY_IMAGE.is_compatible_with(image):
            raise ValueError(f"expected an RGB image as a [1, H, W, 3] float32 tensor, got {image.dtype.name} "
                             f"{image.shape}")
        return self._features_fn(image)

    def set_weights(self, weights: Weights, style_factor: float = 1.0) -> None:
        """The user's weights; the style weight times the run's ``style_factor`` (its style balance), and the
        anchor of protected areas with it: at 1x a balanced Golden Gate x Starry Night (factor 1.38 at 256 px)
        leaked 0.114x of the unprotected texture into its protected sky (docs/quality.md)."""
        self.content_weight.assign(weights.content)
        self.style_weight.assign(weights.style * style_factor)
        self.tv_weight.assign(weights.tv)
        self.anchor_weight.assign(ANCHOR_WEIGHT * style_factor)

    def style_balance(self, content: np.ndarray, styles: Sequence[np.ndarray], blend: Sequence[float],
                      exponent: float) -> float:
        """The factor a run multiplies its style weight by (``nst.losses.style_balance_factor``), from the
        photo and the style images at the size they are painted at; one forward pass of each (a print
        measures its run's factor at the run's size, where it paints no scale)."""
        if exponent == 0:
            return 1.0
        return self.balanced_targets(np.asarray(content, np.float32), styles, blend, None, None, exponent)[1]

    def _terms(self, image, targets: "Targets"):
        content, style, tv = loss_terms(self.extract(image), image, targets.content, targets.style, self.form,
                                        targets.guide, targets.content_image, targets.detail, self.anchor_weight)
        total = self.content_weight * content + self.style_weight * style + self.tv_weight * tv
        return total, content, style, tv

    def _value_and_grad(self, image, targets):
        self.traces += 1
        with tf.GradientTape() as tape:
            tape.watch(image)
            terms = self._terms(image, targets)
        return terms, tape.gradient(terms[0], image)

    def _adam_step(self, image, m, v, t, lr, beta1, epsilon, targets):
        self.traces += 1
        with tf.GradientTape() as tape:
            tape.watch(image)
            terms = self._terms(image, targets)
        grad = tape.gradient(terms[0], image)
        beta2 = 0.999
        m = beta1 * m + (1.0 - beta1) * grad
        v = beta2 * v + (1.0 - beta2) * tf.square(grad)
        m_hat = m / (1.0 - tf.pow(beta1, t))
        v_hat = v / (1.0 - tf.pow(beta2, t))
        image = tf.clip_by_value(image - lr * m_hat / (tf.sqrt(v_hat) + epsilon), 0.0, 1.0)
        return image, m, v, terms

    def targets(self, content: np.ndarray, styles: Sequence[np.ndarray], blend: Sequence[float],
                mask: np.ndarray | None = None, detail: np.ndarray | None = None) -> "Targets":
        """Content features, blended style Grams, the style mask and the detail weights: once per
        scale, never per step."""
        return self.balanced_targets(content, styles, blend, mask, detail, 0.0)[0]

    def balanced_targets(self, content: np.ndarray, styles: Sequence[np.ndarray], blend: Sequence[float],
                         mask: np.ndarray | None, detail: np.ndarray | None, exponent: float) -> tuple["Targets", float]:
        """``targets`` and the style balance's factor measured from the same forward passes (the engine
        measures it at the output size, whose targets its last scale then uses)."""
        content_tensor = tf.constant(content[None])
        content_features = self.features(content_tensor)
        style = blended_style_targets(self.features, styles, blend, self.form)
        factor = style_balance_factor(content_features, style, self.form.style_layers, exponent)
        return Targets(
            content={n: content_features[n] for n, _ in self.form.content_layers},
            style=style,
            # no mask: no guide at all, so unmasked runs skip the guided Gram and the anchor
            guide=None if mask is None else tf.constant(mask[None, :, :, None]),
            content_image=content_tensor,
            detail=None if detail is None else tf.constant(detail[None, :, :, None]),
        ), factor


_ANY_IMAGE = tf.TensorSpec([1, None, None, 3], tf.float32)


class Targets(NamedTuple):
    """What one scale's steps compare against (a NamedTuple, so tf.function takes it whole)."""

    content: dict[str, tf.Tensor]
    style: dict[str, tf.Tensor]
    guide: tf.Tensor | None  # [1,H,W,1] style mask, 1 = stylise; None when nothing is masked
    content_image: tf.Tensor  # [1,H,W,3]
    detail: tf.Tensor | None = None  # [1,H,W,1] content-weight multiplier (>= 1); None: no detail mask


_objectives: dict[tuple[int, LossForm, str], Objective] = {}
_objectives_lock = threading.Lock()


def objective_for(net: FeatureNet, form: LossForm, precision: str = "float32") -> Objective:
    with _objectives_lock:
        key = (id(net), form, precision)
        if key not in _objectives:
            _objectives[key] = Objective(net, form, precision)
        return _objectives[key]
