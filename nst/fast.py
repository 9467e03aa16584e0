"""Fast mode: Magenta's arbitrary image stylization network for instant previews and warm starts.

One forward pass of ``arbitrary-image-stylization-v1-256`` paints a picture in a fraction of a
second; the studio shows it at once (``fast_preview``) and the careful VGG19 optimisation can start
from it (``init="fast"``).

Where the model comes from (env ``NST_FAST_MODEL``, loaded once per process):

- unset: the public TF Hub handle (a SavedModel; needs the network);
- an http(s) URL: that TF Hub handle;
- a folder holding Magenta's TFLite int8 pair (``*prediction*.tflite`` + ``*transfer*.tflite``,
  as in ../shared/models/magenta): run by ``nst.fast_tflite`` at the photo's own size and aspect;
- a SavedModel folder (a downloaded copy of the hub model).

The TFLite pair exposes the 100-d style bottleneck, so styles combine the way Magenta intends:
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

import functools
import os
import socket
import threading
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import urlparse

import numpy as np

from nst.colors import prepare_style, recombine_luminance
from nst.errors import FastModelUnavailable
from nst.fast_tflite import ENCODER_STRIDE, TFLiteStylizer, find_pair
from nst.resize import resize_long_side, resize_to

ENV_FAST_MODEL = "NST_FAST_MODEL"
DEFAULT_HANDLE = "https://tfhub.dev/google/magenta/arbitrary-image-stylization-v1-256/2"
STYLE_SIZE = 256  # the model was trained with 256 px style images
MIN_SIDE = 16  # the transfer network's decoder pads at 1/4 scale: keep at least 4 px there
MAX_SIDE = 1024  # larger pictures are painted at 1024 px and enlarged: ~1.3 GB of activations there (docs/fast.md)
CONNECT_TIMEOUT_S = 10.0
_MODEL_NAME = "arbitrary-image-stylization-v1-256"


class HubStylizer:
    """The TF Hub SavedModel: (content, style) -> [picture]; no bottleneck exposed."""

    def __init__(self, module: Any, source: str) -> None:
        self.module, self.source = module, source

    def paint(self, content: np.ndarray, style_256: np.ndarray) -> np.ndarray:
        import tensorflow as tf

        output = self.module(tf.constant(content[None], tf.float32), tf.constant(style_256[None], tf.float32))
        return np.asarray(output[0], np.float32)[0]


def fast_model_handle() -> str:
    return os.environ.get(ENV_FAST_MODEL) or DEFAULT_HANDLE


_load_lock = threading.Lock()


def get_fast_model() -> TFLiteStylizer | HubStylizer:
    """The model named by ``NST_FAST_MODEL``, loaded once per process (raises ``FastModelUnavailable``).

    A failure is remembered too, so asking again (the studio asks on every rerun) costs nothing, not
    another 10 s connection timeout.
    """
    with _load_lock:
        loaded = load_fast_model(fast_model_handle())
    if isinstance(loaded, FastModelUnavailable):
        raise FastModelUnavailable(str(loaded))
    return loaded


def fast_model_available() -> tuple[bool, str]:
    """(True, "") when fast mode works, else (False, the sentence to show). Loads the model once."""
    try:
        get_fast_model()
    except FastModelUnavailable as error:
        return False, str(error)
    return True, ""


@functools.lru_cache(maxsize=2)
def load_fast_model(handle: str) -> TFLiteStylizer | HubStylizer | FastModelUnavailable:
    """The model at ``handle``, or the reason it cannot be had; cached per handle (tests clear it)."""
    try:
        return _load_uncached(handle)
    except FastModelUnavailable as error:
        return error


def _load_uncached(handle: str) -> TFLiteStylizer | HubStylizer:
    if _is_remote(handle):
        _check_remote(handle)
        return _load_hub(handle)
    folder = Path(handle)
    if not folder.is_dir():
        raise FastModelUnavailable(
            f"Fast mode is off: {ENV_FAST_MODEL} points to {handle}, which is not a folder holding the model.")
    pair = find_pair(folder)
    if pair is not None:
        try:
            return TFLiteStylizer(*pair)
        except (ValueError, RuntimeError, OSError, StopIteration) as error:
            raise FastModelUnavailable(
                f"Fast mode is off: the TFLite pair in {handle} could not be loaded ({type(error).__name__}); "
                f"set {ENV_FAST_MODEL} to a folder with Magenta's {_MODEL_NAME} prediction and transfer .tflite."
            ) from None
    if not (folder / "saved_model.pb").is_file():
        raise FastModelUnavailable(
            f"Fast mode is off: {ENV_FAST_MODEL} points to {handle}, which holds neither a SavedModel nor "
            "Magenta's TFLite prediction + transfer pair.")
    return _load_hub(handle)


def _check_remote(handle: str) -> None:
    from nst.weights import is_offline

    if is_offline():
        raise FastModelUnavailable(
            f"Fast mode is off: NST_OFFLINE is set, so the TF-Hub model cannot be downloaded; set {ENV_FAST_MODEL} "
            f"to a local copy of {_MODEL_NAME} (a SavedModel folder or the TFLite prediction + transfer pair).")
    if not _reachable(handle):
        raise FastModelUnavailable(
            f"Fast mode is off: {urlparse(handle).hostname} cannot be reached; set {ENV_FAST_MODEL} to a local "
            f"copy of {_MODEL_NAME} (a SavedModel folder or the TFLite prediction + transfer pair).")


def _load_hub(handle: str) -> HubStylizer:
    import tensorflow_hub as hub

    try:
        return HubStylizer(hub.load(handle), f"SavedModel {handle}")
    except Exception as error:  # hub/SavedModel raise many types; the user needs one sentence
        raise FastModelUnavailable(
            f"Fast mode is off: the model at {handle} could not be loaded ({type(error).__name__}); "
            f"set {ENV_FAST_MODEL} to a copy of {_MODEL_NAME}."
        ) from None


def _is_remote(handle: str) -> bool:
    return urlparse(handle).scheme in ("http", "https")


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 443), timeout=CONNECT_TIMEOUT_S):
            return True
    except OSError:
        return False


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
                 blur_style: bool = True, model: TFLiteStylizer | HubStylizer | None = None) -> np.ndarray:
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
    content_in = _content_input(np.asarray(content, np.float32))
    inputs = [style_input(prepare_style(s, content, preserve_colors), style_scale, blur_style) for s in styles]
    own = style_input(np.asarray(content, np.float32), 1.0, blur_style) if strength < 1.0 else None
    if isinstance(model, TFLiteStylizer):
        bottleneck = blend_bottlenecks([model.style_bottleneck(s) for s in inputs], weights)
        if own is not None:
            bottleneck = strength * bottleneck + (1.0 - strength) * model.style_bottleneck(own)
        painted = model.transfer(content_in, bottleneck)
    else:  # no bottleneck: approximate on the pictures (see the module docstring)
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
