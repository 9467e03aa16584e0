"""Checks with the real VGG19 weights on the sample pairs (skipped with a reason without them)."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import SHARED_IMAGES, real_weights_path

pytestmark = pytest.mark.real_weights


@pytest.fixture(scope="module")
def real_net():
    from nst.model import get_feature_net

    return get_feature_net(real_weights_path())


@pytest.fixture(scope="module")
def pair():
    from nst.images import load_image

    content = load_image(SHARED_IMAGES / "content" / "tubingen.jpg", max_side=256).pixels
    style = load_image(SHARED_IMAGES / "style" / "starry_night.jpg", max_side=256).pixels
    return content, style


def _luminance(image: np.ndarray) -> np.ndarray:
    return (image @ np.array([0.299, 0.587, 0.114], np.float32)).ravel()


@pytest.fixture(scope="module")
def painted(real_net, pair):
    from nst.engine import stylize
    from nst.run_types import RunInputs
    from nst.params import StyleParams

    content, style = pair
    return stylize(RunInputs(content, [style]), StyleParams(size=128, scales=2, iterations=40), net=real_net)


def test_the_network_is_built_once_per_process(real_net):
    from nst.model import get_feature_net

    assert get_feature_net(real_weights_path()) is real_net


def test_stylisation_lowers_the_style_loss_and_keeps_the_content(painted, pair):
    from nst.resize import resize_to

    content, _ = pair
    first_fine_step = next(h for h in painted.history if h["scale"] == 1)
    assert painted.status == "finished" and painted.image.shape[1] == 128
    # style loss at the fine scale falls well below where the content photo starts
    start_style = painted.history[0]["style"]
    assert painted.losses.style < 0.3 * start_style
    assert painted.losses.style <= first_fine_step["style"]
    small = resize_to(content, painted.image.shape[1], painted.image.shape[0])
    correlation = np.corrcoef(_luminance(small), _luminance(painted.image))[0, 1]
    assert correlation > 0.5, "the content is no longer recognisable"
    assert np.abs(painted.image - small).mean() > 0.04, "the picture was hardly painted"


def test_score_prefers_the_painting_over_the_photo_on_style(real_net, painted, pair):
    from nst.score import score_image

    content, style = pair
    photo = score_image(content, content, [style], real_net, size=128)
    result = score_image(painted.image, content, [style], real_net, size=128)
    assert photo.terms.content == pytest.approx(0.0, abs=1e-4)
    assert result.terms.style < 0.5 * photo.terms.style
    assert result.terms.total < photo.terms.total
    assert len(result.weights_id) == 64  # sha256 of the weight file


def test_protecting_flat_areas_keeps_the_painting_elsewhere(real_net):
    """#20: Golden Gate x The Starry Night at 256 px (loaded as ``nst stylize --size 256`` does),
    ``protect_flat=1``: the sky stays clean and the bridge and hills keep most of their texture
    (with issue #20's default and the guided Gram weighted by mask^0.75: measured 0.73 of the
    unprotected run's ``detail_elsewhere``, leakage 0.08x; weighted by the mask 0.66, by mask^2
    0.58). #21's detail carry-over goes only where the style may (0.098x at 256 px through the CLI;
    carried everywhere it was 0.122x). The palette start and style balance (tests pin float32): 0.77 kept,
    0.090x; with the fringe recoloured by the mask or the anchor not scaled with the balance 0.103-0.114x."""
    from nst.engine import stylize
    from nst.images import load_image
    from nst.params import StyleParams
    from nst.run_types import RunInputs

    content = load_image(SHARED_IMAGES / "content" / "golden_gate.jpg", max_side=256).pixels
    style = load_image(SHARED_IMAGES / "style" / "starry_night.jpg", max_side=256).pixels
    params = StyleParams(size=256)
    plain = stylize(RunInputs(content, [style]), params, net=real_net).leakage
    protected = stylize(RunInputs(content, [style]), params.replace(protect_flat=1.0), net=real_net).leakage
    assert protected.leakage <= 0.1 * plain.leakage
    assert protected.detail_elsewhere >= 0.70 * plain.detail_elsewhere
