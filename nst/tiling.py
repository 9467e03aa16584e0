"""Tile plans and blending: how a picture too big for one optimisation is cut, and put back together.

A ``TilePlan`` covers a W x H picture with equally sized tiles (one shape, so the compiled step
is traced once) that overlap by at least ``overlap`` px. Tiles are optimised one after another,
each starting from the canvas as the tiles before it left it, and pasted back with a linear ramp
across the overlap (``feather``): the weight is 0 at a tile's edge that has a neighbour, so the
pixels nearest the cut, where the network sees a false border, never reach the picture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

TILE_MULTIPLE = 16  # tile sides are multiples of this (VGG pools four times before block5)


@dataclass(frozen=True)
class Tile:
    x0: int
    y0: int
    x1: int
    y1: int

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0

    def cut(self, image: np.ndarray) -> np.ndarray:
        return image[self.y0:self.y1, self.x0:self.x1]


@dataclass(frozen=True)
class TilePlan:
    width: int
    height: int
    tile_width: int
    tile_height: int
    overlap: int
    tiles: tuple[Tile, ...]

    @property
    def tiled(self) -> bool:
        return len(self.tiles) > 1

    @property
    def tile_pixels(self) -> int:
        return self.tile_width * self.tile_height

    def borders(self) -> tuple[list[int], list[int]]:
        """Interior x and y positions where a tile starts or ends (where a seam could show)."""
        xs = sorted({t.x0 for t in self.tiles if t.x0 > 0} | {t.x1 for t in self.tiles if t.x1 < self.width})
        ys = sorted({t.y0 for t in self.tiles if t.y0 > 0} | {t.y1 for t in self.tiles if t.y1 < self.height})
        return xs, ys


def _axis(length: int, max_tile: int, overlap: int) -> tuple[int, list[int]]:
    """Tile length and start positions covering ``length`` with tiles of at most ``max_tile``."""
    if length <= max_tile:
        return length, [0]
    count = math.ceil((length - overlap) / (max_tile - overlap))
    size = math.ceil((length + (count - 1) * overlap) / count / TILE_MULTIPLE) * TILE_MULTIPLE
    size = min(size, length)
    starts = [round(i * (length - size) / (count - 1)) for i in range(count)]
    return size, starts


def plan_tiles(width: int, height: int, max_tile: int, overlap: int = 128) -> TilePlan:
    """Equal tiles of at most ``max_tile`` px a side covering ``width`` x ``height``, overlapping by
    at least ``overlap`` px (rounding makes the overlaps a little larger, never smaller)."""
    if max_tile <= 2 * overlap and (width > max_tile or height > max_tile):
        raise ValueError(f"a tile of {max_tile} px cannot overlap its neighbours by {overlap} px")
    tile_w, xs = _axis(width, max_tile, overlap)
    tile_h, ys = _axis(height, max_tile, overlap)
    tiles = tuple(Tile(x, y, x + tile_w, y + tile_h) for y in ys for x in xs)
    return TilePlan(width, height, tile_w, tile_h, overlap, tiles)


def _ramp(length: int, start_open: bool, end_open: bool, overlap: int) -> np.ndarray:
    ramp = np.ones(length, np.float32)
    rise = np.linspace(0.0, 1.0, overlap, dtype=np.float32)
    if start_open:
        ramp[:overlap] = np.minimum(ramp[:overlap], rise)
    if end_open:
        ramp[-overlap:] = np.minimum(ramp[-overlap:], rise[::-1])
    return ramp


def feather(plan: TilePlan, tile: Tile) -> np.ndarray:
    """H x W x 1 paste weights of ``tile``: 0 at edges shared with a neighbour, 1 inside and at the
    picture's own edges, linear over ``plan.overlap`` px."""
    x = _ramp(tile.width, tile.x0 > 0, tile.x1 < plan.width, plan.overlap)
    y = _ramp(tile.height, tile.y0 > 0, tile.y1 < plan.height, plan.overlap)
    return (y[:, None] * x[None, :])[:, :, None]


def paste(canvas: np.ndarray, plan: TilePlan, tile: Tile, pixels: np.ndarray) -> None:
    """Blend a finished tile into ``canvas`` in place."""
    weight = feather(plan, tile)
    region = tile.cut(canvas)
    region[...] = weight * pixels + (1.0 - weight) * region


def seam_ratio(image: np.ndarray, plan: TilePlan, band: int = 4) -> float:
    """Mean gradient energy in ``band`` px bands on the tile borders over that in bands at
    half-tile offsets from them (1.0 = the borders look like anywhere else)."""
    grey = np.asarray(image, np.float32).mean(axis=2)
    gx = np.zeros_like(grey)
    gy = np.zeros_like(grey)
    gx[:, 1:] = np.diff(grey, axis=1) ** 2
    gy[1:, :] = np.diff(grey, axis=0) ** 2
    xs, ys = plan.borders()
    half_x, half_y = plan.tile_width // 2, plan.tile_height // 2

    def bands(positions: list[int], energy: np.ndarray, axis: int, length: int) -> float:
        values = [np.take(energy, range(max(0, p - band // 2), min(length, p + band // 2)), axis=axis).mean()
                  for p in positions if 0 <= p < length]
        return float(np.mean(values)) if values else 0.0

    border = bands(xs, gx, 1, plan.width) + bands(ys, gy, 0, plan.height)
    away = bands([x - half_x if x - half_x > 0 else x + half_x for x in xs], gx, 1, plan.width) + \
        bands([y - half_y if y - half_y > 0 else y + half_y for y in ys], gy, 0, plan.height)
    return border / away if away > 0 else 1.0
