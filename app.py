"""The studio's entry point (``streamlit run app.py``): the page list, named for the sidebar.

The pages themselves are ``pages/studio.py`` (paint) and ``pages/1_Gallery.py`` (every saved
run); panels and views live in ``studio/``.
"""

import streamlit as st

STUDIO = st.Page("pages/studio.py", title="Studio", icon=":material/palette:", default=True)
GALLERY = st.Page("pages/1_Gallery.py", title="Gallery", icon=":material/photo_library:", url_path="Gallery")

st.navigation([STUDIO, GALLERY]).run()
