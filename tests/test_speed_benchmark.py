"""Smoke run of benchmarks/speed.py: every section runs end to end on the tiny network.

No timing is asserted (tests never depend on timing); the checks are that each section
produces its numbers, images and JSON, so the benchmark keeps working as the engine changes.
"""

import json

import numpy as np
import pytest

from benchmarks import speed, tutorial
from nst.run_types import RunInputs
from nst.engine import stylize
from nst.encode import save_png
from nst.resize import resize_long_side
from nst.recipes import RECIPES


@pytest.fixture
def pair_on_disk(tmp_path, content_image, style_image):
    paths = tmp_path / "content.png", tmp_path / "style.png"
    save_png(paths[0], content_image)
    save_png(paths[1], style_image)
    return (content_image, style_image), paths


def test_the_tutorial_loss_is_the_engines_tf_tutorial_objective(tiny_net, content_image, style_image):
    # This is what makes section 2b honest: the engine optimises exactly the tutorial's loss.
    recipe = RECIPES["tf-tutorial"].params(64).replace(scales=1, iterations=1, precision="float32")
    content = content_image  # already at the run's size: the engine does not resize it
    result = stylize(RunInputs(content, [style_image]), recipe.replace(size=max(content.shape[:2])), net=tiny_net)
    # the engine resizes the style to the content's long side; so does the tutorial
    ours = tutorial.Tutorial(tiny_net, content, resize_long_side(style_image, max(content.shape[:2])))
    assert ours.loss(content) == pytest.approx(result.history[0]["total"], rel=1e-4)


def test_the_tutorial_result_is_cached_by_input(tiny_net, content_image, style_image, tmp_path, monkeypatch):
    monkeypatch.setenv("NST_BENCH_CACHE", str(tmp_path))
    first = tutorial.cached_result(tiny_net, content_image, style_image, steps=3, log=lambda m: None)
    assert len(list(tmp_path.glob("tutorial-*.npz"))) == 1
    monkeypatch.setattr(tutorial.Tutorial, "step", lambda self: pytest.fail("recomputed a cached result"))
    again = tutorial.cached_result(tiny_net, content_image, style_image, steps=3, log=lambda m: None)
    np.testing.assert_array_equal(first.image, again.image)
    assert first.steps == 3 and not np.array_equal(first.image, content_image)


def test_quick_benchmark_runs_every_section(tiny_net, pair_on_disk, tmp_path, monkeypatch):
    monkeypatch.setenv("NST_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("NST_BENCH_TINY_NET", "1")  # the child processes (scaling, cold) use it too
    cfg = speed.QUICK.__class__(**{**speed.QUICK.__dict__, "out": tmp_path / "out", "in_process": True,
                                   "size": 128, "scaling_sizes": (64, 128)})
    pair, paths = pair_on_disk
    report = speed.run(cfg, net=tiny_net, pair=pair, pair_paths=paths, log=lambda m: None)
    assert report["floor"]["ratio"] > 0
    quality = report["quality"]
    assert quality["tutorial_time_s"] > 0 and quality["engine_wall_s"] > 0
    assert np.isfinite(quality["engine_score"]) and np.isfinite(quality["tutorial_score"])
    assert "seconds_to_target" in report["fair"]
    assert report["equal"]["tutorial_steps"] >= 1
    assert set(report["precision"]["rows"]) == {"float32", "bfloat16"}
    assert [row["size"] for row in report["scaling"]["rows"]] == ["64x48", "128x96"]
    assert all(row["peak_rss_gb"] > 0 for row in report["scaling"]["rows"])
    assert report["cold"]["first_step_s"] > 0
    budget = {row["part"]: row for row in report["budget"]["groups"]}
    assert budget["VGG19 forward + backward"]["cpu_s"] > 0 and budget["tracing"]["wall_s"] > 0
    steps = sum(r["calls"] for r in report["budget"]["rows"] if "forward + backward" in r["part"])
    assert steps + 2 == 14  # 10 + 4 steps at two scales, the first call of each apart
    for image in ("side_by_side.png", "equal_time.png", "tutorial_20.png"):
        assert (cfg.out / image).stat().st_size > 0
    assert json.loads((cfg.out / "speed.json").read_text())["quality"] == quality


def test_unknown_sections_are_refused_in_one_sentence(capsys):
    with pytest.raises(SystemExit):
        speed.main(["--sections", "floor,warp"])
    assert "unknown section(s) warp" in capsys.readouterr().err
