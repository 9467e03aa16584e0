"""Pixels to bytes and files: uint8 conversion, PNG (with text metadata) and JPEG encoders,
and the one atomic file writer (a hidden temp file, fsync, rename) that results and the
gallery store use. Reading and checking images is nst.images.
"""

from __future__ import annotations

import io
import json
import os
import uuid
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from nst.errors import ImageError, describe_os_error


# --------------------------------------------------------------------------- conversions


def to_uint8(pixels: np.ndarray) -> np.ndarray:
    """Float [0, 1] -> uint8 [0, 255], rounded to nearest; NaN becomes 0."""
    values = np.nan_to_num(np.asarray(pixels, dtype=np.float32), nan=0.0, posinf=1.0, neginf=0.0)
    return np.clip(np.rint(values * 255.0), 0, 255).astype(np.uint8)


def from_uint8(array: np.ndarray) -> np.ndarray:
    """uint8 [0, 255] -> float32 [0, 1]."""
    values = np.asarray(array)
    if values.dtype != np.uint8:
        # Silently dividing 16-bit or float data by 255 would give nonsense colours.
        raise TypeError(f"from_uint8 expects a uint8 array, got {values.dtype}")
    return values.astype(np.float32) / np.float32(255)


# --------------------------------------------------------------------------- saving


PNG_COMPRESS_LEVEL = 1


def png_bytes(pixels: np.ndarray, metadata: Mapping[str, object] | None = None) -> bytes:
    """Encode float RGB pixels as an 8-bit RGB PNG, with ``metadata`` as text chunks.

    String values are stored as they are, anything else as JSON. Keys are PNG keywords:
    1-79 Latin-1 characters.
    """
    image = Image.fromarray(to_uint8(_checked_rgb(pixels)))
    info = PngImagePlugin.PngInfo()
    for key, value in (metadata or {}).items():
        _check_png_key(key)
        text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        info.add_text(key, text)  # Pillow switches to UTF-8 iTXt when Latin-1 is not enough
    buffer = io.BytesIO()
    # zlib level 1: a 2048x1536 print encodes in 0.22 s instead of 0.97 s (level 6) for a 7 % larger file
    image.save(buffer, format="PNG", pnginfo=info, compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def jpeg_bytes(pixels: np.ndarray, quality: int = 90, *, max_side: int | None = None,
               optimize: bool = False) -> bytes:
    """Encode RGB pixels (float 0..1 or uint8) as JPEG, shrunk to ``max_side`` first if given.

    For showing, not keeping: the studio and gallery encode once and show the bytes many times
    (st.image would re-encode an array on every rerun)."""
    image = Image.fromarray(pixels if pixels.dtype == np.uint8 else to_uint8(pixels))
    if max_side is not None and max(image.size) > max_side:
        image.thumbnail((max_side, max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=quality, optimize=optimize)
    return buffer.getvalue()


def _checked_rgb(pixels: np.ndarray) -> np.ndarray:
    values = np.asarray(pixels)
    if values.ndim != 3 or values.shape[2] != 3:
        raise ValueError(f"expected H x W x 3 RGB pixels, got shape {values.shape}")
    if values.dtype.kind != "f":
        # uint8 input would be multiplied by 255 again and come out white.
        raise TypeError(f"expected float pixels in [0, 1], got {values.dtype}")
    return values


def _check_png_key(key: object) -> None:
    if not isinstance(key, str) or not 1 <= len(key) <= 79:
        raise ValueError(f"PNG metadata keys must be 1-79 characters, got {key!r}")
    try:
        key.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"PNG metadata keys must be Latin-1 text, got {key!r}") from None


def save_png(
    path: str | os.PathLike[str],
    pixels: np.ndarray,
    metadata: Mapping[str, object] | None = None,
) -> Path:
    """Write a PNG atomically (readers never see half a file) and return its path.

    Creates missing parent folders. Raises :class:`ImageError` if it cannot be written.
    """
    target = Path(path)
    data = png_bytes(pixels, metadata)  # encode first: a bad array must not leave debris
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(target, data)
    except OSError as error:
        raise ImageError(
            f"Cannot save the image to {target}: {describe_os_error(error)}."
        ) from None
    return target


def write_atomically(target: Path, data: bytes) -> None:
    """Write ``data`` to ``target`` all or nothing: a hidden temp file beside it, fsync, rename.

    The temp name is ``.<name>.<random>.tmp`` (the store's orphan cleanup recognises it).
    """
    temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    # os.open with 0o666 honours the umask, unlike mkstemp's private 0o600 files.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    descriptor = os.open(temporary, flags, 0o666)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, target)
    except BaseException:
        try:
            temporary.unlink(missing_ok=True)
        except OSError:
            pass
        raise
