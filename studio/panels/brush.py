"""The brush: paint on the photo (streamlit-drawable-canvas) where to keep the photo or its detail."""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st

from nst.errors import ImageError
from nst.encode import jpeg_bytes
from studio import controls, keys
from studio.session import memo
from studio.text import plain

BRUSH_CANVAS_WIDTH = 320  # px on screen; the strokes are resized to the photo's size


def _rgba(rgb: tuple[int, int, int], alpha: float) -> str:
    return f"rgba({rgb[0]}, {rgb[1]}, {rgb[2]}, {alpha})"


def _clear_brush() -> None:
    st.session_state[keys.BRUSH_GENERATION] = st.session_state.get(keys.BRUSH_GENERATION, 0) + 1


def decode_strokes(data: bytes, height: int, width: int):
    """(BrushMasks or None, error or None) of the canvas's RGBA PNG.

    The bytes come from the browser, so they pass the uploads' gate (nst.images.load_rgba: format
    allow-list, pixel caps from the header) before any pixel is decoded.
    """
    from nst.images import load_rgba
    from nst.masks import brush_masks

    try:
        return brush_masks(load_rgba(data, name="The brush strokes"), height, width), None
    except (ImageError, ValueError) as exc:
        return None, f"The brush strokes could not be read ({str(exc).rstrip('.')}); clear them and paint again."


def brush_canvas(content: np.ndarray):
    """Returns nst.masks.BrushMasks at the photo's size, or None when nothing is painted (or the
    canvas has sent nothing yet)."""
    from streamlit_drawable_canvas import st_canvas

    from nst.masks import BRUSH_ALPHA, BRUSH_KEEP_DETAIL_RGB, BRUSH_KEEP_PHOTO_RGB

    state = st.session_state
    mode_col, size_col = st.columns([3, 2])
    mode_col.radio("Brush", list(controls.BRUSH_MODES), key="brush_mode", format_func=controls.BRUSH_MODES.get,
                   horizontal=True, help="Red strokes keep the photo (no style there). Blue strokes keep detail "
                                         "and colour: still painted, but the photo's shapes count more there.")
    size_col.slider("Brush size", 4, 60, key="brush_size", step=2)
    height, width = content.shape[:2]
    keep_photo = state["brush_mode"] == "keep_photo"
    rgb = BRUSH_KEEP_PHOTO_RGB if keep_photo else BRUSH_KEEP_DETAIL_RGB
    photo_id = state.get(keys.CONTENT_ID)
    background = memo(keys.MEMO_BRUSH_BACKGROUND, (photo_id, content.shape),  # encoded once per photo
                      lambda: jpeg_bytes(content, max_side=2 * BRUSH_CANVAS_WIDTH))
    key = f"brush_{photo_id}_{state.get(keys.BRUSH_GENERATION, 0)}"  # a new photo: a new canvas
    result = st_canvas(stroke_width=int(state["brush_size"]), stroke_color=_rgba(rgb, BRUSH_ALPHA),
                       background_image=background, width=BRUSH_CANVAS_WIDTH,
                       height=max(16, round(BRUSH_CANVAS_WIDTH * height / width)),
                       drawing_mode="freedraw", return_image_data=True, key=key)
    st.caption("Red brush: strokes keep the photo (no style there)." if keep_photo else
               "Blue brush: strokes keep detail and colour (the photo's shapes count more).")
    st.button("Clear the brush strokes", key="brush_clear", on_click=_clear_brush, icon=":material/ink_eraser:")
    data = result.image_bytes
    if not data:
        return None
    digest = (key, hashlib.sha256(data).hexdigest(), content.shape)  # decoded once per stroke
    masks, error = memo(keys.MEMO_BRUSH_MASKS, digest, lambda: decode_strokes(data, height, width))
    if error:
        st.error(plain(error))
    if masks is None or (masks.keep_photo_share == 0 and masks.keep_detail_share == 0):
        return None
    return masks
