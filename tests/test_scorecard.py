"""The scorecard (nst.scorecard): a second yardstick that must tell copying from painting.

Properties that hold for any network run on the tiny one; what the measures mean for real
pictures (a pasted patch of a portrait reads as copied, about its share) needs VGG19.
"""

from __future__ import annotations

import numpy as np
import pytest

from nst.run_types import RunInputs
from nst.images import load_image
from nst.resize import resize_long_side, resize_to
from nst.scorecard import Scorecard, scorecard, shuffled_cells, sliced_wasserstein
from nst.scorecard_measures import SCORECARD_VERSION

from conftest import SHARED_IMAGES, real_weights_path


@pytest.fixture(scope="module")
def real_net():
    from nst.model import get_feature_net

    return get_feature_net(real_weights_path())


def test_the_photo_itself_keeps_all_structure_copies_nothing_and_has_the_whole_gap(
        tiny_net, content_image, style_image):
    card = scorecard(content_image, content_image, style_image, tiny_net)
    assert card.structure == pytest.approx(1.0)
    assert card.style_gap == pytest.approx(1.0)
    assert card.colour_gap == pytest.approx(1.0)
    assert card.copied == 0.0


def test_the_painting_in_place_of_the_photo_closes_the_colour_gap(tiny_net, content_image, style_image):
    painting = resize_to(style_image, content_image.shape[1], content_image.shape[0])
    card = scorecard(painting, content_image, style_image, tiny_net)
    assert card.colour_gap < 0.5
    assert card.structure < 0.9


def test_sliced_wasserstein_is_zero_for_equal_sets_and_grows_with_a_shift():
    rng = np.random.default_rng(0)
    a = rng.uniform(0, 1, (32, 32, 3))
    assert sliced_wasserstein(a, a) == pytest.approx(0.0, abs=1e-12)
    assert sliced_wasserstein(a, a + 0.1) > sliced_wasserstein(a, a + 0.05) > 0


def test_measuring_against_a_photo_seen_before_gives_the_same_numbers_and_another_photo_others(
        tiny_net, content_image, style_image):
    # the photo's and painting's features are kept per picture (docs/speed.md): never another picture's
    from nst.score import score_image

    result = 0.5 * (content_image + resize_to(style_image, content_image.shape[1], content_image.shape[0]))
    first = scorecard(result, content_image, style_image, tiny_net)
    first_score = score_image(result, content_image, [style_image], tiny_net, size=64)
    assert scorecard(result, content_image.copy(), style_image.copy(), tiny_net) == first
    assert score_image(result, content_image.copy(), [style_image], tiny_net, size=64) == first_score
    other_photo = content_image[::-1].copy()  # same size and pixels, another picture
    assert scorecard(result, other_photo, style_image, tiny_net).structure != first.structure
    assert score_image(result, other_photo, [style_image], tiny_net, size=64).terms != first_score.terms


def test_shuffled_cells_keep_every_cell_and_scatter_what_spans_them():
    image = np.arange(6 * 10 * 1, dtype=np.float32).reshape(6, 10, 1)
    shuffled = shuffled_cells(image, 2, seed=0)
    assert shuffled.shape == (6, 10, 1)
    cells = lambda x: sorted(x[y:y + 2, c:c + 2].tobytes() for y in range(0, 6, 2) for c in range(0, 10, 2))
    assert cells(shuffled) == cells(image)  # the same cells, each intact
    assert not np.array_equal(shuffled, image)  # in another order
    assert np.array_equal(shuffled, shuffled_cells(image, 2, seed=0))  # the same order every time
    assert shuffled_cells(image[:5, :9], 2, seed=0).shape == (4, 8, 1)  # the ragged edge is dropped


def test_the_scorecard_is_versioned():
    assert Scorecard(1, 1, 1, 0).to_dict()["version"] == SCORECARD_VERSION


@pytest.mark.real_weights
def test_a_pasted_patch_of_a_portrait_reads_as_copied_about_its_share(real_net):
    photo = load_image(SHARED_IMAGES / "content" / "golden_gate.jpg").pixels
    portrait = load_image(SHARED_IMAGES / "style" / "woman-with-hat-matisse.jpg").pixels
    pasted = resize_long_side(photo, 256).copy()
    patch = resize_long_side(portrait, 256)
    h, w = pasted.shape[:2]
    pasted[: h // 2, : w // 2] = patch[: h // 2, : w // 2]  # a quarter of the picture is the painting
    card = scorecard(pasted, photo, portrait, real_net)
    assert 0.15 < card.copied < 0.35
    assert card.structure < 0.85
    assert scorecard(photo, photo, portrait, real_net).copied == 0.0


def _drawn_into_the_sky(region: tuple[slice, slice]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Hoover tower photo (256 px) with its night sky's top band replaced by ``region`` of the drawn
    portrait (benchmarks/drawn.py at 256 px, faces at rows 24-120 and 100-172, plain strokes on the right)."""
    from benchmarks.drawn import DRAWN

    photo = resize_long_side(load_image(SHARED_IMAGES / "content" / "hoovertowernight.jpg").pixels, 256)
    portrait = resize_long_side(DRAWN["drawn_portrait"](), 256)
    patch = portrait[region]
    pasted = photo.copy()
    pasted[: patch.shape[0], 40: 40 + patch.shape[1]] = patch
    return pasted, photo, portrait


@pytest.mark.real_weights
def test_the_paintings_strokes_in_a_plain_sky_are_not_copied_but_its_face_is(real_net):
    # Version 1 counted both: these strokes read 0.148 (v2: 0.008), and a sky stroked like the drawn
    # portrait's background 0.13 on runs without any object (docs/quality.md, "The copying measure,
    # version 2"). The face covers a quarter of the picture: 0.219 in v1, 0.172 in v2.
    strokes, photo, portrait = _drawn_into_the_sky((slice(176, 256), slice(120, 205)))
    assert scorecard(strokes, photo, portrait, real_net).copied <= 0.04
    face, photo, portrait = _drawn_into_the_sky((slice(20, 124), slice(28, 112)))  # the big face
    assert scorecard(face, photo, portrait, real_net).copied >= 0.1


@pytest.mark.real_weights
def test_the_default_paints_a_portraits_brushwork_without_pasting_its_eyes(real_net):
    # Golden Gate x Woman with a Hat at 256 px (benchmarks/quality.py): the first default (style
    # layers weighted equally) pasted eyes and faces into sky and water: copied 0.375, structure
    # 0.33. The default of issue #12 measured copied 0.000, structure 0.51; that of #20 the same, and with
    # its palette start and style balance (style weight 28) 0.449-0.46 (the colours are the painting's from
    # the first step, and 256 px keeps less of the layout than 512 px, where it is 0.605).
    from nst.engine import stylize
    from nst.params import StyleParams

    photo = load_image(SHARED_IMAGES / "content" / "golden_gate.jpg", max_side=512).pixels
    portrait = load_image(SHARED_IMAGES / "style" / "woman-with-hat-matisse.jpg", max_side=512).pixels
    result = stylize(RunInputs(photo, [portrait]), StyleParams(size=256), net=real_net)
    card = scorecard(result.image, photo, portrait, real_net)
    assert card.copied < 0.05
    assert card.structure > 0.42
    assert card.style_gap < 0.5  # and it is still painted: the photo itself is 1.0


@pytest.mark.real_weights
@pytest.mark.parametrize("photo_name", ["golden_gate", "hoovertowernight"])
def test_the_default_draws_no_face_of_a_drawn_portrait_in_the_picture(real_net, photo_name):
    # The drawn portrait (benchmarks/drawn.py) at 256 px. Golden Gate: the default of issue #12
    # (block5_conv1 at 1/16) drew a face on the bridge tower, copied 0.182; issue #20's default
    # (no block5, block4 at 1/8, style weight 15) measured 0.031 with style gap 0.275 (0.236).
    # Hoover: its plain night sky takes the portrait's background strokes, which the scorecard's
    # first version counted as copied (0.09-0.13); version 2 counts what only the painting's
    # arrangement holds. Issue #20's target is 0.02 at 512 px. Measured: 0.010 and 0.000 (v1 fails both).
    from benchmarks.drawn import DRAWN
    from nst.engine import stylize
    from nst.params import StyleParams

    photo = load_image(SHARED_IMAGES / "content" / f"{photo_name}.jpg").pixels
    portrait = DRAWN["drawn_portrait"]()
    result = stylize(RunInputs(photo, [portrait]), StyleParams(size=256), net=real_net)
    card = scorecard(result.image, photo, portrait, real_net)
    assert card.copied <= 0.03
    assert card.style_gap < 0.35  # still painted: the photo itself is 1.0
