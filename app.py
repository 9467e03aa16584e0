"""The studio page: pick a photo and styles, tune, Stylize, watch it paint, steer it live, download.

Views only: every computation happens in ``nst`` (the engine runs in ``nst.jobs``' worker
thread; this script draws ``Job.view()`` snapshots and never blocks on a run). Design notes
are in docs/dashboard.md.

TEST HOOK: ``NST_STUDIO_TEST_TINY_NET=1`` makes this page use a tiny *random* network
(``nst.model.tiny_feature_net_for_tests``) instead of VGG19, so the AppTest and browser tests
run in seconds without weights. It is read only here, the page shows a banner while it is
on, and without it a missing weight file is an error message, never a silent fallback.
"""

from __future__ import annotations

import hashlib
import io
import os

import numpy as np
import streamlit as st

from nst.engine import compute_device
from nst.errors import ImageError, ParamsError
from nst.examples import CONTENT_EXAMPLES, STYLE_EXAMPLES, example_image
from nst.images import from_uint8, load_image, png_bytes, resize_long_side, resize_to, to_uint8
from nst.batch import SWEEPABLE, compare_items, sweep_items
from nst.errors import NSTError
from nst.jobs import Job, JobRunner, JobView, format_seconds, store_saver, MODEL_LOADING, MODEL_UNAVAILABLE
from nst.recipes import COMPARE_SECONDS, COMPARE_SIZE, RECIPES
from nst.params import (
    INITS, OPTIMIZERS, POOLINGS, PRECISIONS, PRESERVE_COLORS, QUALITY_PRESETS, STRENGTH_PRESETS, VGG19_CONV_LAYERS,
    StyleParams, with_quality, with_strength,
)

TEST_TINY_NET_ENV = "NST_STUDIO_TEST_TINY_NET"
DEFAULTS = StyleParams()
SIZES = (256, 384, 512, 640, 768, 1024, 1280, 1536, 2048)
MAX_INPUT_SIDE = max(SIZES)  # uploads are reduced to this on load; the engine resizes further
THUMB_SIDE = 240
POLL_SECONDS = 0.7  # image and progress; the first live image must show within 2 s
CHART_SECONDS = 2.0  # loss curves
# log-spaced multiples of the default weights, readable at a glance
MULTIPLIERS = (0.01, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 7.0,
               10.0, 15.0, 20.0, 30.0, 50.0, 70.0, 100.0)
TV_MULTIPLIERS = (0.0,) + MULTIPLIERS
UPLOAD_TYPES = ["jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff", "gif"]
INIT_LABELS = {"content": "the photo", "noise": "random noise", "style": "the first style image",
               "fast": "the fast preview"}
FAST_PREVIEW_SIDE = 384  # the fast preview paints at this long side: one forward pass, about a second
GALLERY_PAGE = "pages/1_Gallery.py"
RERUN_PARAMS_KEY = "nst_rerun_params"  # set by the gallery page (pages/1_Gallery.py)
RERUN_RUN_KEY = "nst_rerun_run_id"
PRESERVE_LABELS = {"none": "no (take the style's colours)", "luminance": "yes, keep the photo's colours",
                   "histogram": "match style colours to the photo"}
LOSS_TERMS = ("total", "content", "style", "tv")
MAX_STYLES = 6
SESSION_RESULTS = 6

st.set_page_config(page_title="Style studio", page_icon=":material/palette:", layout="wide")


def _keep_tensorflow_warm_between_reruns() -> None:
    """Stop Streamlit from resetting TensorFlow after every script run.

    After *every* run (so also every poll of the live panel, about twice a second) Streamlit
    1.67 calls ``keras.backend.clear_session()`` (which clears TensorFlow's eager kernel cache and
    runs a full garbage collection) and, with ``runner.postScriptGC`` on, another ``gc.collect(2)``.
    Both hold the GIL and the first throws away the running optimisation's kernels: measured,
    a painting watched in the browser ran many times slower than an unwatched one. The page
    builds no Keras models (nst.model clears its own Keras session after building VGG19), so
    skipping that clean-up is safe. Private Streamlit API, pinned version: checked by
    tests/test_app.py; if it moves, the page still works, only slower.
    """
    from streamlit import config
    from streamlit.runtime.scriptrunner import script_runner

    if getattr(script_runner, "_clean_problem_modules", None) is not None:
        script_runner._clean_problem_modules = lambda: None
    try:
        config.set_option("runner.postScriptGC", False, "app.py: keep TensorFlow warm")
        # "Magic" compiles this script through ast.parse. On CPython 3.11.7 ast.parse is not
        # thread-safe (gh-106905): when the worker traces a tf.function (autograph parses Python
        # source too) at the same moment, the script run fails with "SystemError: AST constructor
        # recursion depth mismatch". The page uses no magic, so plain compile() is enough.
        config.set_option("runner.magicEnabled", False, "app.py: no ast.parse next to autograph")
    except Exception:  # noqa: BLE001 - an unknown option in a later Streamlit: nothing to turn off
        pass


_keep_tensorflow_warm_between_reruns()


# ---- process-wide: one runner (and so one network, one CPU queue) per server process --------
def _tiny_net_hook() -> bool:
    return os.environ.get(TEST_TINY_NET_ENV) == "1"


@st.cache_resource(show_spinner=False)
def studio_runner(tiny_test_net: bool) -> JobRunner:
    """The process's job runner; it builds the network once, in the background, and keeps it."""
    if tiny_test_net:
        from nst.model import tiny_feature_net_for_tests

        return JobRunner(net_provider=lambda: tiny_feature_net_for_tests(seed=0), save_result=store_saver())
    # nst.model.get_feature_net: the real VGG19; every finished or stopped run goes to the gallery
    # store ($NST_DATA_DIR), saved and scored in the worker thread
    return JobRunner(save_result=store_saver())


def _jpeg(pixels: np.ndarray, quality: int = 90) -> bytes:
    """Encode once, show many times: st.image would re-encode an array on every rerun."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels if pixels.dtype == np.uint8 else to_uint8(pixels)).save(buffer, format="JPEG",
                                                                                    quality=quality)
    return buffer.getvalue()


@st.cache_data(show_spinner=False)
def _example_thumb(key: str) -> bytes:
    return _jpeg(resize_long_side(example_image(key), THUMB_SIDE))


@st.cache_data(show_spinner=False)
def _device() -> str:
    return compute_device()


# ---- uploads: checked once per file, kept in this session only --------------------------------
def read_upload(data: bytes, name: str) -> tuple[np.ndarray | None, tuple[str, ...], str | None]:
    """(pixels, notes, error): an upload as engine pixels, what was changed, or why it is refused.

    ``name`` only labels messages; it never becomes a path.
    """
    try:
        loaded = load_image(data, name=name, max_side=MAX_INPUT_SIDE)
    except ImageError as error:
        return None, (), str(error)
    pixels = loaded.pixels
    notes = list(loaded.notes)
    if max(pixels.shape[:2]) > MAX_INPUT_SIDE:
        pixels = resize_long_side(pixels, MAX_INPUT_SIDE)
        notes.append(f"reduced to {MAX_INPUT_SIDE} px on the long side")
    return pixels, tuple(notes), None


def _session_upload(uploaded) -> dict:
    """Decode an UploadedFile once per session (keyed by Streamlit's file id)."""
    cache = st.session_state.setdefault("_uploads", {})
    entry = cache.get(uploaded.file_id)
    if entry is None:
        pixels, notes, error = read_upload(uploaded.getvalue(), uploaded.name)
        thumb = _jpeg(resize_long_side(pixels, THUMB_SIDE)) if pixels is not None else None
        entry = {"name": uploaded.name, "pixels": pixels, "notes": notes, "error": error, "thumb": thumb}
        cache[uploaded.file_id] = entry
    return entry


def _forget_old_uploads(keep: set[str]) -> None:
    cache = st.session_state.get("_uploads", {})
    for file_id in [f for f in cache if f not in keep]:
        del cache[file_id]


# ---- controls -> StyleParams ---------------------------------------------------------------
def _nearest(options: tuple[float, ...], value: float) -> float:
    positive = [o for o in options if o > 0]
    if value <= 0:
        return options[0]
    return min(positive, key=lambda o: abs(np.log(o) - np.log(value)))


def _ratio(value: float, default: float) -> float:
    return value / default if default else 1.0


def _init_state() -> None:
    state = st.session_state
    quality = next((name for name, preset in QUALITY_PRESETS.items()
                    if with_quality(DEFAULTS, name) == DEFAULTS), "Standard")
    strength = next((name for name in STRENGTH_PRESETS if with_strength(DEFAULTS, name) == DEFAULTS), "Balanced")
    defaults = {
        "strength": strength, "quality": quality, "size": DEFAULTS.size if DEFAULTS.size in SIZES else 512,
        "m_content": 1.0, "m_style": 1.0, "m_tv": 1.0,
        "optimizer": DEFAULTS.optimizer, "init": DEFAULTS.init if DEFAULTS.init in INIT_LABELS else "content",
        "preserve_colors": DEFAULTS.preserve_colors, "style_scale": float(DEFAULTS.style_scale),
        "seed": DEFAULTS.seed, "scales": DEFAULTS.scales, "iterations": DEFAULTS.iterations,
        "learning_rate": float(DEFAULTS.learning_rate), "pooling": DEFAULTS.pooling,
        "precision": DEFAULTS.precision,
        "content_layer": DEFAULTS.content_layers[0][0],
        "style_layers": [name for name, _ in DEFAULTS.style_layers],
        "content_example": next(iter(CONTENT_EXAMPLES)),
        "style_examples": [next(iter(STYLE_EXAMPLES))],
        "protect_flat": float(DEFAULTS.protect_flat), "mask_strength": float(DEFAULTS.mask_strength),
        "show_mask": False, "detail_strength": float(DEFAULTS.detail_strength),
        "brush_mode": next(iter(BRUSH_MODES)), "brush_size": 24,
        "sweep_params": ["style_weight", "content_weight"], "cmp_methods": list(RECIPES)[:2],
        "cmp_size": COMPARE_SIZE, "cmp_seconds": float(COMPARE_SECONDS), "cmp_native": False,
    }
    for name, weight in DEFAULTS.style_layers:
        defaults[f"lw_{name}"] = float(weight)
    for key, value in defaults.items():
        state.setdefault(key, value)


def _apply_strength() -> None:
    preset = with_strength(DEFAULTS, st.session_state["strength"])
    st.session_state["m_content"] = _nearest(MULTIPLIERS, _ratio(preset.content_weight, DEFAULTS.content_weight))
    st.session_state["m_style"] = _nearest(MULTIPLIERS, _ratio(preset.style_weight, DEFAULTS.style_weight))
    st.session_state["m_tv"] = _nearest(TV_MULTIPLIERS, _ratio(preset.tv_weight, DEFAULTS.tv_weight))
    _live_weights()


def _apply_quality() -> None:
    preset = with_quality(DEFAULTS, st.session_state["quality"])
    st.session_state["scales"] = preset.scales
    st.session_state["iterations"] = preset.iterations


def current_weights() -> dict[str, float]:
    state = st.session_state
    return {"content": state["m_content"] * DEFAULTS.content_weight,
            "style": state["m_style"] * DEFAULTS.style_weight,
            "tv": state["m_tv"] * DEFAULTS.tv_weight}


def _live_weights() -> None:
    """Slider callback: steer the running painting (takes effect at its next step)."""
    job = current_job()
    if job is None or not job.view().active:
        return
    try:
        job.set_weights(**current_weights())
    except ParamsError as error:
        st.session_state["_notice"] = str(error)
        return
    st.toast("Live: the new weights apply from the painting's next step.", icon=":material/tune:")


def build_params(n_styles: int, blend: list[float]) -> StyleParams:
    """Every control, mapped onto the engine's parameters (raises ParamsError)."""
    state = st.session_state
    weights = current_weights()
    style_layers = tuple((name, float(state.get(f"lw_{name}", 1.0))) for name in state["style_layers"])
    return DEFAULTS.replace(
        content_weight=weights["content"], style_weight=weights["style"], tv_weight=weights["tv"],
        size=int(state["size"]), scales=int(state["scales"]), iterations=int(state["iterations"]),
        optimizer=state["optimizer"], learning_rate=float(state["learning_rate"]), init=state["init"],
        seed=int(state["seed"]), style_blend=tuple(blend) if n_styles > 1 else (),
        style_scale=float(state["style_scale"]), preserve_colors=state["preserve_colors"],
        content_layers=((state["content_layer"], 1.0),), style_layers=style_layers, pooling=state["pooling"],
        precision=state["precision"], protect_flat=float(state["protect_flat"]), mask_strength=float(state["mask_strength"]),
        detail_strength=float(state["detail_strength"]),
    )


def apply_rerun_from_gallery() -> None:
    """The gallery's "Re-run" put a run's params (and id) in the session: set the widgets from them
    (before any widget exists) and load that run's photo and styles as the current inputs."""
    state = st.session_state
    raw = state.pop(RERUN_PARAMS_KEY, None)
    run_id = state.pop(RERUN_RUN_KEY, None)
    if raw is None:
        return
    try:
        params = raw if isinstance(raw, StyleParams) else StyleParams.from_dict(raw)
    except (ParamsError, TypeError, ValueError) as error:
        state["_notice"] = f"Could not load that run's settings: {error}"
        return
    style_names = [name for name, _ in params.style_layers]
    values = {
        "m_content": _nearest(MULTIPLIERS, _ratio(params.content_weight, DEFAULTS.content_weight)),
        "m_style": _nearest(MULTIPLIERS, _ratio(params.style_weight, DEFAULTS.style_weight)),
        "m_tv": _nearest(TV_MULTIPLIERS, _ratio(params.tv_weight, DEFAULTS.tv_weight)),
        "size": min(SIZES, key=lambda s: abs(s - params.size)),
        "optimizer": params.optimizer, "preserve_colors": params.preserve_colors,
        "style_scale": float(min(2.0, max(0.25, params.style_scale))), "seed": int(params.seed),
        "scales": int(params.scales), "iterations": int(params.iterations),
        "learning_rate": float(params.learning_rate), "pooling": params.pooling, "precision": params.precision,
        "content_layer": params.content_layers[0][0], "style_layers": style_names,
        "init": params.init if params.init in INIT_LABELS else "content",
        "protect_flat": float(params.protect_flat), "mask_strength": float(params.mask_strength),
        "detail_strength": float(params.detail_strength),
    }
    if params.tv_weight == 0:
        values["m_tv"] = 0.0
    for name, weight in params.style_layers:
        values[f"lw_{name}"] = float(weight)
    state.update(values)
    note = "Loaded settings from the gallery"
    if run_id is not None:
        note = f"Loaded settings from run {run_id}"
        try:
            from nst.store import Store

            inputs = Store().input_images(int(run_id))
        except (NSTError, OSError) as error:
            state["_notice"] = f"{note}, but not its images: {error}"
            state["_loaded_note"] = note
            return
        names = list(inputs.style_names) + [""] * (len(inputs.styles) - len(inputs.style_names))
        state["_loaded_inputs"] = {
            "run_id": int(run_id), "content": inputs.content,
            "content_name": inputs.content_name or f"photo of run {run_id}",
            "content_thumb": _jpeg(resize_long_side(inputs.content, THUMB_SIDE)),
            "styles": [(f"run{run_id}_{i}", n or f"style {i + 1} of run {run_id}", px,
                        _jpeg(resize_long_side(px, THUMB_SIDE)), ())
                       for i, (n, px) in enumerate(zip(names, inputs.styles))],
        }
        state["style_examples"] = []
        for i, weight in enumerate(inputs.blend):
            state[f"blend_run{run_id}_{i}"] = float(min(1.0, max(0.0, weight)))
    state["_loaded_note"] = note + " (weights are shown on the nearest slider step)."


def _readable(value: float) -> str:
    if value >= 1000:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def _weight_label(default: float):
    return lambda m: f"{m:g}×  (= {_readable(m * default)})" if default else f"{m:g}×"


def sidebar_controls(running: bool) -> None:
    sb = st.sidebar
    sb.header("Controls")
    sb.radio("Strength", list(STRENGTH_PRESETS), key="strength", horizontal=True, on_change=_apply_strength,
             help="Starting points: how much the style counts compared with the photo.")
    if running:
        sb.info("**Live:** moving the three weight sliders changes the running painting from its next step "
                "(marked in the loss chart).", icon=":material/tune:")
    sb.select_slider("Style weight", MULTIPLIERS, key="m_style", format_func=_weight_label(DEFAULTS.style_weight),
                     on_change=_live_weights, help="Log scale, as a multiple of the default. Higher: more painterly.")
    sb.select_slider("Content weight", MULTIPLIERS, key="m_content",
                     format_func=_weight_label(DEFAULTS.content_weight), on_change=_live_weights,
                     help="Log scale, as a multiple of the default. Higher: more of the photo's shapes.")
    sb.select_slider("Smoothness (TV weight)", TV_MULTIPLIERS, key="m_tv",
                     format_func=_weight_label(DEFAULTS.tv_weight), on_change=_live_weights,
                     help="Log scale. Total-variation weight: higher gives smoother, less noisy images.")
    sb.divider()
    sb.radio("Quality", list(QUALITY_PRESETS), key="quality", horizontal=True, on_change=_apply_quality,
             help="Preview / Standard / High: number of scales and iterations (see Advanced).")
    sb.select_slider("Output size (long side, px)", SIZES, key="size",
                     help="256 px paints in about a minute on a 2-core laptop; each doubling costs about 4x.")
    sb.selectbox("Keep the photo's colours?", PRESERVE_COLORS, key="preserve_colors",
                 format_func=lambda v: PRESERVE_LABELS.get(v, v))
    sb.slider("Style scale", 0.25, 2.0, key="style_scale", step=0.05,
              help="Size of the style's brush marks relative to the output (style image resized by this).")
    if st.session_state.get("init") == "fast" and not fast_available()[0]:
        st.session_state["init"] = "content"
    sb.selectbox("Start from", [i for i in INITS if i in INIT_LABELS and (i != "fast" or fast_available()[0])],
                 key="init",
                 format_func=lambda v: INIT_LABELS.get(v, v))
    sb.number_input("Seed", 0, 2**31 - 1, key="seed", step=1, help="Same seed and settings: same picture.")
    with sb.expander("Advanced"):
        st.selectbox("Optimizer", OPTIMIZERS, key="optimizer",
                     format_func=lambda v: {"lbfgs": "L-BFGS (best quality)", "adam": "Adam"}.get(v, v))
        st.number_input("Adam learning rate", 0.001, 0.5, key="learning_rate", step=0.005, format="%.3f")
        st.number_input("Scales (coarse to fine)", 1, 8, key="scales", step=1)
        st.number_input("Iterations", 1, 5000, key="iterations", step=10,
                        help="Optimiser steps (one VGG19 forward + backward each); see the engine's docs "
                             "for how they spread over scales.")
        st.selectbox("Pooling", POOLINGS, key="pooling")
        st.selectbox("Precision", PRECISIONS, key="precision",
                     help="Of the VGG19 convolutions. auto: bfloat16 only on a CPU with native bfloat16 "
                          "where it is clearly faster; elsewhere it is emulated and much slower.")
        st.selectbox("Content layer", VGG19_CONV_LAYERS, key="content_layer")
        st.multiselect("Style layers", VGG19_CONV_LAYERS, key="style_layers")
        for name in st.session_state["style_layers"]:
            st.session_state.setdefault(f"lw_{name}", 1.0)
            st.number_input(f"weight of {name}", 0.0, 100.0, key=f"lw_{name}", step=0.1)
    if running:
        sb.caption("Other settings apply to the next run.")


# ---- inputs -------------------------------------------------------------------------------
def content_input() -> tuple[np.ndarray | None, str]:
    st.subheader("1 · Photo")
    upload = st.file_uploader("Upload a photo", type=UPLOAD_TYPES, key="content_upload")
    st.selectbox("…or use an example", list(CONTENT_EXAMPLES), key="content_example",
                 format_func=lambda k: CONTENT_EXAMPLES[k].title)
    if upload is not None:
        entry = _session_upload(upload)
        if entry["error"]:
            st.error(entry["error"], icon=":material/error:")
        else:
            st.session_state["_content_id"] = upload.file_id
            st.image(entry["thumb"], caption=f"Your photo: {entry['name']}", width=THUMB_SIDE)
            if entry["notes"]:
                st.caption("Note: " + "; ".join(entry["notes"]) + ".")
            return entry["pixels"], entry["name"]
    loaded = st.session_state.get("_loaded_inputs")
    if loaded is not None:
        st.session_state["_content_id"] = f"run{loaded['run_id']}"
        st.image(loaded["content_thumb"], caption=f"From run {loaded['run_id']}: {loaded['content_name']}",
                 width=THUMB_SIDE)
        st.button("Use the example instead", key="drop_loaded", on_click=lambda: st.session_state.pop(
            "_loaded_inputs", None))
        return loaded["content"], loaded["content_name"]
    key = st.session_state["content_example"]
    st.session_state["_content_id"] = f"ex_{key}"
    st.image(_example_thumb(key), caption=f"Example: {CONTENT_EXAMPLES[key].title}", width=THUMB_SIDE)
    return example_image(key), CONTENT_EXAMPLES[key].title


def style_inputs() -> tuple[list[np.ndarray], list[float], list[str], list[str]]:
    st.subheader("2 · Styles")
    uploads = st.file_uploader("Upload style images", type=UPLOAD_TYPES, key="style_upload",
                               accept_multiple_files=True) or []
    st.multiselect("…and/or examples", list(STYLE_EXAMPLES), key="style_examples",
                   format_func=lambda k: STYLE_EXAMPLES[k].title)
    chosen: list[tuple[str, str, np.ndarray, np.ndarray, tuple[str, ...]]] = []  # (id, label, pixels, thumb, notes)
    for upload in uploads:
        entry = _session_upload(upload)
        if entry["error"]:
            st.error(entry["error"], icon=":material/error:")
        else:
            chosen.append((upload.file_id, entry["name"], entry["pixels"], entry["thumb"], entry["notes"]))
    loaded = st.session_state.get("_loaded_inputs")
    if loaded is not None:
        chosen.extend(loaded["styles"])
    for key in st.session_state["style_examples"]:
        chosen.append((f"ex_{key}", STYLE_EXAMPLES[key].title, example_image(key), _example_thumb(key), ()))
    if len(chosen) > MAX_STYLES:
        st.warning(f"Using the first {MAX_STYLES} styles.")
        chosen = chosen[:MAX_STYLES]
    if not chosen:
        st.info("Choose at least one style: upload an image or pick an example.")
    blend = []
    blend_keys = []
    columns = st.columns(min(3, max(1, len(chosen))))
    for index, (item_id, label, _, thumb, notes) in enumerate(chosen):
        with columns[index % len(columns)]:
            st.image(thumb, caption=label, width=120)
            if notes:
                st.caption("Note: " + "; ".join(notes) + ".")
            if len(chosen) > 1:
                st.session_state.setdefault(f"blend_{item_id}", 1.0)  # a gallery re-run may have set it
                blend.append(st.slider("blend", 0.0, 1.0, step=0.05, key=f"blend_{item_id}",
                                       help="How much this style counts in the mix."))
            else:
                blend.append(1.0)
            blend_keys.append(f"blend_{item_id}")
    st.session_state["_style_ids"] = tuple(c[0] for c in chosen)
    return [c[2] for c in chosen], blend, [c[1] for c in chosen], blend_keys


BRUSH_MODES = {"keep_photo": "Keep the photo here", "keep_detail": "Keep detail here"}
BRUSH_CANVAS_WIDTH = 320  # px on screen; the strokes are resized to the photo's size


def _rgba(rgb: tuple[int, int, int], alpha: float) -> str:
    return f"rgba({rgb[0]}, {rgb[1]}, {rgb[2]}, {alpha})"


def _clear_brush() -> None:
    st.session_state["_brush_generation"] = st.session_state.get("_brush_generation", 0) + 1


def brush_canvas(content: np.ndarray):
    """The brush: paint on the photo (streamlit-drawable-canvas). Returns nst.masks.BrushMasks at
    the photo's size, or None when nothing is painted (or the canvas has sent nothing yet)."""
    from streamlit_drawable_canvas import st_canvas

    from nst.masks import BRUSH_ALPHA, BRUSH_KEEP_DETAIL_RGB, BRUSH_KEEP_PHOTO_RGB, brush_masks

    state = st.session_state
    mode_col, size_col = st.columns([3, 2])
    mode_col.radio("Brush", list(BRUSH_MODES), key="brush_mode", format_func=BRUSH_MODES.get, horizontal=True,
                   help="Red strokes keep the photo (no style there). Blue strokes keep detail and colour: "
                        "still painted, but the photo's shapes count more there.")
    size_col.slider("Brush size", 4, 60, key="brush_size", step=2)
    height, width = content.shape[:2]
    canvas_height = max(16, round(BRUSH_CANVAS_WIDTH * height / width))
    rgb = BRUSH_KEEP_PHOTO_RGB if state["brush_mode"] == "keep_photo" else BRUSH_KEEP_DETAIL_RGB
    photo_id = state.get("_content_id")
    cached_background = state.get("_brush_background")
    if not cached_background or cached_background[0] != (photo_id, content.shape):  # encoded once per photo
        cached_background = ((photo_id, content.shape), _jpeg(resize_long_side(content, 2 * BRUSH_CANVAS_WIDTH)))
        state["_brush_background"] = cached_background
    background = cached_background[1]
    key = f"brush_{photo_id}_{state.get('_brush_generation', 0)}"  # a new photo: a new canvas
    result = st_canvas(stroke_width=int(state["brush_size"]), stroke_color=_rgba(rgb, BRUSH_ALPHA),
                       background_image=background, width=BRUSH_CANVAS_WIDTH, height=canvas_height,
                       drawing_mode="freedraw", return_image_data=True, key=key)
    st.caption("Red brush: strokes keep the photo (no style there)." if state["brush_mode"] == "keep_photo" else
               "Blue brush: strokes keep detail and colour (the photo's shapes count more).")
    st.button("Clear the brush strokes", key="brush_clear", on_click=_clear_brush, icon=":material/ink_eraser:")
    data = result.image_bytes
    if not data:
        return None
    digest = (key, hashlib.sha256(data).hexdigest(), content.shape)
    cached = state.get("_brush_masks")
    if not cached or cached[0] != digest:  # decoded once per stroke, not on every rerun
        from PIL import Image

        try:
            cached = (digest, brush_masks(np.asarray(Image.open(io.BytesIO(data)).convert("RGBA")), height, width),
                      None)
        except (ImageError, OSError, ValueError) as exc:
            cached = (digest, None, f"The brush strokes could not be read ({exc}); clear them and paint again.")
        state["_brush_masks"] = cached
    _, masks, error = cached
    if error:
        st.error(error)
    if masks is None or (masks.keep_photo_share == 0 and masks.keep_detail_share == 0):
        return None
    return masks


def mask_controls(content: np.ndarray | None) -> tuple[np.ndarray | None, np.ndarray | None, str | None]:
    """Spatial control: (the user's style mask or None, the detail mask or None, an error or None).

    The style mask combines an uploaded mask and the red "keep the photo" strokes (their minimum);
    the blue "keep detail" strokes are the detail mask. Both are at the photo's size."""
    from nst.masks import combine_detail_masks, combine_user_masks, load_mask, style_mask

    with st.expander("Spatial control: where the style goes", expanded=False):
        upload = st.file_uploader("Mask image (white = stylise, black = keep the photo)", type=UPLOAD_TYPES,
                                  key="mask_upload")
        uploaded, error = None, None
        if upload is not None:
            cache = st.session_state.setdefault("_mask_cache", {})
            if upload.file_id not in cache:
                try:
                    cache.clear()
                    cache[upload.file_id] = (load_mask(upload.getvalue(), name=upload.name), None)
                except ImageError as exc:
                    cache[upload.file_id] = (None, str(exc))
            uploaded, error = cache[upload.file_id]
            if error:
                st.error(error, icon=":material/error:")
        painted = brush_canvas(content) if content is not None else None
        keep_share = painted.keep_photo_share if painted is not None else 0.0
        detail_share = painted.keep_detail_share if painted is not None else 0.0
        st.caption(f"Painted: keep the photo on {keep_share:.0%} · keep detail on {detail_share:.0%} "
                   "of the picture")
        user_mask, detail_mask = uploaded, None  # an upload alone goes to the engine as it is
        if content is not None and painted is not None:
            key = (id(painted), upload.file_id if upload is not None else None)
            cached = st.session_state.get("_combined_masks")
            if not cached or cached[0] != key:
                height, width = content.shape[:2]
                try:
                    combined = combine_user_masks(uploaded, painted.keep_photo, height, width)
                    cached = (key, combined, combine_detail_masks(painted.keep_detail, height=height, width=width),
                              None)
                except ImageError as exc:
                    cached = (key, None, None, str(exc))
                st.session_state["_combined_masks"] = cached
            _, user_mask, detail_mask, combine_error = cached
            if combine_error:
                st.error(combine_error)
                error = combine_error
        st.slider("Mask strength", 0.0, 1.0, key="mask_strength", step=0.05,
                  help="1: black (and red-painted) areas keep the photo fully; 0: the mask is ignored.")
        st.slider("Detail strength", 0.0, 1.0, key="detail_strength", step=0.05,
                  help="Blue-painted areas: the content weight there is multiplied by 1 + 9 × this, and "
                       "their local colours are held, so crowded details stay sharp and colourful.")
        st.slider("Protect flat areas", 0.0, 1.0, key="protect_flat", step=0.05,
                  help="Keeps texture out of flat regions such as sky or walls (an automatic mask).")
        st.toggle("Show the mask on the photo", key="show_mask")
        if st.session_state["show_mask"] and content is not None:
            small = resize_long_side(content, THUMB_SIDE)
            try:
                mask = style_mask(small, user_mask=user_mask, mask_strength=float(st.session_state["mask_strength"]),
                                  protect_flat=float(st.session_state["protect_flat"]))
            except ImageError as exc:
                st.error(str(exc))
                mask = None
            if mask is None and detail_mask is None:
                st.caption("Nothing is masked: the style goes everywhere.")
            else:
                shown = small.copy()
                if mask is not None:
                    keep = (1.0 - mask)[..., None] * 0.6  # red where the photo is kept
                    shown = shown * (1 - keep) + np.array([0.85, 0.1, 0.1], np.float32) * keep
                if detail_mask is not None:
                    marked = resize_to(detail_mask, small.shape[1], small.shape[0])[..., None] * 0.5
                    marked = marked * float(st.session_state["detail_strength"] > 0)
                    shown = shown * (1 - marked) + np.array([0.15, 0.4, 0.9], np.float32) * marked
                st.image(to_uint8(shown), width=THUMB_SIDE,
                         caption="Red: kept as the photo; blue: detail kept; clear: stylised.")
    return user_mask, detail_mask, error


# ---- fast mode (issue 6) -----------------------------------------------------------------------
def fast_available() -> tuple[bool, str]:
    """Checked once per session (loading the model is once per process, in nst.fast)."""
    if "_fast_ok" not in st.session_state:
        from nst.fast import fast_model_available

        st.session_state["_fast_ok"] = fast_model_available()
    return st.session_state["_fast_ok"]


def fast_preview(content: np.ndarray, styles: list[np.ndarray], blend: list[float]) -> tuple[bytes | None, str]:
    """The fast preview as JPEG, recomputed only when its inputs change (keyed by input ids)."""
    state = st.session_state
    key = (state.get("_content_id"), state.get("_style_ids"), tuple(blend), state["preserve_colors"],
           float(state["style_scale"]))
    cached = state.get("_fast_preview")
    if cached and cached[0] == key:
        return cached[1], cached[2]
    from nst.fast import stylize_fast

    try:
        painted = stylize_fast(resize_long_side(content, FAST_PREVIEW_SIDE), styles, blend or None,
                               preserve_colors=state["preserve_colors"], style_scale=float(state["style_scale"]))
        frame, error = _jpeg(painted), ""
    except NSTError as exc:
        frame, error = None, str(exc)
    except Exception as exc:  # noqa: BLE001 - a preview must never break the page
        frame, error = None, f"the fast model could not paint this ({type(exc).__name__})."
    state["_fast_preview"] = (key, frame, error)
    return frame, error


# ---- the job of this session ---------------------------------------------------------------
def current_job() -> Job | None:
    job_id = st.session_state.get("job_id")
    return runner.get(job_id) if job_id else st.session_state.get("_job_ref")


def _attach_from_url() -> None:
    """A reloaded tab has a fresh session: reattach to its run through ?job=<id>."""
    if "job_id" in st.session_state:
        return
    job_id = st.query_params.get("job")
    if not job_id:
        return
    job = runner.get(job_id)
    if job is None:
        st.session_state["_notice"] = "That run is no longer on this server (it was restarted or the run is old)."
        del st.query_params["job"]
        return
    st.session_state["job_id"] = job.id
    st.session_state["_job_ref"] = job
    _remember(job)


def _remember(job: Job) -> None:
    history = st.session_state.setdefault("results", [])
    if job not in history:
        history.insert(0, job)
        del history[SESSION_RESULTS:]


def _start(init: str | None = None, batch: str | None = None) -> None:
    """Stylize's / Refine's / the batches' callback: runs before the next script run, so the job
    starts without an extra rerun. ``init="fast"``: Refine (start from the fast preview);
    ``batch``: "sweep" or "compare", one queued job for the whole batch."""
    inputs = st.session_state.pop("_ready_inputs", None)
    st.session_state.pop("_loaded_note", None)
    job = current_job()
    if inputs is None or (job is not None and job.view().active):
        return
    content, styles, blend_keys, mask, detail_mask, content_name, style_names = inputs
    items = None
    try:  # the controls as they are now (a setting changed just before the click counts)
        blend = [float(st.session_state.get(key, 1.0)) for key in blend_keys]
        params = build_params(len(styles), blend)
        if init:
            params = params.replace(init=init)
        if batch == "sweep":
            items = sweep_items(params, sweep_grid())
        elif batch == "compare":
            state = st.session_state
            if not state.get("cmp_methods"):
                raise ParamsError("Choose at least one method to compare.")
            items = compare_items(state["cmp_methods"], size=int(state["cmp_size"]),
                                  seconds=float(state["cmp_seconds"]), native=bool(state["cmp_native"]),
                                  seed=int(state["seed"]))
            items = [type(i)(i.label, i.row, i.col, i.params.replace(style_blend=params.style_blend))
                     for i in items]
    except ParamsError as error:
        st.session_state["_notice"] = str(error)
        return
    job = Job(content, styles, None if items else params, owner=st.session_state.get("_session_token"),
              mask=mask, detail_mask=detail_mask, content_name=content_name, style_names=style_names,
              items=items, group_kind=batch)
    runner.submit(job)
    st.session_state["job_id"] = job.id
    st.session_state["_job_ref"] = job  # survives the registry forgetting old jobs
    st.query_params["job"] = job.id
    _remember(job)


WEIGHT_FIELDS = {"content_weight": DEFAULTS.content_weight, "style_weight": DEFAULTS.style_weight,
                 "tv_weight": DEFAULTS.tv_weight}
SWEEP_DEFAULTS = {"style_weight": "3, 10, 30", "content_weight": "0.5, 1, 2", "tv_weight": "0.5, 1, 2",
                  "style_scale": "0.5, 1, 1.5", "learning_rate": "0.01, 0.02, 0.05"}


def sweep_grid() -> dict[str, list[float]]:
    """The Sweep expander's choices -> {field: absolute values} (raises ParamsError).

    Weights are typed as multiples of the defaults (like the sliders); the others as values."""
    state = st.session_state
    names = list(state.get("sweep_params") or [])
    if not 1 <= len(names) <= 2:
        raise ParamsError("A sweep varies one or two parameters.")
    grid = {}
    for name in names:
        text = str(state.get(f"sweep_values_{name}", SWEEP_DEFAULTS[name]))
        try:
            values = [float(v) for v in text.replace(";", ",").split(",") if v.strip()]
        except ValueError:
            raise ParamsError(f"Values for {name} must be numbers separated by commas, not {text!r}.") from None
        scale = WEIGHT_FIELDS.get(name)
        grid[name] = [v * scale for v in values] if scale else values
    return grid


def batch_controls(ready: bool, running: bool) -> None:
    with st.expander("Sweep: a grid of runs over one or two settings"):
        st.multiselect("Parameters (1 or 2)", SWEEPABLE, key="sweep_params", max_selections=2)
        for name in st.session_state.get("sweep_params") or []:
            unit = " (multiples of the default)" if name in WEIGHT_FIELDS else ""
            st.session_state.setdefault(f"sweep_values_{name}", SWEEP_DEFAULTS[name])
            st.text_input(f"{name} values{unit}, comma-separated", key=f"sweep_values_{name}")
        try:
            grid = sweep_grid()
            n = int(np.prod([len(v) for v in grid.values()]))
            st.caption(f"{n} runs at Preview quality, at most 256 px each; saved to the gallery as one group.")
        except ParamsError as error:
            st.caption(str(error))
        st.button("Run sweep", key="run_sweep", disabled=not ready or running, on_click=_start,
                  kwargs={"batch": "sweep"})
    with st.expander("Compare methods"):
        st.multiselect("Methods", list(RECIPES), key="cmp_methods", format_func=lambda k: RECIPES[k].name)
        st.number_input("Size (px)", 64, 1024, key="cmp_size", step=32)
        st.number_input("Seconds each", 5.0, 3600.0, key="cmp_seconds", step=5.0)
        st.checkbox("Native settings (each method's own size and iterations; no time limit)", key="cmp_native")
        if st.session_state["cmp_native"]:
            try:
                steps = sum(i.params.total_steps() for i in compare_items(st.session_state["cmp_methods"],
                                                                          native=True))
                st.warning(f"Native settings are slow: {steps} steps in all; on a 2-core CPU expect roughly "
                           f"{format_seconds(steps * 1.5)} at 256 px and far longer at larger sizes.",
                           icon=":material/schedule:")
            except ParamsError as error:
                st.caption(str(error))
        st.button("Compare methods", key="run_compare", disabled=not ready or running, on_click=_start,
                  kwargs={"batch": "compare"})


def _stop() -> None:
    job = current_job()
    if job is not None:
        job.stop()


# ---- drawing a job -------------------------------------------------------------------------
def loss_chart(view: JobView, height: int = 260) -> dict:
    """A Vega-Lite spec (log-scale loss curves; rules where weights changed and scales began).

    Written as a plain spec, not with Altair, because the live panel redraws it every couple of
    seconds on a 2-core machine and Altair's schema validation costs more than the drawing.
    """
    history = view.history
    if len(history) > 600:  # keep the browser light on long runs
        stride = -(-len(history) // 600)
        history = history[::stride] + ((history[-1],) if (len(history) - 1) % stride else ())
    # a log scale has no 0 (the content loss is exactly 0 at step 1 when starting from the photo)
    values = [{"step": h["step"], "term": term, "loss": float(h[term])}
              for h in history for term in LOSS_TERMS if np.isfinite(h[term]) and h[term] > 0]
    rules = ([{"step": s, "what": "weights changed"} for s in view.weight_changes]
             + [{"step": s, "what": "next scale"} for s in view.scale_starts if s > 0])
    return {
        "height": height,
        "layer": [
            {"data": {"values": values}, "mark": {"type": "line", "strokeWidth": 1.6},
             "encoding": {
                 "x": {"field": "step", "type": "quantitative", "title": "step"},
                 "y": {"field": "loss", "type": "quantitative", "title": "loss (log scale)",
                       "scale": {"type": "log"}},
                 "color": {"field": "term", "type": "nominal", "sort": list(LOSS_TERMS),
                           "legend": {"orient": "top", "title": None}},
                 "tooltip": [{"field": "step", "type": "quantitative"}, {"field": "term", "type": "nominal"},
                             {"field": "loss", "type": "quantitative", "format": ".3g"}]}},
            {"data": {"values": rules or [{"step": 0, "what": ""}]},
             "transform": [{"filter": "datum.what != ''"}],
             "mark": {"type": "rule", "strokeWidth": 2},
             "encoding": {
                 "x": {"field": "step", "type": "quantitative"},
                 "color": {"value": "#d62728"},
                 "strokeDash": {"field": "what", "type": "nominal", "legend": None,
                                "scale": {"domain": ["weights changed", "next scale"], "range": [[6, 3], [2, 2]]}},
                 "opacity": {"field": "what", "type": "nominal", "legend": None,
                             "scale": {"domain": ["weights changed", "next scale"], "range": [1.0, 0.35]}},
                 "tooltip": [{"field": "what", "type": "nominal"}, {"field": "step", "type": "quantitative"}]}},
        ],
    }


def _frame_bytes(job_id: str, view: JobView) -> bytes:
    """The live image as JPEG, encoded once per snapshot (the panel redraws far more often)."""
    cached = st.session_state.get("_frame")
    if cached and cached[0] == (job_id, view.image_step):
        return cached[1]
    frame = _jpeg(view.image, quality=92)
    st.session_state["_frame"] = ((job_id, view.image_step), frame)
    return frame


def progress_line(view: JobView) -> str:
    parts = [f"Step {view.step} / {view.total_steps}"]
    if view.n_items > 1:
        parts.insert(0, f"Item {view.item_index + 1} of {view.n_items} ({view.item_label})")
    if view.scale_size:
        parts.append(f"scale {view.scale_index + 1}/{view.n_scales} ({view.scale_size[0]}×{view.scale_size[1]})")
    parts.append(f"{format_seconds(view.elapsed)} elapsed")
    if view.active:
        parts.append(f"ETA {format_seconds(view.eta)}")
    if view.steps_per_second:
        parts.append(f"{view.steps_per_second:.2f} it/s")
    return " · ".join(parts)


def draw_live(job: Job, view: JobView) -> None:
    if view.status == "queued":
        st.info(f"Waiting in the queue: position {view.queue_position or 1}. Another session's painting is using "
                "the CPU; yours starts as soon as it is done.", icon=":material/hourglass_top:")
    elif view.step == 0:
        st.info(f"Starting: {view.phase}…", icon=":material/hourglass_top:")
    st.progress(view.fraction, text=progress_line(view))
    st.caption(":material/tune: **Live:** move the style, content or TV weight sliders (left) and the painting "
               "follows from its next step; red dashed lines in the chart mark each change.")
    if view.image is not None:
        st.image(_frame_bytes(job.id, view), caption=f"Step {view.image_step} (live)", width="stretch")
    else:
        st.image(_content_preview(job), caption="Starting image: your photo", width="stretch")


def _content_preview(job: Job) -> np.ndarray:
    cached = st.session_state.get("_preview")
    if not cached or cached[0] != job.id:
        cached = (job.id, to_uint8(resize_long_side(job.content, 768)))
        st.session_state["_preview"] = cached
    return cached[1]


def live_panel() -> None:
    """Polled every POLL_SECONDS while the session's run is active: heartbeat, progress, image."""
    job = current_job()
    if job is None:
        return
    job.touch()  # heartbeat: the watchdog stops runs nobody watches
    view = job.view()
    if view.done and st.session_state.get("_panel_active"):
        st.session_state["_panel_active"] = False
        st.rerun(scope="app")  # the run just ended: draw the results
    if view.active:
        draw_live(job, view)


def live_chart() -> None:
    """Polled less often than the image: the loss curves are the heaviest thing to redraw."""
    job = current_job()
    view = job.view() if job is not None else None
    if view is None or not view.active:
        return
    if view.history:
        st.vega_lite_chart(spec=loss_chart(view, height=200), width="stretch")
    w = view.weights
    st.caption(f"Weights in effect: content {w['content']:.3g} · style {w['style']:.3g} · tv {w['tv']:.3g}")


def _comparison(content: np.ndarray, result: np.ndarray, mode: str, position: int) -> np.ndarray:
    height, width = result.shape[:2]
    before = resize_to(content, width, height)
    if mode == "Blend":
        t = position / 100.0
        return to_uint8(before * (1 - t) + result * t)
    cut = int(round(width * position / 100.0))
    out = np.concatenate([before[:, :cut], result[:, cut:]], axis=1)
    out = to_uint8(out)
    if 0 < cut < width:
        out[:, max(0, cut - 1):cut + 1] = 255
    return out


def _png_for(view: JobView, pixels: np.ndarray, snapshot_step: int | None = None) -> bytes:
    from nst.cli import result_metadata

    metadata = dict(result_metadata(view.result))
    if snapshot_step is not None:
        metadata["nst:snapshot_step"] = snapshot_step
    return png_bytes(pixels, metadata)


def draw_results(job: Job, view: JobView) -> None:
    if view.status == "failed":
        st.error(view.message, icon=":material/error:")
        return
    result = view.result
    if result is None:
        st.warning(view.message)
        return
    rate = f" · {result.steps / result.seconds:.2f} it/s" if result.seconds > 0 else ""
    summary = (f"{result.steps} steps in {format_seconds(result.seconds)}{rate} · "
               f"{result.size[0]}×{result.size[1]} px · {result.device}")
    if view.n_items > 1:  # a sweep or comparison: the summary is about the batch
        summary = f"last run: {summary}"
        if view.status == "finished":
            st.success(view.message, icon=":material/check_circle:")
        else:
            st.warning(view.message, icon=":material/stop_circle:")
    elif view.status == "finished":
        st.success(f"Finished: {summary}", icon=":material/check_circle:")
    else:
        st.warning(f"{view.message} ({summary})", icon=":material/stop_circle:")
    gallery_links(view)
    if view.n_items > 1:
        draw_batch(view)
        return
    leak = result.leakage or {}
    if leak:
        st.caption(f"Texture leakage into flat areas: {leak.get('leakage', 0.0):.3g} · detail elsewhere "
                   f"{leak.get('detail_elsewhere', 0.0):.3g} · flat share {leak.get('flat_fraction', 0.0):.0%} "
                   "(lower leakage: cleaner skies and walls)")
    tab_result, tab_timeline, tab_compare, tab_losses = st.tabs(
        ["Result", "Timeline", "Before / after", "Loss curves"])
    with tab_result:
        st.image(to_uint8(result.image), caption="Result (best image)", width="stretch")
        st.download_button("Download PNG (with parameters)", lambda: _png_for(view, result.image),
                           file_name=f"painting-{job.id[:8]}.png", mime="image/png", on_click="ignore",
                           type="primary", key=f"dl_{job.id}")
    with tab_timeline:
        snapshots = list(view.snapshots)
        if not snapshots:
            st.info("No snapshots were taken in this run.")
        else:
            labels = {i: f"step {s.step} (scale {s.scale_index + 1})" for i, s in enumerate(snapshots)}
            index = st.select_slider("Snapshot", list(labels), value=len(snapshots) - 1, key=f"tl_{job.id}",
                                     format_func=labels.get,
                                     help="Earlier iterations are sometimes better: late ones can be overdone.")
            snap = snapshots[index]
            st.image(snap.image, caption=f"Step {snap.step}: total loss {snap.losses.total:.3g}",
                     width="stretch")
            st.download_button(f"Download step {snap.step} as PNG",
                               lambda: _png_for(view, from_uint8(snap.image), snap.step),
                               file_name=f"painting-{job.id[:8]}-step{snap.step:05d}.png", mime="image/png",
                               on_click="ignore", key=f"dls_{job.id}")
    with tab_compare:
        mode = st.radio("Compare", ["Wipe", "Blend"], horizontal=True, key=f"cmpmode_{job.id}")
        position = st.slider("← photo · painting →", 0, 100, 50, key=f"cmp_{job.id}")
        st.image(_comparison(job.content, result.image, mode, position), width="stretch")
    with tab_losses:
        if view.history:
            st.vega_lite_chart(spec=loss_chart(view, height=320), width="stretch")
        st.caption("Red dashed lines: live weight changes. Grey dotted: a new (finer) scale begins.")
    if result.trace_seconds:
        st.caption("First step at a new size compiles: " +
                   ", ".join(f"{k} {v:.1f} s" for k, v in result.trace_seconds.items()))


def gallery_links(view: JobView) -> None:
    if view.save_error:
        st.warning(view.save_error, icon=":material/cloud_off:")
    if view.group_id and view.run_ids:
        st.page_link(GALLERY_PAGE, label=f"Open the {view.group_kind or 'batch'} in the gallery",
                     icon=":material/grid_view:", query_params={"group": view.group_id})
    elif view.run_id is not None:
        st.page_link(GALLERY_PAGE, label=f"Saved to the gallery as run {view.run_id}: open it",
                     icon=":material/photo_library:", query_params={"run": str(view.run_id)})


def draw_batch(view: JobView) -> None:
    if not view.batch_results:
        return
    columns = st.columns(min(4, len(view.batch_results)))
    for index, (label, result, run_id) in enumerate(view.batch_results):
        with columns[index % len(columns)]:
            st.image(to_uint8(resize_long_side(result.image, THUMB_SIDE)), caption=label)
            leak = (result.leakage or {}).get("leakage")
            st.caption(f"{result.status} · {result.steps} steps · {format_seconds(result.seconds)}"
                       + (f" · leakage {leak:.3g}" if leak is not None else "")
                       + (f" · run {run_id}" if run_id is not None else ""))


def draw_session_results(current: Job | None) -> None:
    earlier = [j for j in st.session_state.get("results", []) if j is not current and j.view().result is not None]
    if not earlier:
        return
    st.subheader("Earlier results in this session")
    columns = st.columns(min(len(earlier), 5))
    for column, job in zip(columns, earlier[:5]):
        view = job.view()
        with column:
            st.image(to_uint8(resize_long_side(view.result.image, THUMB_SIDE)),
                     caption=f"{view.status} · {view.result.steps} steps")
            st.download_button("PNG", lambda v=view: _png_for(v, v.result.image), file_name=f"painting-{job.id[:8]}.png",
                               mime="image/png", on_click="ignore", key=f"dlh_{job.id}")


# =============================================================================================
runner = studio_runner(_tiny_net_hook())
runner.warm_up()
st.session_state.setdefault("_session_token", os.urandom(8).hex())
apply_rerun_from_gallery()  # before any widget exists
_init_state()
_attach_from_url()

# Streamlit fades elements while a (fragment) rerun is in flight; on a busy 2-core machine that
# is most of the time, and a live painting that keeps fading in and out looks broken.
st.markdown("<style>[data-testid='stElementContainer'][data-stale='true']{opacity:1 !important;"
            "transition:none !important;}</style>", unsafe_allow_html=True)
st.title(":material/palette: Style studio")
st.caption("Paint a photo in the style of other pictures (Gatys et al. neural style transfer, VGG19).")
if _tiny_net_hook():
    st.warning(f"TEST MODE ({TEST_TINY_NET_ENV}=1): a tiny random network stands in for VGG19; "
               "results are not paintings.", icon=":material/science:")

model_state, model_message = runner.model_state()
if model_state == MODEL_UNAVAILABLE:
    st.error(f"**The VGG19 model is not available, so nothing can be painted yet.** {model_message}", icon=":material/error:")
    if st.button("Try again"):
        runner.retry_model()
        st.rerun()
elif model_state == MODEL_LOADING:
    @st.fragment(run_every=1.0)
    def _model_status() -> None:
        if runner.model_state()[0] != MODEL_LOADING:
            st.rerun(scope="app")
        st.info("Loading the VGG19 model (once per server process; a few seconds)… "
                "You can choose images meanwhile.", icon=":material/hourglass_top:")
    _model_status()
else:
    seconds = runner.model_seconds
    st.caption(f"Device: **{_device()}** · model ready" + (f" (built in {seconds:.1f} s)" if seconds else ""))

notice = st.session_state.pop("_notice", None)
if notice:
    st.warning(notice)
loaded_note = st.session_state.get("_loaded_note")  # shown until the next run starts
if loaded_note:
    st.info(loaded_note, icon=":material/history:")

job = current_job()
job_view = job.view() if job is not None else None
running = bool(job_view and job_view.active)
sidebar_controls(running)

col_inputs, col_paint = st.columns([1, 1.6], gap="large")
with col_inputs:
    content_pixels, content_label = content_input()
    style_pixels, blend, style_labels, blend_keys = style_inputs()
    user_mask, detail_mask, mask_error = mask_controls(content_pixels)
live_uploads = set()
for key in ("content_upload", "style_upload"):  # (the mask keeps its own one-entry cache)
    value = st.session_state.get(key)
    for item in (value if isinstance(value, list) else [value] if value is not None else []):
        live_uploads.add(item.file_id)
_forget_old_uploads(live_uploads)

with col_paint:
    st.subheader("3 · Paint")
    params = None
    params_error = None
    if style_pixels:
        try:
            params = build_params(len(style_pixels), blend)
        except ParamsError as error:
            params_error = str(error)
    if params_error:
        st.error(params_error)
    ready = (content_pixels is not None and params is not None and model_state != MODEL_UNAVAILABLE
             and not mask_error)
    fast_ok, fast_message = fast_available()
    if content_pixels is not None and style_pixels:
        if fast_ok:
            frame, fast_error = fast_preview(content_pixels, style_pixels, blend if len(style_pixels) > 1 else [])
            if frame is not None:
                st.image(frame, caption="Fast preview (one pass of the fast model; Refine paints it properly)",
                         width=THUMB_SIDE * 2)
            else:
                st.caption(f"Fast preview failed: {fast_error}")
        else:
            st.caption(f"Fast preview unavailable: {fast_message}")
    button_col, refine_col, stop_col, info_col = st.columns([1, 1, 1, 2])
    with button_col:
        if ready and not running:  # what Stylize will paint; the callback reads it
            st.session_state["_ready_inputs"] = (content_pixels, style_pixels, blend_keys, user_mask,
                                                 detail_mask, content_label, style_labels)
        else:
            st.session_state.pop("_ready_inputs", None)
        st.button("Stylize", type="primary", disabled=not ready or running, width="stretch", on_click=_start,
                  help="One run per browser session: stop the current one first." if running else None)
    with refine_col:
        st.button("Refine", disabled=not ready or running or not fast_ok, width="stretch", on_click=_start,
                  kwargs={"init": "fast"}, help="Stylize, starting from the fast preview.")
    with stop_col:
        st.button("Stop", disabled=not running, on_click=_stop, width="stretch",
                  help="Stop now and keep the best image so far.")
    with info_col:
        if params is not None:
            st.caption(f"{params.total_steps()} steps over scales {', '.join(map(str, params.scale_sizes()))} px"
                       f" · {', '.join(style_labels)} on {content_label}")

    batch_controls(ready, running)
    st.session_state["_panel_active"] = running
    if running:
        st.fragment(run_every=POLL_SECONDS)(live_panel)()
        st.fragment(run_every=CHART_SECONDS)(live_chart)()
    elif job is not None and job_view is not None and job_view.done:
        job.touch()
        draw_results(job, job_view)
    elif job is None:
        st.info("Pick a photo and one or more styles (examples are ready), then press **Stylize**. "
                "While it paints you can steer it with the weight sliders on the left.", icon=":material/brush:")
    draw_session_results(job)
