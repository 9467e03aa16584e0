"""The default run's start (the photo in the painting's colours) and its style balance (the style weight
scaled by how much stronger the painting's features are than the photo's): issue #20."""

from __future__ import annotations

import numpy as np
import pytest

from nst.colors import palette_matched
from nst.engine import stylize
from nst.losses import ANCHOR_WEIGHT, LossForm
from nst.objective import objective_for
from nst.params import StyleParams
from nst.recipes import RECIPES, STUDIO_RECIPE
from nst.run_types import RunControl, RunInputs

STILL = StyleParams(size=64, scales=1, iterations=3, content_weight=0.0, style_weight=0.0, tv_weight=0.0,
                    precision="float32")  # nothing moves the picture: a run returns where it started


def colour_stats(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    pixels = image.reshape(-1, 3).astype(np.float64)
    return pixels.mean(0), np.cov(pixels, rowvar=False)


def test_the_photo_takes_the_paintings_colour_mean_and_spread(content_image, style_image):
    matched = palette_matched(content_image, [style_image], [1.0])
    assert matched.shape == content_image.shape and matched.dtype == np.float32
    mean, cov = colour_stats(matched)
    want_mean, want_cov = colour_stats(style_image)
    assert np.abs(mean - want_mean).max() < 0.02
    assert np.abs(cov - want_cov).max() < 0.2 * np.abs(want_cov).max()
    # the layout stays the photo's: the matched picture's luminance follows the photo's
    assert np.corrcoef(matched.mean(-1).ravel(), content_image.mean(-1).ravel())[0, 1] > 0.8


def test_two_paintings_give_their_blend_of_colours(content_image):
    red = np.zeros((16, 16, 3), np.float32) + np.array([0.6, 0.3, 0.3], np.float32)
    blue = np.zeros((16, 16, 3), np.float32) + np.array([0.3, 0.3, 0.6], np.float32)
    mean, _ = colour_stats(palette_matched(content_image, [red, blue], [3.0, 1.0]))
    assert mean == pytest.approx([0.525, 0.3, 0.375], abs=0.01)


def test_a_protected_area_starts_as_the_photo(content_image, style_image):
    mask = np.ones(content_image.shape[:2], np.float32)
    mask[:, :32] = 0.0
    mask[:, 32:40] = 0.5  # the feathered fringe of a protected area
    matched = palette_matched(content_image, [style_image], [1.0], mask)
    np.testing.assert_array_equal(matched[:, :40], content_image[:, :40])
    assert np.abs(matched[:, 40:] - content_image[:, 40:]).max() > 0.1


def test_a_default_run_starts_from_the_photo_in_the_paintings_colours(tiny_net, content_image, style_image):
    palette = stylize(RunInputs(content_image, [style_image]), STILL, net=tiny_net).image
    photo = stylize(RunInputs(content_image, [style_image]), STILL.replace(init="content"), net=tiny_net).image
    paint_mean, photo_mean = colour_stats(style_image)[0], colour_stats(content_image)[0]
    assert np.abs(colour_stats(palette)[0] - paint_mean).max() < 0.03
    assert np.abs(colour_stats(photo)[0] - photo_mean).max() < 0.03
    assert np.abs(paint_mean - photo_mean).max() > 0.1  # the two starts differ visibly


def balance(tiny_net, photo, painting, exponent, size=64):
    objective = objective_for(tiny_net, LossForm.from_params(StyleParams()), "float32")
    return objective.style_balance(photo, [painting], [1.0], exponent)


def test_a_busier_painting_gets_more_style_weight_and_a_quieter_one_less(tiny_net, content_image, style_image):
    quiet = 0.5 + 0.2 * (style_image - 0.5)  # the same texture at a fifth of the contrast
    busy = balance(tiny_net, content_image, style_image, 0.75)
    calm = balance(tiny_net, content_image, quiet.astype(np.float32), 0.75)
    assert calm < busy
    assert balance(tiny_net, content_image, content_image, 0.75) == pytest.approx(1.0, abs=1e-3)
    assert balance(tiny_net, content_image, style_image, 0.0) == 1.0
    # the exponent scales the log of the factor
    assert np.log(balance(tiny_net, content_image, style_image, 1.5)) == pytest.approx(2 * np.log(busy), rel=1e-3)


def test_the_run_paints_with_the_balanced_style_weight_and_live_changes_keep_it(tiny_net, content_image,
                                                                             style_image):
    params = StyleParams(size=64, scales=1, iterations=4, precision="float32")
    control = RunControl()
    control.set_weights(style=60.0)  # taken before the first step, as a slider moved at once
    result = stylize(RunInputs(content_image, [style_image]), params, net=tiny_net, control=control)
    expected = balance(tiny_net, content_image, style_image, params.style_balance)
    assert result.style_factor == pytest.approx(expected, rel=1e-4) and result.style_factor != pytest.approx(1.0)
    objective = objective_for(tiny_net, LossForm.from_params(params), "float32")
    assert float(objective.style_weight.numpy()) == pytest.approx(60.0 * result.style_factor, rel=1e-4)
    # the anchor that holds protected areas holds against the balanced weight
    assert float(objective.anchor_weight.numpy()) == pytest.approx(ANCHOR_WEIGHT * result.style_factor, rel=1e-4)
    off = stylize(RunInputs(content_image, [style_image]), params.replace(style_balance=0.0, iterations=1),
                  net=tiny_net)
    assert off.style_factor == 1.0


def test_a_run_saved_before_the_balance_loads_without_it():
    saved = StyleParams().to_dict()
    del saved["style_balance"]
    assert StyleParams.from_saved(saved).style_balance == 0.0
    assert StyleParams.from_dict(saved).style_balance == 0.75  # a hand-written settings file: today's default
    kept = StyleParams(style_balance=0.5).to_dict()
    assert StyleParams.from_saved(kept) == StyleParams(style_balance=0.5)


def test_the_compared_recipes_keep_their_own_losses():
    for key, recipe in RECIPES.items():
        params = recipe.build(256)
        if key == STUDIO_RECIPE:
            assert params.style_balance == StyleParams().style_balance
        else:
            assert params.style_balance == 0.0 and params.init in ("content", "noise"), key


def test_a_print_paints_with_the_balance_of_the_run_it_enlarges(tiny_net, content_image, style_image):
    from nst.poster import plan_poster
    from nst.poster_paint import paint_poster
    from nst.resize import resize_long_side

    params = StyleParams(size=64, precision="float32")
    plan = plan_poster(128, 96, 128, params, steps=(1,), max_tile=128, overlap=16)
    photo = resize_long_side(content_image, 128)
    paint_poster(plan, photo, [style_image], resize_long_side(content_image, 128), params, net=tiny_net)
    objective = objective_for(tiny_net, LossForm.from_params(params), plan.precision)
    expected = objective.style_balance(resize_long_side(photo, 64), [resize_long_side(style_image, 64)], [1.0],
                                       params.style_balance)
    assert expected != pytest.approx(1.0, abs=0.01)
    assert float(objective.style_weight.numpy()) == pytest.approx(params.style_weight * expected, rel=1e-4)
