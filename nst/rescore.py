"""Scorecards for saved runs: measured from the store's own copies of the photo, the paintings, the
result and the final scale's snapshots, then kept (``Store.save_scorecard``, ``Store.save_moment_scorecards``:
the snapshots' scorecards are what the run's best moment is suggested from). Used after a save (job
worker, ``stylize --save``, ``sweep``/``compare --save``) and by ``nst gallery rescore`` for runs saved
before, or scored by an older scorecard version.

Where the painting process is not the one that saves (a Ray worker), the worker measures the same
pictures from the result in memory, 8-bit as the store keeps them (:func:`measure_result`), and the
saving process keeps those numbers (:func:`keep_measured`): no network needed where the gallery is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from nst.encode import from_uint8, to_uint8
from nst.model import FeatureNet
from nst.params import StyleParams
from nst.run_types import RunInputs
from nst.scorecard import moment_scorecards
from nst.store import Store
from nst.store.saving import pick_snapshots


@dataclass
class MeasuredRun:
    """A run's scorecard and its final scale's snapshots' (``{step: card}``), measured before the save."""

    card: dict[str, Any]
    moments: dict[int, dict[str, Any]] = field(default_factory=dict)


def score_saved_run(store: Store, run_id: int, net: FeatureNet) -> dict[str, Any]:
    """Measure run ``run_id`` and its final scale's snapshots against each of its paintings (blend-weighted
    mean), the photo and paintings measured once; keep them all and return the run's scorecard."""
    inputs = store.input_images(run_id)
    snaps = store.moment_candidates([run_id]).get(int(run_id), [])
    pictures = [store.output_image(run_id)] + [store.image(sha) for _, sha in snaps]
    card, *moments = moment_scorecards(pictures, inputs.content, inputs.styles, inputs.blend, net)
    store.save_scorecard(run_id, card)
    store.save_moment_scorecards(run_id, {step: c for (step, _), c in zip(snaps, moments)})
    return card


def _as_stored(pixels: np.ndarray) -> np.ndarray:
    """A picture as the store gives it back: 8-bit, as float32 in [0, 1]."""
    values = np.asarray(pixels)
    return from_uint8(values if values.dtype == np.uint8 else to_uint8(values))


def measure_result(result: Any, inputs: RunInputs, net: FeatureNet) -> MeasuredRun:
    """What :func:`score_saved_run` would measure once ``result`` is saved, measured from memory: the final
    image and the final scale's snapshots the store will keep at the output's size (``pick_snapshots``)."""
    params = result.params if isinstance(result.params, StyleParams) else StyleParams.from_dict(result.params)
    blend = tuple(inputs.blend) if inputs.blend else params.blend_weights(len(inputs.styles))
    final = _as_stored(result.image)
    kept = pick_snapshots(list(result.snapshots or []))
    last = max((int(s.scale_index) for s in kept), default=0)
    snaps = [s for s in kept if int(s.scale_index) == last and np.asarray(s.image).shape[:2] == final.shape[:2]]
    snaps = [s for s in snaps if not np.array_equal(_as_stored(s.image), final)]
    card, *moments = moment_scorecards([final] + [_as_stored(s.image) for s in snaps], _as_stored(inputs.content),
                                       [_as_stored(s) for s in inputs.styles], blend, net)
    return MeasuredRun(card, {int(s.step): c for s, c in zip(snaps, moments)})


def keep_measured(store: Store, run_id: int, measured: MeasuredRun) -> dict[str, Any]:
    """Keep the numbers :func:`measure_result` took for saved run ``run_id``; returns its scorecard. A snapshot
    the store kept but the worker did not measure leaves the run for ``gallery rescore``."""
    steps = {step for step, _ in store.moment_candidates([run_id]).get(int(run_id), [])}
    store.save_scorecard(run_id, measured.card)
    store.save_moment_scorecards(run_id, {s: c for s, c in measured.moments.items() if s in steps})
    return measured.card


def rescore(store: Store, net: FeatureNet, run_ids: Sequence[int] | None = None,
            on_run: Callable[[int, dict[str, Any]], None] | None = None) -> list[int]:
    """Score ``run_ids`` (default: every run without a current scorecard, for itself or a snapshot that
    could be kept); returns the ids scored."""
    ids = list(run_ids) if run_ids is not None else \
        sorted(set(store.runs_without_scorecard()) | set(store.runs_without_moment_scorecards()))
    for run_id in ids:
        card = score_saved_run(store, run_id, net)
        if on_run is not None:
            on_run(run_id, card)
    return ids
