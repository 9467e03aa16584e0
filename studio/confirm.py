"""A question with "Yes, ..." and "Cancel" side by side: how the pages confirm what cannot be undone or takes long."""

from __future__ import annotations

from typing import Any, Callable

import streamlit as st


def confirmation(question: str, yes: str, key: str, on_yes: Callable[..., Any], args: tuple, pending_key: str) -> None:
    """``question`` as a warning; "``yes``" (widget key ``key + "_yes"``) calls ``on_yes(*args)``, "Cancel"
    (``key + "_no"``) forgets the pending question in session state (``pending_key``)."""
    st.warning(question)
    left, right = st.columns(2)
    with left:
        st.button(yes, key=f"{key}_yes", type="primary", on_click=on_yes, args=args, width="stretch")
    with right:
        st.button("Cancel", key=f"{key}_no", width="stretch", on_click=lambda: st.session_state.pop(pending_key, None))
