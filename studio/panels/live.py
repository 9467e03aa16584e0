"""The live view while a run paints: progress, the latest image, the loss curves (polled fragments)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from nst.encode import jpeg_bytes, to_uint8
from nst.resize import resize_long_side
from nst.job import Job, JobView
from nst.poster_job import waiting_words
from nst.run_types import QUEUED
from studio import charts, controls, keys, runtime
from studio.session import memo

POLL_SECONDS = 0.7  # image and progress; the first live image must show within 2 s
CHART_SECONDS = 2.0  # loss curves


def _draw(job: Job, view: JobView) -> None:
    if view.status == QUEUED:
        running = [other.view() for other in runtime.runner().running_jobs()]
        st.info(f"Waiting in the queue: position {view.queue_position or 1}. {waiting_words(running)}",
                icon=":material/hourglass_top:")
    elif view.step == 0:
        st.info(f"Starting: {view.phase}…", icon=":material/hourglass_top:")
    st.progress(view.fraction, text=controls.progress_line(view))
    st.caption(":material/tune: **Live:** move the style, content or TV weight sliders (left) and the painting "
               "follows from its next step; red dashed lines in the chart mark each change.")
    if view.image is not None:  # encoded once per snapshot (the panel redraws far more often)
        frame = memo(keys.MEMO_LIVE_FRAME, (job.id, view.image_step), lambda: jpeg_bytes(view.image, quality=92))
        st.image(frame, caption=f"Step {view.image_step} (live)", width="stretch")
    else:
        st.image(_content_preview(job), caption="Starting image: your photo", width="stretch")


def _content_preview(job: Job) -> np.ndarray:
    return memo(keys.MEMO_CONTENT_PREVIEW, job.id, lambda: to_uint8(resize_long_side(job.inputs.content, 768)))


def live_image() -> None:
    """Polled every POLL_SECONDS while the session's run is active: heartbeat, progress, image."""
    job = runtime.current_job()
    if job is None:
        return
    job.touch()  # heartbeat: the watchdog stops runs nobody watches
    view = job.view()
    if view.done and st.session_state.get(keys.PANEL_ACTIVE):
        st.session_state[keys.PANEL_ACTIVE] = False
        st.rerun(scope="app")  # the run just ended: draw the results
    if view.active:
        _draw(job, view)


def live_chart() -> None:
    """Polled less often than the image: the loss curves are the heaviest thing to redraw."""
    job = runtime.current_job()
    view = job.view() if job is not None else None
    if view is None or not view.active:
        return
    if view.history:
        st.vega_lite_chart(spec=charts.job_chart(view, height=200), width="stretch")
    w = view.weights
    st.caption(f"Weights in effect: content {w['content']:.3g} · style {w['style']:.3g} · tv {w['tv']:.3g}")


def live_panel() -> None:
    st.fragment(run_every=POLL_SECONDS)(live_image)()
    st.fragment(run_every=CHART_SECONDS)(live_chart)()


def print_note() -> None:
    """While a print paints, say so to everyone on the studio page: their paintings wait for it."""
    prints = [job.view() for job in runtime.runner().running_jobs() if job.poster is not None]
    if prints:
        st.info(waiting_words(prints, "a painting started now"), icon=":material/print:")
