"""The fast preview: one pass of nst.fast's model over the current photo and styles.

Kept to nst.fast's public functions (``fast_model_available``, ``fast_preview``) in this one
module, so the fast model can be rewired without touching the rest of the studio. The preview
appears as soon as a photo and a style are chosen and is repainted on every change of style,
blend or strength (no button): with the TFLite model a pass takes well under a second.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from nst.errors import NSTError
from nst.encode import jpeg_bytes
from studio import keys
from studio.session import memo
from studio.uploads import THUMB_SIDE

FAST_PREVIEW_SIDE = 384  # one forward pass at this long side: about a second


def fast_available() -> tuple[bool, str]:
    """Checked once per session (loading the model is once per process, in nst.fast)."""
    if keys.FAST_OK not in st.session_state:
        from nst.fast_model import fast_model_available

        st.session_state[keys.FAST_OK] = fast_model_available()
    return st.session_state[keys.FAST_OK]


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


def fast_preview_panel(content: np.ndarray | None, styles: list[np.ndarray], blend: list[float]) -> bool:
    """Draw the preview (recomputed only when its inputs change); True when Refine can start from it."""
    ok, message = fast_available()
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
