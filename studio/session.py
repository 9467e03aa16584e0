"""Per-session state helpers: the memo (compute once per key, show many times) and notices."""

from __future__ import annotations

from typing import Callable, Hashable, TypeVar

import streamlit as st

from studio import keys

T = TypeVar("T")


def memo(name: str, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``'s value, kept in the session under ``name`` until ``key`` changes.

    One entry per name: a new key (a new photo, a new stroke, a new snapshot) replaces the old
    value, so nothing grows without bound."""
    cached = st.session_state.get(name)
    if cached is not None and cached[0] == key:
        return cached[1]
    value = compute()
    st.session_state[name] = (key, value)
    return value


def notice(message: str) -> None:
    """A warning the page shows once, on its next run (callbacks cannot draw)."""
    st.session_state[keys.NOTICE] = message


def pop_notice() -> str | None:
    return st.session_state.pop(keys.NOTICE, None)
