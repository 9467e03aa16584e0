"""Resizing pictures and masks: Lanczos in float, clipped to [0, 1] (the engine, masks and views all use it)."""

from __future__ import annotations

import numpy as np
from PIL import Image


def resize_long_side(pixels: np.ndarray, long_side: int) -> np.ndarray:
    """Resize so the longer side is ``long_side`` pixels, keeping the aspect ratio."""
    if long_side < 1:
        raise ValueError(f"long_side must be at least 1, got {long_side}")
    height, width = pixels.shape[:2]
    scale = long_side / max(height, width)
    if width >= height:
        new_width, new_height = long_side, max(1, round(height * scale))
    else:
        new_width, new_height = max(1, round(width * scale)), long_side
    return resize_to(pixels, new_width, new_height)


def resize_to(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """Resize to exactly ``width`` x ``height`` with a Lanczos filter.

    Accepts H x W x C colour arrays and H x W single-channel arrays (masks); returns the
    same layout as float32 clipped to [0, 1].
    """
    if width < 1 or height < 1:
        raise ValueError(f"size must be at least 1x1, got {width}x{height}")
    values = np.asarray(pixels, dtype=np.float32)
    if values.ndim not in (2, 3):
        raise ValueError(f"expected an H x W or H x W x C array, got shape {values.shape}")
    if values.shape[:2] == (height, width):
        return values.copy()
    if values.ndim == 2:
        return _resize_channel(values, width, height)
    channels = [_resize_channel(values[:, :, c], width, height) for c in range(values.shape[2])]
    return np.ascontiguousarray(np.stack(channels, axis=2))


def _resize_channel(channel: np.ndarray, width: int, height: int) -> np.ndarray:
    # Mode "F" keeps full float precision; going through 8-bit would band gradients.
    image = Image.fromarray(np.ascontiguousarray(channel, dtype=np.float32))
    # reducing_gap first box-reduces by whole factors: much faster for big shrinks and,
    # at 3.0, visually the same as a full Lanczos pass.
    resized = image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    # Lanczos overshoots near sharp edges; values outside [0, 1] are not colours.
    return np.clip(np.asarray(resized, dtype=np.float32), 0.0, 1.0)


__all__ = ["resize_long_side", "resize_to"]
