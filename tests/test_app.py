"""The studio page through streamlit.testing.v1.AppTest, on the tiny test network (NST_STUDIO_TEST_TINY_NET=1)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from nst.params import QUALITY_PRESETS, StyleParams

APP = str(Path(__file__).resolve().parents[1] / "app.py")
DEADLINE = 180


def _png(array: np.ndarray, mode: str | None = None) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def tiny_env(monkeypatch):
    monkeypatch.setenv("NST_STUDIO_TEST_TINY_NET", "1")


def _app(query_params: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=DEADLINE)
    if query_params:
        at.query_params.update(query_params)
    return at


def _run_until(at: AppTest, predicate, what: str, deadline: float = DEADLINE) -> None:
    end = time.monotonic() + deadline
    while True:
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        if predicate(at):
            return
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.3)


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _model_ready(at: AppTest) -> bool:
    return "model ready" in _texts(at.caption)


def _small_run(at: AppTest, iterations: int) -> None:
    at.select_slider(key="size").set_value(256)
    at.number_input(key="scales").set_value(1)
    at.number_input(key="iterations").set_value(iterations)


def test_widgets_are_present_with_their_defaults(tiny_env):
    at = _app()
    _run_until(at, _model_ready, "the model")
    defaults = StyleParams()
    assert at.select_slider(key="m_style").value == 1.0
    assert at.select_slider(key="m_content").value == 1.0
    assert at.select_slider(key="m_tv").value == 1.0
    assert "(= " in at.select_slider(key="m_style").format_func(1.0)  # readable absolute value too
    assert at.select_slider(key="size").value == defaults.size
    assert at.radio(key="strength").value == "Balanced"
    assert at.radio(key="quality").options == list(QUALITY_PRESETS)
    assert at.number_input(key="iterations").value == defaults.iterations
    assert at.number_input(key="scales").value == defaults.scales
    assert at.number_input(key="seed").value == defaults.seed
    assert at.selectbox(key="optimizer").value == defaults.optimizer
    assert at.selectbox(key="preserve_colors").value == defaults.preserve_colors
    assert at.slider(key="style_scale").value == defaults.style_scale
    assert at.multiselect(key="style_layers").value == [name for name, _ in defaults.style_layers]
    assert at.selectbox(key="content_example").value == "landscape"
    assert at.multiselect(key="style_examples").value == ["circles"]
    assert len(at.file_uploader) == 2
    assert not _button(at, "Stylize").disabled and _button(at, "Stop").disabled
    assert "Device: **CPU**" in _texts(at.caption) or "Device: **GPU**" in _texts(at.caption)
    assert "TEST MODE" in _texts(at.warning)  # the tiny-network hook is never silent


def test_presets_set_the_controls(tiny_env):
    at = _app()
    at.run()
    at.radio(key="strength").set_value("Strong").run()
    assert at.select_slider(key="m_style").value > 1.0
    at.radio(key="quality").set_value("Preview").run()
    assert at.number_input(key="iterations").value == QUALITY_PRESETS["Preview"]["iterations"]
    assert at.number_input(key="scales").value == QUALITY_PRESETS["Preview"]["scales"]


def test_a_tiny_run_completes_and_shows_the_result(tiny_env):
    at = _app()
    _run_until(at, _model_ready, "the model")
    _small_run(at, iterations=4)
    at.multiselect(key="style_examples").set_value(["mosaic", "strokes"])
    at.run()
    assert len([s for s in at.slider if s.label == "blend"]) == 2  # one blend slider per style
    _button(at, "Stylize").click()
    _run_until(at, lambda a: a.success, "the result")
    assert "Finished: 4 steps" in at.success[0].value
    assert [t.label for t in at.tabs] == ["Result", "Timeline", "Before / after", "Loss curves"]
    assert at.select_slider(key=[s.key for s in at.select_slider if s.label == "Snapshot"][0]).value >= 0
    job = at.session_state["_job_ref"]
    assert job.view().result.image.shape[1] == 256
    assert at.query_params["job"] == [job.id] or at.query_params["job"] == job.id
    assert not _button(at, "Stylize").disabled  # a second run may start


def test_live_weights_and_stop_during_a_run(tiny_env):
    at = _app()
    _run_until(at, _model_ready, "the model")
    _small_run(at, iterations=5000)
    at.run()
    _button(at, "Stylize").click()
    at.run()
    job = at.session_state["_job_ref"]
    assert job.wait_until(lambda v: v.step >= 2, DEADLINE)
    at.run()
    assert "Live:" in _texts(at.caption) + _texts(at.info)
    assert _button(at, "Stylize").disabled and not _button(at, "Stop").disabled
    at.select_slider(key="m_style").set_value(5.0).run()
    assert job.wait_until(lambda v: bool(v.weight_changes), DEADLINE)
    assert job.view().weights["style"] == pytest.approx(5.0 * StyleParams().style_weight)
    _button(at, "Stop").click()
    _run_until(at, lambda a: any("Stopped" in w.value for w in a.warning), "the stopped result")
    assert job.view().result.weight_changes


def test_a_reloaded_page_reattaches_to_its_run(tiny_env):
    first = _app()
    _run_until(first, _model_ready, "the model")
    _small_run(first, iterations=3)
    _button(first, "Stylize").click()
    first.run()
    job = first.session_state["_job_ref"]
    assert job.wait(DEADLINE)
    assert job.view().result.steps == 3  # settings changed in the same interaction as the click count
    reloaded = _app({"job": job.id})
    _run_until(reloaded, lambda a: a.success, "the reattached result")
    assert reloaded.session_state["job_id"] == job.id
    stranger = _app({"job": "0" * 32})
    stranger.run()
    assert "no longer on this server" in _texts(stranger.warning)


def test_bad_uploads_get_a_message_beside_their_uploader_and_the_page_keeps_working(tiny_env):
    at = _app()
    _run_until(at, _model_ready, "the model")
    at.file_uploader(key="content_upload").set_value(("holiday.jpg", b"this is not a picture", "image/jpeg"))
    at.file_uploader(key="style_upload").set_value([
        ("tiny.png", _png(np.zeros((8, 8, 3), np.uint8)), "image/png"),
        ("cut.png", _png(np.random.default_rng(0).integers(0, 255, (64, 64, 3), np.uint8))[:3000], "image/png"),
    ])
    at.run()
    errors = _texts(at.error)
    assert "holiday.jpg is not an image file we can read" in errors
    assert "tiny.png is 8x8 pixels" in errors
    assert "cut.png is damaged or incomplete" in errors
    assert not at.exception
    assert not _button(at, "Stylize").disabled  # the example photo and style are still usable
    rgba = np.zeros((40, 50, 4), np.uint8)
    rgba[..., 0] = 255
    rgba[..., 3] = 128
    at.file_uploader(key="content_upload").set_value(("logo.png", _png(rgba, "RGBA"), "image/png"))
    at.run()
    assert "transparent areas composited on white" in _texts(at.caption)


def test_weights_unavailable_shows_one_clear_message_and_the_page_still_loads(monkeypatch, tmp_path):
    import streamlit as st

    monkeypatch.delenv("NST_STUDIO_TEST_TINY_NET", raising=False)
    monkeypatch.delenv("NST_VGG19_WEIGHTS", raising=False)
    monkeypatch.setenv("NST_OFFLINE", "1")
    for name in ("HOME", "NST_CACHE_DIR", "KERAS_HOME"):
        monkeypatch.setenv(name, str(tmp_path / name.lower()))
    st.cache_resource.clear()  # a fresh process: no runner, no network yet
    try:
        at = _app()
        _run_until(at, lambda a: a.error, "the unavailable message", deadline=120)
        message = _texts(at.error)
        assert "VGG19 model is not available" in message and "NST_VGG19_WEIGHTS" in message
        assert len(at.error) == 1
        assert _button(at, "Stylize").disabled
        assert len(at.file_uploader) == 2 and at.select_slider(key="m_style").value == 1.0
        assert "TEST MODE" not in _texts(at.warning)  # no silent tiny-network fallback
    finally:
        st.cache_resource.clear()


def test_the_page_keeps_tensorflow_warm_between_reruns(tiny_env):
    """app.py turns off Streamlit's per-rerun Keras clear_session and post-run GC (see docs/dashboard.md)."""
    from streamlit import config
    from streamlit.runtime.scriptrunner import script_runner

    at = _app()
    at.run()
    assert script_runner._clean_problem_modules.__name__ == "<lambda>", "Streamlit moved its clean-up hook"
    assert config.get_option("runner.postScriptGC") is False
