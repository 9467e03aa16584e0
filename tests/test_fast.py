"""Fast mode: the real hub loading code against a tiny SavedModel with the model's signature."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from nst.colors import rgb_to_yiq
from nst.engine import stylize
from nst.fast import FastModelUnavailable, _load, fast_model_available, stylize_fast
from nst.params import StyleParams


class _TinyArbitraryStylization(tf.Module):
    """Same call signature as arbitrary-image-stylization-v1-256: (content, style) -> [image].

    It "paints" by mixing the content with the style's mean colour, which is enough to see
    that each style reaches the output and blends are averaged.
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


@pytest.fixture
def use_model(monkeypatch, tiny_hub_model):
    monkeypatch.setenv("NST_FAST_MODEL", str(tiny_hub_model))
    _load.cache_clear()
    yield
    _load.cache_clear()


def test_fast_result_has_the_content_size_and_the_style_colour(use_model, content_image):
    red = np.zeros((80, 60, 3), np.float32)
    red[..., 0] = 1.0
    out = stylize_fast(content_image, [red])
    assert out.shape == content_image.shape and out.dtype == np.float32
    np.testing.assert_allclose(out, 0.5 * content_image + 0.5 * np.array([1.0, 0, 0]), atol=1e-4)


def test_several_styles_are_a_weighted_average_of_outputs(use_model, content_image):
    red, blue = np.zeros((64, 64, 3), np.float32), np.zeros((64, 64, 3), np.float32)
    red[..., 0], blue[..., 2] = 1.0, 1.0
    out = stylize_fast(content_image, [red, blue], [3, 1])
    expected = 0.5 * content_image + 0.5 * np.array([0.75, 0.0, 0.25])
    np.testing.assert_allclose(out, expected, atol=1e-4)


def test_colour_preservation_applies_to_fast_mode(use_model, content_image, style_image):
    out = stylize_fast(content_image, [style_image], preserve_colors="luminance")
    error = np.abs(rgb_to_yiq(out)[..., 1:] - rgb_to_yiq(content_image)[..., 1:]).mean()
    assert error < 0.01


def test_engine_can_start_from_the_fast_result(use_model, tiny_net, content_image, style_image):
    params = StyleParams(size=64, scales=1, iterations=1, init="fast")
    result = stylize(content_image, [style_image], params, net=tiny_net)
    # one L-BFGS evaluation: the best image is the starting image, i.e. the fast picture
    np.testing.assert_allclose(result.image, stylize_fast(content_image, [style_image]), atol=1e-3)


def test_offline_default_handle_says_what_to_set(monkeypatch):
    monkeypatch.delenv("NST_FAST_MODEL", raising=False)
    monkeypatch.setenv("NST_OFFLINE", "1")
    _load.cache_clear()
    available, message = fast_model_available()
    assert not available and "NST_FAST_MODEL" in message


@pytest.mark.parametrize("make_handle", [lambda tmp: tmp / "missing", lambda tmp: tmp])
def test_unusable_local_handle_is_one_sentence(monkeypatch, tmp_path, make_handle):
    monkeypatch.setenv("NST_FAST_MODEL", str(make_handle(tmp_path)))
    _load.cache_clear()
    with pytest.raises(FastModelUnavailable, match="NST_FAST_MODEL|could not be loaded"):
        stylize_fast(np.zeros((32, 32, 3), np.float32), [np.zeros((32, 32, 3), np.float32)])
    _load.cache_clear()


def test_engine_fast_init_without_a_model_fails_with_the_sentence(monkeypatch, tiny_net, content_image,
                                                                  style_image):
    monkeypatch.setenv("NST_FAST_MODEL", "/nonexistent/model")
    _load.cache_clear()
    with pytest.raises(FastModelUnavailable, match="NST_FAST_MODEL"):
        stylize(content_image, [style_image], StyleParams(size=64, scales=1, iterations=1, init="fast"),
                net=tiny_net)
    _load.cache_clear()


@pytest.mark.parametrize("scale", [0.5, 1.0, 2.0])
def test_style_scale_keeps_the_models_256px_style_input(use_model, content_image, style_image, scale):
    out = stylize_fast(content_image, [style_image], style_scale=scale)
    assert out.shape == content_image.shape
