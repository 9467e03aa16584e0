"""A picture as a cache key: what is computed from a picture can be kept per picture.

The yardsticks (``nst.score``, ``nst.scorecard``) measure every saved run against its photo and
paintings, and in the studio the same photo and painting come back run after run (a weight tried
again, a re-run from the gallery); their VGG19 features cost three float32 passes of VGG19 per
run. Wrapped in :class:`PictureKey`, an array can be an argument of a ``functools.lru_cache``d
function, so those features are computed once per process (docs/speed.md).
"""

from __future__ import annotations

import hashlib

import numpy as np


class PictureKey:
    """An image array that hashes and compares by its shape and a digest of its pixels."""

    __slots__ = ("array", "_key")

    def __init__(self, array: np.ndarray) -> None:
        self.array = np.ascontiguousarray(array, np.float32)
        digest = hashlib.blake2b(self.array.tobytes(), digest_size=16).digest()
        self._key = (self.array.shape, digest)

    def __hash__(self) -> int:
        return hash(self._key)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PictureKey) and self._key == other._key
