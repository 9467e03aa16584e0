"""nst.run_types: one status vocabulary from engine to job to store, and the PNG text chunks of a result."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from nst.params import StyleParams
from nst.run_types import ENGINE_STATUSES, LossTerms, Weights, RUN_STATUSES, png_metadata, result_png_metadata, run_status


def test_a_diverged_run_failed_and_the_other_words_pass_through():
    assert [run_status(s) for s in ENGINE_STATUSES] == ["finished", "stopped", "failed"]
    assert [run_status(s) for s in RUN_STATUSES] == list(RUN_STATUSES)
    with pytest.raises(ValueError, match="must be one of"):
        run_status("exploded")


def test_png_metadata_carries_the_params_and_extras():
    result = SimpleNamespace(params=StyleParams(seed=4), status="stopped", steps=7, weights_id="w",
                             losses=LossTerms(1.0, 0.5, 0.25, 0.0))
    chunks = result_png_metadata(result)
    assert StyleParams.from_dict(chunks["nst:params"]) == StyleParams(seed=4)
    assert (chunks["nst:status"], chunks["nst:steps"], chunks["nst:losses"]) == ("stopped", 7, {"total": 1.0, "content": 0.5, "style": 0.25, "tv": 0.0})
    assert png_metadata(StyleParams(), "finished", {}, 1, None, Title="t")["Title"] == "t"


def test_the_boundary_modules_do_not_load_tensorflow():
    code = "import sys, nst.run_types, nst.store, nst.flags, nst.units, studio.controls; print('tensorflow' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1])
    assert out.stdout.strip() == "False"


def test_a_history_row_has_the_step_scale_time_losses_and_weights():
    from nst.run_types import history_row

    losses = LossTerms(total=3.0, content=1.0, style=2.0, tv=0.0)
    weights = Weights(content=1.0, style=100.0, tv=0.5)
    assert history_row(7, 1, 2.5, losses, weights) == {
        "step": 7, "scale": 1, "elapsed": 2.5, "total": 3.0, "content": 1.0, "style": 2.0, "tv": 0.0,
        "w_content": 1.0, "w_style": 100.0, "w_tv": 0.5}
