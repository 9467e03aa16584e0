"""TensorFlow imported through nst skips its eager Keras import, and Keras still works afterwards."""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(code: str, home: Path) -> str:
    """``code`` in a fresh Python (Keras writes its settings under HOME: a temporary one)."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=home, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "TF_CPP_MIN_LOG_LEVEL": "3",
                               "HOME": str(home), "KERAS_HOME": str(home / ".keras")}, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_tensorflow_comes_without_keras_and_keras_imports_later_as_usual(tmp_path):
    out = _run("""
        import sys
        import nst
        import tensorflow as tf
        print("keras loaded:", "keras" in sys.modules, "pandas loaded:", "pandas" in sys.modules)
        print(float(tf.reduce_sum(tf.ones((2, 3)))))
        from tensorflow.keras import layers  # TensorFlow's path to Keras 3 is intact
        import keras
        print(layers.Dense is keras.layers.Dense, tf.keras.layers.Dense is keras.layers.Dense)
    """, tmp_path).splitlines()
    assert out == ["keras loaded: False pandas loaded: False", "6.0", "True True"]


def test_a_process_that_imported_tensorflow_first_is_left_alone(tmp_path):
    out = _run("""
        import sys
        import tensorflow
        import nst
        print("keras loaded:", "keras" in sys.modules, sum(type(f).__module__ == "nst.tf_startup" for f in sys.meta_path))
    """, tmp_path)
    assert out == "keras loaded: True 0"
