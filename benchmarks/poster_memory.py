"""The poster benchmark's memory stages: measured peak RSS against ``nst.memory``'s estimate.

Each stage runs in a fresh child process (``benchmarks.poster._child``: its ``ru_maxrss`` is its own
peak), with enough optimiser steps that L-BFGS's memory is full (``nst.engine.LBFGS_MEMORY`` pairs),
as in a real run. A sampler thread reads the process's RSS every 0.2 s and keeps the largest value per
phase, so a peak can be told apart (the network, the whole run, the tiles, writing the picture).

- ``mem1024`` / ``mem2048``: one whole (untiled) optimisation at that long side.
- ``mem4096``: what ``nst stylize --size 4096`` runs: the largest whole run that fits the budget
  (2048 px), then grown to 4096 px in tiles (``nst.poster``); two tiles are enough, every tile has
  the same shape and the whole-picture copies exist from the first one.
- ``mem4096whole``: an untiled 4096 px run (the engine refuses it: estimated 17+ GB), measured only
  on a quiet machine with that much free memory; never in the default stages:
  ``nice -n 10 python -m benchmarks.poster --stages mem4096whole``.

:func:`memory_check` puts the ratios (estimate / measured) side by side and says whether each is
within the issue's +-20 %.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from typing import Iterator

import numpy as np

GB = 1024**3
STEPS = 12  # > nst.engine.LBFGS_MEMORY: the optimiser's memory is full before the run ends
TOLERANCE = 0.20


def rss_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


class RssSampler:
    """The largest RSS seen in each phase (``phase`` is set by the stage as it goes)."""

    def __init__(self, interval: float = 0.2) -> None:
        self.phase = "start"
        self.peaks: dict[str, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(interval,), daemon=True)

    def _run(self, interval: float) -> None:
        while not self._stop.is_set():
            self.sample()
            time.sleep(interval)

    def sample(self) -> None:
        self.peaks[self.phase] = max(self.peaks.get(self.phase, 0), rss_bytes())

    @contextmanager
    def running(self) -> Iterator["RssSampler"]:
        self._thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            self._thread.join()
            self.sample()

    def report(self) -> dict[str, float]:
        return {phase: round(value / GB, 2) for phase, value in self.peaks.items()}


def _inputs(args):
    from benchmarks.poster import PAINTING, PHOTO, _load
    from nst.run_types import RunInputs

    return RunInputs(_load(PHOTO), [_load(PAINTING)])


def _layers(params):
    from nst.poster import poster_layers
    from nst.precision import resolve_precision

    return resolve_precision(params.precision), poster_layers(params)


def stage_whole(args, size: int, check: bool = True) -> dict:
    """One whole optimisation at ``size`` px (``check=False``: past the engine's refusal, to measure it)."""
    from benchmarks.poster import _params
    from nst.engine import stylize
    from nst.memory import step_bytes

    params = _params(args.quick).replace(size=size, scales=1, iterations=3 if args.quick else STEPS)
    if not check:
        import nst.engine

        nst.engine.check_whole_run_fits = lambda *a, **k: None  # this one measurement is the point
    sampler = RssSampler()
    with sampler.running():
        inputs = _inputs(args)
        sampler.phase = "whole run"
        result = stylize(inputs, params)
    h, w = result.image.shape[:2]
    precision, layers = _layers(params)
    return {"size": [w, h], "steps": result.steps, "estimate_gb": round(step_bytes(w, h, precision, layers) / GB, 2),
            "phases_gb": sampler.report()}


def stage_grown(args) -> dict:
    """What a 4096 px stylize runs: whole at the largest size that fits, then grown in tiles (two of them)."""
    from benchmarks.poster import _params
    from nst.big_stylize import output_dims, whole_side
    from nst.engine import stylize
    from nst.memory import step_bytes
    from nst.poster import plan_poster
    from nst.poster_paint import paint_poster
    from nst.run_types import RunControl

    size = 512 if args.quick else 4096
    params = _params(args.quick).replace(size=size, scales=1, iterations=3 if args.quick else STEPS)
    sampler = RssSampler()
    with sampler.running():
        inputs = _inputs(args)
        base = whole_side(inputs.content, params) if not args.quick else 256
        sampler.phase = f"whole run at {base} px"
        whole = stylize(inputs, params.replace(size=base))
        width, height = output_dims(inputs.content, size)
        plan = plan_poster(width, height, base, params, steps=(3 if args.quick else STEPS,),
                           **({"max_tile": 192, "overlap": 32} if args.quick else {}))
        control, done = RunControl(), []

        def two_tiles(progress) -> None:
            done.append(progress.tile_index)
            sampler.phase = f"tiles at {width} px"
            if len(done) >= 2:
                control.cancel()

        sampler.phase = f"tiles at {width} px"
        grown = paint_poster(plan, inputs.content, inputs.styles, whole.image, params, control=control,
                             on_progress=two_tiles)
        sampler.phase = "the picture out"
        np.clip(grown.image, 0, 1).astype(np.float32)
    precision, layers = _layers(params)
    scale = plan.scales[-1]
    return {"size": [width, height], "whole_px": base, "tiles": len(scale.plan.tiles), "tiles_painted": len(done),
            "tile": [scale.plan.tile_width, scale.plan.tile_height],
            "estimate_whole_gb": round(step_bytes(*output_dims(inputs.content, base), precision, layers) / GB, 2),
            "estimate_tiled_gb": round(plan.peak_bytes / GB, 2),
            "estimate_gb": round(max(plan.peak_bytes, step_bytes(*output_dims(inputs.content, base), precision,
                                                                 layers)) / GB, 2),
            "phases_gb": sampler.report()}


def memory_check(report: dict) -> dict:
    """Estimate / measured peak for each memory stage that ran, and whether it is within +-20 %."""
    out = {}
    for stage in ("mem1024", "mem2048", "mem4096", "mem4096whole", "poster", "print"):
        row = report.get(stage) or {}
        if "estimate_gb" in row and row.get("peak_rss_gb"):
            ratio = row["estimate_gb"] / row["peak_rss_gb"]
            out[stage] = {"estimate_gb": row["estimate_gb"], "measured_gb": row["peak_rss_gb"],
                          "ratio": round(ratio, 3), "within_20_percent": abs(ratio - 1) <= TOLERANCE}
    return out


STAGES = {
    "mem1024": lambda a: stage_whole(a, 128 if a.quick else 1024),
    "mem2048": lambda a: stage_whole(a, 192 if a.quick else 2048),
    "mem4096": stage_grown,
    "mem4096whole": lambda a: stage_whole(a, 256 if a.quick else 4096, check=False),
}
