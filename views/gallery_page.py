"""The gallery page: every saved run; browse, compare side by side, sweep grids, open, re-run.

Layout only: the views are in ``studio/gallery``, the runs come from ``nst.store.Store``
(SQLite in ``$NST_DATA_DIR``), every computation (parameter diff, sweep grid layout, loss
curves) is in ``studio/gallery/model.py`` and the wipe/blend in ``nst.comparison``. Which view
shows is in the URL, so it survives a reload and can be shared:

- ``?run=<id>``: one run (image, parameters, timings, snapshots, download, re-run, edit, delete);
- ``?compare=<id>,<id>[,...]``: 2-4 runs side by side;
- ``?group=<group id>``: a sweep as a labelled grid, or a method comparison as a row;
- nothing: the grid of thumbnails with filters, sort and paging.

"Re-run with these settings" hands the run's params and id to the studio page through
``studio.keys.RERUN_PARAMS`` / ``RERUN_RUN_ID``; the studio uses those params as its base.
"""

from __future__ import annotations

import logging
import sqlite3

import streamlit as st

from nst.errors import NSTError
from nst.errors import StoreError
from studio.gallery import nav
from studio.gallery.compare import compare_view
from studio.gallery.detail import detail_view
from studio.gallery.grid import grid_view
from studio.gallery.group import group_view
from nst.store.db import damaged_database
from studio.text import plain

st.set_page_config(page_title="Gallery · Style studio", page_icon=":material/photo_library:", layout="wide")

try:
    store = nav.store()
    if store.sweep_refusal:
        st.warning(plain(store.sweep_refusal), icon=":material/warning:")
    params = st.query_params
    if "run" in params:
        detail_view(store, params["run"])
    elif params.get("compare"):
        compare_view(store, nav.ids(params["compare"]))
    elif params.get("group"):
        group_view(store, params["group"])
    else:
        grid_view(store)
except StoreError as error:  # a store problem as one sentence, never a traceback
    st.error(plain(error) if isinstance(error, NSTError) else plain(f"The gallery could not be read: {error}"),
             icon=":material/error:")
except sqlite3.DatabaseError as error:  # a damaged database page: say so, not "try again"
    st.error(plain(str(damaged_database(nav.store().db_path, error))), icon=":material/error:")
except Exception as error:  # noqa: BLE001 - one sentence on the page, the traceback in the server log
    logging.getLogger("nst.gallery_page").exception("gallery page failed")
    st.error(plain(f"Something went wrong showing this view ({type(error).__name__}: {error}). "
                   "Go back to the gallery and try again; the details are in the server log."), icon=":material/error:")
    st.button("← Gallery", on_click=nav.go, key="back_after_error")
