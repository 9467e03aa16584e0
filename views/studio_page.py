"""The Studio page: pick a photo and styles, tune, Stylize, watch it paint, steer it live, download.

Layout only: the panels are in ``studio/panels``, the widget <-> params mapping in
``studio/controls.py`` (pure), the run itself in ``nst.jobs``' worker thread (this script
draws ``Job.view()`` snapshots and never blocks on a run). Design notes: docs/dashboard.md.
The tiny-network test hook (NST_STUDIO_TEST_TINY_NET=1) is described in studio/runtime.py.
"""

from __future__ import annotations

import os

import streamlit as st

from nst.errors import ParamsError
from nst.examples import CONTENT_EXAMPLES, STYLE_EXAMPLES
from nst.jobs import MODEL_LOADING, MODEL_UNAVAILABLE
from nst.run_types import RunInputs
from studio import keys, runtime, state
from studio.panels.batches import COMPARE_DEFAULTS, compare_panel, sweep_panel
from studio.panels.fast_preview import fast_preview_panel
from studio.panels.style_sheet import style_sheet_panel
from studio.panels.inputs import photo_panel, pixels, styles_panel
from studio.panels.live import live_panel, print_note
from studio.panels.paint import paint_buttons
from studio.panels.results import results_panel, session_results
from studio.panels.sidebar import sidebar
from studio.panels.spatial import spatial_panel
from studio.session import pop_notice
from studio.uploads import forget_uploads_except, live_upload_ids
from studio.text import plain

st.set_page_config(page_title="Style studio", page_icon=":material/palette:", layout="wide")
runtime.keep_tensorflow_warm_between_reruns()


def model_status(runner) -> str:
    """The model's state, drawn: an error with a retry, a polled "loading", or the device line."""
    model_state, model_message = runner.model_state()
    if model_state == MODEL_UNAVAILABLE:
        st.error(f"**The VGG19 model is not available, so nothing can be painted yet.** {model_message}",
                 icon=":material/error:")
        if st.button("Try again"):
            runner.retry_model()
            st.rerun()
    elif model_state == MODEL_LOADING:
        @st.fragment(run_every=1.0)
        def _loading() -> None:
            if runner.model_state()[0] != MODEL_LOADING:
                st.rerun(scope="app")
            st.info("Loading the VGG19 model (once per server process; a few seconds)… "
                    "You can choose images meanwhile.", icon=":material/hourglass_top:")
        _loading()
    else:
        seconds = runner.model_seconds
        st.caption(f"Device: **{runtime.device()}** · model ready" + (f" (built in {seconds:.1f} s)" if seconds else ""))
    return model_state


runner = runtime.runner()
runner.warm_up()
st.session_state.setdefault(keys.SESSION_TOKEN, os.urandom(8).hex())
state.apply_rerun_from_gallery()  # before any widget exists
state.init_state(next(iter(CONTENT_EXAMPLES)), next(iter(STYLE_EXAMPLES)), COMPARE_DEFAULTS)
runtime.attach_from_url()

# Streamlit fades elements while a (fragment) rerun is in flight; on a busy 2-core machine that
# is most of the time, and a live painting that keeps fading in and out looks broken.
st.markdown("<style>[data-testid='stElementContainer'][data-stale='true']{opacity:1 !important;"
            "transition:none !important;}</style>", unsafe_allow_html=True)
st.title(":material/palette: Style studio")
st.caption("Paint a photo in the style of other pictures (Gatys et al. neural style transfer, VGG19).")
if runtime.tiny_net_hook():
    st.warning(f"TEST MODE ({runtime.TEST_TINY_NET_ENV}=1): a tiny random network stands in for VGG19; "
               "results are not paintings.", icon=":material/science:")
model_state = model_status(runner)
print_note()  # a print paints alone: say so before anyone presses Stylize
notice = pop_notice()
if notice:
    st.warning(plain(notice))
if st.session_state.get(keys.LOADED_NOTE):  # shown until the next run starts
    st.info(plain(st.session_state[keys.LOADED_NOTE]), icon=":material/history:")

job = runtime.current_job()
job_view = job.view() if job is not None else None
running = bool(job_view and job_view.active)
sidebar(running)

col_inputs, col_paint = st.columns([1, 1.6], gap="large")
with col_inputs:
    photo = photo_panel()
    styles, blend, blend_keys, own_styles = styles_panel()
    user_mask, detail_mask, mask_error = spatial_panel(photo.pixels)
forget_uploads_except(live_upload_ids("content_upload", "style_upload"))  # (the mask has its own memo)

with col_paint:
    st.subheader("3 · Paint")
    params, params_error = None, None
    if styles:
        try:
            params = state.build_params(blend)
        except ParamsError as error:
            params_error = str(error)
            st.error(plain(params_error))
    st.session_state[keys.PLANNED_PARAMS] = params
    ready = params is not None and model_state != MODEL_UNAVAILABLE and not mask_error
    fast_ok = fast_preview_panel(photo.pixels, pixels(styles), blend)
    style_sheet_panel(photo, own_styles, fast_ok)
    if ready and not running:  # what Stylize will paint; its callback reads it
        st.session_state[keys.READY_INPUTS] = runtime.ReadyInputs(RunInputs(
            photo.pixels, pixels(styles), content_name=photo.label, style_names=[s.label for s in styles],
            masks={"style": user_mask, "detail": detail_mask}, original=photo.original), blend_keys)
    else:
        st.session_state.pop(keys.READY_INPUTS, None)
    paint_buttons(ready, running, fast_ok, params, f"{', '.join(s.label for s in styles)} on {photo.label}")
    sweep_panel(ready, running)
    compare_panel(ready, running)
    st.session_state[keys.PANEL_ACTIVE] = running
    if running:
        live_panel()
    elif job is not None and job_view is not None and job_view.done:
        job.touch()
        results_panel(job, job_view)
    elif job is None:
        st.info("Pick a photo and one or more styles (examples are ready), then press **Stylize**. "
                "While it paints you can steer it with the weight sliders on the left.", icon=":material/brush:")
    session_results(job)
