"""The run page's prints: "Make a print" (the owner's only), its progress, and the links between a print and its run.

Make a print: paper (A4 / A3 / A2), 150 or 300 dpi, fill the sheet (crop) or show the whole picture
(white margins); the orientation follows the picture. The estimate (size, time, peak memory; the photo
being smaller than the print) is computed from the stored sizes as the choices change
(``nst.poster_job.estimate_order``), and the print starts only after a confirmation. It is queued as a
job of the studio's runner (``nst.jobs``): it runs alone and is not stopped when the tab closes. While it
paints, every owner's page of that run shows its progress (scale, tile, share done, time left), the
latest snapshot (downscaled, at most every few minutes) and Stop, which keeps the tiles finished so far.
Guests see neither the button nor the progress controls, and the callbacks refuse them (``refused``).
"""

from __future__ import annotations

import streamlit as st

from nst.errors import NSTError
from nst.job import Job
from nst.memory import gigabytes
from nst.poster_job import PosterOrder, estimate_order, print_progress_words
from nst.print_output import DPIS, PAPERS_MM
from nst.run_types import FAILED, STOPPED
from nst.store import RunRecord, Store
from nst.units import format_seconds
from studio import keys, runtime
from studio.access import current_is_owner, refused
from studio.confirm import confirmation
from studio.gallery import nav
from studio.text import plain

POLL_SECONDS = 2.0
FIT_LABELS = {"crop": "Fill the sheet (crop)", "pad": "Whole picture (white margins)"}


def _order(store: Store, record: RunRecord) -> PosterOrder:
    state = st.session_state
    return PosterOrder(record.id, state.get(f"print_paper_{record.id}", "A3"),
                       int(state.get(f"print_dpi_{record.id}", 300)), state.get(f"print_fit_{record.id}", "crop"),
                       data_dir=str(store.data_dir))


def _running_print(record_id: int) -> Job | None:
    """The print of this run being painted or waiting (any session's: a print outlives its tab)."""
    for job in runtime.runner().active_jobs():
        if job.poster is not None and job.poster.source_run == record_id:
            return job
    return None


def _ask(record_id: int) -> None:
    if refused():
        return
    st.session_state[keys.PRINT_CONFIRM] = record_id


def _start(store: Store, record: RunRecord) -> None:
    """Queue the confirmed print (the owner's only)."""
    st.session_state.pop(keys.PRINT_CONFIRM, None)
    if refused():
        return
    if _running_print(record.id) is not None:
        nav.notice("A print of this run is already being painted.")
        return
    try:
        order = _order(store, record)
        estimate_order(store, order)  # refuses, in one sentence, what cannot fit
        job = Job(store.input_images(record.id), record.params, poster=order,
                  owner=st.session_state.get(keys.SESSION_TOKEN))
        runtime.runner().submit(job, guest=False)
    except NSTError as error:
        nav.notice(str(error))
        return
    st.session_state[keys.PRINT_JOB] = job


def _stop(record_id: int) -> None:
    if refused():
        return
    job = _running_print(record_id)
    if job is not None:
        job.stop()


def _choices(record: RunRecord) -> None:
    orientation = "landscape" if record.width >= record.height else "portrait"
    paper_col, dpi_col = st.columns(2)
    with paper_col:
        st.segmented_control("Paper", list(PAPERS_MM), default="A3", key=f"print_paper_{record.id}")
    with dpi_col:
        st.segmented_control("Dots per inch", list(DPIS), default=300, key=f"print_dpi_{record.id}")
    st.radio("Fit", list(FIT_LABELS), format_func=FIT_LABELS.get, horizontal=True, key=f"print_fit_{record.id}")
    st.caption(f"Orientation: {orientation}, from the picture ({record.width}×{record.height} px).")


def _estimate_words(store: Store, record: RunRecord) -> tuple[str | None, str | None]:
    """(what the print will be and cost, why it cannot be made), in words."""
    try:
        estimate = estimate_order(store, _order(store, record))
    except NSTError as error:
        return None, str(error)
    words = (f"{estimate.target.describe()}: about {format_seconds(estimate.seconds)} on 2 AVX-512 cores, "
             f"peak memory about {gigabytes(estimate.peak_bytes)} (budget {gigabytes(estimate.plan.budget)}); "
             "other paintings wait while it paints.")
    if estimate.photo_note and estimate.original_kept:
        words += f" {estimate.photo_note}: its detail is enlarged."
    elif estimate.photo_note:
        words += (f" {estimate.photo_note}: its detail is enlarged (runs keep the original upload from now on; "
                  "`nst poster RUN_ID --content PHOTO` takes the original for older runs).")
    return words, None


def _make_a_print(store: Store, record: RunRecord) -> None:
    with st.expander("Make a print", icon=":material/print:",
                     expanded=st.session_state.get(keys.PRINT_CONFIRM) == record.id):
        _choices(record)
        if not (st.session_state.get(f"print_paper_{record.id}") and st.session_state.get(f"print_dpi_{record.id}")):
            st.caption("Choose a paper and a resolution.")
            return
        words, error = _estimate_words(store, record)
        if error:
            st.error(plain(error))
            return
        st.caption(plain(words))
        if st.session_state.get(keys.PRINT_CONFIRM) != record.id:
            st.button("Make a print", key="print_start", on_click=_ask, args=(record.id,), width="stretch",
                      icon=":material/print:")
            return
        confirmation(f"Paint this print now? {plain(words)}", "Yes, paint it", "print", _start, (store, record),
                     keys.PRINT_CONFIRM)


def _progress(record_id: int) -> None:
    """Polled while a print of this run paints: progress, time left, the latest snapshot, Stop."""
    job = _running_print(record_id)
    if job is None:
        st.rerun(scope="app")  # it just ended: show the outcome
        return
    view = job.view()
    if view.queue_position is not None:
        st.info(f"The print waits in the queue (position {view.queue_position}); it starts when the painting "
                "before it ends.", icon=":material/hourglass_top:")
    else:
        st.caption(plain(view.phase))
    st.progress(view.fraction, text=print_progress_words(view))
    if view.image is not None:
        st.image(view.image, caption="The print so far (downscaled; a new snapshot every few minutes)",
                 width="stretch")
    st.button("Stop (keeps the tiles painted so far)", key="print_stop", on_click=_stop, args=(record_id,),
              icon=":material/stop:", width="stretch")


def _outcome(record_id: int) -> None:
    """What became of the print of this run this session started (once it ended)."""
    job = st.session_state.get(keys.PRINT_JOB)
    if job is None or not job.finished or job.poster.source_run != record_id:
        return
    view = job.view()
    show = {FAILED: st.error, STOPPED: st.warning}.get(view.status, st.success)
    show(plain(view.message or view.status))
    if view.save_error:
        st.warning(plain(view.save_error))
    if view.run_id is not None:
        st.button(f"Open the print (run {view.run_id})", key="print_open", on_click=nav.go,
                  kwargs={"run": view.run_id})


def print_panel(store: Store, record: RunRecord) -> None:
    """The owner's "Make a print" (or the running print's progress) for ``record`` (not itself a print)."""
    if not current_is_owner() or store.print_of(record.id) is not None:
        return
    if _running_print(record.id) is not None:
        st.subheader("Print")
        st.fragment(run_every=POLL_SECONDS)(_progress)(record.id)
        return
    _outcome(record.id)
    _make_a_print(store, record)


def print_links(store: Store, record: RunRecord) -> None:
    """For a print: what it was made from and its full-size file; for a run: the prints made of it."""
    info = store.print_of(record.id)
    if info is not None:
        source = f"run {info.source_run}" if info.source_run is not None else "files"
        st.info(f"A print of {source} ({info.describe()})." + ("" if info.source_exists or info.source_run is None
                                                             else " That run was deleted since."),
                icon=":material/print:")
        if info.source_exists:
            st.button(f"Open run {info.source_run}", key="print_source", on_click=nav.go,
                      kwargs={"run": info.source_run}, width="stretch")
        st.download_button("Download the print (16-bit TIFF)", info.path.read_bytes, key="print_download",
                           file_name=f"print-{record.id}.tiff", mime="image/tiff", on_click="ignore",
                           width="stretch")
        return
    prints = store.prints_of(record.id)
    if prints:
        st.caption("Prints of this run:")
        for index, made in enumerate(prints):
            st.button(f"Run {made.run_id}: {made.describe()}", key=f"print_of_{index}", on_click=nav.go,
                      kwargs={"run": made.run_id}, width="stretch", icon=":material/print:")
