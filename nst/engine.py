"""The optimisation: turn a content image and style images into a painting.

``stylize()`` runs Gatys et al.'s optimisation coarse-to-fine over ``params.scale_sizes()``,
with a box-constrained L-BFGS (``nst.optim``; pixels kept in [0,1]) or Adam, and reports ``ProgressEvent``s to a
callback while it runs. A ``RunControl`` lets another thread cancel the run or change the
content / style / TV weights; a change takes effect at the next step (the weights are
``tf.Variable``s read inside the compiled step, so nothing retraces), and for L-BFGS it
restarts the optimiser's memory from the current image.

Per scale, the content features and blended style Gram targets are computed once. The
step is one ``tf.function`` per optimiser (``nst.objective``), kept per (network, loss form)
for the life of the process, so a new run at a size already seen never retraces.

The best (lowest-loss) image is tracked per *segment*: a segment starts at each scale and
at each weight change, because losses are not comparable across those.
"""

from __future__ import annotations

import math
import time
from typing import Callable, Literal, Sequence

import numpy as np
import tensorflow as tf

from nst.colors import palette_matched, prepare_style, recombine_luminance
from nst.errors import ParamsError
from nst.encode import to_uint8
from nst.resize import resize_long_side, resize_to
from nst.losses import LossForm
from nst.masks import detail_map, detail_weights, leakage, style_mask
from nst.best_moment import MOMENTS
from nst.memory import check_whole_run_fits
from nst.model import FeatureNet, get_feature_net
from nst.objective import Objective, Targets, objective_for
from nst.optim import minimize_box
from nst.precision import compute_device, resolve_precision
from nst.remaining import RemainingTime
from nst.params import StyleParams
from nst.run_types import (DIVERGED, FINISHED, STOPPED, EngineStatus, LossTerms, ProgressEvent, RunControl, Snapshot,
                           RunInputs, StyleResult, Weights, history_row)

SNAPSHOT_SECONDS = 2.0  # a snapshot at least this often, however slow the steps
LBFGS_MEMORY = 10  # (s, y) pairs L-BFGS remembers (docs/speed.md)
CARRY_DETAIL = True  # off: as before #21 (benchmarks/quality.py measures both; docs/speed.md)


# ---- the run ---------------------------------------------------------------------------------
class _Cancelled(Exception):
    pass


class _Diverged(Exception):
    pass


class _ScaleDone(Exception):
    pass


class _Restart(Exception):
    pass


def stylize(
    inputs: RunInputs,
    params: StyleParams = StyleParams(),
    *,
    net: FeatureNet | None = None,
    control: RunControl | None = None,
    on_event: Callable[[ProgressEvent], None] | None = None,
) -> StyleResult:
    """Paint ``inputs.content`` (H x W x 3 float32 in [0,1], any size) in the style of ``inputs.styles``.

    ``net`` defaults to the real VGG19 (``get_feature_net()``, may raise ``ModelUnavailable``).
    ``inputs.init_image`` is required when ``params.init == "image"`` (e.g. to continue a run).
    ``inputs.style_mask`` (H x W in [0,1], any size; white = stylise, black = keep the photo) applies
    with ``params.mask_strength``; ``params.protect_flat`` adds the automatic flat-area mask.
    ``inputs.detail_mask`` (H x W in [0,1], any size; white = keep this region's detail and colour)
    multiplies the content weight there by ``1 + 9 * params.detail_strength``. The blend comes
    from ``params`` (``inputs.blend`` is what the store keeps).
    """
    if not inputs.styles:
        raise ParamsError("Give at least one style image.")
    if params.init == "image" and inputs.init_image is None:
        raise ParamsError('init "image" needs an init image (e.g. a previous result).')
    blend = params.blend_weights(len(inputs.styles))
    form, precision = LossForm.from_params(params), resolve_precision(params.precision)
    height, width = np.shape(inputs.content)[:2]
    factor = params.size / max(width, height)
    check_whole_run_fits(round(width * factor), round(height * factor), precision, form.layers)
    net = net if net is not None else get_feature_net()
    objective = objective_for(net, form, precision)
    with objective.lock:
        run = _Run(objective, inputs, blend, params, control or RunControl(), on_event)
        return run.execute()


class _Run:
    """State of one ``stylize()`` call; its methods are the steps of the loop."""

    def __init__(self, objective: Objective, inputs: RunInputs, blend: Sequence[float], params: StyleParams,
                 control: RunControl, on_event: Callable[[ProgressEvent], None] | None) -> None:
        self.objective = objective
        self.params = params
        self.control = control
        self.on_event = on_event or (lambda event: None)
        self.content = resize_long_side(np.asarray(inputs.content, np.float32), params.size)
        self.styles = [prepare_style(np.asarray(s, np.float32), self.content, params.preserve_colors)
                       for s in inputs.styles]
        self.blend = blend
        self.init_image = inputs.init_image
        self.style_mask = style_mask(self.content, user_mask=inputs.style_mask, mask_strength=params.mask_strength,
                                     protect_flat=params.protect_flat)
        self.detail_map = detail_map(self.content, inputs.detail_mask, params.detail_strength)
        self.sizes = params.scale_sizes()
        self.dims = [self._dims(long_side) for long_side in self.sizes]
        self.weights = Weights(params.content_weight, params.style_weight, params.tv_weight)
        self.budgets = params.scale_iterations()
        self.total_steps = sum(self.budgets)
        self.total_work = sum(n * w * h for n, (w, h) in zip(self.budgets, self.dims))
        self.remaining = RemainingTime(self.budgets, [w * h for w, h in self.dims])
        self.steps = 0
        self.scale_steps = 0
        self.scale_index = 0
        self.history: list[dict[str, float]] = []
        self.snapshots: list[Snapshot] = []
        self.weight_changes: list[int] = []
        self.trace_seconds: dict[str, float] = {}
        self.start = time.perf_counter()
        self.last_snapshot = self.start
        self.last_step_end = self.start  # a scale's first step also pays for its targets
        self.content_at_scale = self.content
        self.best_x: np.ndarray | None = None
        self.best_terms: LossTerms | None = None
        self.restart_from: np.ndarray | None = None
        self.optimizer_stats: dict[str, int] = {}
        self.style_factor = 1.0  # the style balance's factor, measured when the run starts
        self.final_targets: Targets | None = None  # the last scale's, computed first when they measure it

    # -- inputs --
    def _dims(self, long_side: int) -> tuple[int, int]:
        h, w = self.content.shape[:2]
        factor = long_side / max(h, w)
        return max(1, round(w * factor)), max(1, round(h * factor))

    def _style_at(self, style: np.ndarray, long_side: int) -> np.ndarray:
        return resize_long_side(style, max(16, round(long_side * self.params.style_scale)))

    def _initial_image(self, width: int, height: int) -> np.ndarray:
        init = self.params.init
        if init == "content":
            return self.content_at_scale
        if init == "palette":
            mask = None if self.style_mask is None else resize_to(self.style_mask, width, height)
            return palette_matched(self.content_at_scale, self.styles, self.blend, mask)
        if init == "noise":
            rng = np.random.default_rng(self.params.seed)
            return rng.uniform(0.0, 1.0, size=(height, width, 3)).astype(np.float32)
        if init == "fast":
            from nst.fast import stylize_fast

            # painted at the output size (the model's strokes have a fixed size in pixels, so a picture
            # painted at the coarsest scale would have strokes 4x too big), then shrunk to this scale.
            # Styles are already colour-prepared; the result is recombined when presented.
            painted = stylize_fast(self.content, self.styles, self.blend, style_scale=self.params.style_scale)
            return resize_to(painted, width, height)
        source = self.styles[0] if init == "style" else np.asarray(self.init_image, np.float32)
        return resize_to(source, width, height)

    # -- outputs --
    def _present(self, x: np.ndarray) -> np.ndarray:
        """The image as the user sees it: colour recombination applied when asked for."""
        if self.params.preserve_colors == "luminance":
            return recombine_luminance(x, self.content_at_scale)
        return x

    def _emit(self, kind: str, losses: LossTerms | None = None, image: np.ndarray | None = None,
              status: EngineStatus | Literal[""] = "") -> None:
        elapsed = time.perf_counter() - self.start
        eta = self.remaining.estimate(self.scale_index)
        if eta is not None and self.params.time_limit:
            eta = min(eta, max(0.0, self.params.time_limit - elapsed))
        width, height = self.dims[self.scale_index]
        self.on_event(ProgressEvent(
            kind=kind, step=self.steps, total_steps=self.total_steps, scale_index=self.scale_index,
            n_scales=len(self.sizes), scale_size=(width, height), elapsed=elapsed, eta=eta,
            weights=self.weights, losses=losses, image=image, status=status,
        ))

    # -- the loop --
    def execute(self) -> StyleResult:
        status: EngineStatus = FINISHED
        message, interrupted = "", False
        if self.params.style_balance:
            # measured at the output size, from the last scale's targets, which that scale then uses
            self.final_targets, self.style_factor = self.objective.balanced_targets(
                *self._scale_inputs(len(self.dims) - 1), self.params.style_balance)
        self.objective.set_weights(self.weights, self.style_factor)
        previous: np.ndarray | None = None
        try:
            for self.scale_index, (width, height) in enumerate(self.dims):
                previous = self._run_scale(width, height, previous)
        except _Cancelled:
            status, message = STOPPED, "Stopped; kept the best image so far."
        except KeyboardInterrupt:
            status, message, interrupted = STOPPED, "Interrupted; kept the best image so far.", True
        except _Diverged:
            status = DIVERGED
            message = "The loss became infinite or NaN, so the run stopped; kept the best image before that."
        return self._result(status, message, interrupted)

    def _scale_inputs(self, index: int) -> tuple[np.ndarray, list[np.ndarray], Sequence[float],
                                                  np.ndarray | None, np.ndarray | None]:
        """What a scale's targets are computed from: the photo, the style images, the blend, the mask and
        the detail weights at that scale's size."""
        width, height = self.dims[index]
        styles = [self._style_at(s, self.sizes[index]) for s in self.styles]
        mask = None if self.style_mask is None else resize_to(self.style_mask, width, height)
        detail = None if self.detail_map is None else detail_weights(resize_to(self.detail_map, width, height))
        return resize_to(self.content, width, height), styles, self.blend, mask, detail

    def _run_scale(self, width: int, height: int, previous: np.ndarray | None) -> np.ndarray:
        self.last_step_end = time.perf_counter()
        inputs = self._scale_inputs(self.scale_index)
        self.content_at_scale, mask = inputs[0], inputs[3]
        if previous is not None and not self.budgets[self.scale_index]:
            # no steps here (StyleParams.scale_iterations): the picture is the start one step would only have
            # measured, and the losses reported stay the last painted scale's
            self.best_x = self._upscaled(previous, width, height, mask)
            self._emit("scale_start")
            return self.best_x
        last = self.scale_index == len(self.dims) - 1
        targets = self.final_targets if last and self.final_targets is not None else self.objective.targets(*inputs)
        x0 = self._initial_image(width, height) if previous is None else self._upscaled(previous, width, height, mask)
        self.scale_steps = 0
        self._new_segment()
        self.restart_from = x0
        self._emit("scale_start")
        if self.params.optimizer == "lbfgs":
            self._lbfgs(x0, targets)
        else:
            self._adam(x0, targets)
        return self.best_x if self.best_x is not None else x0

    def _upscaled(self, previous: np.ndarray, width: int, height: int, mask: np.ndarray | None) -> np.ndarray:
        """The last scale's painting at this scale's size, as the start of its steps.

        Started from the photo, a run also gets back the photo's detail finer than the last scale could hold
        (this scale's photo minus the last scale's photo brought up to this size): the upscaled painting alone
        is blurred, and the steps spent sharpening it were most of a fine scale's steps (docs/speed.md). Only
        where the style goes (``mask``, 1 = paint): a protected flat area is held to the photo by its anchor,
        and the carried detail there added fine grain the leakage measure counts (0.075x -> 0.122x at 256 px)."""
        upscaled = resize_to(previous, width, height)
        if self.params.init not in ("content", "palette") or not CARRY_DETAIL:
            return upscaled
        low, high = previous.shape[1], previous.shape[0]
        detail = self.content_at_scale - resize_to(resize_to(self.content, low, high), width, height)
        if mask is not None:
            detail = detail * mask[..., None]
        return np.clip(upscaled + detail, 0.0, 1.0)

    def _scale_time_is_up(self) -> bool:
        if not self.params.time_limit:
            return False
        planned_until_now = sum(n * w * h for n, (w, h) in
                                zip(self.budgets[: self.scale_index + 1], self.dims[: self.scale_index + 1]))
        deadline = self.params.time_limit * planned_until_now / self.total_work
        return time.perf_counter() - self.start >= deadline and self.scale_steps > 0

    def _new_segment(self) -> None:
        if self.best_x is not None:
            self.restart_from = self.best_x
        self.best_x, self.best_terms = None, None

    def _before_step(self) -> None:
        """Between steps: budget, cancel, live weight changes."""
        if self.scale_steps >= self.budgets[self.scale_index] or self._scale_time_is_up():
            raise _ScaleDone
        if self.control.cancelled:
            raise _Cancelled
        changes = self.control.take_weight_changes()
        if changes:
            current = self.weights.to_dict()
            current.update(changes)
            self.weights = Weights(**current)
            self.objective.set_weights(self.weights, self.style_factor)
            self.weight_changes.append(self.steps)
            self._new_segment()
            self._emit("weights_changed")
            if self.params.optimizer == "lbfgs":
                raise _Restart

    def _after_step(self, x: np.ndarray, terms: LossTerms) -> None:
        self.steps += 1
        self.scale_steps += 1
        now = time.perf_counter()
        self.remaining.step_done(self.scale_index, now - self.last_step_end)
        self.last_step_end = now
        self.history.append(history_row(self.steps, self.scale_index, now - self.start, terms, self.weights))
        if not terms.finite:
            raise _Diverged
        if self.best_terms is None or terms.total < self.best_terms.total:
            self.best_x, self.best_terms = x, terms
        image = None
        # a snapshot every N steps, at least every 2 s, and at each scale's first and last step
        # (the first one gives the studio a live image right after the click); on the final scale at
        # least MOMENTS of them, the candidates of the run's best moment (nst.best_moment)
        if self.steps % self.params.snapshot_every == 0 or now - self.last_snapshot >= SNAPSHOT_SECONDS \
                or self.scale_steps in (1, self.budgets[self.scale_index]) or self._final_moment():
            image = to_uint8(self._present(x))
            self.snapshots.append(Snapshot(self.steps, self.scale_index, image, terms))
            self.last_snapshot = now
        self._emit("step", terms, image)

    def _final_moment(self) -> bool:
        """This step is one of the final scale's ``MOMENTS`` evenly spaced snapshots."""
        if self.scale_index != len(self.budgets) - 1:
            return False
        return self.scale_steps % max(1, math.ceil(self.budgets[-1] / MOMENTS)) == 0

    def _timed_first_call(self, fn: Callable, shape: tuple[int, ...]):
        key = f"{shape[2]}x{shape[1]}"
        traces_before = self.objective.traces
        started = time.perf_counter()
        out = fn()
        if self.objective.traces != traces_before:
            self.trace_seconds[key] = time.perf_counter() - started
        return out

    def _lbfgs(self, x0: np.ndarray, targets: Targets) -> None:
        shape = (1, *x0.shape)

        def value_and_grad(x: np.ndarray) -> tuple[float, np.ndarray]:
            self._before_step()
            image = tf.constant(x[None])
            terms, grad = self._timed_first_call(
                lambda: self.objective.value_and_grad(image, targets), shape)
            values = LossTerms(*(float(t) for t in terms))
            self._after_step(x, values)
            return values.total, grad.numpy()[0]

        x = x0
        while True:
            try:
                minimize_box(value_and_grad, x, memory=LBFGS_MEMORY, stats=self.optimizer_stats)
                return  # a zero gradient: nothing left to do at this scale
            except _ScaleDone:
                return
            except _Restart:  # a weight change: the curvature memory no longer fits the loss
                x = self.best_x if self.best_x is not None else self.restart_from

    def _adam(self, x0: np.ndarray, targets: Targets) -> None:
        image = tf.constant(x0[None], tf.float32)
        m = tf.zeros_like(image)
        v = tf.zeros_like(image)
        lr = tf.constant(self.params.learning_rate, tf.float32)
        beta1 = tf.constant(self.params.adam_beta1, tf.float32)
        epsilon = tf.constant(self.params.adam_epsilon, tf.float32)
        t = 0
        while True:
            try:
                self._before_step()
            except _ScaleDone:
                return
            t += 1
            step_t = tf.constant(float(t), tf.float32)
            new_image, m, v, terms = self._timed_first_call(
                lambda: self.objective.adam_step(image, m, v, step_t, lr, beta1, epsilon, targets),
                tuple(image.shape))
            self._after_step(image[0].numpy(), LossTerms(*(float(t_) for t_ in terms)))
            image = new_image

    def _result(self, status: str, message: str, interrupted: bool) -> StyleResult:
        best = self.best_x if self.best_x is not None else self.restart_from
        terms = self.best_terms
        if best is None or not np.all(np.isfinite(best)):
            best, terms = self.content_at_scale, None
        final_w, final_h = self.dims[-1]
        image = self._present(best)
        if image.shape[:2] != (final_h, final_w):
            image = resize_to(image, final_w, final_h)
        if terms is None:
            terms = LossTerms(math.nan, math.nan, math.nan, math.nan)
        seconds = time.perf_counter() - self.start
        self._emit("finished", terms, to_uint8(image), status)
        return StyleResult(
            image=image, status=status, message=message or "Finished.", steps=self.steps,
            seconds=seconds, losses=terms, history=self.history, snapshots=self.snapshots,
            weight_changes=self.weight_changes, trace_seconds=self.trace_seconds,
            params=self.params, weights_id=self.objective.net.weights_id, device=compute_device(),
            leakage=leakage(image, self.content), interrupted=interrupted,
            precision=self.objective.precision, optimizer_stats=dict(self.optimizer_stats),
            style_factor=self.style_factor,
        )


__all__ = ["stylize"]
