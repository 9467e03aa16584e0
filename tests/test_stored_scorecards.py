"""Every saved run carries its scorecard (issue #24): kept per version after the save, in the gallery's
JSON, filled in for older runs by ``gallery rescore``, blend-weighted for several paintings, removed
with its run."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from nst.cli import main
from nst.model import tiny_feature_net_for_tests
from nst.scorecard_measures import MEASURES, SCORECARD_VERSION, blended
from nst.store import Store
from saved_runs import run_to_save

TINY = {"net_factory": lambda weights: tiny_feature_net_for_tests(seed=0)}


@pytest.fixture
def pictures(tmp_path, content_image, style_image):
    content, style = tmp_path / "content.png", tmp_path / "style.png"
    Image.fromarray((content_image * 255).astype(np.uint8)).save(content)
    Image.fromarray((style_image * 255).astype(np.uint8)).save(style)
    return content, style


def _json(capsys, argv) -> dict:
    capsys.readouterr()
    assert main(argv, **TINY) == 0
    return json.loads(capsys.readouterr().out)


def _is_scorecard(card) -> bool:
    return card is not None and card["version"] == SCORECARD_VERSION and \
        all(isinstance(card[name], float) and np.isfinite(card[name]) for name in MEASURES)


def test_stylize_save_keeps_the_scorecard_and_the_gallery_json_shows_it(pictures, tmp_path, capsys):
    content, style = pictures
    report = _json(capsys, ["stylize", "--content", str(content), "--style", str(style), "-o",
                            str(tmp_path / "o.png"), "--size", "64", "--scales", "1", "--iterations", "3",
                            "--save", "--json"])
    assert _is_scorecard(report["scorecard"])
    shown = _json(capsys, ["gallery", "show", str(report["run_id"]), "--json"])
    assert shown["scorecard"] == report["scorecard"]
    listed = _json(capsys, ["gallery", "list", "--json"])
    assert [row["scorecard"] for row in listed] == [report["scorecard"]]


def _saved_without_scorecard(store: Store, content, style, seed: int) -> int:
    rng = np.random.default_rng(seed)
    image = rng.uniform(0, 1, content.shape).astype(np.float32)
    from nst.params import StyleParams
    from nst.run_types import LossTerms

    result = {"image": image, "status": "finished", "message": "", "steps": 1, "seconds": 1.0,
              "losses": LossTerms(1.0, 0.5, 0.4, 0.1), "history": [],
              "snapshots": [], "weight_changes": [], "trace_seconds": {}, "params": StyleParams(size=64),
              "weights_id": "tiny", "device": "CPU", "leakage": None}
    return store.save(run_to_save(result, content=content, styles=[style], content_name="c.png",
                                  style_names=("s.png",)))


def test_rescore_fills_in_old_runs_and_other_versions_and_scores_go_with_their_run(
        content_image, style_image, capsys):
    with Store() as store:
        first = _saved_without_scorecard(store, content_image, style_image, 1)
        second = _saved_without_scorecard(store, content_image, style_image, 2)
        store.save_scorecard(second, {"version": "nst-scorecard-v0", **{m: 0.5 for m in MEASURES}})
        assert store.runs_without_scorecard() == [first, second]  # an older version counts as missing
    assert [row["scorecard"] for row in _json(capsys, ["gallery", "list", "--json"])] == [None, None]
    assert _json(capsys, ["gallery", "rescore", "--json"]) == {"version": SCORECARD_VERSION,
                                                                 "scored": [first, second]}
    with Store() as store:
        cards = store.scorecards([first, second])
        assert set(cards) == {first, second} and all(_is_scorecard(c) for c in cards.values())
        assert cards[first] != cards[second]  # measured, not a constant
        assert store.runs_without_scorecard() == []
        store.delete_run(first)
        assert store.db.conn().execute("SELECT count(*) FROM scorecards WHERE run_id = ?", (first,)).fetchone()[0] == 0
    assert _json(capsys, ["gallery", "rescore", "--json"])["scored"] == []  # nothing left to do


def test_a_blend_is_scored_against_each_painting_and_weighted():
    cards = [{m: 0.0 for m in MEASURES}, {m: 1.0 for m in MEASURES}]
    assert blended(cards, [1.0, 3.0]) == {m: 0.75 for m in MEASURES}


def test_rescore_of_a_missing_run_is_one_sentence(capsys):
    assert main(["gallery", "rescore", "999"], **TINY) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and len(err.strip().splitlines()) == 1


def test_the_gallery_sorts_and_filters_by_each_measure(content_image, style_image):
    with Store() as store:
        ids = [_saved_without_scorecard(store, content_image, style_image, seed) for seed in range(4)]
        values = {ids[0]: (0.9, 0.5, 0.4, 0.20), ids[1]: (0.6, 0.3, 0.2, 0.01), ids[2]: (0.8, 0.4, 0.6, 0.05)}
        for run_id, (structure, style_gap, colour_gap, copied) in values.items():
            store.save_scorecard(run_id, {"version": SCORECARD_VERSION, "structure": structure,
                                           "style_gap": style_gap, "colour_gap": colour_gap, "copied": copied})
        order = {sort: [r.id for r in store.list_runs(sort=sort)] for sort in MEASURES}
        assert order["structure"] == [ids[0], ids[2], ids[1], ids[3]]  # higher first; unscored last
        assert order["style_gap"] == [ids[1], ids[2], ids[0], ids[3]]  # lower first
        assert order["colour_gap"] == [ids[1], ids[0], ids[2], ids[3]]
        assert order["copied"] == [ids[1], ids[2], ids[0], ids[3]]
        assert [r.id for r in store.list_runs(bounds={"copied": 0.05}, sort="oldest")] == [ids[1], ids[2]]
        assert store.count_runs(bounds={"structure": 0.7, "copied": 0.1}) == 1
