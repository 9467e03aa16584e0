"""Neural style transfer (Gatys et al. 2015) on VGG19 in TensorFlow: the studio's engine.

Layers, in the order data flows (docs/architecture.md has every module): the vocabulary
(``params``, ``run_types``, ``errors``, ``units``) -> pictures (``images``, ``encode``, ``resize``)
-> the network (``weights``, ``model``) -> ``losses`` and measures (``score``, ``scorecard``) ->
``engine`` (``objective``, the optimisation, progress events, live control) -> keeping runs
(``store``) -> running them (``job``, ``jobs``, ``backends``, ``batch``, ``remote``) -> the edges
(``cli`` and ``cli_*``; the studio lives outside, in ``studio/`` and ``views/``). Nothing in this
package imports streamlit.
"""

import os

# TensorFlow's C++ start-up chatter (CUDA probes, CPU feature notes) is noise for CLI and app users.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from nst import tf_startup  # noqa: E402  (after the log level: TensorFlow reads it when imported)

tf_startup.install()  # TensorFlow, whenever imported, skips its eager Keras import (nst/tf_startup.py)
