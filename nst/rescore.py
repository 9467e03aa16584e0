"""Scorecards for saved runs: measured from the store's own copies of the photo, the paintings and
the result, then kept (``Store.save_scorecard``). Used after a save (job worker, ``stylize --save``)
and by ``nst gallery rescore`` for runs saved before, or scored by an older scorecard version."""

from __future__ import annotations

from typing import Any, Callable, Sequence

from nst.model import FeatureNet
from nst.scorecard import run_scorecard
from nst.store import Store


def score_saved_run(store: Store, run_id: int, net: FeatureNet) -> dict[str, Any]:
    """Measure run ``run_id`` against each of its paintings (blend-weighted mean) and keep the scorecard."""
    inputs = store.input_images(run_id)
    card = run_scorecard(store.output_image(run_id), inputs.content, inputs.styles, inputs.blend, net)
    store.save_scorecard(run_id, card)
    return card


def rescore(store: Store, net: FeatureNet, run_ids: Sequence[int] | None = None,
            on_run: Callable[[int, dict[str, Any]], None] | None = None) -> list[int]:
    """Score ``run_ids`` (default: every run without a current scorecard); returns the ids scored."""
    ids = list(run_ids) if run_ids is not None else store.runs_without_scorecard()
    for run_id in ids:
        card = score_saved_run(store, run_id, net)
        if on_run is not None:
            on_run(run_id, card)
    return ids
