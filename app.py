"""The studio's entry point (``streamlit run app.py``): the pages, named for the sidebar.

The pages are ``views/studio_page.py`` ("Studio": paint), ``views/gallery_page.py`` ("Gallery": every
saved run) and ``views/vote_page.py`` ("Vote": friends' blind votes, docs/votes.md); their panels and
views live in ``studio/``. They are listed with ``st.navigation``
so the sidebar shows their names (a ``pages/`` folder would name the first page after this
file, "app"); see docs/dashboard.md.
"""

import streamlit as st

from studio.access import apply_owner_link, run_page
from studio.panels.fast_preview import start_fast_model

STUDIO = st.Page("views/studio_page.py", title="Studio", icon=":material/palette:", default=True)
GALLERY = st.Page("views/gallery_page.py", title="Gallery", icon=":material/photo_library:", url_path="Gallery")
VOTE = st.Page("views/vote_page.py", title="Vote", icon=":material/how_to_vote:", url_path="Vote")

# the fast model is fetched and loaded in the background from the studio's first page on (once per process)
start_fast_model()
# the owner link's grant first, so every page sees who this session is (see studio/access.py)
apply_owner_link()
# in sharing mode an error is one sentence on the page, its traceback in the server log
run_page(st.navigation([STUDIO, GALLERY, VOTE]))
