"""Every style at once: the photo painted by the fast model in each style, as a labelled contact sheet.

One forward pass per style at a small tile size (``SHEET_TILE`` px long side), so the built-in paintings
and the user's uploads are all on one sheet in about a second (docs/fast.md); the studio shows the tiles
(a click picks that style for the real painting) and both the studio and ``nst fast --sheet`` write the
sheet as one PNG (``nst.making_of.sheet_png``: the photo first, then a tile per style with its title and
credit).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import numpy as np

from nst.resize import resize_long_side

if TYPE_CHECKING:
    from nst.fast_model import FastModel

# The painting modules (the fast model, the gallery's sheet writer, the examples) are imported where they are
# used: ``nst fast``'s flags read SHEET_TILE on every CLI start (0.1 s of a cold start, docs/speed.md).

SHEET_TILE = 256
SHEET_COLUMNS = 4


@dataclass(frozen=True)
class SheetStyle:
    """One style on the sheet: ``key`` names it to whoever picks it (an example key or an upload's id)."""

    key: str
    title: str
    credit: str
    pixels: np.ndarray


@dataclass(frozen=True)
class SheetTile:
    style: SheetStyle
    picture: np.ndarray  # float32 H x W x 3 in [0, 1]


def builtin_styles() -> list[SheetStyle]:
    """Every painting the studio offers, in its order."""
    from nst.examples import STYLE_EXAMPLES, example_image

    return [SheetStyle(key, e.title, e.credit, example_image(key)) for key, e in STYLE_EXAMPLES.items()]


def paint_sheet(content: np.ndarray, styles: Sequence[SheetStyle], *, tile: int = SHEET_TILE,
                model: FastModel | None = None, preserve_colors: str = "none",
                style_scale: float = 1.0) -> list[SheetTile]:
    """The photo at ``tile`` px long side painted in each style (one pass each; raises FastModelUnavailable)."""
    from nst.fast import stylize_fast

    small = resize_long_side(np.asarray(content, np.float32), tile)
    return [SheetTile(s, stylize_fast(small, [s.pixels], model=model, preserve_colors=preserve_colors,
                                      style_scale=style_scale)) for s in styles]


def sheet_bytes(content: np.ndarray, tiles: Sequence[SheetTile], *, tile: int = SHEET_TILE) -> bytes:
    """The contact sheet as PNG: the photo, then each painted tile labelled with its style."""
    from nst.making_of import sheet_png

    photo = resize_long_side(np.asarray(content, np.float32), tile)
    cells = [(photo, "Your photo", "")] + [(t.picture, t.style.title, painter_line(t.style)) for t in tiles]
    height, width = photo.shape[:2]
    return sheet_png(cells, cell=width, cell_height=height, columns=SHEET_COLUMNS)


def painter_line(style: SheetStyle) -> str:
    """The painter and year of a "painter, title, year" credit ("Vincent van Gogh, 1889"); else the credit."""
    parts = [p.strip() for p in style.credit.split(",")]
    return f"{parts[0]}, {parts[-1]}" if len(parts) >= 3 else style.credit
