"""Sweeps, method comparisons (recipes as presets) and their CLI commands, on the tiny network."""

from __future__ import annotations

import json

import numpy as np
import pytest

from nst.batch import compare_items, parse_grid, run_batch, sweep_items
from nst.cli import main
from nst.run_types import RunControl, RunInputs
from nst.errors import ParamsError
from nst.model import tiny_feature_net_for_tests
from nst.params import QUALITY_PRESETS, StyleParams
from nst.recipes import RECIPES, recipe

TINY = {"net_factory": lambda weights: tiny_feature_net_for_tests(seed=0)}


def test_a_3x3_sweep_is_a_labelled_grid_at_preview_size():
    items = sweep_items(StyleParams(size=1024), {"style_weight": [3, 10, 30], "content_weight": [0.5, 1, 2]})
    assert len(items) == 9
    assert [(i.row, i.col) for i in items][:4] == [(0, 0), (0, 1), (0, 2), (1, 0)]
    assert items[5].label == "style_weight=10 · content_weight=2"
    assert items[5].params.style_weight == 10 and items[5].params.content_weight == 2
    preview = QUALITY_PRESETS["Preview"]
    assert all(i.params.size == 256 and (i.params.scales, i.params.iterations) == (preview["scales"],
                                                                                    preview["iterations"])
               for i in items)


@pytest.mark.parametrize("grid, message", [
    ({"size": [1, 2]}, "Cannot sweep"),
    ({"style_weight": [1], "tv_weight": [1], "content_weight": [1]}, "one or two"),
    ({"style_weight": [1, 2, 3, 4, 5, 6]}, "1 to 5"),
    ({"style_weight": [-1.0]}, "style_weight"),
])
def test_bad_sweeps_are_refused(grid, message):
    with pytest.raises(ParamsError, match=message):
        sweep_items(StyleParams(), grid)


def test_grid_flags_parse():
    assert parse_grid(["style-weight=1,2", "tv_weight=0.5"]) == {"style_weight": [1.0, 2.0], "tv_weight": [0.5]}
    with pytest.raises(ParamsError, match="--grid"):
        parse_grid(["style_weight=a"])


def test_recipes_carry_their_published_settings():
    tutorial = recipe("tf-tutorial").params(512, native=True)
    assert (tutorial.optimizer, tutorial.learning_rate, tutorial.adam_beta1, tutorial.adam_epsilon) == \
        ("adam", 0.02, 0.99, 0.1)
    assert tutorial.content_layers == (("block5_conv2", 1.0),) and tutorial.tv_form == "l1_sum"
    assert tutorial.iterations == 1000 and tutorial.time_limit == 0
    gatys = recipe("gatys-2015").params(512, native=True)
    assert gatys.pooling == "avg" and gatys.init == "noise" and gatys.style_weight / gatys.content_weight == 1e3
    johnson = recipe("jcjohnson").params(512, native=True)
    deep, shallow = johnson.style_layers[-1][1], johnson.style_layers[0][1]
    assert deep / shallow == pytest.approx((64 / 512) ** 2)  # Gram / (C*H*W) expressed as 1/C^2
    with pytest.raises(ParamsError, match="Unknown method"):
        recipe("magic")


def test_fair_comparison_gives_every_method_the_same_size_and_budget():
    items = compare_items(list(RECIPES), size=256, seconds=60)
    assert {i.params.size for i in items} == {256}
    assert {i.params.time_limit for i in items} == {60}
    native = compare_items(["tf-tutorial"], native=True, size=512)
    assert native[0].params.time_limit == 0 and native[0].params.iterations == 1000


def test_cancel_skips_the_rest_of_a_batch(content_image, style_image):
    control = RunControl()
    done = []

    def on_result(item, result):
        done.append(item.label)
        control.cancel()

    items = sweep_items(StyleParams(size=64), {"style_weight": [1, 10, 100]})
    results = run_batch(items, RunInputs(content_image, [style_image]), net=tiny_feature_net_for_tests(), control=control,
                        on_result=on_result)
    assert len(results) == 1 and done == ["style_weight=1"]


def test_sweep_cli_saves_a_group_that_the_gallery_lists(pictures, tmp_path, capsys):
    from nst.store import Store

    content, style = pictures
    code = main(["sweep", "--content", content, "--style", style, "--grid", "style_weight=1,10",
                 "--grid", "tv_weight=0.5,2", "--size", "64", "--save", "--json", "-o", str(tmp_path / "cells")],
                **TINY)
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and len(report["items"]) == 4
    assert all(item["score"] > 0 and "run_id" in item for item in report["items"])
    assert len(list((tmp_path / "cells").glob("sweep_*.png"))) == 4
    assert main(["gallery", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {r["group_id"] for r in listed} == {report["group_id"]}
    with Store() as store:  # sweep cells keep their leakage for the gallery's grid
        assert all(store.get_run(i["run_id"]).leakage is not None for i in report["items"])
    assert sorted(r["group_label"] for r in listed) == sorted(i["label"] for i in report["items"])
    run_id = report["items"][0]["run_id"]
    assert main(["gallery", "show", str(run_id), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["params"]["style_weight"] == 1.0
    assert main(["gallery", "export", str(run_id), "-o", str(tmp_path / "export"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["output"].endswith(".png")
    assert main(["gallery", "delete", str(run_id)]) == 0
    capsys.readouterr()
    assert main(["gallery", "show", str(run_id)]) == 2
    assert str(run_id) in capsys.readouterr().err


def test_compare_cli_runs_each_method_with_time_and_score(pictures, capsys):
    content, style = pictures
    code = main(["compare", "--content", content, "--style", style, "--methods", "studio,tf-tutorial",
                 "--size", "64", "--seconds", "0.001", "--json"], **TINY)
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert [i["label"] for i in report["items"]] == ["This studio's default", "TensorFlow tutorial"]
    assert all(i["status"] == "finished" and np.isfinite(i["score"]) for i in report["items"])


def test_stylize_save_keeps_the_run(pictures, tmp_path, capsys):
    content, style = pictures
    code = main(["stylize", "--content", content, "--style", style, "-o", str(tmp_path / "o.png"), "--size", "64",
                 "--scales", "1", "--iterations", "3", "--save", "--title", "first try", "--json"], **TINY)
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    assert code == 0
    from nst.store import Store

    with Store() as store:
        record = store.get_run(run_id)
    assert record.title == "first try" and record.params.iterations == 3
    assert record.score is not None and record.score > 0  # scored like the studio's runs
    assert record.leakage is not None
