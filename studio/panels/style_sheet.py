"""Every style at once: the photo painted by the fast model in each built-in painting and each uploaded style.

One click ("Every style at once") paints the sheet (``nst.fast_sheet``, about a second); it then follows
the photo until the page is left. Each tile has a button that picks that style for the real painting
(``keys.SHEET_PICK``: the styles panel then uses only it), and the whole sheet downloads as one PNG.
Guests may use it like the owner: it is one forward pass per style, not a run.
"""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from nst.encode import jpeg_bytes
from nst.errors import NSTError
from nst.examples import STYLE_EXAMPLES
from nst.fast_sheet import SheetStyle, builtin_styles, paint_sheet, painter_line, sheet_bytes
from studio import keys
from studio.session import memo
from studio.text import plain
from studio.uploads import Picture

COLUMNS = 4
EXAMPLE_PREFIX = "ex_"  # studio.uploads.example's Picture ids


def _sheet_styles(own: list[Picture]) -> list[SheetStyle]:
    """The built-in paintings (keyed by their Picture id), then the user's own styles."""
    styles = [SheetStyle(EXAMPLE_PREFIX + s.key, s.title, s.credit, s.pixels) for s in builtin_styles()]
    return styles + [SheetStyle(p.id, p.label, "your style", p.pixels) for p in own]


def _paint(content: np.ndarray, styles: list[SheetStyle], preserve_colors: str, style_scale: float):
    started = time.perf_counter()
    try:
        tiles = paint_sheet(content, styles, preserve_colors=preserve_colors, style_scale=style_scale)
    except NSTError as exc:
        return [], b"", 0.0, str(exc)
    except Exception as exc:  # noqa: BLE001 - the sheet must never break the page
        return [], b"", 0.0, f"the fast model could not paint the sheet ({type(exc).__name__})."
    seconds = time.perf_counter() - started
    shown = [(jpeg_bytes(t.picture), t.style.key, t.style.title, painter_line(t.style)) for t in tiles]
    return shown, sheet_bytes(content, tiles), seconds, ""


def pick(picture_id: str) -> None:
    """A tile's callback: that style alone for the real painting (a built-in one becomes the chosen example)."""
    state = st.session_state
    if picture_id.startswith(EXAMPLE_PREFIX) and picture_id[len(EXAMPLE_PREFIX):] in STYLE_EXAMPLES:
        state["style_examples"] = [picture_id[len(EXAMPLE_PREFIX):]]
        state[keys.EXAMPLES_PICKED] = True
    state[keys.SHEET_PICK] = picture_id


def style_sheet_panel(photo: Picture, own_styles: list[Picture], fast_ok: bool) -> None:
    """The button, then (once pressed) the sheet: tiles with a pick button each, and the PNG download."""
    if not fast_ok:
        return
    state = st.session_state
    st.button("Every style at once", key="sheet_make", icon=":material/grid_view:",
              on_click=lambda: state.__setitem__(keys.SHEET_SHOWN, True),
              help="Paint your photo in every built-in painting and each uploaded style with the fast model "
                   "(about a second); click a tile's button to paint that one properly.")
    if not state.get(keys.SHEET_SHOWN):
        return
    styles = _sheet_styles(own_styles)
    key = (photo.id, tuple(s.key for s in styles), state["preserve_colors"], float(state["style_scale"]))
    tiles, png, seconds, error = memo(keys.MEMO_SHEET, key, lambda: _paint(
        photo.pixels, styles, state["preserve_colors"], float(state["style_scale"])))
    if error:
        st.caption(f"The all-styles sheet failed: {plain(error)}")
        return
    st.caption(f"Every style at once: {len(tiles)} styles in {seconds:.1f} s (fast model). "
               "Pick one to paint it properly.")
    for start in range(0, len(tiles), COLUMNS):  # a row of columns at a time: reading order on the page
        for column, (frame, picture_id, title, credit) in zip(st.columns(COLUMNS), tiles[start:start + COLUMNS]):
            with column:
                st.image(frame, caption=plain(f"{title} · {credit}"), width="stretch")
                st.button("Paint this", key=f"sheet_pick_{picture_id}", on_click=pick, args=(picture_id,),
                          width="stretch", help=f"Choose {title} alone for the real painting (then Stylize).",
                          type="primary" if state.get(keys.SHEET_PICK) == picture_id else "secondary")
    st.download_button("Download the sheet (PNG)", png, file_name="every-style.png", mime="image/png",
                       icon=":material/download:", key="sheet_download")
