"""Running a poster plan (``nst.poster``): scale by scale, tile by tile.

Each tile is optimised with the engine's compiled objective (``nst.engine.Objective``; one tile
shape per scale, so one trace) against the scale's global style targets and its own crop of the
photo, starting from the canvas as earlier tiles left it, then blended in (``nst.tiling.paste``).
``paint_poster`` reports ``PosterProgress`` (with a downscaled snapshot at most every
``SNAPSHOT_SECONDS``), returns the picture so far when the control is cancelled, and with a
``resume_dir`` saves the canvas after every finished tile and continues from the last one (only
when the folder holds progress of the same plan and the same inputs: ``fingerprint``).
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np
import tensorflow as tf

from nst.colors import prepare_style, recombine_luminance
from nst.encode import to_uint8
from nst.objective import Objective, Targets, objective_for
from nst.resize import resize_long_side, resize_to
from nst.losses import LossForm, blended_style_targets
from nst.model import FeatureNet, get_feature_net
from nst.optim import minimize_box
from nst.params import StyleParams
from nst.poster import SNAPSHOT_SECONDS, SNAPSHOT_SIDE, PosterPlan, PosterProgress, PosterScale
from nst.run_types import RunControl, Weights
from nst.tiling import paste

LBFGS_MEMORY = 10


class _TileDone(Exception):
    pass


class _Stopped(Exception):
    pass


@dataclass
class PosterResult:
    image: np.ndarray  # float32 H x W x 3 in [0,1], the plan's size
    status: str  # "finished" or "stopped"
    seconds: float
    steps: int
    resumed_from: tuple[int, int] | None = None  # (scale, tile) a resumed run started at
    scale_seconds: list[float] = field(default_factory=list)


def style_size(style: np.ndarray, long_side: int, style_scale: float) -> int:
    """The painting's long side at a poster scale: as the engine sizes it, but never enlarged."""
    return max(16, min(max(style.shape[:2]), round(long_side * style_scale)))


class _Painter:
    def __init__(self, plan: PosterPlan, content: np.ndarray, styles: Sequence[np.ndarray],
                 params: StyleParams, objective: Objective, control: RunControl,
                 on_progress: Callable[[PosterProgress], None], time_limit: float,
                 resume_dir: Path | None, fingerprint: str) -> None:
        self.plan, self.content, self.params, self.objective = plan, content, params, objective
        self.styles = [prepare_style(np.asarray(s, np.float32), content, params.preserve_colors) for s in styles]
        self.blend = params.blend_weights(len(styles))
        self.control, self.on_progress, self.time_limit = control, on_progress, time_limit
        self.resume_dir, self.fingerprint = resume_dir, fingerprint
        self.total_work = sum(s.work for s in plan.scales)
        self.done_work = 0
        self.steps = 0
        self.start = time.perf_counter()
        self.last_snapshot = self.start

    # -- progress --
    def _planned_until(self, scale_index: int, tile_index: int) -> int:
        before = sum(s.work for s in self.plan.scales[:scale_index])
        scale = self.plan.scales[scale_index]
        return before + scale.steps * scale.plan.tile_pixels * (tile_index + 1)

    def _report(self, scale_index: int, tile_index: int, canvas: np.ndarray, force_image: bool = False) -> None:
        now = time.perf_counter()
        elapsed = now - self.start
        image = None
        if force_image or now - self.last_snapshot >= SNAPSHOT_SECONDS:
            image = to_uint8(self._present(resize_long_side(canvas, SNAPSHOT_SIDE), scale_index))
            self.last_snapshot = now
        fraction = min(1.0, self.done_work / self.total_work) if self.total_work else 1.0
        eta = elapsed * (1 - fraction) / fraction if fraction > 0 else None
        self.on_progress(PosterProgress(scale_index, len(self.plan.scales), tile_index,
                                        len(self.plan.scales[scale_index].plan.tiles), fraction, elapsed, eta, image))

    def _present(self, x: np.ndarray, scale_index: int) -> np.ndarray:
        if self.params.preserve_colors != "luminance":
            return x
        h, w = x.shape[:2]
        return recombine_luminance(x, resize_to(self.content, w, h))

    def style_factor(self) -> float:
        """The run's style balance, measured at the run's own size as the engine measured it, so the print
        paints with the weights that made the picture it enlarges."""
        size = self.params.size
        styles = [resize_long_side(s, style_size(s, size, self.params.style_scale)) for s in self.styles]
        return self.objective.style_balance(resize_long_side(self.content, size), styles, self.blend,
                                            self.params.style_balance)

    # -- one scale --
    def style_targets(self, long_side: int) -> dict[str, tf.Tensor]:
        styles = [resize_long_side(s, style_size(s, long_side, self.params.style_scale)) for s in self.styles]
        return blended_style_targets(self.objective.features, styles, self.blend, LossForm.from_params(self.params))

    def paint_scale(self, scale_index: int, canvas: np.ndarray, first_tile: int) -> np.ndarray:
        scale = self.plan.scales[scale_index]
        tiles = scale.plan.tiles
        content = resize_to(self.content, scale.plan.width, scale.plan.height)
        style = self.style_targets(max(scale.plan.width, scale.plan.height))
        for tile_index in range(first_tile, len(tiles)):
            tile = tiles[tile_index]
            deadline = self._deadline(scale_index, tile_index)
            painted = self.paint_tile(tile.cut(canvas), tile.cut(content), style, scale.steps, deadline)
            paste(canvas, scale.plan, tile, painted)
            self.done_work = self._planned_until(scale_index, tile_index)
            self._save(scale_index, tile_index, canvas)
            self._report(scale_index, tile_index, canvas)
            if self.control.cancelled:
                raise _Stopped
        return canvas

    def _deadline(self, scale_index: int, tile_index: int) -> float | None:
        if not self.time_limit:
            return None
        return self.start + self.time_limit * self._planned_until(scale_index, tile_index) / self.total_work

    # -- one tile --
    def paint_tile(self, x0: np.ndarray, content: np.ndarray, style: dict[str, tf.Tensor], steps: int,
                   deadline: float | None) -> np.ndarray:
        content_tensor = tf.constant(np.ascontiguousarray(content)[None])
        features = self.objective.features(content_tensor)
        form = self.objective.form
        targets = Targets(content={n: features[n] for n, _ in form.content_layers}, style=style, guide=None,
                          content_image=content_tensor, detail=None)
        best: list = [np.inf, x0]
        count = [0]

        def evaluate(x: np.ndarray) -> tuple[float, np.ndarray]:
            out_of_time = deadline is not None and time.perf_counter() >= deadline and count[0] >= 2
            if count[0] >= steps or out_of_time or self.control.cancelled:
                raise _TileDone
            terms, grad = self.objective.value_and_grad(tf.constant(x[None]), targets)
            total = float(terms[0])
            count[0] += 1
            self.steps += 1
            if np.isfinite(total) and total < best[0]:
                best[0], best[1] = total, x
            return total, grad.numpy()[0]

        try:
            minimize_box(evaluate, np.ascontiguousarray(x0), memory=LBFGS_MEMORY)
        except _TileDone:
            pass
        return best[1]

    # -- resuming --
    def _save(self, scale_index: int, tile_index: int, canvas: np.ndarray) -> None:
        if self.resume_dir is None:
            return
        self.resume_dir.mkdir(parents=True, exist_ok=True)
        partial = self.resume_dir / "canvas.partial.npy"
        np.save(partial, canvas)
        os.replace(partial, self.resume_dir / "canvas.npy")
        state = {"scale": scale_index, "tile": tile_index, "plan": plan_key(self.plan),
                 "inputs": self.fingerprint}
        (self.resume_dir / "state.partial.json").write_text(json.dumps(state))
        os.replace(self.resume_dir / "state.partial.json", self.resume_dir / "state.json")


def plan_key(plan: PosterPlan) -> list:
    return [[s.plan.width, s.plan.height, s.plan.tile_width, s.plan.tile_height, len(s.plan.tiles), s.steps]
            for s in plan.scales]


def inputs_fingerprint(content: np.ndarray, styles: Sequence[np.ndarray], start_image: np.ndarray,
                       params: StyleParams) -> str:
    """A digest of what a poster is painted from: progress of other inputs is never resumed."""
    digest = hashlib.sha256(json.dumps(params.to_dict(), sort_keys=True).encode())
    for array in (content, *styles, start_image):
        digest.update(str(np.shape(array)).encode())
        digest.update(np.ascontiguousarray(array, np.float32).tobytes())
    return digest.hexdigest()


def resume_point(resume_dir: Path | None, plan: PosterPlan,
                 fingerprint: str) -> tuple[int, int, np.ndarray] | None:
    """(scale, next tile, canvas) to continue from, if ``resume_dir`` holds this plan's progress
    for the same inputs; anything unreadable there counts as no progress."""
    if resume_dir is None or not (resume_dir / "state.json").is_file():
        return None
    try:
        state = json.loads((resume_dir / "state.json").read_text())
        if state.get("plan") != plan_key(plan) or state.get("inputs") != fingerprint:
            return None
        canvas = np.load(resume_dir / "canvas.npy")
    except (OSError, ValueError):
        return None
    scale, tile = int(state["scale"]), int(state["tile"]) + 1
    if tile >= len(plan.scales[scale].plan.tiles):
        if scale + 1 >= len(plan.scales):
            return scale, tile, canvas
        nxt = plan.scales[scale + 1].plan
        return scale + 1, 0, resize_to(canvas, nxt.width, nxt.height)
    return scale, tile, canvas


def paint_poster(plan: PosterPlan, content: np.ndarray, styles: Sequence[np.ndarray], start_image: np.ndarray,
                 params: StyleParams, *, net: FeatureNet | None = None, control: RunControl | None = None,
                 on_progress: Callable[[PosterProgress], None] | None = None, time_limit: float = 0.0,
                 resume_dir: str | os.PathLike[str] | None = None,
                 style_factor: float | None = None) -> PosterResult:
    """Paint ``plan`` from ``start_image`` (the chosen run's picture) with the original ``content``
    photo and the run's ``styles`` and ``params`` (its weights, layers, colour option and precision).
    ``style_factor``: the style balance's factor of the run that painted ``start_image`` when known
    (``StyleResult.style_factor``); otherwise measured at ``params.size``, the run's own size."""
    net = net if net is not None else get_feature_net()
    objective = objective_for(net, LossForm.from_params(params), plan.precision)
    folder = Path(resume_dir) if resume_dir is not None else None
    control = control or RunControl()
    fingerprint = inputs_fingerprint(content, styles, start_image, params)
    with objective.lock:
        painter = _Painter(plan, np.asarray(content, np.float32), styles, params, objective, control,
                           on_progress or (lambda p: None), time_limit, folder, fingerprint)
        objective.set_weights(Weights(params.content_weight, params.style_weight, params.tv_weight),
                              painter.style_factor() if style_factor is None else style_factor)
        return _run(painter, plan, np.asarray(start_image, np.float32), folder)


def _run(painter: _Painter, plan: PosterPlan, start_image: np.ndarray, folder: Path | None) -> PosterResult:
    point = resume_point(folder, plan, painter.fingerprint)
    first = plan.scales[0].plan
    scale_index, tile_index, canvas = point or (0, 0, resize_to(start_image, first.width, first.height))
    resumed = (scale_index, tile_index) if point else None
    status, seconds = "finished", []
    try:
        for index in range(scale_index, len(plan.scales)):
            started = time.perf_counter()
            target: PosterScale = plan.scales[index]
            if canvas.shape[:2] != (target.plan.height, target.plan.width):
                canvas = resize_to(canvas, target.plan.width, target.plan.height)
            canvas = np.array(canvas, np.float32)  # tiles are pasted into it: a Stop keeps the ones finished
            canvas = painter.paint_scale(index, canvas, tile_index if index == scale_index else 0)
            seconds.append(time.perf_counter() - started)
    except _Stopped:
        status = "stopped"
    image = resize_to(canvas, plan.width, plan.height) if canvas.shape[:2] != (plan.height, plan.width) else canvas
    image = painter._present(image, len(plan.scales) - 1)
    painter._report(len(plan.scales) - 1, len(plan.scales[-1].plan.tiles) - 1, image, force_image=True)
    return PosterResult(np.clip(image, 0, 1).astype(np.float32), status, time.perf_counter() - painter.start,
                        painter.steps, resumed, seconds)
