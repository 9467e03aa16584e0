"""StyleParams: defaults, validation, JSON round trip."""

import json
import math

import pytest

from nst.errors import ParamsError
from nst.params import QUALITY_PRESETS, StyleParams, with_quality, with_strength


def test_defaults_are_valid_and_standard_quality():
    params = StyleParams()
    assert params.optimizer == "lbfgs" and params.init == "palette" and params.style_balance == 0.75
    assert params.scale_sizes() == (128, 256, 512)
    assert params.scale_iterations() == (80, 32, 13) and params.total_steps() == 125


def test_round_trip_through_json_is_identical():
    params = StyleParams(style_weight=3.5, style_blend=(0.7, 0.3), style_layers=(("block1_conv1", 2.0),),
                         preserve_colors="histogram", optimizer="adam", seed=42)
    again = StyleParams.from_dict(json.loads(json.dumps(params.to_dict())))
    assert again == params


@pytest.mark.parametrize("field, value", [
    ("style_weight", math.nan), ("style_weight", -1.0), ("content_weight", math.inf),
    ("tv_weight", "a lot"), ("size", 10), ("size", 512.5), ("scales", 0), ("iterations", 0),
    ("optimizer", "sgd"), ("init", "random"), ("preserve_colors", "yes"), ("pooling", "min"),
    ("style_scale", 0.0), ("learning_rate", 0.0), ("style_blend", (0.0, 0.0)), ("seed", -1),
    ("style_layers", (("block9_conv1", 1.0),)), ("content_layers", ()), ("tv_form", "l2"),
])
def test_bad_values_are_refused_with_a_sentence_naming_the_field(field, value):
    with pytest.raises(ParamsError, match=field):
        StyleParams(**{field: value})


def test_unknown_keys_are_refused():
    with pytest.raises(ParamsError, match="colour_weight"):
        StyleParams.from_dict({"colour_weight": 1.0})


def test_scales_under_64px_are_dropped_not_refused():
    assert StyleParams(size=256, scales=4).scale_sizes() == (64, 128, 256)
    assert StyleParams(size=100, scales=3).scale_sizes() == (100,)


def test_a_finer_scale_of_one_lbfgs_step_gets_none_as_that_step_would_change_no_pixel():
    # L-BFGS's first evaluation measures the picture a scale starts from; the Print preset's 2048 px scale
    # had one step and spent 40 % of the run on it (docs/speed.md)
    print_run = with_quality(StyleParams(size=2048), "Print")
    assert print_run.scale_iterations() == (80, 28, 10, 3, 0) and print_run.total_steps() == 121
    assert StyleParams(size=512, scales=3, iterations=2, iteration_decay=0.5).scale_iterations() == (2, 0, 0)
    assert StyleParams(size=512, scales=2, iterations=1).scale_iterations() == (1, 0)  # the first scale keeps 1
    # Adam's first step moves the picture: it keeps it
    assert print_run.replace(optimizer="adam").scale_iterations() == (80, 28, 10, 3, 1)


def test_blend_is_normalised_and_must_match_style_count():
    assert StyleParams(style_blend=(3, 1)).blend_weights(2) == (0.75, 0.25)
    assert StyleParams().blend_weights(4) == (0.25,) * 4
    with pytest.raises(ParamsError, match="one weight per style"):
        StyleParams(style_blend=(1, 1)).blend_weights(3)


def test_feature_layers_are_in_network_order_and_truncate_at_the_deepest():
    from nst.losses import LossForm

    params = StyleParams(content_layers=(("block5_conv2", 1.0),), style_layers=(("block1_conv1", 1.0),))
    assert LossForm.from_params(params).layers == ("block1_conv1", "block5_conv2")
    # the default's deepest layer is its content layer: no block5 pass at all (issue #20)
    assert LossForm.from_params(StyleParams()).layers[-1] == "block4_conv2"


def test_presets_change_strength_and_quality():
    assert with_quality(StyleParams(), "Standard") == StyleParams()  # the default is "Standard, Balanced"
    assert with_strength(StyleParams(), "Balanced") == StyleParams()
    base = StyleParams(size=1024, seed=9)
    assert with_strength(base, "Strong").style_weight > base.style_weight > with_strength(base, "Subtle").style_weight
    assert with_strength(base, "Strong").seed == 9
    for name in QUALITY_PRESETS:
        assert with_quality(base, name).size == 1024
    assert with_quality(base, "Preview").total_steps() < base.total_steps() < with_quality(base, "High").total_steps()

    def pixel_work(params: StyleParams) -> float:  # steps x pixels: what a run costs, give or take
        return sum(n * size**2 for n, size in zip(params.scale_iterations(), params.scale_sizes()))

    assert pixel_work(with_quality(base, "Preview")) <= 0.5 * pixel_work(with_quality(base, "Standard"))
    with pytest.raises(ParamsError, match="strength"):
        with_strength(base, "Wild")


def test_every_field_has_a_spec_that_its_validation_uses():
    """The FieldSpec is the one source: CLI flags and studio widgets are generated from it."""
    import dataclasses

    from nst.params import field_spec

    for f in dataclasses.fields(StyleParams):
        spec = field_spec(f.name)  # KeyError: a field was added without _num/_int/_choice/_structured
        assert spec.help, f.name
        if spec.kind in ("float", "int") and spec.high is not None:
            with pytest.raises(ParamsError, match=f.name):
                StyleParams(**{f.name: spec.high + 1})
        if spec.kind == "choice":
            with pytest.raises(ParamsError, match=f.name):
                StyleParams(**{f.name: "no-such-option"})
