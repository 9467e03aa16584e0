"""Fast mode: both model forms (hub SavedModel, TFLite pair) against tiny stand-ins, and the real pair.

The stand-ins run the real loading code: a tiny SavedModel with the hub model's signature, and a
tiny TFLite pair with Magenta's tensors and its constant-size decoder upsampling (tests/fast_standin.py).
Tests marked ``real_fast_model`` use ../shared/models/magenta and skip with a reason without it.
"""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from conftest import SHARED_FAST_MODEL, SHARED_IMAGES
from fast_standin import write_standin_pair
from nst.run_types import RunInputs
from nst.colors import rgb_to_yiq
from nst.engine import stylize
from nst.errors import FastModelUnavailable
from nst.fast import fast_preview, style_input, stylize_fast
from nst.fast_model import fast_model_available, get_fast_model, load_fast_model
from nst.resize import resize_to
from nst.params import StyleParams

RED, GREEN, BLUE = np.eye(3, dtype=np.float32)


def flat(colour: np.ndarray, height: int = 64, width: int = 64) -> np.ndarray:
    return np.broadcast_to(colour, (height, width, 3)).astype(np.float32).copy()


class _TinyArbitraryStylization(tf.Module):
    """Same call signature as the hub's arbitrary-image-stylization-v1-256: (content, style) -> [image].

    It "paints" by mixing the content with the style's mean colour, which is enough to see
    that each style reaches the output and how blends combine.
    """

    @tf.function(input_signature=[tf.TensorSpec([1, None, None, 3], tf.float32),
                                  tf.TensorSpec([1, 256, 256, 3], tf.float32)])
    def __call__(self, content, style):
        mean = tf.reduce_mean(style, axis=[1, 2], keepdims=True)
        return [0.5 * content + 0.5 * mean]


@pytest.fixture(scope="module")
def tiny_hub_model(tmp_path_factory):
    path = tmp_path_factory.mktemp("fast-model")
    tf.saved_model.save(_TinyArbitraryStylization(), str(path))
    return path


@pytest.fixture(scope="module")
def tiny_tflite_pair(tmp_path_factory):
    return write_standin_pair(tmp_path_factory.mktemp("fast-tflite"))


def _use(monkeypatch, handle):
    monkeypatch.setenv("NST_FAST_MODEL", str(handle))
    load_fast_model.cache_clear()


@pytest.fixture
def use_model(monkeypatch, tiny_hub_model):
    _use(monkeypatch, tiny_hub_model)
    yield
    load_fast_model.cache_clear()


@pytest.fixture
def use_tflite(monkeypatch, tiny_tflite_pair):
    _use(monkeypatch, tiny_tflite_pair)
    yield
    load_fast_model.cache_clear()


@pytest.fixture
def use_real(monkeypatch):
    _use(monkeypatch, SHARED_FAST_MODEL)
    yield
    load_fast_model.cache_clear()


# ---- the hub SavedModel form --------------------------------------------------------------------
def test_fast_result_has_the_content_size_and_the_style_colour(use_model, content_image):
    out = stylize_fast(content_image, [flat(RED, 80, 60)])
    assert out.shape == content_image.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, 0.5 * content_image + 0.5 * RED, atol=1e-4)


def test_hub_model_blends_by_averaging_pictures(use_model, content_image):
    # the hub model hides its bottleneck: the documented approximation
    out = stylize_fast(content_image, [flat(RED), flat(BLUE)], [3, 1])
    np.testing.assert_allclose(out, 0.5 * content_image + 0.5 * np.array([0.75, 0.0, 0.25]), atol=1e-4)


def test_colour_preservation_applies_to_fast_mode(use_model, content_image, style_image):
    out = stylize_fast(content_image, [style_image], preserve_colors="luminance")
    error = np.abs(rgb_to_yiq(out)[..., 1:] - rgb_to_yiq(content_image)[..., 1:]).mean()
    assert error < 0.01


def test_engine_can_start_from_the_fast_result(use_model, tiny_net, content_image, style_image):
    params = StyleParams(size=64, scales=1, iterations=1, init="fast")
    result = stylize(RunInputs(content_image, [style_image]), params, net=tiny_net)
    # one L-BFGS evaluation: the best image is the starting image, i.e. the fast picture
    np.testing.assert_allclose(result.image, stylize_fast(content_image, [style_image]), atol=1e-3)


def test_offline_default_handle_says_what_to_set(monkeypatch):
    monkeypatch.delenv("NST_FAST_MODEL", raising=False)
    monkeypatch.setenv("NST_OFFLINE", "1")
    load_fast_model.cache_clear()
    available, message = fast_model_available()
    assert not available and "NST_FAST_MODEL" in message and "\n" not in message


def test_a_missing_model_is_looked_for_once_per_process(monkeypatch):
    import nst.fast_model

    calls = []
    monkeypatch.setattr(nst.fast_model, "_reachable", lambda url: calls.append(url) or False)
    monkeypatch.setenv("NST_OFFLINE", "0")
    _use(monkeypatch, "https://example.invalid/model")
    assert not fast_model_available()[0] and not fast_model_available()[0]
    with pytest.raises(FastModelUnavailable, match="cannot be reached"):
        get_fast_model()
    assert len(calls) == 1
    load_fast_model.cache_clear()


@pytest.mark.parametrize("make_handle", [lambda tmp: tmp / "missing", lambda tmp: tmp])
def test_unusable_local_handle_is_one_sentence(monkeypatch, tmp_path, make_handle):
    _use(monkeypatch, make_handle(tmp_path))
    with pytest.raises(FastModelUnavailable, match="NST_FAST_MODEL"):
        stylize_fast(np.zeros((32, 32, 3), np.float32), [np.zeros((32, 32, 3), np.float32)])
    load_fast_model.cache_clear()


def test_a_broken_tflite_pair_is_one_sentence(monkeypatch, tmp_path):
    (tmp_path / "x_prediction_1.tflite").write_bytes(b"not a model")
    (tmp_path / "x_transfer_1.tflite").write_bytes(b"not a model")
    _use(monkeypatch, tmp_path)
    available, message = fast_model_available()
    assert not available and "could not be loaded" in message and "NST_FAST_MODEL" in message
    load_fast_model.cache_clear()


def test_engine_fast_init_without_a_model_fails_with_the_sentence(monkeypatch, tiny_net, content_image,
                                                                  style_image):
    _use(monkeypatch, "/nonexistent/model")
    with pytest.raises(FastModelUnavailable, match="NST_FAST_MODEL"):
        stylize(RunInputs(content_image, [style_image]), StyleParams(size=64, scales=1, iterations=1, init="fast"), net=tiny_net)
    load_fast_model.cache_clear()


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0])
def test_style_scale_keeps_the_models_256px_style_input(scale, style_image):
    assert style_input(style_image, scale).shape == (256, 256, 3)


def test_style_input_is_the_central_square_not_a_squashed_painting():
    strip = np.concatenate([flat(RED, 60, 60), flat(GREEN, 60, 60), flat(BLUE, 60, 60)], axis=1)
    np.testing.assert_allclose(style_input(strip, blur=False).mean(axis=(0, 1)), GREEN, atol=1e-3)


# ---- the TFLite pair form (stand-in) ------------------------------------------------------------
def test_tflite_pair_paints_at_the_photos_own_size(use_tflite):
    model = get_fast_model()
    content = np.random.default_rng(0).uniform(0, 1, (48, 80, 3)).astype(np.float32)
    # the decoder's constant 384 x 384 upsampling follows the content size (else the shapes clash)
    assert model.transfer(content, np.zeros(100, np.float32)).shape == (48, 80, 3)


@pytest.mark.parametrize("shape", [(50, 70), (120, 37), (64, 64)])
def test_tflite_fast_picture_keeps_any_size_and_aspect(use_tflite, shape):
    content = resize_to(np.random.default_rng(1).uniform(0, 1, (64, 64, 3)).astype(np.float32), shape[1], shape[0])
    out = stylize_fast(content, [flat(RED)])
    assert out.shape == (*shape, 3)
    np.testing.assert_allclose(out.mean(axis=(0, 1)), 0.5 * content.mean(axis=(0, 1)) + 0.5 * RED, atol=0.01)


def test_big_pictures_are_painted_at_the_size_cap_and_enlarged(use_tflite, monkeypatch):
    import nst.fast

    monkeypatch.setattr(nst.fast, "MAX_SIDE", 64)
    content = np.random.default_rng(2).uniform(0, 1, (48, 128, 3)).astype(np.float32)
    assert stylize_fast(content, [flat(RED)]).shape == (48, 128, 3)
    assert list(get_fast_model()._transfers)[-1] == (24, 64)


def test_tflite_blend_interpolates_bottlenecks_not_pictures(use_tflite, content_image):
    out = stylize_fast(content_image, [flat(RED), flat(BLUE)], [1, 1])
    # the stand-in paints colour**2: interpolated bottleneck (0.5, 0, 0.5) -> 0.25; averaged pictures -> 0.5
    np.testing.assert_allclose(out, 0.5 * content_image + 0.5 * np.array([0.25, 0.0, 0.25]), atol=2e-3)


def test_strength_moves_from_the_painting_to_the_photos_own_style(use_tflite, content_image):
    own = style_input(content_image).mean(axis=(0, 1))
    at_zero = stylize_fast(content_image, [flat(RED)], strength=0.0)
    np.testing.assert_allclose(at_zero, 0.5 * content_image + 0.5 * own**2, atol=2e-3)
    half = stylize_fast(content_image, [flat(RED)], strength=0.5)
    np.testing.assert_allclose(half, 0.5 * content_image + 0.5 * ((RED + own) / 2) ** 2, atol=2e-3)
    with pytest.raises(ValueError, match="strength"):
        stylize_fast(content_image, [flat(RED)], strength=1.5)


def test_fast_preview_has_the_requested_long_side(use_tflite, content_image):
    assert fast_preview(content_image, [flat(RED)], size=96).shape == (72, 96, 3)
    assert fast_preview(content_image, [flat(RED), flat(BLUE)], [1, 0], 0.5, 32).shape == (24, 32, 3)


def test_engine_fast_start_is_painted_at_the_output_size(use_tflite, tiny_net, content_image, style_image):
    params = StyleParams(size=128, scales=2, iterations=1, init="fast")
    result = stylize(RunInputs(content_image, [style_image]), params, net=tiny_net)
    first = result.snapshots[0]
    assert first.step == 1 and first.scale_index == 0
    expected = resize_to(stylize_fast(resize_to(content_image, 128, 96), [style_image]), 64, 48)
    np.testing.assert_allclose(first.image / 255.0, expected, atol=2 / 255)


# ---- the real model (../shared/models/magenta) --------------------------------------------------
@pytest.fixture(scope="module")
def real_pictures():
    from nst.images import load_image

    def load(folder, name):
        return load_image(str(SHARED_IMAGES / folder / f"{name}.jpg"), max_side=256).pixels

    return load("content", "golden_gate"), load("style", "starry_night"), load("style", "the_scream")


@pytest.mark.real_fast_model
def test_real_model_paints_any_aspect_at_its_own_size(use_real, real_pictures):
    content, starry, scream = real_pictures
    content = resize_to(content, 250, 130)
    a, b = stylize_fast(content, [starry]), stylize_fast(content, [scream])
    assert a.shape == (130, 250, 3) and 0.0 <= a.min() and a.max() <= 1.0
    assert np.abs(a - content).mean() > 0.05  # painted, not the photo
    assert np.abs(a - b).mean() > 0.03  # each painting gives its own picture


@pytest.mark.real_fast_model
def test_real_blend_interpolates_the_bottleneck(use_real, real_pictures):
    content, starry, scream = real_pictures
    a, b = stylize_fast(content, [starry]), stylize_fast(content, [scream])
    np.testing.assert_allclose(stylize_fast(content, [starry, scream], [1, 0]), a, atol=1e-5)
    mixed = stylize_fast(content, [starry, scream], [1, 1])
    assert np.abs(mixed - (a + b) / 2).mean() > 0.01  # one picture of a mixed style, not two overlaid
    assert np.abs(mixed - a).mean() > 0.01 and np.abs(mixed - b).mean() > 0.01


@pytest.mark.real_fast_model
def test_real_strength_brings_back_the_photo(use_real, real_pictures):
    content, starry, _ = real_pictures
    distance = [np.abs(stylize_fast(content, [starry], strength=s) - content).mean() for s in (1.0, 0.5, 0.0)]
    assert distance[0] > distance[1] > distance[2]
