"""Outputs larger than a whole run fits: the engine refuses them in one sentence instead of being
killed for memory, and ``nst stylize`` paints them whole at the largest size that fits, then grows
them in tiles (``nst.big_stylize``). Sizes and the memory budget are shrunk so the tiny network
shows the same decisions an 8192 px run makes with the real one."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

import nst.big_stylize as big
import nst.memory as memory
import nst.poster
from nst.cli import main
from nst.engine import stylize
from nst.run_types import RunInputs
from nst.errors import ParamsError
from nst.losses import LossForm
from nst.model import tiny_feature_net_for_tests
from nst.objective import objective_for
from nst.params import MAX_SIZE, StyleParams
from nst.precision import resolve_precision

PARAMS = StyleParams(size=160, iterations=4, scales=1, seed=1)


@pytest.fixture
def photo(content_image):
    return np.asarray(Image.fromarray((content_image * 255).astype(np.uint8)).resize((160, 120)), np.float32) / 255


@pytest.fixture
def small_machine(monkeypatch):
    """Whole runs up to 96 px, a budget 160 x 120 does not fit whole, and tiles a tiny poster can use."""
    monkeypatch.setattr(memory, "WHOLE_UP_TO", 96)
    monkeypatch.setattr(big, "WHOLE_UP_TO", 96)
    precision, layers = resolve_precision(PARAMS.precision), LossForm.from_params(PARAMS).layers
    budget = (memory.step_bytes(96, 72, precision, layers) + memory.step_bytes(160, 120, precision, layers)) // 2
    monkeypatch.setattr(memory.check_whole_run_fits, "__defaults__", (budget,))
    monkeypatch.setitem(big.stylize_any_size.__kwdefaults__, "budget", budget)
    planner = nst.poster.plan_poster
    monkeypatch.setattr(big, "plan_poster", lambda *a, **k: planner(*a, **{**k, "budget": 1 << 40}, steps=(3,),
                                                                     max_tile=96, overlap=16))
    return budget


def test_sizes_up_to_8192_px_are_accepted():
    assert MAX_SIZE == 8192 and StyleParams(size=8192).size == 8192


def test_the_engine_refuses_a_whole_run_that_cannot_fit_before_any_work(tiny_net, content_image, style_image):
    with pytest.raises(ParamsError, match=r"needs about .* GB in one piece.*nst stylize"):
        stylize(RunInputs(content_image, [style_image]), StyleParams(size=4096), net=tiny_net)


def test_a_picture_too_big_to_paint_whole_is_grown_in_tiles(small_machine, tiny_net, photo, style_image):
    assert big.whole_side(photo, PARAMS, small_machine) < PARAMS.size
    with pytest.raises(ParamsError):  # the engine alone would refuse it
        stylize(RunInputs(photo, [style_image]), PARAMS, net=tiny_net)
    grown = []
    result = big.stylize_any_size(RunInputs(photo, [style_image]), PARAMS, net=tiny_net, on_grow=grown.append, budget=small_machine)
    assert result.status == "finished" and result.size == (160, 120) and result.params.size == 160
    assert "grown to 160 x 120" in result.message
    assert grown and {p.tile_index for p in grown} >= {0, 1}  # painted tile by tile
    assert result.image.std() > 0.02
    # the tiles paint with the whole run's style balance (measured at its size), not one of the full size
    objective = objective_for(tiny_net, LossForm.from_params(PARAMS), resolve_precision(PARAMS.precision))
    assert result.style_factor != pytest.approx(1.0, abs=0.01)
    assert float(objective.style_weight.numpy()) == pytest.approx(PARAMS.style_weight * result.style_factor, rel=1e-4)


def test_masks_are_refused_above_the_whole_size_rather_than_dropped(small_machine, tiny_net, photo, style_image):
    with pytest.raises(ParamsError, match="Masks and --protect-flat"):
        big.stylize_any_size(RunInputs(photo, [style_image]), PARAMS.replace(protect_flat=1.0), net=tiny_net, budget=small_machine)


def test_small_pictures_run_whole_exactly_as_before(tiny_net, photo, style_image):
    params = PARAMS.replace(size=96)
    direct = stylize(RunInputs(photo, [style_image]), params, net=tiny_net)
    routed = big.stylize_any_size(RunInputs(photo, [style_image]), params, net=tiny_net)
    assert np.array_equal(direct.image, routed.image) and direct.steps == routed.steps


def test_nst_stylize_writes_the_asked_size_when_it_must_tile(small_machine, tmp_path, photo, style_image, capsys):
    paths = {}
    for name, pixels in (("content", photo), ("style", style_image)):
        paths[name] = tmp_path / f"{name}.png"
        Image.fromarray((pixels * 255).astype(np.uint8)).save(paths[name])
    out = tmp_path / "big.png"
    code = main(["stylize", "--content", str(paths["content"]), "--style", str(paths["style"]), "-o", str(out),
                 "--size", "160", "--iterations", "4", "--scales", "1", "--json"],
                net_factory=lambda weights: tiny_feature_net_for_tests(seed=0))
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert Image.open(out).size == (160, 120) and json.loads(captured.out)["width"] == 160
    assert "tile 2/" in captured.err
