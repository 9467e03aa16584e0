"""Fast mode: Magenta's arbitrary image stylization network (TF-Hub) for instant previews.

One forward pass of ``arbitrary-image-stylization-v1-256`` paints a picture in well under a
second; the studio shows it at once and can start the careful VGG19 optimisation from it
(``init="fast"``).

The model handle comes from env ``NST_FAST_MODEL`` (a TF-Hub handle or a local SavedModel
directory) and defaults to the public TF-Hub handle. It is loaded once per process. The hub
model takes (content [1,H,W,3] in [0,1], style [1,256,256,3]) and returns ``[image]``; its
style bottleneck is not exposed, so a blend of several styles is the blend-weighted average
of the per-style outputs — a documented approximation, not a true style interpolation.

When the model cannot be had (offline, firewall, bad path), ``FastModelUnavailable`` says in
one sentence what to set; everything else in the studio keeps working.
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
from nst.errors import FastModelUnavailable, NSTError  # noqa: F401 - FastModelUnavailable is re-exported
from nst.images import resize_long_side, resize_to

ENV_FAST_MODEL = "NST_FAST_MODEL"
DEFAULT_HANDLE = "https://tfhub.dev/google/magenta/arbitrary-image-stylization-v1-256/2"
STYLE_SIZE = 256  # the model was trained with 256 px style images
CONNECT_TIMEOUT_S = 10.0


def fast_model_handle() -> str:
    return os.environ.get(ENV_FAST_MODEL) or DEFAULT_HANDLE


_load_lock = threading.Lock()


def get_fast_model() -> Any:
    """The hub model, loaded once per process (raises ``FastModelUnavailable``)."""
    with _load_lock:
        return _load(fast_model_handle())


@functools.lru_cache(maxsize=2)
def _load(handle: str) -> Any:
    from nst.weights import is_offline

    if _is_remote(handle):
        if is_offline():
            raise FastModelUnavailable(
                f"Fast mode is off: NST_OFFLINE is set, so the TF-Hub model cannot be downloaded; "
                f"set {ENV_FAST_MODEL} to a local copy of arbitrary-image-stylization-v1-256 (a SavedModel folder)."
            )
        if not _reachable(handle):
            raise FastModelUnavailable(
                f"Fast mode is off: {urlparse(handle).hostname} cannot be reached; set {ENV_FAST_MODEL} to a "
                "local copy of arbitrary-image-stylization-v1-256 (a SavedModel folder)."
            )
    elif not Path(handle).is_dir():
        raise FastModelUnavailable(
            f"Fast mode is off: {ENV_FAST_MODEL} points to {handle}, which is not a SavedModel folder."
        )
    import tensorflow_hub as hub

    try:
        return hub.load(handle)
    except Exception as error:  # hub/SavedModel raise many types; the user needs one sentence
        raise FastModelUnavailable(
            f"Fast mode is off: the model at {handle} could not be loaded ({type(error).__name__}); "
            f"set {ENV_FAST_MODEL} to a copy of arbitrary-image-stylization-v1-256."
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


def _style_input(style: np.ndarray, style_scale: float) -> np.ndarray:
    """The 256 x 256 style input the model expects; ``style_scale`` zooms (crop) or tiles it."""
    side = max(16, round(STYLE_SIZE * style_scale))
    square = resize_to(resize_long_side(style, side), side, side)
    if side < STYLE_SIZE:  # smaller strokes: repeat the painting to fill the input
        reps = -(-STYLE_SIZE // side)
        square = np.tile(square, (reps, reps, 1))
    offset = (square.shape[0] - STYLE_SIZE) // 2
    return np.ascontiguousarray(square[offset:offset + STYLE_SIZE, offset:offset + STYLE_SIZE])


def fast_model_available() -> tuple[bool, str]:
    """(True, "") when fast mode works, else (False, the sentence to show)."""
    try:
        get_fast_model()
    except FastModelUnavailable as error:
        return False, str(error)
    return True, ""


def stylize_fast(content: np.ndarray, styles: Sequence[np.ndarray], blend: Sequence[float] | None = None, *,
                 preserve_colors: str = "none", style_scale: float = 1.0, blur_style: bool = True,
                 model: Any = None) -> np.ndarray:
    """Paint ``content`` in one forward pass; returns float32 at the content's size.

    ``style_scale`` scales the 256 px style image (larger = bigger strokes); ``blur_style``
    applies the slight 3x3 average blur the model's authors recommend for the style image.
    """
    import tensorflow as tf

    model = model if model is not None else get_fast_model()
    blend = list(blend) if blend else [1.0 / len(styles)] * len(styles)
    total = sum(blend)
    height, width = content.shape[:2]
    content_tensor = tf.constant(content[None].astype(np.float32))
    painted = np.zeros_like(content, dtype=np.float32)
    for style, weight in zip(styles, blend):
        if weight <= 0:
            continue
        style = prepare_style(style, content, preserve_colors)
        style_tensor = tf.constant(_style_input(style, style_scale)[None])
        if blur_style:
            style_tensor = tf.nn.avg_pool(style_tensor, ksize=3, strides=1, padding="SAME")
        output = np.asarray(model(content_tensor, style_tensor)[0])[0]
        if output.shape[:2] != (height, width):  # the model may round sizes to its stride
            output = resize_to(output, width, height)
        painted += np.clip(output, 0.0, 1.0) * (weight / total)
    if preserve_colors == "luminance":
        painted = recombine_luminance(painted, content)
    return np.clip(painted, 0.0, 1.0).astype(np.float32)

