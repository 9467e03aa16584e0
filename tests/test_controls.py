"""The studio's pure controls (studio/controls.py) and chart specs (studio/charts.py): no Streamlit run."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from nst.errors import ParamsError
from nst.params import QUALITY_PRESETS, StyleParams, param_specs
from nst.recipes import RECIPES
from studio import charts, controls

RECIPE_PARAMS = [r.params(256, time_limit=60.0, native=False) for r in RECIPES.values()]


@pytest.mark.parametrize("base", RECIPE_PARAMS + [StyleParams(size=300, style_weight=12.34, tv_weight=0.0)],
                         ids=lambda p: f"{p.style_loss_form}-{p.size}")
def test_untouched_widgets_give_back_the_base_exactly(base):
    seeded = controls.widget_values(base)
    assert controls.params_from_widgets(base, dict(seeded), seeded) == base


def test_a_changed_widget_changes_only_its_field():
    base = RECIPES["tf-tutorial"].params(256, time_limit=60.0, native=False)
    seeded = controls.widget_values(base)
    values = dict(seeded, m_style=3.0, seed=5, x_time_limit=0.0)
    assert controls.params_from_widgets(base, values, seeded) == base.replace(
        style_weight=3.0 * StyleParams().style_weight, seed=5, time_limit=0.0)


def test_layer_widgets_replace_the_layers_only_when_touched():
    base = RECIPES["jcjohnson"].params(256, time_limit=0.0, native=True)
    seeded = controls.widget_values(base)
    assert seeded["style_layers"] == [name for name, _ in base.style_layers]
    values = dict(seeded, style_layers=["block1_conv1", "block2_conv1"], lw_block2_conv1=2.0)
    params = controls.params_from_widgets(base, values, seeded)
    assert params.style_layers == (("block1_conv1", seeded["lw_block1_conv1"]), ("block2_conv1", 2.0))
    assert params.content_layers == base.content_layers
    params = controls.params_from_widgets(base, dict(seeded, content_layer="block5_conv2"), seeded)
    assert params.content_layers == (("block5_conv2", 1.0),)


def test_every_scalar_field_has_a_studio_widget():
    scalar = {n for n, s in param_specs().items() if s.kind in ("float", "int", "choice")}
    covered = set(controls.DIRECT_FIELDS) | set(controls.WEIGHT_KEYS.values()) | set(controls.expert_fields())
    assert scalar == covered
    assert "style_loss_form" in controls.expert_fields() and "time_limit" in controls.expert_fields()
    assert controls.widget_range("iterations") == (1, 100_000)


def test_blend_sliders_keep_the_bases_blend_when_they_show_the_same_mix():
    equal = StyleParams()
    seeded = controls.widget_values(equal)
    assert controls.params_from_widgets(equal, seeded, seeded, [0.5, 0.5]).style_blend == ()
    assert controls.params_from_widgets(equal, seeded, seeded, [1.0, 0.25]).style_blend == (1.0, 0.25)
    assert controls.params_from_widgets(equal.replace(style_blend=(2.0, 1.0)), seeded, seeded,
                                        [0.4, 0.2]).style_blend == (2.0, 1.0)
    assert controls.params_from_widgets(equal.replace(style_blend=(2.0, 1.0)), seeded, seeded,
                                        [1.0]).style_blend == ()  # one style now: no blend


def test_presets_as_widget_values():
    assert controls.strength_values("Strong")["m_style"] == 3.0
    assert controls.strength_values("Balanced") == {"m_content": 1.0, "m_style": 1.0, "m_tv": 1.0}
    high = controls.quality_values("High")
    assert (high["scales"], high["iterations"], high["x_iteration_decay"]) == (
        QUALITY_PRESETS["High"]["scales"], QUALITY_PRESETS["High"]["iterations"],
        QUALITY_PRESETS["High"]["iteration_decay"])
    assert controls.preset_of(StyleParams()) == ("Balanced", "Standard")


def test_multipliers_and_labels():
    assert controls.nearest(controls.MULTIPLIERS, 2.9) == 3.0
    assert controls.nearest(controls.TV_MULTIPLIERS, 0.0) == 0.0
    assert controls.with_value(controls.MULTIPLIERS, 1.234).count(1.234) == 1
    assert controls.weight_label(10.0, 3.0) == "3×  (= 30)"
    assert controls.weights({"m_content": 2.0, "m_style": 3.0, "m_tv": 0.0}) == {
        "content": 2.0 * StyleParams().content_weight, "style": 3.0 * StyleParams().style_weight, "tv": 0.0}


def test_sweep_grid_reads_weights_as_multiples_and_refuses_bad_text():
    grid = controls.sweep_grid(["style_weight", "style_scale"], {"style_weight": "1, 3", "style_scale": "0.5;1"})
    assert grid == {"style_weight": [StyleParams().style_weight, 3 * StyleParams().style_weight],
                    "style_scale": [0.5, 1.0]}
    with pytest.raises(ParamsError, match="numbers separated by commas"):
        controls.sweep_grid(["tv_weight"], {"tv_weight": "1, lots"})
    with pytest.raises(ParamsError, match="one or two"):
        controls.sweep_grid([], {})


def test_mask_overlay_tints_kept_areas_red_and_detail_blue():
    photo = np.full((4, 4, 3), 0.5, np.float32)
    mask = np.ones((4, 4), np.float32)
    mask[:, :2] = 0.0  # keep the photo on the left
    detail = np.zeros((4, 4), np.float32)
    detail[0, 3] = 1.0
    shown = controls.mask_overlay(photo, mask, detail)
    assert shown[1, 0, 0] > 0.7 and shown[1, 0, 2] < 0.4  # red
    assert np.allclose(shown[1, 3], 0.5)  # stylised: untouched
    assert shown[0, 3, 2] > shown[0, 3, 0]  # blue


def test_progress_line_reads_like_a_sentence():
    view = SimpleNamespace(step=12, total_steps=80, n_items=1, scale_size=(128, 96), scale_index=0, n_scales=3,
                           elapsed=8.0, active=True, eta=40.0, steps_per_second=1.5)
    assert controls.progress_line(view) == "Step 12 / 80 · scale 1/3 (128×96) · 8.0 s elapsed · ETA 40 s · 1.50 it/s"


def test_job_chart_leaves_out_zero_losses_thins_long_runs_and_marks_changes():
    history = [{"step": i, "total": 1.0 / i, "content": 0.0 if i == 1 else 0.5, "style": 0.2, "tv": 0.1}
               for i in range(1, 2001)]
    view = SimpleNamespace(history=history, weight_changes=(50,), scale_starts=(0, 700))
    spec = charts.job_chart(view)
    values = spec["layer"][0]["data"]["values"]
    assert len({v["step"] for v in values}) <= charts.MAX_POINTS + 1
    assert all(v["loss"] > 0 for v in values) and values[-1]["step"] == 2000
    assert spec["layer"][1]["data"]["values"] == [{"step": 50, "what": "weights changed"},
                                                  {"step": 700, "what": "next scale"}]
    runs = charts.runs_chart([{"run": "#1", "step": 1, "loss": 2.0}], "style")
    assert runs["layer"][0]["encoding"]["color"]["field"] == "run" and len(runs["layer"]) == 1


def test_the_style_balance_note_says_which_way_the_weight_moved():
    from studio.controls import style_factor_note

    assert style_factor_note(1.0) == ""
    assert "stronger" in style_factor_note(2.0) and "2.00" in style_factor_note(2.0)
    assert "weaker" in style_factor_note(0.82) and "0.82" in style_factor_note(0.82)
