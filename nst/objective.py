"""The compiled objective: one loss form on one network, its steps as ``tf.function``s, and
the per-scale targets they compare against.

Kept per (network, loss form, precision) for the life of the process (:func:`objective_for`).
Each step is traced once for every size: its first call traces it with the images' height and
width left open (``tf.TensorSpec([1, None, None, 3])``), so the next scale, a new run or a
poster tile at another size reuses it (a trace costs ~0.4 s of CPU and compiling ~0.2 s more,
per size, against ~0.13 s for a whole 128 px step; docs/speed.md). The weights are
``tf.Variable``s read inside the compiled step, so a live weight change retraces nothing either.
``autograph=False``: the traced code has no tensor-dependent Python control flow, and
AutoGraph's source conversion was half of the trace (0.75 -> 0.35 s CPU). Used by the engine's
run loop (``nst.engine``) and the poster painter (``nst.poster_paint``).
"""

from __future__ import annotations

import threading
from typing import NamedTuple, Sequence

import numpy as np
import tensorflow as tf

from nst.losses import LossForm, blended_style_targets, loss_terms
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
        self.traces = 0  # python side effect: counts retraces, for tests and reports
        self.lock = threading.Lock()  # one run at a time uses these weight variables
        self._value_and_grad_fn = tf.function(self._value_and_grad, autograph=False)
        self._adam_step_fn = tf.function(self._adam_step, autograph=False)
        self._traced: set[tuple[int, bool, bool]] = set()
        # targets are computed once per scale at many shapes: one shape-generic trace serves them all
        self.features = tf.function(self.extract, input_signature=[_ANY_IMAGE], autograph=False)

    def set_weights(self, weights: Weights) -> None:
        self.content_weight.assign(weights.content)
        self.style_weight.assign(weights.style)
        self.tv_weight.assign(weights.tv)

    def value_and_grad(self, image: tf.Tensor, targets: "Targets") -> tuple[tuple[tf.Tensor, ...], tf.Tensor]:
        """((total, content, style, tv), d total / d image) of an image [1,H,W,3] of any size."""
        self._trace_for_any_size(self._value_and_grad_fn, image, targets)
        return self._value_and_grad_fn(image, targets)

    def adam_step(self, image, m, v, t, lr, beta1, epsilon, targets: "Targets"):
        """One Adam update of the image: (new image, m, v, loss terms)."""
        self._trace_for_any_size(self._adam_step_fn, image, m, v, t, lr, beta1, epsilon, targets)
        return self._adam_step_fn(image, m, v, t, lr, beta1, epsilon, targets)

    def _trace_for_any_size(self, fn, *args) -> None:
        """Trace ``fn`` once with every image's height and width open, before its first call.

        A call then matches that trace whatever its size (tf.function reuses a trace whose
        signature is more general than the call's); the key tells the target structures apart
        (a guide or detail map present or not), which need their own traces."""
        targets = args[-1]
        key = (id(fn), targets.guide is None, targets.detail is None)
        if key not in self._traced:
            fn.get_concrete_function(*tf.nest.map_structure(_size_free_spec, args))
            self._traced.add(key)

    def _terms(self, image, targets: "Targets"):
        content, style, tv = loss_terms(self.extract(image), image, targets.content, targets.style, self.form,
                                        targets.guide, targets.content_image, targets.detail)
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
        content_tensor = tf.constant(content[None])
        content_features = self.features(content_tensor)
        return Targets(
            content={n: content_features[n] for n, _ in self.form.content_layers},
            style=blended_style_targets(self.features, styles, blend, self.form.style_layers),
            # no mask: no guide at all, so unmasked runs skip the guided Gram and the anchor
            guide=None if mask is None else tf.constant(mask[None, :, :, None]),
            content_image=content_tensor,
            detail=None if detail is None else tf.constant(detail[None, :, :, None]),
        )


_ANY_IMAGE = tf.TensorSpec([1, None, None, 3], tf.float32)


def _size_free_spec(value):
    """The spec of a step's argument with an image-shaped [1,H,W,C] tensor's H and W left open."""
    if value is None:
        return None
    value = tf.convert_to_tensor(value)
    shape = value.shape.as_list()
    if len(shape) == 4:
        shape[1] = shape[2] = None
    return tf.TensorSpec(shape, value.dtype)


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
