"""The Streamlit studio over the ``nst`` engine: everything that imports Streamlit lives here.

- ``controls``: pure (no Streamlit) mapping between widget values and ``StyleParams``,
  multipliers, sweep grids, progress lines, the mask overlay. Unit-tested directly.
- ``keys``: every session-state key, as a constant.
- ``session``: the per-session memo (encode or decode once, show many times) and one-time notices.
- ``runtime``: the process-wide job runner (TensorFlow kept warm) and this session's job
  (start, stop, reattach).
- ``state``: the parameters in the session (a base ``StyleParams`` with the widgets overlaid).
- ``uploads``: pictures the user brings, checked once; ``text``: user text shown as text.
- ``access``: who this session is in sharing mode (the owner link's grant).
- ``charts``: the loss-curve chart spec both pages draw.
- ``panels``: one module per part of the studio page; ``gallery``: the gallery page's views;
  ``vote``: the Vote page's panel.

Pages (``views/studio_page.py``, ``views/gallery_page.py``, ``views/vote_page.py``, listed by
``app.py``) only lay panels out; panels only draw what pure functions computed.
"""
