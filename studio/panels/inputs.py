"""Steps 1 and 2 of the page: the photo, and the style images with their blend sliders."""

from __future__ import annotations

import numpy as np
import streamlit as st

from nst.examples import CONTENT_EXAMPLES, STYLE_EXAMPLES
from studio import keys
from studio.uploads import THUMB_SIDE, UPLOAD_TYPES, Picture, example, session_upload
from studio.text import plain

MAX_STYLES = 6


def photo_panel() -> Picture:
    """The photo: an upload, else a re-run's photo, else the chosen example."""
    st.subheader("1 · Photo")
    upload = st.file_uploader("Upload a photo", type=UPLOAD_TYPES, key="content_upload")
    st.selectbox("…or use an example", list(CONTENT_EXAMPLES), key="content_example",
                 format_func=lambda k: CONTENT_EXAMPLES[k].title)
    picture = None
    if upload is not None:
        entry = session_upload(upload)
        if entry.error:
            st.error(plain(entry.error), icon=":material/error:")
        picture = entry.picture
    loaded = st.session_state.get(keys.LOADED_INPUTS)
    if picture is not None:
        caption = f"Your photo: {plain(picture.label)}"
    elif loaded is not None:
        picture, caption = loaded.content, f"From run {loaded.run_id}: {plain(loaded.content.label)}"
    else:
        key = st.session_state["content_example"]
        picture = example(key, CONTENT_EXAMPLES[key].title)
        caption = f"Example: {picture.label} · {CONTENT_EXAMPLES[key].credit}"
    st.session_state[keys.CONTENT_ID] = picture.id
    st.image(picture.thumb, caption=caption, width=THUMB_SIDE)
    if picture.notes:
        st.caption(plain("Note: " + "; ".join(picture.notes) + "."))
    if loaded is not None and picture is loaded.content:
        st.button("Use the example instead", key="drop_loaded",
                  on_click=lambda: st.session_state.pop(keys.LOADED_INPUTS, None))
    return picture


def _examples_picked() -> None:
    st.session_state[keys.EXAMPLES_PICKED] = True
    st.session_state.pop(keys.SHEET_PICK, None)  # the user chose again: a sheet pick no longer holds


def styles_panel() -> tuple[list[Picture], list[float], list[str], list[Picture]]:
    """(styles, blend, blend slider keys, the user's own styles): uploads, a re-run's styles, then picked
    examples; a tile picked on the all-styles sheet (``keys.SHEET_PICK``) alone while it is among them.

    The first example is only a default: an upload replaces it unless the user picked examples."""
    st.subheader("2 · Styles")
    uploads = st.file_uploader("Upload style images", type=UPLOAD_TYPES, key="style_upload",
                               accept_multiple_files=True) or []
    chosen: list[Picture] = []
    for upload in uploads:
        entry = session_upload(upload)
        if entry.error:
            st.error(plain(entry.error), icon=":material/error:")
        else:
            chosen.append(entry.picture)
    state = st.session_state
    if not state.get(keys.EXAMPLES_PICKED):  # a usable upload replaces the default example
        state["style_examples"] = [] if chosen else [next(iter(STYLE_EXAMPLES))]
    st.multiselect("…and/or examples", list(STYLE_EXAMPLES), key="style_examples", on_change=_examples_picked,
                   format_func=lambda k: STYLE_EXAMPLES[k].title)
    loaded = state.get(keys.LOADED_INPUTS)
    if loaded is not None:
        chosen.extend(loaded.styles)
    own = list(chosen)  # uploads and a re-run's styles: the all-styles sheet paints them too
    chosen.extend(example(key, STYLE_EXAMPLES[key].title) for key in state["style_examples"])
    chosen = _sheet_pick(chosen)
    if len(chosen) > MAX_STYLES:
        st.warning(f"Using the first {MAX_STYLES} styles.")
        chosen = chosen[:MAX_STYLES]
    if not chosen:
        st.info("Choose at least one style: upload an image or pick an example.")
    blend, blend_keys = _blend_sliders(chosen)
    state[keys.STYLE_IDS] = tuple(p.id for p in chosen)
    credits = [STYLE_EXAMPLES[k].credit for k in state["style_examples"]]
    if credits:
        st.caption("Examples: " + "; ".join(credits) + ".")
    return chosen, blend, blend_keys, own


def _sheet_pick(chosen: list[Picture]) -> list[Picture]:
    picked = [p for p in chosen if p.id == st.session_state.get(keys.SHEET_PICK)]
    if not picked:
        st.session_state.pop(keys.SHEET_PICK, None)
        return chosen
    st.caption(f"Picked on the sheet of every style: {plain(picked[0].label)}.")
    if len(chosen) > 1:
        st.button("Use all my styles again", key="sheet_unpick",
                  on_click=lambda: st.session_state.pop(keys.SHEET_PICK, None))
    return picked


def _blend_sliders(chosen: list[Picture]) -> tuple[list[float], list[str]]:
    blend, blend_keys = [], []
    columns = st.columns(min(3, max(1, len(chosen))))
    for index, picture in enumerate(chosen):
        with columns[index % len(columns)]:
            st.image(picture.thumb, caption=plain(picture.label), width=120)
            if picture.notes:
                st.caption(plain("Note: " + "; ".join(picture.notes) + "."))
            key = f"blend_{picture.id}"
            if len(chosen) > 1:
                st.session_state.setdefault(key, 1.0)  # a gallery re-run may have set it
                blend.append(st.slider("blend", 0.0, 1.0, step=0.05, key=key,
                                       help="How much this style counts in the mix."))
            else:
                blend.append(1.0)
            blend_keys.append(key)
    return blend, blend_keys


def pixels(pictures: list[Picture]) -> list[np.ndarray]:
    return [p.pixels for p in pictures]
