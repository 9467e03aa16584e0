"""The studio page through streamlit.testing.v1.AppTest, on the tiny test network (NST_STUDIO_TEST_TINY_NET=1)."""

from __future__ import annotations

import io
import json
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from nst.params import QUALITY_PRESETS, StyleParams
from studio import keys

APP = str(Path(__file__).resolve().parents[1] / "app.py")
DEADLINE = 180


def _png(array: np.ndarray, mode: str | None = None) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array, mode).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def tiny_env(monkeypatch, tmp_path):
    monkeypatch.setenv("NST_STUDIO_TEST_TINY_NET", "1")
    monkeypatch.setenv("NST_DATA_DIR", str(tmp_path / "gallery"))  # runs are saved to the store
    monkeypatch.delenv("NST_FAST_MODEL", raising=False)


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


def _image_captions(at: AppTest) -> str:
    return "\n".join(img.caption for e in at.get("image") for img in e.proto.imgs)


def _model_ready(at: AppTest) -> bool:
    return "model ready" in _texts(at.caption)


def _fast_ready(at: AppTest) -> bool:
    """VGG19 (stand-in) and the fast model, which loads in the background, are both ready."""
    return _model_ready(at) and "Fast preview" in _image_captions(at)


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
    assert at.selectbox(key="content_example").value == "astronaut"
    assert at.multiselect(key="style_examples").value == ["starry_night"]
    assert len(at.file_uploader) == 3  # photo, styles, mask
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
    at.multiselect(key="style_examples").set_value(["the_scream", "shipwreck"])
    at.run()
    assert len([s for s in at.slider if s.label == "blend"]) == 2  # one blend slider per style
    _button(at, "Stylize").click()
    _run_until(at, lambda a: a.success, "the result")
    assert "Finished: 4 steps" in at.success[0].value
    assert [t.label for t in at.tabs] == ["Result", "Timeline", "Before / after", "Loss curves"]
    job = at.session_state[keys.JOB_REF]
    snapshots = job.view().snapshots
    timeline = next(s for s in at.select_slider if s.label == "Snapshot")
    assert timeline.value == len(snapshots) - 1  # the timeline opens on the last snapshot
    assert f"Step {snapshots[-1].step}: total loss" in _image_captions(at)
    assert job.view().result.image.shape[1] == 256
    assert at.query_params["job"] == job.id  # a reload reattaches through the URL
    assert not _button(at, "Stylize").disabled  # a second run may start


def test_live_weights_and_stop_during_a_run(tiny_env):
    at = _app()
    _run_until(at, _model_ready, "the model")
    _small_run(at, iterations=5000)
    at.run()
    _button(at, "Stylize").click()
    at.run()
    job = at.session_state[keys.JOB_REF]
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
    job = first.session_state[keys.JOB_REF]
    assert job.wait(DEADLINE)
    assert job.view().result.steps == 3  # settings changed in the same interaction as the click count
    reloaded = _app({"job": job.id})
    _run_until(reloaded, lambda a: a.success, "the reattached result")
    assert reloaded.session_state[keys.JOB_ID] == job.id
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
        assert len(at.file_uploader) == 3  # photo, styles, mask
        assert at.select_slider(key="m_style").value == 1.0  # the controls still work
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


# ---- the gallery store, re-runs, fast mode, spatial control (issues 5, 6, 8) ------------------
def test_a_finished_run_goes_to_the_gallery_and_a_rerun_loads_it_back(tiny_env):
    from nst.store import Store

    at = _app()
    _run_until(at, _model_ready, "the model")
    _small_run(at, iterations=3)
    at.select_slider(key="m_style").set_value(3.0)
    at.number_input(key="seed").set_value(7)
    _button(at, "Stylize").click()
    _run_until(at, lambda a: a.success, "the result")
    view = at.session_state[keys.JOB_REF].view()
    assert view.run_id is not None and view.save_error is None
    record = Store().get_run(view.run_id)
    assert record.params == view.result.params and record.params.seed == 7
    assert record.score is not None and record.leakage is not None
    assert "Texture leakage into flat areas" in _texts(at.caption)

    # what views/gallery_page.py does for "Re-run", then st.switch_page("app.py")
    again = _app()
    again.session_state[keys.RERUN_PARAMS] = record.params.to_dict()
    again.session_state[keys.RERUN_RUN_ID] = view.run_id
    _run_until(again, _model_ready, "the model")
    again.run()
    assert f"Loaded settings from run {view.run_id}" in _texts(again.info)
    assert f"From run {view.run_id}" in _image_captions(again)  # its photo is the current photo
    assert again.select_slider(key="m_style").value == 3.0
    assert again.number_input(key="seed").value == 7
    assert again.number_input(key="iterations").value == 3
    assert again.select_slider(key="size").value == 256
    assert again.session_state[keys.LOADED_INPUTS].run_id == view.run_id
    assert again.session_state[keys.PLANNED_PARAMS] == record.params  # exactly the stored run
    assert not _button(again, "Stylize").disabled


def test_fast_preview_is_offline_in_one_sentence_and_the_rest_works(tiny_env):
    at = _app()
    _run_until(at, lambda a: "Fast preview unavailable" in _texts(a.caption), "the fast model's verdict")
    assert not at.exception
    captions = _texts(at.caption)
    assert "Fast preview unavailable: Fast mode is off" in captions
    assert captions.count("Fast preview unavailable") == 1
    assert _button(at, "Refine").disabled and not _button(at, "Stylize").disabled
    assert "the fast preview" not in at.selectbox(key="init").options


def test_the_fast_preview_appears_without_a_button_and_follows_the_strength(tiny_env, monkeypatch, tmp_path):
    # the TFLite pair (the form ../shared holds), as its stand-in: bottleneck interpolation for strength
    from fast_standin import write_standin_pair

    from nst.fast_model import load_fast_model

    monkeypatch.setenv("NST_FAST_MODEL", str(write_standin_pair(tmp_path / "pair")))
    load_fast_model.cache_clear()
    try:
        at = _app()
        _run_until(at, _fast_ready, "the model and the fast model")
        assert "Fast preview" in _image_captions(at)  # nothing pressed: a photo and a style are enough
        full = at.session_state[keys.MEMO_FAST_PREVIEW][1]
        at.slider(key=keys.FAST_STRENGTH).set_value(0.0).run()
        photo_style = at.session_state[keys.MEMO_FAST_PREVIEW][1]
        assert photo_style[0] is not None and photo_style[0] != full[0]  # repainted with the photo's own style
    finally:
        load_fast_model.cache_clear()


@pytest.mark.real_fast_model
def test_the_studio_shows_the_real_magenta_models_preview(tiny_env, monkeypatch):
    from conftest import SHARED_FAST_MODEL

    from nst.fast_model import load_fast_model

    monkeypatch.setenv("NST_FAST_MODEL", str(SHARED_FAST_MODEL))
    load_fast_model.cache_clear()
    try:
        at = _app()
        _run_until(at, _fast_ready, "the model and the fast model")
        assert "Fast preview" in _image_captions(at)
        frame, error = at.session_state[keys.MEMO_FAST_PREVIEW][1]
        assert frame is not None and not error
        assert "Fast preview unavailable" not in _texts(at.caption)
    finally:
        load_fast_model.cache_clear()


def test_fast_preview_and_refine_with_a_tiny_fast_model(tiny_env, monkeypatch, tmp_path):
    import tensorflow as tf

    from nst.fast_model import load_fast_model

    class Tiny(tf.Module):
        @tf.function(input_signature=[tf.TensorSpec([1, None, None, 3], tf.float32),
                                      tf.TensorSpec([1, None, None, 3], tf.float32)])  # style scale
        def __call__(self, content, style):
            return [0.5 * content + 0.5 * tf.reduce_mean(style, axis=[1, 2], keepdims=True)]

    tf.saved_model.save(Tiny(), str(tmp_path / "fast"))
    monkeypatch.setenv("NST_FAST_MODEL", str(tmp_path / "fast"))
    load_fast_model.cache_clear()
    try:
        at = _app()
        _run_until(at, _fast_ready, "the model and the fast model")
        assert "Fast preview" in _image_captions(at)
        first = at.session_state[keys.MEMO_FAST_PREVIEW]
        at.slider(key="style_scale").set_value(1.5).run()
        assert at.session_state[keys.MEMO_FAST_PREVIEW][1] != first[1]  # repainted when the style scale changed
        assert "the fast preview" in at.selectbox(key="init").options
        _small_run(at, iterations=3)
        _button(at, "Refine").click()
        _run_until(at, lambda a: a.success, "the refined result")
        assert at.session_state[keys.JOB_REF].view().result.params.init == "fast"
    finally:
        load_fast_model.cache_clear()


def test_mask_controls_errors_overlay_and_the_mask_reaches_the_run(tiny_env):
    at = _app()
    _run_until(at, _model_ready, "the model")
    at.file_uploader(key="mask_upload").set_value(("mask.png", b"not a picture", "image/png"))
    at.run()
    assert "mask.png" in _texts(at.error) and _button(at, "Stylize").disabled
    mask = np.zeros((64, 64), np.uint8)
    mask[:, 32:] = 255
    at.file_uploader(key="mask_upload").set_value(("half.png", _png(mask, "L"), "image/png"))
    at.slider(key="protect_flat").set_value(0.5)
    at.toggle(key="show_mask").set_value(True)
    at.run()
    assert "Red: kept as the photo" in _image_captions(at)
    _small_run(at, iterations=3)
    _button(at, "Stylize").click()
    at.run()
    job = at.session_state[keys.JOB_REF]
    assert job.inputs.style_mask is not None and job.inputs.style_mask.shape == (64, 64)
    assert job.params.protect_flat == 0.5
    assert job.wait(DEADLINE)


def test_brush_and_detail_controls_render_and_reach_the_run(tiny_env):
    """The canvas itself renders as nothing under AppTest (a custom component): its conversion is
    tested in tests/test_masks.py and its drawing in tests/test_browser.py."""
    at = _app()
    _run_until(at, _model_ready, "the model")
    assert at.radio(key="brush_mode").value == "keep_photo"
    assert at.radio(key="brush_mode").options == ["Keep the photo here", "Keep detail here"]
    assert at.slider(key="brush_size").value == 24
    assert "Painted: keep the photo on 0% · keep detail on 0%" in _texts(at.caption)
    at.radio(key="brush_mode").set_value("keep_detail")
    at.slider(key="brush_size").set_value(40)
    at.slider(key="detail_strength").set_value(0.5)
    at.selectbox(key="precision").set_value("float32")
    at.toggle(key="show_mask").set_value(True)
    at.run()
    assert not at.exception
    assert "Nothing is masked" in _texts(at.caption)
    _button(at, "Clear the brush strokes").click()
    at.run()
    assert not at.exception and at.session_state[keys.BRUSH_GENERATION] == 1
    _small_run(at, iterations=2)
    _button(at, "Stylize").click()
    at.run()
    job = at.session_state[keys.JOB_REF]
    assert job.params.detail_strength == 0.5 and job.inputs.detail_mask is None  # nothing painted
    assert job.params.precision == "float32"
    assert job.wait(DEADLINE)


def test_a_sweep_runs_as_one_job_and_links_to_its_gallery_group(tiny_env):
    at = _app()
    _run_until(at, _model_ready, "the model")
    at.multiselect(key="sweep_params").set_value(["style_weight"])
    at.run()
    at.text_input(key="sweep_values_style_weight").set_value("1, 3")
    at.run()
    assert "2 runs at Preview quality" in _texts(at.caption)
    _button(at, "Run sweep").click()
    at.run()
    job = at.session_state[keys.JOB_REF]
    assert job.items and len(job.items) == 2 and job.group_kind == "sweep"
    _run_until(at, lambda a: a.success, "the sweep's end")
    view = job.view()
    assert len(view.run_ids) == 2 and view.group_id
    assert "All 2 runs of the sweep are done" in at.success[0].value
    links = [e.proto for e in at.get("page_link")]
    assert [link.label for link in links if f"group={view.group_id}" in link.query_string] == \
        ["Open the sweep in the gallery"]


def test_compare_methods_with_native_settings_warns_about_the_time(tiny_env):
    at = _app()
    at.run()
    at.checkbox(key="cmp_native").check().run()
    assert any("Native settings are slow" in w.value for w in at.warning)


# ---- StyleParams is the one source; first-run polish (issue 13) --------------------------------
def _recipe_and_sweep_params() -> list[StyleParams]:
    from nst.batch import compare_items, sweep_items
    from nst.recipes import RECIPES

    cells = [item.params for item in compare_items(list(RECIPES), seconds=100.0)]  # time-limited budgets
    cells += [item.params.replace(iterations=100_000, time_limit=30.0)
              for item in compare_items(list(RECIPES), native=True)]  # above every old widget maximum
    cells.append(sweep_items(StyleParams(seed=3), {"style_weight": [3.0, 30.0], "tv_weight": [0.5]})[1].params)
    return cells


def test_every_recipe_and_a_sweep_cell_round_trip_through_the_studio(tiny_env):
    """A gallery "Re-run" of any run paints exactly its stored params (loss form, layers, budget)."""
    for params in _recipe_and_sweep_params():
        at = _app()
        at.session_state[keys.RERUN_PARAMS] = params.to_dict()
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        assert at.session_state[keys.PLANNED_PARAMS] == params, params
        assert "Loaded settings from the gallery" in _texts(at.info)


def test_a_rerun_overlays_only_the_widgets_the_user_changes(tiny_env):
    from nst.recipes import recipe

    stored = recipe("gatys-2015").params(256, time_limit=60.0, native=False)
    at = _app()
    at.session_state[keys.RERUN_PARAMS] = stored.to_dict()
    at.run()
    at.select_slider(key="m_style").set_value(3.0)
    at.number_input(key="seed").set_value(9)
    at.selectbox(key="x_tv_form").set_value("l1_sum")
    at.run()
    expected = stored.replace(style_weight=3.0 * StyleParams().style_weight, seed=9, tv_form="l1_sum")
    assert at.session_state[keys.PLANNED_PARAMS] == expected
    assert at.selectbox(key="x_style_loss_form").value == "gatys"  # generated from the field's spec
    assert at.number_input(key="iterations").max == 100_000


def test_an_uploaded_style_replaces_the_default_example(tiny_env):
    at = _app()
    at.run()
    default_example = at.multiselect(key="style_examples").value
    assert len(default_example) == 1
    painting = np.random.default_rng(1).integers(0, 255, (64, 64, 3), np.uint8)
    at.file_uploader(key="style_upload").set_value([("mine.png", _png(painting), "image/png")])
    at.run()
    assert at.multiselect(key="style_examples").value == []
    assert [s.label for s in at.slider if s.label == "blend"] == []  # one style: no 50/50 blend
    assert "mine.png" in _image_captions(at)
    assert at.session_state[keys.PLANNED_PARAMS].style_blend == ()
    at.multiselect(key="style_examples").set_value(default_example)  # picked on purpose: it joins
    at.run()
    assert len([s for s in at.slider if s.label == "blend"]) == 2


def test_the_style_examples_are_credited_paintings(tiny_env):
    from nst.examples import STYLE_EXAMPLES, example_image

    for key, item in STYLE_EXAMPLES.items():
        assert item.credit.count(",") >= 2, item  # painter, title, year
        assert max(example_image(key).shape[:2]) <= 512
    at = _app()
    at.run()
    assert "Vincent van Gogh, The Starry Night, 1889" in _texts(at.caption)


def test_the_first_visit_opens_on_a_credited_real_photo(tiny_env):
    from nst.examples import ALL_EXAMPLES, CONTENT_EXAMPLES, STYLE_EXAMPLES, example_image

    at = _app()
    at.run()
    assert at.selectbox(key="content_example").value == "astronaut"
    assert "NASA, astronaut Eileen Collins (public domain)" in _image_captions(at)
    photo = example_image("astronaut")
    assert photo.shape == (512, 512, 3) and photo.std() > 0.1  # the real portrait at the default output size
    assert list(CONTENT_EXAMPLES) == ["astronaut", "rocket", "coffee", "cat"]
    assert {"great_wave", "self_portrait_straw_hat", "tahitian_women"} <= set(STYLE_EXAMPLES)  # offered since #20
    for key, item in ALL_EXAMPLES.items():
        assert item.credit and max(example_image(key).shape[:2]) <= 640, key


def test_a_rerun_restores_the_runs_masks(tiny_env):
    at = _app()
    _run_until(at, _model_ready, "the model")
    mask = np.zeros((64, 64), np.uint8)
    mask[:, 32:] = 255
    at.file_uploader(key="mask_upload").set_value(("half.png", _png(mask, "L"), "image/png"))
    _small_run(at, iterations=2)
    at.run()  # the mask is read; Stylize paints with what the page last showed
    _button(at, "Stylize").click()
    _run_until(at, lambda a: a.success, "the result")
    run_id = at.session_state[keys.JOB_REF].view().run_id
    assert run_id is not None

    again = _app()
    again.session_state[keys.RERUN_PARAMS] = at.session_state[keys.JOB_REF].params.to_dict()
    again.session_state[keys.RERUN_RUN_ID] = run_id
    _run_until(again, _model_ready, "the model")
    assert f"Using the masks of run {run_id}" in _texts(again.caption), _texts(again.warning) + _texts(again.info)
    restored = again.session_state[keys.READY_INPUTS].run.style_mask
    assert restored is not None and restored[:, :32].max() == 0.0 and restored[:, 32:].min() == 1.0


def test_a_rerun_of_a_run_painted_from_an_init_image_starts_from_the_photo_and_paints(tiny_env, tmp_path, capsys):
    """Issue #19 bug 2: the gallery keeps no init image, so a re-run must not keep init="image" without one
    (it did: the job failed with "init image needs an init image" while the widget said "the photo")."""
    from nst.cli import main
    from nst.model import tiny_feature_net_for_tests
    from nst.store import Store

    photo, start = tmp_path / "photo.png", tmp_path / "start.png"
    photo.write_bytes(_png(np.tile(np.linspace(0, 255, 64, dtype=np.uint8)[None, :, None], (48, 1, 3))))
    start.write_bytes(_png(np.full((48, 64, 3), 200, np.uint8)))
    assert main(["stylize", "--content", str(photo), "--style", str(photo), "--init-image", str(start),
                 "-o", str(tmp_path / "o.png"), "--size", "64", "--scales", "1", "--iterations", "2", "--save",
                 "--json"], net_factory=lambda weights: tiny_feature_net_for_tests(seed=0)) == 0
    run_id = json.loads(capsys.readouterr().out)["run_id"]
    stored = Store().get_run(run_id).params
    assert stored.init == "image"

    at = _app()  # what the gallery's "Re-run" does
    at.session_state[keys.RERUN_PARAMS] = stored.to_dict()
    at.session_state[keys.RERUN_RUN_ID] = run_id
    _run_until(at, _model_ready, "the model")
    _button(at, "Stylize").click()
    _run_until(at, lambda a: a.session_state[keys.JOB_REF].view().done, "the re-run's end")
    view = at.session_state[keys.JOB_REF].view()
    assert view.status == "finished", view.message
    assert view.params == stored.replace(init="content") and view.run_id is not None
    again = _app()  # the note says why, where the loaded settings are named
    again.session_state[keys.RERUN_PARAMS] = stored.to_dict()
    again.session_state[keys.RERUN_RUN_ID] = run_id
    again.run()
    assert "does not keep, so this one starts from the photo" in _texts(again.info)
    assert again.selectbox(key="init").value == "content"
