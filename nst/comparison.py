"""Two or more pictures side by side: a wipe or blend of two, and frames of one size for several.

Pure numpy (no Streamlit): the studio's result panel and the gallery's compare and detail
views draw what these compute.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from nst.encode import to_uint8
from nst.resize import resize_to


def _as_float(pixels: np.ndarray) -> np.ndarray:
    if pixels.dtype == np.uint8:
        return pixels.astype(np.float32) / 255.0
    return np.clip(pixels.astype(np.float32), 0.0, 1.0)


def fit_height(pixels: np.ndarray, height: int) -> np.ndarray:
    """Resize to ``height`` pixels tall, keeping the aspect ratio (uint8 out)."""
    h, w = pixels.shape[:2]
    width = max(1, int(round(w * height / h)))
    if (h, w) == (height, width):
        return to_uint8(_as_float(pixels))
    return to_uint8(resize_to(_as_float(pixels), width, int(height)))


def fit_box(pixels: np.ndarray, width: int, height: int, background: int = 240) -> np.ndarray:
    """Scale to fit inside ``width`` x ``height`` keeping the aspect ratio, centred on a plain
    background, so pictures of different shapes show at exactly the same size (uint8 out)."""
    h, w = pixels.shape[:2]
    scale = min(width / w, height / h)
    new_w, new_h = max(1, min(width, int(round(w * scale)))), max(1, min(height, int(round(h * scale))))
    image = _as_float(pixels)
    if (new_h, new_w) != (h, w):
        image = resize_to(image, new_w, new_h)
    out = np.full((height, width, 3), background, np.uint8)
    top, left = (height - new_h) // 2, (width - new_w) // 2
    out[top:top + new_h, left:left + new_w] = to_uint8(image)
    return out


def common_box(shapes: Sequence[tuple[int, ...]], max_height: int = 512) -> tuple[int, int]:
    """``(width, height)`` of one frame every picture fits: the tallest height (capped) and the
    widest aspect ratio among them."""
    height = min(max_height, max(s[0] for s in shapes))
    aspect = max(s[1] / s[0] for s in shapes)
    return max(1, int(round(height * aspect))), height


def comparison_image(before: np.ndarray, after: np.ndarray, mode: str = "wipe", position: float = 50) -> np.ndarray:
    """Before/after of two pictures at ``after``'s size: a wipe (left ``before``, right ``after``,
    split at ``position`` percent with a thin white line) or a blend (``position`` percent of
    ``after``). uint8 out."""
    after_f = _as_float(after)
    height, width = after_f.shape[:2]
    before_f = _as_float(before)
    if before_f.shape[:2] != (height, width):
        before_f = resize_to(before_f, width, height)
    t = min(max(float(position), 0.0), 100.0) / 100.0
    if mode.lower() == "blend":
        return to_uint8(before_f * (1 - t) + after_f * t)
    if mode.lower() != "wipe":
        raise ValueError(f"mode must be 'wipe' or 'blend', not {mode!r}")
    cut = int(round(width * t))
    out = to_uint8(np.concatenate([before_f[:, :cut], after_f[:, cut:]], axis=1))
    if 0 < cut < width:
        out[:, max(0, cut - 1):cut + 1] = 255
    return out
