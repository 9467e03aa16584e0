"""Fast mode: Magenta's arbitrary image stylization network for instant previews and warm starts.

One forward pass of ``arbitrary-image-stylization-v1-256`` paints a picture in a fraction of a
second; the studio shows it at once (``fast_preview``) and the careful VGG19 optimisation can start
from it (``init="fast"``).

Where the model comes from: ``nst.fast_model`` (``NST_FAST_MODEL``, else the cached ONNX pair, TF Hub,
then the ONNX pair from PyPI; loaded once per process, in the background when the studio starts).

The TFLite and ONNX pairs expose the 100-d style bottleneck, so styles combine the way Magenta intends:
a blend of several paintings is the blend-weighted interpolation of their bottlenecks, and
``strength`` interpolates between the painting's bottleneck (1) and the photo's own bottleneck (0).
The hub SavedModel hides the bottleneck (it takes (content, style) and returns the picture), so with
it both are approximated on the pictures: a blend averages the per-style pictures and strength mixes
with the picture painted in the photo's own style. Style images are centre-cropped to a square and
resized to 256 x 256, as the model was trained.

When the model cannot be had (offline, bad path), ``FastModelUnavailable`` says in one sentence
what to set; everything else in the studio keeps working.
"""

from __future__ import annotations

import hashlib
import threading
import weakref
from collections import OrderedDict
from typing import Sequence

import numpy as np

from nst.colors import prepare_style, recombine_luminance
from nst.fast_model import BOTTLENECK_MODELS, FastModel, get_fast_model
from nst.fast_tflite import ENCODER_STRIDE
from nst.resize import resize_long_side, resize_to

STYLE_SIZE = 256  # the model was trained with 256 px style images
MIN_SIDE = 16  # the transfer network's decoder pads at 1/4 scale: keep at least 4 px there
STYLE_CODES_KEPT = 64  # style bottlenecks remembered per model: every painting and upload at a few zooms
MAX_SIDE = 1024  # larger pictures are painted at 1024 px and enlarged (TFLite: ~1.6 GB of activations there; docs/fast.md)


# ---- inputs ---------------------------------------------------------------------------------
def style_input(style: np.ndarray, style_scale: float = 1.0, blur: bool = True) -> np.ndarray:
    """The 256 x 256 style input: the central square, resized; ``style_scale`` zooms (crop) or tiles it.

    ``blur`` applies the slight 3x3 average blur the model's authors recommend for style images.
    """
    height, width = style.shape[:2]
    side_in = min(height, width)
    top, left = (height - side_in) // 2, (width - side_in) // 2
    side = max(16, round(STYLE_SIZE * style_scale))
    square = resize_to(style[top:top + side_in, left:left + side_in], side, side)
    if side < STYLE_SIZE:  # smaller strokes: repeat the painting to fill the input
        reps = -(-STYLE_SIZE // side)
        square = np.tile(square, (reps, reps, 1))
    offset = (square.shape[0] - STYLE_SIZE) // 2
    square = np.ascontiguousarray(square[offset:offset + STYLE_SIZE, offset:offset + STYLE_SIZE], np.float32)
    return _box_blur3(square) if blur else square


def _box_blur3(image: np.ndarray) -> np.ndarray:
    """3x3 mean with zero padding (what ``tf.nn.avg_pool(..., padding="SAME")`` gives, edges excluded)."""
    padded = np.pad(image, ((1, 1), (1, 1), (0, 0)))
    ones = np.pad(np.ones(image.shape[:2] + (1,), np.float32), ((1, 1), (1, 1), (0, 0)))
    h, w = image.shape[:2]
    total = sum(padded[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3))
    count = sum(ones[dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3))
    return (total / count).astype(np.float32)


def _content_input(content: np.ndarray) -> np.ndarray:
    """The content at a size the transfer network takes: sides multiples of 4, 16 .. MAX_SIDE px."""
    height, width = content.shape[:2]
    factor = min(1.0, MAX_SIDE / max(height, width))

    def fit(n: int) -> int:
        return max(MIN_SIDE, int(round(n * factor / ENCODER_STRIDE)) * ENCODER_STRIDE)

    new_w, new_h = fit(width), fit(height)
    return content if (new_w, new_h) == (width, height) else resize_to(content, new_w, new_h)


# ---- style codes, remembered ------------------------------------------------------------------
# The studio repaints the preview on every change of style, blend, strength or photo, and the sheet paints
# every painting: preparing a style (crop, resize, blur) and predicting its bottleneck cost ~40 ms of CPU
# per style each time (measured at 512 px: 0.29 s per 3-style preview, of which 0.12 s styles). A
# bottleneck depends only on the image, its zoom, the blur and (for kept colours) the photo, so it is
# computed once per model and kept (weakly keyed: a forgotten model takes its codes with it).
_codes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_codes_lock = threading.Lock()


def _fingerprint(image: np.ndarray) -> tuple:
    array = np.ascontiguousarray(image)
    return array.shape, array.dtype.str, hashlib.blake2b(array.data, digest_size=16).digest()


def style_code(model, style: np.ndarray, content: np.ndarray, preserve_colors: str = "none",
               style_scale: float = 1.0, blur: bool = True) -> np.ndarray:
    """The style's bottleneck as ``model`` predicts it (a TFLite/ONNX pair), computed once per input."""
    key = (_fingerprint(style), float(style_scale), blur, preserve_colors,
           None if preserve_colors == "none" else _fingerprint(content))
    with _codes_lock:
        kept = _codes.setdefault(model, OrderedDict())
        if key in kept:
            kept.move_to_end(key)
            return kept[key]
    code = model.style_bottleneck(style_input(prepare_style(style, content, preserve_colors), style_scale, blur))
    with _codes_lock:
        kept[key] = code
        while len(kept) > STYLE_CODES_KEPT:
            kept.popitem(last=False)
    return code


# ---- the picture ----------------------------------------------------------------------------
def blend_bottlenecks(bottlenecks: Sequence[np.ndarray], blend: Sequence[float]) -> np.ndarray:
    """The blend-weighted interpolation of style bottlenecks (weights need not sum to 1)."""
    weights = np.asarray(blend, np.float64)
    weights = weights / weights.sum()
    return np.tensordot(weights, np.stack(bottlenecks), axes=1).astype(np.float32)


def _normalised_blend(n_styles: int, blend: Sequence[float] | None) -> list[float]:
    if not n_styles:
        raise ValueError("stylize_fast needs at least one style image")
    weights = list(blend) if blend else [1.0] * n_styles
    if len(weights) != n_styles or min(weights) < 0 or sum(weights) <= 0:
        raise ValueError(f"blend needs {n_styles} non-negative weights with a positive sum, not {weights}")
    return [w / sum(weights) for w in weights]


def stylize_fast(content: np.ndarray, styles: Sequence[np.ndarray], blend: Sequence[float] | None = None, *,
                 strength: float = 1.0, preserve_colors: str = "none", style_scale: float = 1.0,
                 blur_style: bool = True, model: FastModel | None = None) -> np.ndarray:
    """Paint ``content`` in one forward pass; returns float32 H x W x 3 in [0,1] at the content's size.

    ``blend``: one weight per style (default equal). ``strength`` 0..1: 1 = the paintings' style,
    0 = the photo's own style (the picture stays a painted version of the photo). ``style_scale``
    scales the 256 px style image (larger = bigger strokes).
    """
    if not 0.0 <= strength <= 1.0:
        raise ValueError(f"strength must be between 0 and 1, not {strength}")
    model = model if model is not None else get_fast_model()
    weights = _normalised_blend(len(styles), blend)
    height, width = content.shape[:2]
    content = np.asarray(content, np.float32)
    content_in = _content_input(content)
    if isinstance(model, BOTTLENECK_MODELS):
        bottleneck = blend_bottlenecks([style_code(model, s, content, preserve_colors, style_scale, blur_style)
                                        for s in styles], weights)
        if strength < 1.0:
            own = style_code(model, content, content, "none", 1.0, blur_style)
            bottleneck = strength * bottleneck + (1.0 - strength) * own
        painted = model.transfer(content_in, bottleneck)
    else:  # no bottleneck: approximate on the pictures (see the module docstring)
        inputs = [style_input(prepare_style(s, content, preserve_colors), style_scale, blur_style) for s in styles]
        own = style_input(content, 1.0, blur_style) if strength < 1.0 else None
        painted = sum(w * model.paint(content_in, s) for s, w in zip(inputs, weights) if w > 0)
        if own is not None:
            painted = strength * painted + (1.0 - strength) * model.paint(content_in, own)
    if painted.shape[:2] != (height, width):
        painted = resize_to(painted, width, height)
    painted = np.clip(painted, 0.0, 1.0)
    if preserve_colors == "luminance":
        painted = recombine_luminance(painted, content)
    return np.clip(painted, 0.0, 1.0).astype(np.float32)


def fast_preview(content: np.ndarray, styles: Sequence[np.ndarray], blend: Sequence[float] | None = None,
                 strength: float = 1.0, size: int = 512, *, preserve_colors: str = "none",
                 style_scale: float = 1.0) -> np.ndarray:
    """The studio's instant preview: the fast picture of ``content`` at ``size`` px long side.

    Pure apart from the once-per-process model load; raises ``FastModelUnavailable`` (its message
    is the sentence to show) when there is no model, ``ValueError`` for a bad blend or strength.
    """
    content = resize_long_side(np.asarray(content, np.float32), size)
    return stylize_fast(content, styles, blend, strength=strength, preserve_colors=preserve_colors,
                        style_scale=style_scale)
