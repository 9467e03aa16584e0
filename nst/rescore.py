"""Scorecards for saved runs: measured from the store's own copies of the photo, the paintings, the
result and the final scale's snapshots, then kept (``Store.save_scorecard``, ``Store.save_moment_scorecards``:
the snapshots' scorecards are what the run's best moment is suggested from). Used after a save (job
worker, ``stylize --save``) and by ``nst gallery rescore`` for runs saved before, or scored by an older
scorecard version."""

from __future__ import annotations

from typing import Any, Callable, Sequence

from nst.model import FeatureNet
from nst.scorecard import moment_scorecards
from nst.store import Store


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
