"""Smoke run of benchmarks/quality.py on the tiny network and drawn images (no timing asserted).

What must keep working as the engine changes: every pair x preset gets a row with the
scorecard and the frozen score, jcjohnson's result is measured where one is published, the
contact sheet has a row per pair, and --resume does not run a pair twice.
"""

from __future__ import annotations

import json

import pytest

from benchmarks import quality
from nst.encode import save_png
from nst.images import load_image


@pytest.fixture
def images(tmp_path, content_image, style_image):
    root = tmp_path / "images"
    for folder in ("content", "style", "reference/jcjohnson"):
        (root / folder).mkdir(parents=True)
    save_png(root / "content" / "tubingen.png", content_image)
    (root / "content" / "tubingen.jpg").write_bytes((root / "content" / "tubingen.png").read_bytes())
    (root / "style" / "starry_night.jpg").write_bytes(_png(tmp_path, style_image))
    save_png(root / "reference" / "jcjohnson" / "tubingen_starry.png", style_image)
    return root


def _png(tmp_path, pixels) -> bytes:
    save_png(tmp_path / "x.png", pixels)
    return (tmp_path / "x.png").read_bytes()


def _config(images, out, **changes):
    return quality.Config(size=64, presets=("v1", "default"), images=images, out=out, quick=True, **changes)


def test_every_pair_and_preset_gets_a_scorecard_row_and_a_contact_sheet_row(tiny_net, images, tmp_path):
    out = tmp_path / "out"
    report = quality.run(_config(images, out), net=tiny_net, log=lambda m: None)
    pairs = {r["pair"] for r in report["rows"]}
    assert pairs == {"tubingen__starry_night", "tubingen__drawn_portrait"}  # the drawn portrait joins the panel
    presets = [(r["pair"], r["preset"]) for r in report["rows"]]
    assert ("tubingen__starry_night", "jcjohnson") in presets  # a published result is measured too
    assert ("tubingen__drawn_portrait", "jcjohnson") not in presets
    for row in report["rows"]:
        assert {"structure", "style_gap", "colour_gap", "copied", "nst_score"} <= set(row)
    assert report["summary"]["default/figurative"]["copied"] >= 0
    assert "default/time_ratio_to_v1" in report["summary"]
    assert report["step_time"]["run_time_ratio"]["v1"] == pytest.approx(1.0)  # the speed check has both presets
    assert report["step_time"]["run_time_ratio"]["default"] > 0
    sheet = load_image(out / "contact_sheet.jpg").pixels
    assert sheet.shape[0] == 20 + 2 * quality.CELL and sheet.shape[1] == 5 * quality.CELL
    saved = json.loads((out / "quality.json").read_text())
    assert len(saved["rows"]) == len(report["rows"])
    assert "| tubingen__drawn_portrait | v1 |" in (out / "quality.md").read_text()


def test_resume_keeps_pairs_already_run(tiny_net, images, tmp_path, monkeypatch):
    out = tmp_path / "out"
    quality.run(_config(images, out, pairs=(("tubingen", "starry_night"),)), net=tiny_net, log=lambda m: None)
    monkeypatch.setattr(quality, "run_pair", lambda *a, **k: pytest.fail("ran a pair again"))
    report = quality.run(_config(images, out, pairs=(("tubingen", "starry_night"),), resume=True),
                         net=tiny_net, log=lambda m: None)
    assert len(report["rows"]) == 3


def test_an_unknown_pair_is_refused_with_the_choices(images, tmp_path):
    with pytest.raises(SystemExit, match="No pair tubingen:nope.*paintings: starry_night, drawn_portrait"):
        quality.panel(_config(images, tmp_path, pairs=(("tubingen", "nope"),)))


def test_the_frozen_defaults_differ_from_the_current_one_only_in_style_layers_weight_start_and_balance():
    new = quality.PRESETS["default"](512).replace(init="content", style_balance=0.0).to_dict()
    frozen = {
        "v1": {f"block{n}_conv1": 1.0 for n in range(1, 6)},  # before issue #12
        "v2": {"block1_conv1": 1.0, "block2_conv1": 1.0, "block3_conv1": 1.0, "block4_conv1": 0.25,
               "block5_conv1": 0.0625},  # issue #12
    }
    for name, layers in frozen.items():
        old = quality.PRESETS[name](512).to_dict()
        assert old.pop("style_layers") == layers and old.pop("style_weight") == 10.0
        assert {k: v for k, v in new.items() if k not in ("style_layers", "style_weight")} == old
    today = quality.PRESETS["default"](512)
    assert today.style_weight == 28.0 and today.init == "palette" and today.style_balance == 0.75  # issue #20's last
    before = today.replace(init="content", style_balance=0.0)
    assert quality.PRESETS["v4"](512) == before.replace(style_weight=30.0)  # issue #20's before the palette start
    assert quality.PRESETS["v3_sw20"](512) == before.replace(style_weight=20.0)  # before that
    assert quality.PRESETS["v3"](512) == before.replace(style_weight=15.0)  # its first
