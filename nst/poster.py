"""Posters: a chosen run, painted again bigger, tile by tile, within a memory budget.

The run's picture is the starting point; each poster scale (doubling from the run's size up to
the print's, the last one being the print itself) upsamples the picture so far and lets the
optimiser add what that scale can hold: the photo's detail (content loss against the original
photo at that size) and finer brushwork (style loss). Scales that fit the memory budget run
whole; the others run tiled (``nst.tiling``): the style Gram targets come once per scale from
the whole painting, every tile matches those same targets (so no tile drifts in colour or stroke
size), and tiles overlap and are blended. The painting is never enlarged beyond its own pixels:
at print size its strokes come out at their native size, which is what brushwork on a print is.

``plan_poster`` (here) decides scales, steps and tiles before anything runs (``nst.memory``) and
refuses in one sentence when even tiles cannot fit; ``nst.poster_paint.paint_poster`` runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np

from nst.errors import ParamsError
from nst.losses import LossForm
from nst.memory import DEFAULT_BUDGET, gigabytes, largest_tile, step_bytes, tiled_bytes
from nst.params import StyleParams
from nst.precision import resolve_precision
from nst.tiling import TilePlan, plan_tiles

POSTER_STEPS = (20, 10, 8)  # optimiser steps per tile at each poster scale, coarse to fine (last repeats)
OVERLAP = 128  # px tiles share with each neighbour
MAX_TILE = 2048  # px; larger tiles save little overlap and make progress coarse
SNAPSHOT_SECONDS = 120.0  # a poster snapshot at most this often (downscaled to SNAPSHOT_SIDE)
SNAPSHOT_SIDE = 1024
SECONDS_PER_MEGAPIXEL_STEP = 5.0  # bfloat16 on 2 AVX-512 cores: measured 5.2-5.5 at load 1.4-2 (docs/poster.md)


@dataclass(frozen=True)
class PosterScale:
    plan: TilePlan
    steps: int  # per tile
    peak_bytes: int

    @property
    def work(self) -> int:
        return self.steps * self.plan.tile_pixels * len(self.plan.tiles)


@dataclass(frozen=True)
class PosterPlan:
    width: int
    height: int
    precision: str
    budget: int
    scales: tuple[PosterScale, ...]

    @property
    def peak_bytes(self) -> int:
        return max(s.peak_bytes for s in self.scales)

    @property
    def estimated_seconds(self) -> float:
        factor = 1.0 if self.precision == "bfloat16" else 4.5
        return sum(s.work for s in self.scales) / 1e6 * SECONDS_PER_MEGAPIXEL_STEP * factor

    def describe(self) -> str:
        tiles = " + ".join(f"{s.plan.width}x{s.plan.height}" + (f" in {len(s.plan.tiles)} tiles"
                                                                 if s.plan.tiled else "") for s in self.scales)
        return (f"{self.width} x {self.height} px: {tiles}; about {self.estimated_seconds / 60:.0f} min on 2 "
                f"AVX-512 cores, peak memory about {gigabytes(self.peak_bytes)} "
                f"(budget {gigabytes(self.budget)}).")


@dataclass(frozen=True)
class PosterProgress:
    scale_index: int
    n_scales: int
    tile_index: int
    n_tiles: int
    fraction: float  # of the planned work
    elapsed: float
    eta: float | None
    image: np.ndarray | None = None  # uint8, at most SNAPSHOT_SIDE px; None on most events


def poster_layers(params: StyleParams) -> tuple[str, ...]:
    return LossForm.from_params(params).layers


def poster_sizes(start_long: int, final_long: int) -> list[int]:
    """Long sides of the poster scales: doubling from the run's size, ending at the print's (a
    doubling that would land within 1.5x of the print is skipped; the print scale does its work)."""
    sizes, size = [], start_long * 2
    while size * 1.5 <= final_long:
        sizes.append(size)
        size *= 2
    return sizes + [final_long]


def _scale_plan(width: int, height: int, steps: int, budget: int, precision: str,
                layers: tuple[str, ...], max_tile: int, overlap: int, resident: int) -> PosterScale:
    whole = step_bytes(width, height, precision, layers) + resident
    if whole <= budget and max(width, height) <= max_tile:
        return PosterScale(plan_tiles(width, height, max(width, height)), steps, whole)
    side = min(largest_tile(budget - resident, width, height, precision, layers), max_tile)
    if side < 4 * overlap:
        raise ParamsError(f"The poster's {width} x {height} px scale does not fit in {gigabytes(budget)} even in tiles; "
                          "raise --memory-budget or choose a smaller paper or dpi.")
    plan = plan_tiles(width, height, side, overlap)
    return PosterScale(plan, steps, tiled_bytes(width, height, plan.tile_width, plan.tile_height, precision,
                                                layers) + resident)


def plan_poster(width: int, height: int, start_long: int, params: StyleParams, *,
                budget: int = DEFAULT_BUDGET, steps: Sequence[int] = POSTER_STEPS, max_tile: int = MAX_TILE,
                overlap: int = OVERLAP, resident: int = 0) -> PosterPlan:
    """Scales, steps and tiles of a ``width`` x ``height`` poster grown from a ``start_long`` px run.

    ``resident``: bytes the painting process holds beyond a fresh one (``nst.memory.STUDIO_RESIDENT_BYTES``
    in the studio); every scale's peak counts them, so the tiles are chosen for what is left of ``budget``."""
    precision = resolve_precision(params.precision)
    layers = poster_layers(params)
    scales = []
    for index, long_side in enumerate(poster_sizes(start_long, max(width, height))):
        factor = long_side / max(width, height)
        w, h = max(1, round(width * factor)), max(1, round(height * factor))
        scales.append(_scale_plan(w, h, steps[min(index, len(steps) - 1)], budget, precision, layers,
                                  max_tile, overlap, resident))
    return PosterPlan(width, height, precision, budget, tuple(scales))
