"""The command line: exit codes, JSON shape, one-line errors, Ctrl-C."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nst.cli import main
from nst.images import load_image, read_png_metadata
from nst.model import tiny_feature_net_for_tests
from nst.params import StyleParams

ROOT = Path(__file__).resolve().parents[1]
TINY = {"net_factory": lambda weights: tiny_feature_net_for_tests(seed=0)}


@pytest.fixture
def pictures(tmp_path, content_image, style_image):
    content = tmp_path / "content.png"
    style = tmp_path / "style.jpg"
    Image.fromarray((content_image * 255).astype(np.uint8)).save(content)
    Image.fromarray((style_image * 255).astype(np.uint8)).save(style, quality=95)
    return content, style


def stylize_args(content, style, out, *extra):
    return ["stylize", "--content", str(content), "--style", str(style), "-o", str(out),
            "--size", "64", "--scales", "1", "--iterations", "4", *extra]


def test_stylize_writes_the_png_and_one_json_object(pictures, tmp_path, capsys):
    out = tmp_path / "out" / "result.png"
    code = main(stylize_args(*pictures, out, "--json", "--snapshots", str(tmp_path / "snaps")), **TINY)
    captured = capsys.readouterr()
    assert code == 0
    report = json.loads(captured.out)  # exactly one JSON object on stdout
    assert {"output", "width", "height", "seconds", "steps", "status", "losses"} <= set(report)
    assert "iterations" not in report  # the budget is params.iterations; the report counts steps made
    assert (report["width"], report["height"]) == (64, 48)
    assert report["status"] == "finished" and report["steps"] == 4
    assert set(report["losses"]) == {"total", "content", "style", "tv"}
    assert load_image(out).size == (64, 48)
    params = json.loads(read_png_metadata(out)["nst:params"])
    assert params["size"] == 64 and params["iterations"] == 4
    assert list((tmp_path / "snaps").glob("step_*.png"))


def test_style_blend_and_several_styles(pictures, tmp_path, capsys):
    content, style = pictures
    code = main(stylize_args(content, style, tmp_path / "o.png", "--style", str(style),
                             "--style-blend", "0.7,0.3", "--json"), **TINY)
    assert code == 0
    assert json.loads(capsys.readouterr().out)["params"]["style_blend"] == [0.7, 0.3]


@pytest.mark.parametrize("extra, message", [
    (["--size", "abc"], "invalid int value"),
    (["--style-weight", "-1"], "style_weight"),
    (["--style-weight", "nan"], "style_weight"),
    (["--optimizer", "sgd"], "invalid choice"),
    (["--style-blend", "0.5,x"], "--style-blend"),
    (["--style-blend", "1,2"], "2 weights for 1"),
])
def test_bad_flag_values_exit_2_with_one_line(pictures, tmp_path, capsys, extra, message):
    code = main(stylize_args(*pictures, tmp_path / "o.png", *extra), **TINY)
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and message in err[0] and err[0].startswith("error:")


def test_missing_and_broken_inputs_exit_2(pictures, tmp_path, capsys):
    content, style = pictures
    assert main(stylize_args(tmp_path / "nope.jpg", style, tmp_path / "o.png"), **TINY) == 2
    assert "nope.jpg" in capsys.readouterr().err
    text = tmp_path / "notes.jpg"
    text.write_text("not a picture")
    assert main(stylize_args(content, text, tmp_path / "o.png"), **TINY) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "notes.jpg" in err[0]
    assert main(stylize_args(content, style, tmp_path / "o.jpg"), **TINY) == 2


def test_weights_unavailable_says_what_to_set(pictures, tmp_path, capsys, monkeypatch):
    for var in ("NST_VGG19_WEIGHTS",):
        monkeypatch.delenv(var, raising=False)
    for var in ("HOME", "KERAS_HOME", "NST_CACHE_DIR", "XDG_CACHE_HOME"):
        monkeypatch.setenv(var, str(tmp_path / "empty-home"))
    code = main(stylize_args(*pictures, tmp_path / "o.png"))  # the real model chain, offline
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert "NST_VGG19_WEIGHTS" in err[-1]
    assert not (tmp_path / "o.png").exists()


def test_score_reports_a_versioned_definition(pictures, tmp_path, capsys):
    content, style = pictures
    code = main(["score", "--content", str(content), "--style", str(style), "--image", str(content),
                 "--size", "64", "--json"], **TINY)
    report = json.loads(capsys.readouterr().out)
    assert code == 0
    assert report["definition"]["version"] == "nst-score-v1"
    assert report["terms"]["content"] == pytest.approx(0.0, abs=1e-3)  # the content image itself
    assert report["vgg19_weights_sha256"].startswith("tiny-test-net")
    main(["score", "--content", str(content), "--style", str(style), "--image", str(style),
          "--size", "64", "--json"], **TINY)
    other = json.loads(capsys.readouterr().out)
    assert other["terms"]["content"] > 0.1


def test_score_does_not_follow_style_params_defaults(pictures, monkeypatch, capsys):
    import nst.params

    content, style = pictures
    args = ["score", "--content", str(content), "--style", str(style), "--image", str(style), "--size", "64",
            "--json"]
    main(args, **TINY)
    before = json.loads(capsys.readouterr().out)["score"]
    monkeypatch.setattr(nst.params, "DEFAULT_STYLE_LAYERS", (("block1_conv1", 1.0),))
    monkeypatch.setattr(nst.params.StyleParams, "style_weight", 123.0)
    main(args, **TINY)
    assert json.loads(capsys.readouterr().out)["score"] == before


def test_weights_command_reports_the_source(tmp_path, monkeypatch, capsys):
    h5py = pytest.importorskip("h5py")
    fake = tmp_path / "fake.h5"
    with h5py.File(fake, "w") as f:
        f.attrs["layer_names"] = []
    monkeypatch.setenv("NST_VGG19_WEIGHTS", str(fake))
    assert main(["weights", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["path"] == str(fake) and "NST_VGG19_WEIGHTS" in report["source"]


def _env():
    env = dict(os.environ, PYTHONPATH=str(ROOT), NST_OFFLINE="1")
    env.pop("NST_VGG19_WEIGHTS", None)
    return env


def test_module_entry_point_error_has_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "nst", "stylize", "--content", str(tmp_path / "x.jpg"),
                           "--style", str(tmp_path / "y.jpg"), "-o", str(tmp_path / "o.png")],
                          capture_output=True, text=True, env=_env(), cwd=tmp_path, timeout=120)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1].startswith("error:")


def test_ctrl_c_writes_the_best_image_and_exits_130(pictures, tmp_path):
    out = tmp_path / "interrupted.png"
    script = (
        "import sys\n"
        "from nst.cli import main\n"
        "from nst.model import tiny_feature_net_for_tests\n"
        "sys.exit(main(sys.argv[1:], net_factory=lambda w: tiny_feature_net_for_tests()))\n"
    )
    args = stylize_args(*pictures, out)
    args[args.index("--iterations") + 1] = "100000"
    # a shell running the suite in the background makes its children ignore SIGINT: restore Ctrl-C
    proc = subprocess.Popen([sys.executable, "-c", script, *args], env=_env(), stderr=subprocess.PIPE,
                            text=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until steps are being made (not a timing assertion)
        line = proc.stderr.readline()
        lines.append(line)
        if "scale 1/1" in line:
            break
    proc.send_signal(signal.SIGINT)
    rest = proc.communicate(timeout=120)[1]
    assert proc.returncode == 130, "".join(lines) + rest
    assert "Traceback" not in rest
    assert load_image(out).size == (64, 48)
    assert read_png_metadata(out)["nst:status"] == "stopped"


def test_mask_and_flat_protection_flags(pictures, tmp_path, capsys):
    content, style = pictures
    mask = tmp_path / "mask.png"
    Image.fromarray(np.zeros((20, 30), np.uint8)).save(mask)  # another size than the content
    code = main(stylize_args(content, style, tmp_path / "o.png", "--mask", str(mask), "--protect-flat", "0.5",
                             "--json"), **TINY)
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["params"]["protect_flat"] == 0.5
    assert set(report["leakage"]) == {"leakage", "detail_elsewhere", "flat_fraction"}
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"PNG? no")
    assert main(stylize_args(content, style, tmp_path / "o.png", "--mask", str(broken)), **TINY) == 2
    assert "broken.png" in capsys.readouterr().err
    assert main(stylize_args(content, style, tmp_path / "o.png", "--protect-flat", "2"), **TINY) == 2


def test_detail_mask_flags(pictures, tmp_path, capsys):
    content, style = pictures
    detail = tmp_path / "detail.png"
    Image.fromarray(np.full((24, 32), 255, np.uint8)).save(detail)  # another size than the content
    code = main(stylize_args(content, style, tmp_path / "o.png", "--detail-mask", str(detail),
                             "--detail-strength", "0.5", "--json"), **TINY)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(captured.out)
    assert code == 0 and report["params"]["detail_strength"] == 0.5
    broken = tmp_path / "notes.png"
    broken.write_bytes(b"not a picture")
    assert main(stylize_args(content, style, tmp_path / "o.png", "--detail-mask", str(broken)), **TINY) == 2
    assert "notes.png" in capsys.readouterr().err
    assert main(stylize_args(content, style, tmp_path / "o.png", "--detail-strength", "-1"), **TINY) == 2
    err = capsys.readouterr().err
    assert "detail_strength" in err and "Traceback" not in err


# ---- StyleParams is the one source of the flags (issue 13) ---------------------------------
def _recipe_and_sweep_params():
    from nst.batch import compare_items, sweep_items
    from nst.recipes import RECIPES

    cells = [item.params for item in compare_items(list(RECIPES), seconds=100.0)]
    cells += [item.params.replace(iterations=100_000) for item in compare_items(list(RECIPES), native=True)]
    cells.append(sweep_items(StyleParams(seed=3), {"style_weight": [3.0, 30.0], "tv_weight": [0.5]})[1].params)
    cells.append(StyleParams(style_blend=(0.7, 0.3), precision="float32", snapshot_every=7, adam_beta1=0.5))
    return cells


@pytest.mark.parametrize("params", _recipe_and_sweep_params(), ids=lambda p: f"{p.style_loss_form}-{p.init}")
def test_every_recipe_and_a_sweep_cell_round_trip_through_the_flags(params):
    from nst.cli import build_parser
    from nst.flags import params_from_args, params_to_argv

    n_styles = max(1, len(params.style_blend))
    argv = ["stylize", "--content", "c.png", "-o", "o.png", *(["--style", "s.png"] * n_styles)]
    args = build_parser().parse_args(argv + params_to_argv(params))
    assert params_from_args(args, n_styles) == params


def test_every_params_field_has_a_flag_with_its_help():
    from nst.cli import build_parser
    from nst.params import param_specs

    stylize = build_parser()._subparsers._group_actions[0].choices["stylize"]
    flags = {option: action for action in stylize._actions for option in action.option_strings}
    for name, spec in param_specs().items():
        action = flags["--" + name.replace("_", "-")]
        assert spec.help.split(";")[0][:20] in action.help or name == "style_blend"
        if spec.choices:
            assert tuple(action.choices) == spec.choices


def test_a_params_file_is_the_base_and_flags_override_it(pictures, tmp_path, capsys):
    from nst.recipes import recipe

    content, style = pictures
    saved = recipe("tf-tutorial").params(64, time_limit=0.0, native=False).replace(iterations=3)
    params_file = tmp_path / "run.json"
    params_file.write_text(json.dumps({"params": saved.to_dict()}))
    code = main(["stylize", "--content", str(content), "--style", str(style), "-o", str(tmp_path / "o.png"),
                 "--params", str(params_file), "--seed", "5", "--json"], **TINY)
    assert code == 0
    used = StyleParams.from_dict(json.loads(capsys.readouterr().out)["params"])
    assert used == saved.replace(seed=5)


def test_layer_flags_take_layer_weight_pairs(pictures, tmp_path, capsys):
    content, style = pictures
    code = main(stylize_args(content, style, tmp_path / "o.png", "--style-layers", "block1_conv1=2,block2_conv1",
                             "--content-layers", "block3_conv1=1", "--tv-form", "l1_sum", "--json"), **TINY)
    assert code == 0
    used = StyleParams.from_dict(json.loads(capsys.readouterr().out)["params"])
    assert used.style_layers == (("block1_conv1", 2.0), ("block2_conv1", 1.0))
    assert used.content_layers == (("block3_conv1", 1.0),) and used.tv_form == "l1_sum"
    assert main(stylize_args(content, style, tmp_path / "o.png", "--style-layers", "block1_conv1=x"), **TINY) == 2
    assert "layer=weight pairs" in capsys.readouterr().err


def test_a_bad_input_file_is_one_line_before_tensorflow_loads(tmp_path):
    bad = tmp_path / "holiday.jpg"
    bad.write_bytes(b"not a picture")
    script = ("import sys\nfrom nst.cli import main\ncode = main(sys.argv[1:])\n"
              "assert 'tensorflow' not in sys.modules, 'TensorFlow was imported'\nsys.exit(code)\n")
    proc = subprocess.run([sys.executable, "-c", script, "stylize", "--content", str(bad), "--style", str(bad),
                           "-o", str(tmp_path / "o.png")], capture_output=True, text=True, env=_env(), cwd=ROOT,
                          timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == ["error: holiday.jpg is not an image file we can read (JPEG, PNG, WebP, "
                                        "BMP, TIFF or GIF)."]


def test_an_unknown_subcommand_points_at_the_top_level_help(capsys):
    assert main(["paint"]) == 2
    err = capsys.readouterr().err
    assert "(see python -m nst --help)" in err and "nst nst" not in err


@pytest.mark.real_weights
def test_a_real_run_writes_only_the_projects_own_lines_on_stderr(tmp_path):
    from conftest import SHARED_IMAGES, real_weights_path

    env = dict(_env(), NST_VGG19_WEIGHTS=str(real_weights_path()))
    proc = subprocess.run([sys.executable, "-m", "nst", "stylize", "--content",
                           str(SHARED_IMAGES / "content" / "tubingen.jpg"), "--style",
                           str(SHARED_IMAGES / "style" / "starry_night.jpg"), "-o", str(tmp_path / "o.png"),
                           "--size", "64", "--scales", "1", "--iterations", "1"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("VGG19 weights: ") and lines[-1].startswith("finished: ")
    assert not [line for line in lines if "absl" in line or "cuda" in line.lower() or line.startswith(("I0", "W0"))]


@pytest.mark.real_weights
def test_a_sweep_on_ray_saves_its_cells_and_writes_only_the_projects_own_lines(tmp_path):
    from conftest import SHARED_IMAGES, real_weights_path

    env = dict(_env(), NST_VGG19_WEIGHTS=str(real_weights_path()), NST_RAY_ADDRESS="local",
               NST_DATA_DIR=str(tmp_path / "gallery"))
    proc = subprocess.run([sys.executable, "-m", "nst", "sweep", "--content",
                           str(SHARED_IMAGES / "content" / "tubingen.jpg"), "--style",
                           str(SHARED_IMAGES / "style" / "starry_night.jpg"), "--grid", "style_weight=3,10",
                           "--size", "64", "--save", "--json"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["backend"] == "ray" and [i["status"] for i in report["items"]] == ["finished", "finished"]
    assert all(isinstance(i["run_id"], int) for i in report["items"])  # in the gallery, saved by the driver
    lines = proc.stderr.splitlines()
    assert lines[0] == "running 2 cells as Ray tasks on local"
    assert not [line for line in lines if "absl" in line or "cuda" in line.lower() or "Ray" in line[:10]
                or line.startswith(("I0", "W0", "E0"))]
