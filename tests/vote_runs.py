"""Test helper: a gallery with a comparison of runs of one photo, each with snapshots (for votes and sharing)."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from nst.params import StyleParams
from nst.run_types import LossTerms
from nst.store import Store
from saved_runs import run_to_save


def picture(seed: int, h: int = 24, w: int = 32) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0, 1, (h, w, 3)).astype(np.float32)


def fake_result(seed: int, snapshots: int = 3) -> SimpleNamespace:
    rng = np.random.default_rng(seed)
    shots = [SimpleNamespace(step=4 * (i + 1), scale_index=0, image=rng.integers(0, 256, (12 if i == 0 else 24,
                                                                                          16 if i == 0 else 32, 3),
                                                                                 np.uint8),
                             losses=LossTerms(2.0 - i, 0.3, 0.2, 0.01))
             for i in range(snapshots)]
    return SimpleNamespace(image=picture(100 + seed), status="finished", message="Finished.", steps=8, seconds=1.0,
                           losses=LossTerms(1.0, 0.3, 0.2, 0.01),
                           history=[{"step": 1, "scale": 0, "elapsed": 0.1, "total": 1.0, "content": 0.3,
                                     "style": 0.2, "tv": 0.01}], snapshots=shots, weight_changes=[],
                           trace_seconds={}, params=StyleParams(size=64, style_weight=float(seed + 1)),
                           weights_id="sha256:test", device="CPU")


def fill_group(store: Store, n: int = 3, *, group_id: str = "g0123456789", scores=None) -> list[int]:
    """``n`` runs of one photo in one comparison; ``scores`` (lower = better) for the agreement."""
    scores = scores or [None] * n
    return [store.save(run_to_save(fake_result(i), content=picture(1), styles=[picture(7, 20, 20)],
                                   content_name="photo.jpg", title=f"run {i}", group_id=group_id,
                                   group_kind="comparison", group_label=f"cell {i}", score=scores[i]))
            for i in range(n)]
