"""Neural style transfer (Gatys et al. 2015) on VGG19 in TensorFlow: the studio's engine.

Layers, in the order data flows: ``images`` (load, check, save) -> ``weights`` / ``model``
(VGG19 features) -> ``losses`` -> ``engine`` (optimisation, progress events, live control)
-> ``cli`` / ``score``. Nothing in this package imports streamlit.
"""

import os

# TensorFlow's C++ start-up chatter (CUDA probes, CPU feature notes) is noise for CLI and app users.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
