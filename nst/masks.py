"""Spatial control: where the style may paint, and how much style leaked where it should not.

The seed's first complaint was style texture leaking into blank areas (plain skies, walls).
Two sources of a *style mask* (1 = stylise, 0 = keep the content's look) are combined:

- a user mask (white = stylise, black = keep), softened by ``mask_strength``;
- "protect flat areas": an automatic mask from the content photo, 1 where it has texture
  and 0 where it is flat (low local standard deviation at the scale of the style features),
  softened by ``protect_flat``.

The engine uses the mask *inside* the optimisation (guided Gram matrices and a spatially
weighted content term), never as a blend afterwards; edges are feathered so there are no seams.

A *detail mask* (1 = keep this region's detail and colour, 0 = normal) marks crowded, detailed
spots that style transfer tends to blur and fade: the engine raises the content weight there,
``detail_weights`` giving the per-pixel multiplier ``1 + DETAIL_GAIN * detail_strength * mask``.

The studio's brush paints both kinds of mask on the photo (``brush_masks`` turns the canvas's
RGBA strokes into them): red strokes "keep the photo here" (not stylised), blue strokes "keep
detail here" (stylised, but the photo's shapes and colours count more).

The leakage metric is defined independently of any protection mask: flat region = where the
content's grey local standard deviation (9x9 window, at 256 px) is below 0.02, eroded by 3 px;
leakage = the result's mean squared Laplacian there. ``detail_elsewhere`` is the same energy
outside that region (the rest of the picture should still be painted).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import ndimage

from nst.errors import ImageError
from nst.images import load_image
from nst.resize import resize_long_side, resize_to
from nst.run_types import Leakage

METRIC_SIZE = 256
METRIC_WINDOW = 9
METRIC_THRESHOLD = 0.02
METRIC_EROSION = 3

# Protection looks at a wider window than the metric (the style's strokes are several pixels
# wide) and ramps smoothly between "flat" and "textured" so the mask has no hard edges.
PROTECT_WINDOW_FRACTION = 1 / 24
PROTECT_FLAT_BELOW = 0.015
PROTECT_TEXTURED_ABOVE = 0.05
FEATHER_FRACTION = 1 / 64

# Detail regions: the content weight there is multiplied by 1 + DETAIL_GAIN * detail_strength
# (so up to 10x at full strength).
DETAIL_GAIN = 9.0

# The studio's brush (streamlit-drawable-canvas): stroke colours and their opacity. A stroke's
# colour says which mask it paints; its alpha (over a transparent canvas) how much.
BRUSH_KEEP_PHOTO_RGB = (220, 40, 40)  # red: keep the photo here (black in the style mask)
BRUSH_KEEP_DETAIL_RGB = (40, 110, 230)  # blue: keep detail and colour here
BRUSH_ALPHA = 0.5


def grey(pixels: np.ndarray) -> np.ndarray:
    return pixels.astype(np.float64) @ np.array([0.299, 0.587, 0.114])


def local_std(image: np.ndarray, window: int) -> np.ndarray:
    mean = ndimage.uniform_filter(image, window, mode="reflect")
    mean_sq = ndimage.uniform_filter(image * image, window, mode="reflect")
    return np.sqrt(np.clip(mean_sq - mean * mean, 0.0, None))


def flat_area_mask(content: np.ndarray) -> np.ndarray:
    """1 where the content has texture, 0 where it is flat; H x W float32, feathered."""
    g = grey(content)
    side = max(content.shape[:2])
    std = local_std(g, max(3, round(side * PROTECT_WINDOW_FRACTION)) | 1)
    textured = np.clip((std - PROTECT_FLAT_BELOW) / (PROTECT_TEXTURED_ABOVE - PROTECT_FLAT_BELOW), 0.0, 1.0)
    return feather(textured, side)


def feather(mask: np.ndarray, side: int) -> np.ndarray:
    return np.clip(ndimage.gaussian_filter(mask, max(1.0, side * FEATHER_FRACTION)), 0.0, 1.0).astype(np.float32)


def load_mask(source: str | Path | bytes, *, name: str | None = None) -> np.ndarray:
    """A mask image as H x W float32 in [0,1] (white = stylise). Raises ImageError."""
    loaded = load_image(source, name=name)
    return grey(loaded.pixels).astype(np.float32)


def combine_user_masks(uploaded: np.ndarray | None, keep_photo: np.ndarray | None, height: int,
                       width: int) -> np.ndarray | None:
    """One user style mask (1 = stylise) at ``height`` x ``width`` from an uploaded mask (white =
    stylise) and painted "keep the photo" strokes (1 = keep): their minimum, so what either one
    keeps is kept. None when neither masks anything (an empty canvas is no mask)."""
    masks = []
    if uploaded is not None:
        if uploaded.ndim != 2:
            raise ImageError("A mask must be a single image (white = stylise, black = keep the photo).")
        masks.append(np.clip(resize_to(uploaded.astype(np.float32), width, height), 0.0, 1.0))
    if keep_photo is not None and float(np.max(keep_photo, initial=0.0)) > 0.0:
        masks.append(1.0 - np.clip(resize_to(keep_photo.astype(np.float32), width, height), 0.0, 1.0))
    if not masks:
        return None
    return np.minimum.reduce(masks).astype(np.float32)


@dataclass(frozen=True)
class BrushMasks:
    """What the studio's brush painted, at the content's size: each H x W float32 in [0,1]."""

    keep_photo: np.ndarray  # 1 where the photo is kept (not stylised)
    keep_detail: np.ndarray  # 1 where detail and colour count more

    @property
    def keep_photo_share(self) -> float:
        return float(self.keep_photo.mean())

    @property
    def keep_detail_share(self) -> float:
        return float(self.keep_detail.mean())


def brush_masks(rgba: np.ndarray, height: int, width: int) -> BrushMasks:
    """The canvas's RGBA image data (any size: the canvas is smaller than the photo) -> the two
    painted masks at ``height`` x ``width``.

    Coverage is the stroke's alpha relative to ``BRUSH_ALPHA`` (fully covered = 1, anti-aliased
    stroke edges in between); each covered pixel is split between the two masks by where its
    colour lies between the red (keep photo) and blue (keep detail) brush colours, so where
    strokes overlap the one on top wins.
    """
    pixels = np.asarray(rgba)
    if pixels.ndim != 3 or pixels.shape[2] != 4:
        raise ImageError(f"The brush canvas should give RGBA image data, not an array of shape {pixels.shape}.")
    values = pixels.astype(np.float32)
    if pixels.dtype == np.uint8 or values.max(initial=0.0) > 1.0:
        values /= 255.0
    coverage = np.clip(values[..., 3] / BRUSH_ALPHA, 0.0, 1.0)
    red_axis = (BRUSH_KEEP_PHOTO_RGB[2] - BRUSH_KEEP_PHOTO_RGB[0]) / 255.0  # blue minus red of each brush
    blue_axis = (BRUSH_KEEP_DETAIL_RGB[2] - BRUSH_KEEP_DETAIL_RGB[0]) / 255.0
    detail_share = np.clip((values[..., 2] - values[..., 0] - red_axis) / (blue_axis - red_axis), 0.0, 1.0)
    keep_detail = coverage * detail_share
    keep_photo = coverage - keep_detail

    def at_size(mask: np.ndarray) -> np.ndarray:
        return np.clip(resize_to(mask.astype(np.float32), width, height), 0.0, 1.0)

    return BrushMasks(keep_photo=at_size(keep_photo), keep_detail=at_size(keep_detail))


def combine_detail_masks(*masks: np.ndarray | None, height: int, width: int) -> np.ndarray | None:
    """Detail masks (1 = keep detail) from several sources -> their maximum at ``height`` x ``width``;
    None when none marks anything."""
    resized = [np.clip(resize_to(m.astype(np.float32), width, height), 0.0, 1.0) for m in masks
               if m is not None and float(np.max(m, initial=0.0)) > 0.0]
    if not resized:
        return None
    return np.maximum.reduce(resized).astype(np.float32)


def detail_map(content: np.ndarray, detail_mask: np.ndarray | None, detail_strength: float) -> np.ndarray | None:
    """``detail_strength`` x the detail mask, feathered, at the content's size (H x W in [0,1]);
    None when nothing is marked. ``detail_weights`` turns it into the content-weight multiplier."""
    if detail_mask is None or detail_strength <= 0:
        return None
    if detail_mask.ndim != 2:
        raise ImageError("A detail mask must be a single image (white = keep detail).")
    height, width = content.shape[:2]
    resized = np.clip(resize_to(detail_mask.astype(np.float32), width, height), 0.0, 1.0)
    if float(resized.max(initial=0.0)) <= 0.0:
        return None
    return (detail_strength * feather(resized, max(height, width))).astype(np.float32)


def detail_weights(marked: np.ndarray) -> np.ndarray:
    """A ``detail_map`` (at any size) -> the per-pixel content-weight multiplier ``1 + DETAIL_GAIN * map``."""
    return (1.0 + DETAIL_GAIN * np.clip(marked, 0.0, 1.0)).astype(np.float32)


def style_mask(content: np.ndarray, *, user_mask: np.ndarray | None = None, mask_strength: float = 1.0,
               protect_flat: float = 0.0) -> np.ndarray | None:
    """The combined style mask at the content's size, or None when nothing is masked."""
    if user_mask is None and protect_flat <= 0:
        return None
    height, width = content.shape[:2]
    mask = np.ones((height, width), np.float32)
    if user_mask is not None:
        if user_mask.ndim != 2:
            raise ImageError("A mask must be a single image (white = stylise, black = keep the photo).")
        resized = np.clip(resize_to(user_mask.astype(np.float32), width, height), 0.0, 1.0)
        mask *= 1.0 - mask_strength * (1.0 - feather(resized, max(height, width)))
    if protect_flat > 0:
        mask *= 1.0 - protect_flat * (1.0 - flat_area_mask(content))
    return mask.astype(np.float32)


def metric_flat_region(content: np.ndarray) -> np.ndarray:
    """Boolean flat region at 256 px long side, by the fixed metric definition."""
    small = resize_long_side(content, METRIC_SIZE)
    flat = local_std(grey(small), METRIC_WINDOW) < METRIC_THRESHOLD
    return ndimage.binary_erosion(flat, iterations=METRIC_EROSION)


def leakage(result: np.ndarray, content: np.ndarray) -> Leakage:
    """How much high-frequency texture the result has where the content is flat."""
    region = metric_flat_region(content)
    height, width = region.shape
    energy = ndimage.laplace(grey(resize_to(result, width, height))) ** 2
    inside, outside = energy[region], energy[~region]
    return Leakage(
        leakage=float(inside.mean()) if inside.size else 0.0,
        detail_elsewhere=float(outside.mean()) if outside.size else 0.0,
        flat_fraction=float(region.mean()),
    )
