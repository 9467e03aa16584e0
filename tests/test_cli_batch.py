"""``nst sweep`` and ``nst compare`` take the StyleParams flags and ``--params`` like ``stylize`` (tiny network)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nst.cli import build_parser, main
from nst.model import tiny_feature_net_for_tests
from nst.params import QUALITY_PRESETS, StyleParams, param_specs
from nst.recipes import recipe
from nst.scorecard_measures import SCORECARD_VERSION
from nst.store import Store

TINY = {"net_factory": lambda weights: tiny_feature_net_for_tests(seed=0)}


def _options(command: str) -> set[str]:
    parser = build_parser()._subparsers._group_actions[0].choices[command]
    return {option for action in parser._actions for option in action.option_strings}


def _saved_params(report: dict) -> list[StyleParams]:
    with Store() as store:
        return [store.get_run(item["run_id"]).params for item in sorted(report["items"], key=lambda i: i["col"])]


@pytest.fixture
def saved_run(pictures, tmp_path, capsys) -> Path:
    """A gallery run painted with a recipe's loss form, as ``gallery show ID --json`` writes it."""
    content, style = pictures
    assert main(["stylize", "--content", content, "--style", style, "-o", str(tmp_path / "o.png"), "--size", "64",
                 "--scales", "1", "--iterations", "2", "--optimizer", "adam", "--style-loss-form", "mean",
                 "--tv-form", "l1_sum", "--seed", "4", "--save", "--json"], **TINY) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    assert main(["gallery", "show", str(run_id), "--json"]) == 0
    path = tmp_path / "run.json"
    path.write_text(capsys.readouterr().out)
    return path


def test_sweep_and_compare_take_every_flag_stylize_takes():
    stylize = _options("stylize")
    generated = {"--params"} | {"--" + name.replace("_", "-") for name in param_specs()}
    assert generated <= stylize
    for command in ("sweep", "compare"):
        assert generated | {"--init-image", "--mask", "--detail-mask"} <= _options(command), command


def test_a_sweep_around_a_gallery_runs_exact_parameters(pictures, saved_run, capsys):
    content, style = pictures
    stored = StyleParams.from_dict(json.loads(saved_run.read_text())["params"])
    code = main(["sweep", "--content", content, "--style", style, "--params", str(saved_run),
                 "--grid", "style_weight=3,30", "--iterations", "3", "--save", "--json"], **TINY)
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and [i["status"] for i in report["items"]] == ["finished", "finished"]
    assert _saved_params(report) == [stored.replace(style_weight=3.0, iterations=3),
                                     stored.replace(style_weight=30.0, iterations=3)]


def test_a_sweep_without_params_starts_at_preview_quality_and_flags_set_its_fields(pictures, capsys):
    content, style = pictures
    code = main(["sweep", "--content", content, "--style", style, "--grid", "tv_weight=0.5,2", "--size", "64",
                 "--iterations", "2", "--pooling", "avg", "--save", "--json"], **TINY)
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    cells = _saved_params(report)
    assert [c.tv_weight for c in cells] == [0.5, 2.0]
    preview_scales = QUALITY_PRESETS["Preview"]["scales"]
    assert {(c.size, c.scales, c.iterations, c.pooling) for c in cells} == {(64, preview_scales, 2, "avg")}


@pytest.mark.parametrize("extra, message", [
    (["--quality", "high", "--iterations", "5"], "give either --quality or --iterations"),
    (["--init", "image"], "--init image needs --init-image FILE."),
    (["--style-weight", "-1"], "style_weight"),
    (["--grid", "size=64,128"], "Cannot sweep 'size'"),
])
def test_bad_sweep_flags_are_one_line_and_exit_2(pictures, capsys, extra, message):
    content, style = pictures
    grid = [] if "--grid" in extra else ["--grid", "style_weight=1,2"]
    assert main(["sweep", "--content", content, "--style", style, *grid, *extra], **TINY) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err and err.startswith("error:")


def test_compare_starts_this_studios_method_from_params_and_sets_flags_in_every_method(pictures, saved_run, capsys):
    content, style = pictures
    stored = StyleParams.from_dict(json.loads(saved_run.read_text())["params"])
    code = main(["compare", "--content", content, "--style", style, "--methods", "studio,gatys-2015",
                 "--params", str(saved_run), "--size", "64", "--seed", "7", "--style-weight", "20",
                 "--iterations", "2", "--save", "--json"], **TINY)
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and [i["steps"] for i in report["items"]] == [2, 2]
    studio, gatys = _saved_params(report)
    shared = {"size": 64, "seed": 7, "style_weight": 20.0, "iterations": 2}
    assert studio == stored.replace(time_limit=60.0, **shared)  # the run's own loss form, on the fair budget
    assert gatys == recipe("gatys-2015").params(64, time_limit=60.0).replace(**shared)  # the recipe's losses


def test_compare_refuses_loss_form_flags_for_recipes_that_carry_their_own(pictures, capsys):
    content, style = pictures
    pair = ["compare", "--content", content, "--style", style, "--size", "64", "--iterations", "1"]
    assert main([*pair, "--methods", "studio,tf-tutorial,jcjohnson", "--tv-form", "l1_sum",
                 "--style-layers", "block1_conv1=1"], **TINY) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["error: --style-layers, --tv-form would change the losses of tf-tutorial, jcjohnson, which carry "
                   "their own; leave them out or compare --methods studio alone."]
    assert main([*pair, "--methods", "studio", "--tv-form", "l1_sum", "--json"], **TINY) == 0  # the studio's own
    assert json.loads(capsys.readouterr().out)["items"][0]["status"] == "finished"


@pytest.mark.parametrize("command", [["sweep", "--grid", "style_weight=3,30"], ["compare", "--methods", "studio,gatys-2015"]])
def test_every_cell_a_batch_saves_carries_its_scorecard_and_its_moments(pictures, capsys, command):
    content, style = pictures
    code = main([command[0], "--content", content, "--style", style, *command[1:], "--size", "64", "--scales", "2",
                 "--iterations", "4", "--save", "--json"], **TINY)
    report = json.loads(capsys.readouterr().out)
    ids = [item["run_id"] for item in report["items"]]
    assert code == 0 and len(ids) == 2
    assert all(item["scorecard"]["version"] == SCORECARD_VERSION for item in report["items"])
    with Store() as store:
        assert {i: c["structure"] for i, c in store.scorecards(ids).items()} == \
            {item["run_id"]: item["scorecard"]["structure"] for item in report["items"]}
        moments = store.run_moments(ids)
    assert all(moments[i].candidates and moments[i].suggestion is not None for i in ids)  # every snapshot measured
    assert main(["gallery", "rescore", "--json"], **TINY) == 0
    assert json.loads(capsys.readouterr().out)["scored"] == []  # nothing was left for rescore
