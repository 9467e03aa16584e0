"""The Vote page: friends pick the better of two blind pictures of one photo (studio/vote.py).

Layout only. Guests of a shared studio may vote too; the ranking (Bradley–Terry, nst.ranking)
is shown in the gallery and by ``nst gallery votes``. See docs/votes.md.
"""

from __future__ import annotations

import logging

import streamlit as st

from nst.errors import StoreError
from studio.gallery import nav
from studio.vote import vote_panel
from studio.text import plain

st.set_page_config(page_title="Vote · Style studio", page_icon=":material/how_to_vote:", layout="centered")
st.title("Which do you like better?")

try:
    vote_panel(nav.store())
except StoreError as error:
    st.error(plain(error), icon=":material/error:")
except Exception as error:  # noqa: BLE001 - one sentence on the page, the traceback in the server log
    logging.getLogger("nst.vote_page").exception("vote page failed")
    st.error(f"Something went wrong ({type(error).__name__}: {error}); reload the page to try again.",
             icon=":material/error:")
