"""Print files: paper presets, fitting a picture to paper, and 16-bit TIFF / PNG with DPI and sRGB.

Papers are ISO A4 / A3 / A2 at 150 or 300 dpi; the orientation follows the picture (landscape
when it is wider than tall). ``crop`` fills the sheet, cutting the picture's longer side
centrally; ``pad`` fits the whole picture and adds white margins.

The files are written by maintained libraries: TIFF by ``tifffile`` (16-bit RGB, the resolution
tags in dots per inch, the sRGB ICC profile in tag 34675, the run's parameters as JSON in the
ImageDescription tag), PNG by Pillow (``pHYs`` in dots per metre, ``iCCP`` with the same profile,
parameters in text chunks). Pillow cannot write 16-bit RGB PNG, so a PNG poster is 8-bit; 16-bit
prints are TIFF (docs/poster.md).
"""

from __future__ import annotations

import io
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import numpy as np
from PIL import Image, ImageCms, PngImagePlugin

from nst.encode import to_uint8, write_atomically
from nst.errors import ParamsError

MM_PER_INCH = 25.4
PAPERS_MM = {"A4": (297, 210), "A3": (420, 297), "A2": (594, 420)}  # long x short side
DPIS = (150, 300)
FITS = ("crop", "pad")
PRINT_FORMATS = (".tif", ".tiff", ".png")


@dataclass(frozen=True)
class Paper:
    name: str
    dpi: int
    landscape: bool

    @property
    def pixels(self) -> tuple[int, int]:
        """(width, height) in px: A3 at 300 dpi landscape is 4961 x 3508."""
        long_mm, short_mm = PAPERS_MM[self.name]
        long_px, short_px = (math.floor(mm / MM_PER_INCH * self.dpi + 0.5) for mm in (long_mm, short_mm))
        return (long_px, short_px) if self.landscape else (short_px, long_px)


def paper_for(name: str, dpi: int, picture_width: int, picture_height: int) -> Paper:
    """The paper preset ``name`` at ``dpi``, turned to the picture's orientation."""
    if name not in PAPERS_MM:
        raise ParamsError(f"paper must be one of {', '.join(PAPERS_MM)}, not {name!r}.")
    if dpi not in DPIS:
        raise ParamsError(f"dpi must be one of {', '.join(map(str, DPIS))}, not {dpi}.")
    return Paper(name, dpi, picture_width >= picture_height)


def painted_size(paper_size: tuple[int, int], picture_size: tuple[int, int], fit: str) -> tuple[int, int]:
    """(width, height) to paint: the whole sheet for ``crop``, the picture fitted inside for ``pad``."""
    if fit not in FITS:
        raise ParamsError(f"fit must be crop or pad, not {fit!r}.")
    (pw, ph), (w, h) = paper_size, picture_size
    if fit == "crop":
        return pw, ph
    factor = min(pw / w, ph / h)
    return min(pw, round(w * factor)), min(ph, round(h * factor))


def crop_to_aspect(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """The central part of ``pixels`` with the aspect ratio ``width`` : ``height``."""
    h, w = pixels.shape[:2]
    if w * height > h * width:  # too wide
        new_w = max(1, round(h * width / height))
        x0 = (w - new_w) // 2
        return pixels[:, x0:x0 + new_w]
    new_h = max(1, round(w * height / width))
    y0 = (h - new_h) // 2
    return pixels[y0:y0 + new_h]


def pad_to(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """``pixels`` centred on a white ``width`` x ``height`` sheet."""
    h, w = pixels.shape[:2]
    sheet = np.ones((height, width, 3), np.float32)
    y0, x0 = (height - h) // 2, (width - w) // 2
    sheet[y0:y0 + h, x0:x0 + w] = pixels
    return sheet


def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def to_uint16(pixels: np.ndarray) -> np.ndarray:
    return np.round(np.clip(np.asarray(pixels, np.float32), 0.0, 1.0) * 65535.0).astype(np.uint16)


def tiff_bytes(pixels: np.ndarray, dpi: int, metadata: Mapping[str, object]) -> bytes:
    import tifffile  # only when a print is written: the CLI's every start imports this module

    buffer = io.BytesIO()
    tifffile.imwrite(buffer, to_uint16(pixels), photometric="rgb", compression="zlib",
                     resolution=(dpi, dpi), resolutionunit="INCH",
                     description=json.dumps(dict(metadata), sort_keys=True), metadata=None,
                     extratags=[(34675, 7, None, srgb_profile(), True)])
    return buffer.getvalue()


def png_print_bytes(pixels: np.ndarray, dpi: int, metadata: Mapping[str, object]) -> bytes:
    info = PngImagePlugin.PngInfo()
    for key, value in metadata.items():
        info.add_text(str(key), value if isinstance(value, str) else json.dumps(value, sort_keys=True))
    buffer = io.BytesIO()
    Image.fromarray(to_uint8(pixels), "RGB").save(buffer, "PNG", pnginfo=info, dpi=(dpi, dpi),
                                                  icc_profile=srgb_profile(), compress_level=6)
    return buffer.getvalue()


def save_print(path: str | Path, pixels: np.ndarray, dpi: int, metadata: Mapping[str, object]) -> Path:
    """Write a print file (format from the suffix: .tif/.tiff 16-bit, .png 8-bit) atomically."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in PRINT_FORMATS:
        raise ParamsError(f"A print is saved as .tiff or .png, not {target.name!r}.")
    data = tiff_bytes(pixels, dpi, metadata) if suffix in (".tif", ".tiff") else png_print_bytes(pixels, dpi, metadata)
    write_atomically(target, data)
    return target


def read_print(path: str | Path) -> tuple[np.ndarray, int, dict]:
    """(float32 pixels, dpi, metadata) of a TIFF written by ``save_print`` (for tests and benchmarks)."""
    import tifffile

    with tifffile.TiffFile(path) as tif:
        page = tif.pages[0]
        pixels = page.asarray().astype(np.float32) / 65535.0
        dpi = round(page.tags["XResolution"].value[0] / page.tags["XResolution"].value[1])
        meta = json.loads(page.tags["ImageDescription"].value)
    return pixels, dpi, meta
