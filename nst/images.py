"""Load, check and resize the images the engine works on (saving and encoding live in nst.encode).

Every image enters the engine through :func:`load_image`, which turns whatever a person
hands us (a path or the bytes of an upload) into one predictable thing: an H x W x 3
float32 RGB array in [0, 1]. Anything we cannot use is refused with an
:class:`~nst.errors.ImageError` whose message is one plain sentence; anything we had to
change on the way is listed in ``LoadedImage.notes`` so the user is told about it.

Decisions worth knowing:

* Transparent pixels are composited on **white**. Style transfer has no notion of alpha,
  and white is what people expect behind a transparent logo or sticker (it is how
  viewers, browsers and printers show them); black would turn soft edges into dark halos.
* Only the first frame of an animation (GIF, WebP, APNG) or the first page of a
  multi-page TIFF is used.
* 16-bit samples are scaled straight to [0, 1] (65535 -> 1.0), keeping their precision
  until the result is saved; the note says "reduced to 8 bits" because the saved
  PNG is 8-bit.
* Colour profiles (ICC) are not applied; pixel values are taken as sRGB.
* Size limits are checked from the file header before any pixel is decoded, so a
  "decompression bomb" costs nothing. Pillow's own global guard is set to our limit
  (raising its default of ~89 MP, so 108 MP phone photos load silently; Pillow still
  refuses outright at twice the limit before we even see the header).
"""

from __future__ import annotations

import io
import os
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePath

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from nst.edges import input_file_problem
from nst.errors import ImageError, describe_os_error

__all__ = [
    "MAX_ASPECT",
    "MAX_PIXELS",
    "MIN_SIDE",
    "LoadedImage",
    "load_image",
    "load_rgba",
    "read_png_metadata",
]

MAX_PIXELS = 120_000_000
MIN_SIDE = 16
MAX_ASPECT = 20

# Only raise Pillow's guard (never lower someone's stricter choice, never re-enable it
# if they disabled it on purpose): below our limit it must stay quiet, above it we refuse
# with our own message anyway.
if Image.MAX_IMAGE_PIXELS is not None and Image.MAX_IMAGE_PIXELS < MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# Between the guard and twice it Pillow only *warns*, and that warning reached stderr before our own
# sentence. Silenced: every outside image comes through _open_image, whose _check_dimensions refuses
# anything over MAX_PIXELS in one sentence (Pillow 13 turns the warning, raised as an error, into
# "cannot identify image file", so "error" is no option); beyond twice the guard Pillow still raises.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)

# Restricting Pillow to these decoders keeps rarely used, less hardened plugins (and
# EPS, which would run Ghostscript) away from untrusted uploads. The JPEG opener also
# returns "MPO" images: phone JPEGs that embed a second picture.
_ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "BMP", "TIFF", "GIF")
_FORMAT_ALIASES = {"MPO": "JPEG"}
_DISPLAY_NAMES = {
    "JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP", "BMP": "BMP", "TIFF": "TIFF", "GIF": "GIF"
}
_READABLE_LIST = "JPEG, PNG, WebP, BMP, TIFF or GIF"

# What a damaged file makes Pillow and its C decoders raise; all mean "cannot be read".
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, MemoryError)
_BOMB_ERRORS = (Image.DecompressionBombError, Image.DecompressionBombWarning)

_EXIF_ORIENTATION = 0x0112

# Modes whose conversion to RGB is exact; 16-bit grey ("I;16*", "I") has its own path.
_CONVERTIBLE_MODES = frozenset({"1", "L", "P", "RGB", "RGBX", "YCbCr"})


@dataclass(frozen=True, eq=False)  # eq=False: comparing arrays with == is ambiguous
class LoadedImage:
    """An image ready for the engine, plus what was done to make it so."""

    pixels: np.ndarray
    """H x W x 3 float32 RGB in [0, 1], C-contiguous."""
    notes: tuple[str, ...]
    """Short sentences describing every change made while loading, for the user."""
    format: str
    """Pillow's name of the file format, e.g. "JPEG", "PNG", "WEBP"."""
    original_size: tuple[int, int]
    """(width, height) as stored in the file, before EXIF rotation or reduction."""

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) of ``pixels``."""
        return int(self.pixels.shape[1]), int(self.pixels.shape[0])


# --------------------------------------------------------------------------- loading


def load_image(
    source: str | os.PathLike[str] | bytes,
    *,
    name: str | None = None,
    max_side: int | None = None,
) -> LoadedImage:
    """Read an image from a path or from bytes and return it as RGB floats in [0, 1].

    ``name`` labels the image in messages and notes (an upload's file name); it is never
    opened. ``max_side`` lets big images decode at a reduced size: the result is then
    still at least ``max_side`` pixels on its long side, and the caller resizes exactly.
    Raises :class:`ImageError` for anything that cannot be used.
    """
    if max_side is not None and max_side < 1:
        raise ValueError(f"max_side must be at least 1, got {max_side}")
    with _open_image(source, name) as (image, label):
        original_size = image.size
        _check_dimensions(original_size, label)
        file_format = _FORMAT_ALIASES.get(image.format or "", image.format or "")
        notes = _name_notes(label, file_format) + _frame_notes(image, file_format)
        if max_side is not None and file_format == "JPEG":
            _draft_jpeg(image, max_side)
        if _has_16_bit_samples(image):
            notes.append("16-bit image reduced to 8 bits")
        _decode(image, label)
        image, rotated = _apply_exif_orientation(image)
        if rotated:
            notes.append("rotated according to EXIF orientation")
        pixels = _to_rgb_floats(image, label, notes, max_side)
    return LoadedImage(
        pixels=pixels,
        notes=tuple(notes),
        format=file_format,
        original_size=original_size,
    )


def load_rgba(data: bytes, *, name: str) -> np.ndarray:
    """H x W x 4 uint8 RGBA of image bytes from a client (the brush canvas), alpha kept.

    The same gate as :func:`load_image`: the format allow-list, the size caps checked from the header,
    damage refused in one sentence (:class:`ImageError`).
    """
    with _open_image(data, name) as (image, label):
        _check_dimensions(image.size, label)
        _decode(image, label)
        try:
            return np.asarray(image.convert("RGBA"), dtype=np.uint8)
        except _DECODE_ERRORS:
            raise ImageError(_damaged_message(label)) from None


@contextmanager
def _open_image(
    source: str | os.PathLike[str] | bytes, name: str | None
) -> Iterator[tuple[Image.Image, str | None]]:
    """Open ``source`` lazily (header only) and yield it with the label used in messages."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        label = name
        if not data:
            raise ImageError(f"{label or 'The uploaded file'} is empty.")
        stream: io.BytesIO | Path = io.BytesIO(data)
    else:
        path = Path(source)
        label = name or path.name
        _check_readable_path(path, label)
        stream = path
    try:
        image = Image.open(stream, formats=_ACCEPTED_FORMATS)
    except UnidentifiedImageError:
        raise ImageError(
            f"{label or 'The file'} is not an image file we can read ({_READABLE_LIST})."
        ) from None
    except _BOMB_ERRORS as error:
        raise ImageError(_too_many_pixels_message(label, _pixel_count_in(error))) from None
    except PermissionError:
        raise ImageError(f"Cannot read {source}: permission denied.") from None
    except _DECODE_ERRORS:
        raise ImageError(_damaged_message(label)) from None
    with image:
        yield image, label


def _check_readable_path(path: Path, label: str) -> None:
    """Refuse paths that are missing, folders, pipes, devices or empty, before Pillow gives a vaguer error."""
    problem = input_file_problem(path, "an image file")
    if problem:
        raise ImageError(problem)
    try:
        if path.stat().st_size == 0:
            raise ImageError(f"{label} is empty.")
    except OSError as error:
        raise ImageError(f"Cannot read {path}: {describe_os_error(error)}.") from None


def _check_dimensions(size: tuple[int, int], label: str | None) -> None:
    width, height = size
    subject = label or "The image"
    if width * height > MAX_PIXELS:
        raise ImageError(_too_many_pixels_message(label, width * height, size))
    if min(width, height) < MIN_SIDE:
        raise ImageError(
            f"{subject} is {width}x{height} pixels; both sides must be at least "
            f"{MIN_SIDE} pixels."
        )
    if max(width, height) > MAX_ASPECT * min(width, height):
        raise ImageError(
            f"{subject} is {width}x{height} pixels, which is too long and thin "
            f"(more than {MAX_ASPECT}:1); crop it closer to a normal shape first."
        )


def _too_many_pixels_message(
    label: str | None, pixels: int | None, size: tuple[int, int] | None = None
) -> str:
    subject = label or "The image"
    limit = f"the {MAX_PIXELS / 1e6:.0f}-megapixel limit"
    if pixels is None:
        return f"{subject} is larger than {limit}."
    dimensions = f" ({size[0]}x{size[1]})" if size else ""
    return f"{subject} is {pixels / 1e6:.1f} megapixels{dimensions}, more than {limit}."


def _pixel_count_in(error: BaseException) -> int | None:
    """Pillow refuses huge images before we see their size; its message carries the count."""
    match = re.search(r"\((\d+) pixels\)", str(error))
    return int(match.group(1)) if match else None


def _damaged_message(label: str | None) -> str:
    return (
        f"{label or 'The image'} is damaged or incomplete and cannot be read "
        "(it may have been cut off while copying or uploading)."
    )


def _name_notes(label: str | None, file_format: str) -> list[str]:
    """Mention a misleading extension: it often explains surprises elsewhere (EXIF, alpha)."""
    if not label:
        return []
    extension = PurePath(label).suffix.lower()
    named_as = Image.registered_extensions().get(extension)
    # Unknown suffixes ("scan.v2", ".dat") say nothing about the format; stay quiet.
    if named_as is None or _FORMAT_ALIASES.get(named_as, named_as) == file_format:
        return []
    display = _DISPLAY_NAMES.get(file_format, file_format)
    return [f"file is a {display} although named {extension}"]


def _frame_notes(image: Image.Image, file_format: str) -> list[str]:
    frames = getattr(image, "n_frames", 1)
    if frames <= 1:
        return []
    if file_format == "TIFF":
        return ["first page of a multi-page TIFF used"]
    if file_format in ("GIF", "PNG", "WEBP"):
        return [f"first frame of an animated {_DISPLAY_NAMES[file_format]} used"]
    # An MPO's extra pictures are depth maps or previews, not something the user chose.
    return []


def _reduction_factor(size: tuple[int, int], max_side: int) -> float:
    """How much smaller we may decode while keeping the long side >= max_side.

    Also keeps the short side >= MIN_SIDE so extreme (allowed) shapes survive.
    """
    long_side, short_side = max(size), min(size)
    return max(1.0, min(long_side / max_side, short_side / MIN_SIDE))


def _draft_jpeg(image: Image.Image, max_side: int) -> None:
    """Let libjpeg decode at 1/2, 1/4 or 1/8 scale: far faster and smaller for huge photos."""
    factor = _reduction_factor(image.size, max_side)
    if factor < 2:
        return
    width, height = image.size
    # draft() picks the largest scale whose result is at least this big on both sides.
    requested = (max(1, int(np.ceil(width / factor))), max(1, int(np.ceil(height / factor))))
    image.draft("RGB", requested)


def _has_16_bit_samples(image: Image.Image) -> bool:
    """True for 16-bit files, including 16-bit RGB that Pillow silently opens as 8-bit."""
    if image.mode.startswith("I;16") or image.mode == "I":
        return True
    for tile in image.tile:  # tiles describe the raw data; they are gone after load()
        args = tile[3]
        rawmode = args[0] if isinstance(args, tuple) and args else args
        if isinstance(rawmode, str) and ";16" in rawmode:
            return True
    return False


def _decode(image: Image.Image, label: str | None) -> None:
    """Decode every pixel now, so damage shows up here and not deep inside the engine."""
    try:
        image.load()
    except _BOMB_ERRORS as error:
        raise ImageError(_too_many_pixels_message(label, _pixel_count_in(error))) from None
    except _DECODE_ERRORS:
        raise ImageError(_damaged_message(label)) from None


def _apply_exif_orientation(image: Image.Image) -> tuple[Image.Image, bool]:
    try:
        orientation = image.getexif().get(_EXIF_ORIENTATION, 1)
    except _DECODE_ERRORS:
        # Broken metadata is common and harmless: the pixels are fine, use them as stored.
        return image, False
    if orientation not in range(2, 9):
        return image, False
    return ImageOps.exif_transpose(image), True


def _to_rgb_floats(
    image: Image.Image, label: str | None, notes: list[str], max_side: int | None
) -> np.ndarray:
    if image.mode.startswith("I;16") or image.mode == "I":
        return _grey16_to_rgb(image)
    image = _to_rgb_or_rgba(image, label, notes)
    if max_side is not None:
        image = _reduce(image, max_side)
    values = np.asarray(image, dtype=np.float32) / np.float32(255)
    if image.mode == "RGBA":
        values = _composite_on_white(values, notes)
    return np.ascontiguousarray(values, dtype=np.float32)


def _grey16_to_rgb(image: Image.Image) -> np.ndarray:
    # Mode "I" is how older files and Pillow versions hold 16-bit grey; same 0..65535 range.
    grey = np.asarray(image).astype(np.float32) / np.float32(65535)
    grey = np.clip(grey, 0.0, 1.0)
    return np.ascontiguousarray(np.repeat(grey[:, :, None], 3, axis=2), dtype=np.float32)


def _to_rgb_or_rgba(image: Image.Image, label: str | None, notes: list[str]) -> Image.Image:
    if image.mode == "CMYK":
        notes.append("CMYK converted to RGB")
        return image.convert("RGB")
    if image.has_transparency_data:
        return image.convert("RGBA")
    if image.mode == "RGB":
        return image
    if image.mode not in _CONVERTIBLE_MODES:
        # Pillow would "convert" LAB, HSV or float data by reinterpreting the numbers,
        # giving wrong colours without any error; refusing is more honest.
        raise ImageError(
            f"{label or 'The image'} uses an unusual colour format that we cannot convert "
            "to RGB; save it as an ordinary RGB image first."
        )
    return image.convert("RGB")


def _reduce(image: Image.Image, max_side: int) -> Image.Image:
    """Shrink by a whole factor before going to floats, which need 4x the memory."""
    factor = int(_reduction_factor(image.size, max_side))
    if factor < 2:
        return image
    return image.reduce(factor)


def _composite_on_white(rgba: np.ndarray, notes: list[str]) -> np.ndarray:
    alpha = rgba[:, :, 3:4]
    if alpha.min() < 1.0:
        notes.append("transparent areas composited on white")
    return rgba[:, :, :3] * alpha + (1.0 - alpha)


def read_png_metadata(source: str | os.PathLike[str] | bytes) -> dict[str, str]:
    """Return the text chunks of a PNG (as written by :func:`png_bytes`)."""
    with _open_image(source, None) as (image, label):
        if image.format != "PNG":
            raise ImageError(f"{label or 'The file'} is not a PNG file.")
        try:
            text = image.text  # loads the image: text chunks may follow the pixel data
        except _DECODE_ERRORS:
            raise ImageError(_damaged_message(label)) from None
        return {str(key): str(value) for key, value in text.items()}
