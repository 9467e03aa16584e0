"""Which precision the VGG convolutions run in on this machine (float32 or bfloat16), and on which device.

bfloat16 halves the memory traffic of the convolutions, but only CPUs with native bfloat16
arithmetic (AVX512_BF16 or AMX) gain from it; elsewhere TensorFlow emulates it and it is
slower. Measured on the project's 2-core machines, the raw VGG19 step at 512 px took 0.55x
the float32 time on one AMD EPYC and 1.6x on an Intel Xeon, so the choice is made per
machine, once, and cached:

1. no native bfloat16 flag in /proc/cpuinfo -> float32 (no measurement needed);
2. otherwise a micro-benchmark (a few VGG-shaped 3x3 convolutions, forward and backward, at
   both precisions) picks bfloat16 only when it takes <= 0.6x the float32 time.

The cache is a small JSON file keyed by CPU model, flags and TensorFlow version
(``$NST_CACHE_DIR`` or ``~/.cache/nst-studio``). ``benchmarks/speed.py`` checks the other half
of the rule (final score within 2 % of float32) on real weights.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

BF16_FLAGS = ("avx512_bf16", "amx_bf16")
MAX_TIME_RATIO = 0.6  # bfloat16 is used only when it takes at most this share of float32's time


def cpu_info() -> tuple[str, frozenset[str]]:
    """(model name, flags) of the first CPU; ("unknown", {}) where /proc/cpuinfo is missing."""
    name, flags = "unknown", frozenset()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key.strip() == "model name" and name == "unknown":
                    name = value.strip()
                elif key.strip() == "flags" and not flags:
                    flags = frozenset(value.split())
    except OSError:
        pass
    return name, flags


def has_native_bf16(flags: frozenset[str]) -> bool:
    return any(flag in flags for flag in BF16_FLAGS)


def _cache_path() -> Path:
    root = os.environ.get("NST_CACHE_DIR") or Path.home() / ".cache" / "nst-studio"
    return Path(root) / "precision.json"


def _machine_key(name: str, flags: frozenset[str]) -> str:
    import tensorflow as tf

    digest = hashlib.sha256(" ".join([name, tf.__version__, *sorted(flags)]).encode())
    return digest.hexdigest()[:16]


def conv_time_ratio(size: int = 96, repeats: int = 3) -> float:
    """bfloat16 / float32 time of a VGG-like conv stack's forward + backward (median of repeats)."""
    import numpy as np
    import tensorflow as tf

    rng = np.random.default_rng(0)
    kernels = [rng.normal(0, 0.05, (3, 3, c_in, c_out)).astype(np.float32)
               for c_in, c_out in ((3, 64), (64, 64), (64, 128), (128, 128))]
    image = rng.random((1, size, size, 3), dtype=np.float32)

    def timed(dtype: tf.DType) -> float:
        ks = [tf.constant(k, dtype) for k in kernels]

        @tf.function
        def step(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = tf.cast(x, dtype)
                for k in ks:
                    y = tf.nn.relu(tf.nn.conv2d(y, k, 1, "SAME"))
                loss = tf.reduce_sum(tf.cast(y, tf.float32))
            return tape.gradient(loss, x)

        x = tf.constant(image)
        step(x).numpy()  # trace
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            step(x).numpy()
            times.append(time.perf_counter() - started)
        return float(np.median(times))

    return timed(tf.bfloat16) / timed(tf.float32)


def machine_precision() -> str:
    """"bfloat16" or "float32": this machine's choice, measured once and cached."""
    name, flags = cpu_info()
    if not has_native_bf16(flags):
        return "float32"
    path, key = _cache_path(), _machine_key(name, flags)
    try:
        cached = json.loads(path.read_text())
        if cached.get("key") == key:
            return cached["precision"]
    except (OSError, ValueError, KeyError):
        pass
    ratio = conv_time_ratio()
    choice = "bfloat16" if ratio <= MAX_TIME_RATIO else "float32"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"key": key, "cpu": name, "bf16_time_ratio": round(ratio, 3),
                                    "precision": choice}))
    except OSError:
        pass  # an unwritable cache only means measuring again next time
    return choice


def resolve_precision(requested: str) -> str:
    """The precision a run uses: the request, or this machine's choice for "auto"."""
    return machine_precision() if requested == "auto" else requested


def compute_device() -> str:
    """"GPU" when TensorFlow sees one, else "CPU" (shown in the app and stored with runs)."""
    import tensorflow as tf

    return "GPU" if tf.config.list_logical_devices("GPU") else "CPU"
