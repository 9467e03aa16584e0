"""The fast preview: one pass of nst.fast's model over the current photo and styles.

The model is fetched and loaded in the background when the studio starts (``start_fast_model``,
``nst.fast_model.start_loading``): a page never waits for it; while it loads the panel says so and polls
once a second. The preview appears as soon as a photo and a style are chosen and is repainted on every
change of style, blend or strength (no button): one pass at 512 px takes about 0.1-0.2 s of model time.
"""

from __future__ import annotations

import functools

import numpy as np
import streamlit as st

from nst.errors import NSTError
from nst.encode import jpeg_bytes
from nst.examples import CONTENT_EXAMPLES, example_image
from nst.fast_model import LOADING, READY, fast_model_status, start_loading
from nst.fast_sheet import SHEET_TILE
from nst.resize import resize_long_side
from studio import keys
from studio.session import memo
from studio.uploads import THUMB_SIDE

FAST_PREVIEW_SIDE = 512  # the default output size: the preview shows the painting's own size and strokes


@functools.lru_cache(maxsize=1)
def _warm_sizes() -> tuple[tuple[int, int], ...]:
    """The preview's and the sheet's picture sizes for the default photo (sides multiples of 4)."""
    height, width = example_image(next(iter(CONTENT_EXAMPLES))).shape[:2]
    sizes = [resize_long_side(np.zeros((height, width, 1), np.float32), side).shape[:2]
             for side in (FAST_PREVIEW_SIDE, SHEET_TILE)]
    return tuple((h - h % 4, w - w % 4) for h, w in sizes)


def start_fast_model() -> None:
    """Fetch/load the fast model in the background (once per process) and warm it for the default photo."""
    start_loading(warm_sizes=_warm_sizes())


def fast_ready() -> bool:
    """True when the fast model is loaded (never waits: a load still running is False)."""
    return fast_model_status()[0] == READY


def _paint(content: np.ndarray, styles: list[np.ndarray], blend: list[float], strength: float,
           preserve_colors: str, style_scale: float) -> tuple[bytes | None, str]:
    from nst.fast import fast_preview

    try:
        painted = fast_preview(content, styles, blend or None, strength, FAST_PREVIEW_SIDE,
                               preserve_colors=preserve_colors, style_scale=style_scale)
        return jpeg_bytes(painted), ""
    except NSTError as exc:
        return None, str(exc)
    except Exception as exc:  # noqa: BLE001 - a preview must never break the page
        return None, f"the fast model could not paint this ({type(exc).__name__})."


def _loading_note() -> None:
    @st.fragment(run_every=1.0)
    def _poll() -> None:
        if fast_model_status()[0] != LOADING:
            st.rerun(scope="app")
        st.caption("Fast preview: getting the fast model (once per machine; everything else works meanwhile)…")
    _poll()


def fast_preview_panel(content: np.ndarray | None, styles: list[np.ndarray], blend: list[float]) -> bool:
    """Draw the preview (recomputed only when its inputs change); True when Refine can start from it."""
    status, message = fast_model_status()
    if status == LOADING:
        _loading_note()
        return False
    ok = status == READY
    if content is None or not styles:
        return ok
    if not ok:
        st.caption(f"Fast preview unavailable: {message}")
        return ok
    state = st.session_state
    blend = blend if len(styles) > 1 else []
    strength = float(st.slider("Fast preview strength", 0.0, 1.0, 1.0, 0.05, key=keys.FAST_STRENGTH,
                               help="1 = the painting's style; 0 = the photo's own style (the model "
                                    "interpolates between the two style codes)"))
    key = (state.get(keys.CONTENT_ID), state.get(keys.STYLE_IDS), tuple(blend), strength,
           state["preserve_colors"], float(state["style_scale"]))
    frame, error = memo(keys.MEMO_FAST_PREVIEW, key, lambda: _paint(
        content, styles, blend, strength, state["preserve_colors"], float(state["style_scale"])))
    if frame is not None:
        st.image(frame, caption="Fast preview (one pass of the fast model; Refine paints it properly)",
                 width=THUMB_SIDE * 2)
    else:
        st.caption(f"Fast preview failed: {error}")
    return ok
