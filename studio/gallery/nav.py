"""Gallery navigation: which view shows is in the URL (``?run=``, ``?compare=``, ``?group=``)."""

from __future__ import annotations

from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

from nst.edges import parse_run_id
from nst.errors import ParamsError
from studio.gallery import model as g
from nst.store import RunRecord, Store, default_data_dir
from studio import keys

STUDIO_PAGE = "views/studio_page.py"


@st.cache_resource(show_spinner=False)
def open_store(data_dir: str) -> Store:
    """One Store per data directory and server process (it is thread-safe: a connection per thread)."""
    return Store(data_dir)


def store() -> Store:
    return open_store(str(default_data_dir()))


def go(**params: Any) -> None:
    """Switch the view: ``go()`` back to the grid, ``go(run=3)``, ``go(compare="1,2")``."""
    st.query_params.clear()
    for key, value in params.items():
        st.query_params[key] = str(value)
    st.session_state.pop(keys.GALLERY_CONFIRM_DELETE, None)


def ids(text: str) -> list[int]:
    """``"3,1,x,3"`` -> [3, 1]: the run ids of a ``?compare=`` list, in order, once each."""
    out: list[int] = []
    for part in text.split(","):
        part = part.strip()
        try:
            run_id = parse_run_id(part)
        except ParamsError:
            continue
        if run_id not in out:
            out.append(run_id)
    return out


def selected() -> list[int]:
    return st.session_state.setdefault(keys.GALLERY_SELECTED, [])


def toggle(run_id: int) -> None:
    chosen = selected()
    checked = st.session_state.get(f"sel_{run_id}", False)
    if checked and run_id not in chosen:
        if len(chosen) >= g.MAX_COMPARE:
            st.session_state[f"sel_{run_id}"] = False
            notice(f"Compare takes at most {g.MAX_COMPARE} runs.")
            return
        chosen.append(run_id)
    elif not checked and run_id in chosen:
        chosen.remove(run_id)


def clear_selection() -> None:
    for run_id in selected():
        st.session_state.pop(f"sel_{run_id}", None)
    st.session_state[keys.GALLERY_SELECTED] = []


def notice(message: str) -> None:
    st.session_state[keys.GALLERY_NOTICE] = message


def pop_notice() -> str | None:
    return st.session_state.pop(keys.GALLERY_NOTICE, None)


def studio_link() -> None:
    try:
        st.page_link(STUDIO_PAGE, label="Go to the studio", icon=":material/palette:")
    except StreamlitAPIException:  # this page run on its own (tests): no studio page registered
        pass


def header(title: str, back: bool = True) -> None:
    if back:
        st.button("← Gallery", on_click=go, key="back")
    st.title(title)


def rerun(record: RunRecord) -> None:
    """Hand the run's settings to the studio page and go there (it reads keys.RERUN_*)."""
    st.session_state[keys.RERUN_PARAMS] = g.rerun_params(record)
    st.session_state[keys.RERUN_RUN_ID] = record.id
    try:
        st.switch_page(STUDIO_PAGE)
    except StreamlitAPIException:  # the page is run on its own (no studio page registered)
        notice("Settings copied: open the studio page to paint with them.")
