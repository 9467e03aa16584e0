"""TensorFlow without its eager Keras import: about 1.2 s off every process's start (issue #21).

``import tensorflow`` ends by importing ``keras.src.optimizers`` "so that optimizers register in
the SavedModel registry" (TensorFlow's ``__init__``, b/196254385). That pulls in all of Keras 3
and, through its data adapters, pandas and pyarrow: 1.2-1.6 s of the 4.0-4.7 s the import takes on
the 2-core AMD EPYC (avx512 + AVX512_BF16) of docs/speed.md, measured 4 times each. nst never loads
a SavedModel and builds nothing with Keras except ``keras.applications.VGG19`` when it reads
Keras' own weight file, which imports Keras by name.

:func:`install` (called by ``nst/__init__``) puts a finder in front of ``sys.meta_path`` that, the
first time anything in the process imports TensorFlow, hides ``keras`` for the duration of that
import: TensorFlow's ``try: import keras.src.optimizers`` then fails and is skipped, as TensorFlow
itself allows. Afterwards ``keras`` imports normally (on first use), ``tf.keras`` and
``tensorflow.keras`` resolve as usual (the package path TensorFlow could not compute while Keras
was hidden is put back), and a process that imported TensorFlow or Keras before nst is left alone.
"""

from __future__ import annotations

import importlib.util
import sys
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Sequence

# The folders TensorFlow puts in front of its own package path so that ``tensorflow.keras`` is Keras 3's
# (tensorflow/__init__.py, "Lazy-load Keras v2/3"); recomputed after the import, the way it computes them.
KERAS_PATH_MODULES = ("keras.api._v2.keras", "keras._tf_keras.keras")


class _KerasHiddenDuringTensorFlowImport:
    """A ``sys.meta_path`` finder (duck-typed: ``importlib.abc`` alone costs 18 ms to import)."""

    def find_spec(self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
                  ) -> ModuleSpec | None:
        if fullname != "tensorflow":
            return None
        sys.meta_path.remove(self)  # once: the real finders locate TensorFlow from here on
        spec = importlib.util.find_spec("tensorflow")
        if spec is None or spec.loader is None or "keras" in sys.modules:
            return spec
        run_init = spec.loader.exec_module

        def exec_module(module: ModuleType) -> None:
            sys.modules["keras"] = None  # type: ignore[assignment]  # "import keras" raises ImportError
            try:
                run_init(module)
            finally:
                if "keras" in sys.modules and sys.modules["keras"] is None:
                    del sys.modules["keras"]
            _restore_keras_path(module)

        spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _restore_keras_path(tensorflow: ModuleType) -> None:
    from tensorflow.python.tools import module_util

    folders = [module_util.get_parent_dir_for_name(name) for name in KERAS_PATH_MODULES]
    kept = [entry for entry in tensorflow.__path__ if isinstance(entry, str)]
    tensorflow.__path__ = [folder for folder in folders if folder and folder not in kept] + kept


def install() -> None:
    """Hide Keras from the first TensorFlow import of this process (a no-op once TensorFlow is in)."""
    if "tensorflow" in sys.modules or any(isinstance(f, _KerasHiddenDuringTensorFlowImport) for f in sys.meta_path):
        return
    sys.meta_path.insert(0, _KerasHiddenDuringTensorFlowImport())
