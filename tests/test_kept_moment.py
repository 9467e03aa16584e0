"""The moment a run keeps (nst.store.moments, ``nst gallery keep``): stored with the run, in its JSON,
what the gallery's card and ``gallery export`` show; the final image stays kept; rescore measures the
snapshots the suggestion is made from."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst.cli import main
from nst.encode import to_uint8
from nst.errors import StoreError
from nst.model import tiny_feature_net_for_tests
from nst.params import StyleParams
from nst.run_types import LossTerms, Snapshot
from nst.scorecard_measures import SCORECARD_VERSION
from nst.store import Store
from saved_runs import run_to_save

TINY = {"net_factory": lambda weights: tiny_feature_net_for_tests(seed=0)}
H, W = 24, 32


def _picture(seed: int, h: int = H, w: int = W) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (h, w, 3), dtype=np.uint8)


def save_run(store: Store, content, style) -> int:
    """A run of two scales: a small snapshot of the first, three of the final scale (steps 20, 30, 40)."""
    snapshots = [Snapshot(10, 0, _picture(10, H // 2, W // 2), LossTerms(3, 2, 1, 0))] + [
        Snapshot(step, 1, _picture(step), LossTerms(2 - step / 100, 1, 1, 0)) for step in (20, 30, 40)]
    result = {"image": _picture(99).astype(np.float32) / 255, "status": "finished", "message": "", "steps": 45,
              "seconds": 1.0, "losses": LossTerms(1.0, 0.5, 0.4, 0.1), "history": [], "snapshots": snapshots,
              "weight_changes": [], "trace_seconds": {}, "params": StyleParams(size=64, scales=2),
              "weights_id": "tiny", "device": "CPU", "leakage": None}
    return store.save(run_to_save(result, content=content, styles=[style], content_name="c.png"))


def score(store: Store, run_id: int, structures: dict) -> None:
    """Scorecards by hand: ``{step or None: structure}`` at the same style gap."""
    card = lambda s: {"version": SCORECARD_VERSION, "structure": s, "style_gap": 0.3, "colour_gap": 0.3, "copied": 0}
    store.save_scorecard(run_id, card(structures.pop(None)))
    store.save_moment_scorecards(run_id, {step: card(s) for step, s in structures.items()})


def _json(capsys, argv) -> dict:
    capsys.readouterr()
    assert main(argv, **TINY) == 0
    return json.loads(capsys.readouterr().out)


def test_the_kept_moment_round_trips_and_is_the_cards_picture(content_image, style_image):
    with Store() as store:
        run_id = save_run(store, content_image, style_image)
        final_thumb = store.picture_thumbnails([run_id])[run_id]
        moments = store.run_moments([run_id])[run_id]
        assert moments.candidates == (20, 30, 40) and moments.suggestion is None and moments.kept_step is None
        score(store, run_id, {20: 0.5, 30: 0.8, 40: 0.7, None: 0.6})
        assert store.run_moments([run_id])[run_id].suggestion.step == 30
        store.keep_moment(run_id, 30)
    with Store() as store:  # stored: another process sees it
        assert store.run_moments([run_id])[run_id].kept_step == 30
        assert np.array_equal(to_uint8(store.kept_image(run_id)), _picture(30))
        thumb = store.picture_thumbnails([run_id])[run_id]
        assert thumb != final_thumb and Image.open(io.BytesIO(thumb)).size == (W, H)
        assert np.array_equal(to_uint8(store.output_image(run_id)), _picture(99))  # the final image stays
        store.keep_moment(run_id, None)
        assert store.run_moments([run_id])[run_id].kept_step is None
        assert store.picture_thumbnails([run_id])[run_id] == final_thumb


def test_only_a_snapshot_of_the_final_scale_can_be_kept_and_the_choice_goes_with_its_run(content_image, style_image):
    with Store() as store:
        run_id = save_run(store, content_image, style_image)
        with pytest.raises(StoreError, match=r"no snapshot of its final scale at step 10 .*20, 30, 40"):
            store.keep_moment(run_id, 10)  # the first scale's smaller picture
        with pytest.raises(StoreError, match="no run 999"):
            store.keep_moment(999, 20)
        store.keep_moment(run_id, 20)
        score(store, run_id, {20: 0.5, 30: 0.8, 40: 0.7, None: 0.6})
        store.delete_run(run_id)
        conn = store.db.conn()
        assert conn.execute("SELECT count(*) FROM kept_moments").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM moment_scorecards").fetchone()[0] == 0


def test_keep_from_the_cli_changes_what_export_writes_and_the_json(content_image, style_image, tmp_path, capsys):
    with Store() as store:
        run_id = save_run(store, content_image, style_image)
        score(store, run_id, {20: 0.5, 30: 0.8, 40: 0.7, None: 0.6})
    shown = _json(capsys, ["gallery", "show", str(run_id), "--json"])
    assert shown["moment"]["kept"] == {"step": None, "final": True}
    assert shown["moment"]["suggested"]["step"] == 30 and len(shown["moment"]["moments"]) == 4
    assert _json(capsys, ["gallery", "keep", str(run_id), "--suggested", "--json"]) == \
        {"run_id": run_id, "step": 30, "final": False}
    assert [row["moment"]["kept"]["step"] for row in _json(capsys, ["gallery", "list", "--json"])] == [30]
    out = tmp_path / "out"
    exported = Path(_json(capsys, ["gallery", "export", str(run_id), "-o", str(out), "--json"])["output"])
    with Image.open(exported) as png:
        assert np.array_equal(np.asarray(png.convert("RGB")), _picture(30)) and png.text["nst:kept_step"] == "30"
    assert json.loads(exported.with_suffix(".json").read_text())["moment"]["kept"]["step"] == 30
    _json(capsys, ["gallery", "keep", str(run_id), "--final", "--json"])
    exported = Path(_json(capsys, ["gallery", "export", str(run_id), "-o", str(out), "--json"])["output"])
    with Image.open(exported) as png:
        assert np.array_equal(np.asarray(png.convert("RGB")), _picture(99)) and "nst:kept_step" not in png.text


def test_keeping_a_step_that_is_no_moment_is_one_sentence(content_image, style_image, capsys):
    with Store() as store:
        run_id = save_run(store, content_image, style_image)
    for argv in (["--snapshot", "25"], ["--suggested"]):
        capsys.readouterr()
        assert main(["gallery", "keep", str(run_id), *argv], **TINY) == 2
        err = capsys.readouterr().err
        assert err.startswith("error:") and len(err.strip().splitlines()) == 1


def test_rescore_measures_the_moments_the_suggestion_is_made_from(content_image, style_image, capsys):
    with Store() as store:
        run_id = save_run(store, content_image, style_image)
    assert _json(capsys, ["gallery", "rescore", "--json"])["scored"] == [run_id]
    moments = _json(capsys, ["gallery", "show", str(run_id), "--json"])["moment"]
    assert [m["step"] for m in moments["moments"]] == [20, 30, 40, None]
    structures = [m["scorecard"]["structure"] for m in moments["moments"]]
    assert len(set(structures)) == 4  # measured, each picture on its own
    assert moments["suggested"]["rule"] == "nst-moment-v1"
    assert _json(capsys, ["gallery", "rescore", "--json"])["scored"] == []  # nothing left to measure


def test_the_pools_sheet_shows_the_kept_moment(content_image, style_image, tmp_path, capsys):
    with Store() as store:
        run_id = save_run(store, content_image, style_image)
    sheet = tmp_path / "sheet.png"
    _json(capsys, ["gallery", "export", str(run_id), "--sheet", str(sheet), "--json"])
    final = np.asarray(Image.open(sheet).convert("RGB"))
    _json(capsys, ["gallery", "keep", str(run_id), "--snapshot", "30", "--json"])
    _json(capsys, ["gallery", "export", str(run_id), "--sheet", str(sheet), "--json"])
    kept = np.asarray(Image.open(sheet).convert("RGB"))
    assert kept.shape == final.shape and not np.array_equal(kept, final)  # same layout, another picture
