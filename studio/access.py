"""Who this session is, Streamlit side: the owner link's grant, kept in the session (rules in nst/access.py).

``apply_owner_link`` runs at the top of every script run (app.py, before the page): a ``?owner=``
token that matches ``NST_OWNER_TOKEN`` grants the owner for the rest of the session, and the token
is removed from the URL either way so it is not left in the address bar or shared onwards.
Owner-only callbacks call ``refused`` first: the hidden button is not the only guard.
``run_page`` runs the page: in sharing mode an unexpected error is one sentence on the page (for
everyone, the owner included) and its traceback goes to the server log; Streamlit's own
``client.showErrorDetails`` is turned off too, for errors raised outside the page (callbacks, fragments).
"""

from __future__ import annotations

import logging
import os

import streamlit as st

from nst.access import REFUSED, TOKEN_ENV, is_owner, sharing, token_matches
from studio import keys

OWNER_PARAM = "owner"
PAGE_FAILED = "Something went wrong on this page; please try again (the details are in the studio's server log)."
log = logging.getLogger("nst.studio")


def apply_owner_link() -> None:
    if OWNER_PARAM not in st.query_params:
        return
    given = st.query_params.get(OWNER_PARAM)
    del st.query_params[OWNER_PARAM]
    if sharing() and token_matches(given, os.environ.get(TOKEN_ENV)):
        st.session_state[keys.OWNER_GRANTED] = True


def current_is_owner() -> bool:
    return is_owner(sharing(), bool(st.session_state.get(keys.OWNER_GRANTED)))


def refused() -> bool:
    """True (after saying so in one sentence) when this session may not do an owner's action."""
    if current_is_owner():
        return False
    st.error(REFUSED, icon=":material/block:")
    return True


def run_page(page) -> None:
    """``page.run()`` (a ``st.navigation`` page); in sharing mode, errors as one sentence (see above)."""
    if not sharing():
        page.run()  # this machine only: the owner sees Streamlit's full error details
        return
    st.set_option("client.showErrorDetails", "none")
    try:
        page.run()
    except Exception:  # noqa: BLE001 - st.rerun / st.stop are BaseExceptions and pass through
        log.exception("the page %s failed", getattr(page, "title", "?"))
        st.error(PAGE_FAILED, icon=":material/error:")
