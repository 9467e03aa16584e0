"""The Streamlit studio over the ``nst`` engine: everything that imports Streamlit lives here.

- ``controls``: pure (no Streamlit) mapping between widget values and ``StyleParams``,
  multipliers, sweep grids, progress lines, the mask overlay. Unit-tested directly.
- ``keys``: every session-state key, as a constant.
- ``session``: the per-session memo (encode or decode once, show many times) and the job of
  this session (start, stop, reattach).
- ``charts``: the loss-curve chart spec both pages draw.
- ``panels``: one module per part of the studio page; ``gallery``: the gallery page's views.

Pages (``views/studio_page.py``, ``views/gallery_page.py``, listed by ``app.py``) only lay panels out; panels only draw what pure functions computed.
"""
