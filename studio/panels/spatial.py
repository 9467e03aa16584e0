"""Spatial control: a mask upload, the brush, the mask and detail sliders and the overlay preview."""

from __future__ import annotations

import numpy as np
import streamlit as st

from nst.errors import ImageError
from nst.encode import to_uint8
from nst.resize import resize_long_side, resize_to
from studio import controls, keys
from studio.panels.brush import brush_canvas
from studio.session import memo
from studio.uploads import THUMB_SIDE, UPLOAD_TYPES
from studio.text import plain


def _mask_upload() -> tuple[np.ndarray | None, str | None, str | None]:
    """(mask, error, file id) of the uploaded mask, decoded once per file."""
    from nst.masks import load_mask

    upload = st.file_uploader("Mask image (white = stylise, black = keep the photo)", type=UPLOAD_TYPES,
                              key="mask_upload")
    if upload is None:
        return None, None, None

    def decode():
        try:
            return load_mask(upload.getvalue(), name=upload.name), None
        except ImageError as exc:
            return None, str(exc)

    mask, error = memo(keys.MEMO_MASK_UPLOAD, upload.file_id, decode)
    if error:
        st.error(plain(error), icon=":material/error:")
    return mask, error, upload.file_id


def _combine(uploaded, painted, shape) -> tuple[np.ndarray | None, np.ndarray | None, str | None]:
    from nst.masks import combine_detail_masks, combine_user_masks

    height, width = shape[:2]
    try:
        return (combine_user_masks(uploaded, painted.keep_photo, height, width),
                combine_detail_masks(painted.keep_detail, height=height, width=width), None)
    except ImageError as exc:
        return None, None, str(exc)


def spatial_panel(content: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None, str | None]:
    """(the user's style mask or None, the detail mask or None, an error or None).

    The style mask combines an uploaded mask and the red "keep the photo" strokes (their minimum);
    the blue "keep detail" strokes are the detail mask. Both are at the photo's size."""
    with st.expander("Spatial control: where the style goes", expanded=False):
        uploaded, error, upload_id = _mask_upload()
        painted = brush_canvas(content) if content is not None else None
        keep_share = painted.keep_photo_share if painted is not None else 0.0
        detail_share = painted.keep_detail_share if painted is not None else 0.0
        st.caption(f"Painted: keep the photo on {keep_share:.0%} · keep detail on {detail_share:.0%} "
                   "of the picture")
        user_mask, detail_mask = uploaded, None  # an upload alone goes to the engine as it is
        loaded = st.session_state.get(keys.LOADED_INPUTS)
        if uploaded is None and painted is None and loaded is not None and keys.CONTENT_ID in st.session_state \
                and st.session_state[keys.CONTENT_ID] == loaded.content.id:
            user_mask, detail_mask = loaded.mask, loaded.detail_mask  # a re-run: the run's own masks
            if user_mask is not None or detail_mask is not None:
                st.caption(f"Using the masks of run {loaded.run_id} (upload a mask or paint to replace them).")
        if content is not None and painted is not None:
            user_mask, detail_mask, combine_error = memo(
                keys.MEMO_COMBINED_MASKS, (id(painted), upload_id), lambda: _combine(uploaded, painted, content.shape))
            if combine_error:
                st.error(plain(combine_error))
                error = combine_error
        st.slider(controls.label("mask_strength"), 0.0, 1.0, key="mask_strength", step=0.05,
                  help="1: black (and red-painted) areas keep the photo fully; 0: the mask is ignored.")
        st.slider(controls.label("detail_strength"), 0.0, 1.0, key="detail_strength", step=0.05,
                  help="Blue-painted areas: the content weight there is multiplied by 1 + 9 × this, and "
                       "their local colours are held, so crowded details stay sharp and colourful.")
        st.slider(controls.label("protect_flat"), 0.0, 1.0, key="protect_flat", step=0.05,
                  help="Keeps texture out of flat regions such as sky or walls (an automatic mask).")
        st.toggle("Show the mask on the photo", key="show_mask")
        if st.session_state["show_mask"] and content is not None:
            _overlay(content, user_mask, detail_mask)
    return user_mask, detail_mask, error


def _overlay(content: np.ndarray, user_mask: np.ndarray | None, detail_mask: np.ndarray | None) -> None:
    from nst.masks import style_mask

    state = st.session_state
    small = resize_long_side(content, THUMB_SIDE)
    try:
        mask = style_mask(small, user_mask=user_mask, mask_strength=float(state["mask_strength"]),
                          protect_flat=float(state["protect_flat"]))
    except ImageError as exc:
        st.error(plain(exc))
        mask = None
    if mask is None and detail_mask is None:
        st.caption("Nothing is masked: the style goes everywhere.")
        return
    detail = None
    if detail_mask is not None and float(state["detail_strength"]) > 0:
        detail = resize_to(detail_mask, small.shape[1], small.shape[0])
    st.image(to_uint8(controls.mask_overlay(small, mask, detail)), width=THUMB_SIDE,
             caption="Red: kept as the photo; blue: detail kept; clear: stylised.")
