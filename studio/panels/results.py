"""A finished (or stopped) run: the result, its timeline, before/after, loss curves, downloads."""

from __future__ import annotations

import numpy as np
import streamlit as st

from nst.comparison import comparison_image
from nst.encode import from_uint8, png_bytes, to_uint8
from nst.resize import resize_long_side
from nst.job import Job, JobView
from nst.making_of import animation_bytes
from nst.run_types import FAILED, FINISHED, result_png_metadata
from nst.units import format_seconds
from studio import charts, controls, keys
from studio.uploads import THUMB_SIDE
from studio.text import plain

GALLERY_PAGE = "views/gallery_page.py"


def _png_for(view: JobView, pixels: np.ndarray, snapshot_step: int | None = None) -> bytes:
    metadata = dict(result_png_metadata(view.result))
    if snapshot_step is not None:
        metadata["nst:snapshot_step"] = snapshot_step
    return png_bytes(pixels, metadata)


def _status_line(view: JobView) -> None:
    summary = controls.result_summary(view.result)
    if view.n_items > 1:  # a sweep or comparison: the summary is about the batch
        (st.success if view.status == FINISHED else st.warning)(
            view.message, icon=":material/check_circle:" if view.status == FINISHED else ":material/stop_circle:")
    elif view.status == FINISHED:
        st.success(f"Finished: {summary}", icon=":material/check_circle:")
    elif view.status == FAILED:  # diverged: the message is already shown; the best image follows
        st.caption(summary)
    else:
        st.warning(f"{view.message} ({summary})", icon=":material/stop_circle:")


def results_panel(job: Job, view: JobView) -> None:
    if view.status == FAILED:
        st.error(plain(view.message), icon=":material/error:")
        if view.result is None or view.n_items > 1:
            return
    if view.result is None:
        st.warning(view.message)
        return
    _status_line(view)
    gallery_links(view)
    if view.n_items > 1:
        batch_grid(view)
        return
    leak = view.result.leakage
    if leak is not None:
        st.caption(f"Texture leakage into flat areas: {leak.leakage:.3g} · detail elsewhere "
                   f"{leak.detail_elsewhere:.3g} · flat share {leak.flat_fraction:.0%} "
                   "(lower leakage: cleaner skies and walls)")
    tab_result, tab_timeline, tab_compare, tab_losses = st.tabs(
        ["Result", "Timeline", "Before / after", "Loss curves"])
    with tab_result:
        st.image(to_uint8(view.result.image), caption="Result (best image)", width="stretch")
        st.download_button("Download PNG (with parameters)", lambda: _png_for(view, view.result.image),
                           file_name=f"painting-{job.id[:8]}.png", mime="image/png", on_click="ignore",
                           type="primary", key=f"dl_{job.id}")
        st.download_button("Download making-of (animated WebP)",
                           lambda: animation_bytes([s.image for s in view.result.snapshots] + [view.result.image]),
                           file_name=f"making-of-{job.id[:8]}.webp", mime="image/webp", on_click="ignore",
                           key=f"making_of_{job.id}", icon=":material/animation:")
    with tab_timeline:
        _timeline(job, view)
    with tab_compare:
        mode = st.radio("Compare", ["Wipe", "Blend"], horizontal=True, key=f"cmpmode_{job.id}")
        position = st.slider("← photo · painting →", 0, 100, 50, key=f"cmp_{job.id}")
        st.image(comparison_image(job.inputs.content, view.result.image, mode, position), width="stretch")
    with tab_losses:
        if view.history:
            st.vega_lite_chart(spec=charts.job_chart(view, height=320), width="stretch")
        st.caption("Red dashed lines: live weight changes. Grey dotted: a new (finer) scale begins.")
    if controls.style_factor_note(view.result.style_factor):
        st.caption(controls.style_factor_note(view.result.style_factor))
    if view.result.trace_seconds:
        st.caption("First step at a new size compiles: " +
                   ", ".join(f"{k} {v:.1f} s" for k, v in view.result.trace_seconds.items()))


def _timeline(job: Job, view: JobView) -> None:
    snapshots = list(view.snapshots)
    if not snapshots:
        st.info("No snapshots were taken in this run.")
        return
    labels = {i: f"step {s.step} (scale {s.scale_index + 1})" for i, s in enumerate(snapshots)}
    index = st.select_slider("Snapshot", list(labels), value=len(snapshots) - 1, key=f"tl_{job.id}",
                             format_func=labels.get,
                             help="Earlier iterations are sometimes better: late ones can be overdone.")
    snap = snapshots[index]
    st.image(snap.image, caption=f"Step {snap.step}: total loss {snap.losses.total:.3g}", width="stretch")
    st.download_button(f"Download step {snap.step} as PNG",
                       lambda: _png_for(view, from_uint8(snap.image), snap.step),
                       file_name=f"painting-{job.id[:8]}-step{snap.step:05d}.png", mime="image/png",
                       on_click="ignore", key=f"dls_{job.id}")


def gallery_links(view: JobView) -> None:
    if view.save_error:
        st.warning(plain(view.save_error), icon=":material/cloud_off:")
    if view.group_id and view.run_ids:
        st.page_link(GALLERY_PAGE, label=f"Open the {view.group_kind or 'batch'} in the gallery",
                     icon=":material/grid_view:", query_params={"group": view.group_id})
    elif view.run_id is not None:
        st.page_link(GALLERY_PAGE, label=f"Saved to the gallery as run {view.run_id}: open it",
                     icon=":material/photo_library:", query_params={"run": str(view.run_id)})


def batch_grid(view: JobView) -> None:
    if not view.batch_results:
        return
    columns = st.columns(min(4, len(view.batch_results)))
    for index, (label, result, run_id) in enumerate(view.batch_results):
        with columns[index % len(columns)]:
            st.image(to_uint8(resize_long_side(result.image, THUMB_SIDE)), caption=plain(label))
            leak = result.leakage.leakage if result.leakage else None
            st.caption(f"{result.status} · {result.steps} steps · {format_seconds(result.seconds)}"
                       + (f" · leakage {leak:.3g}" if leak is not None else "")
                       + (f" · run {run_id}" if run_id is not None else ""))


def session_results(current: Job | None) -> None:
    earlier = [j for j in st.session_state.get(keys.RESULTS, [])
               if j is not current and j.view().result is not None]
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
