"""One stored run: image, snapshots, before/after, download, re-run, favourite, title, notes, delete."""

from __future__ import annotations

import streamlit as st

from nst.store import RunMoments
from studio.gallery.moment import moment_panel, snapshot_labels
from studio.gallery.scorecard import scorecard_table
from nst.comparison import comparison_image, fit_height
from nst.encode import png_bytes
from nst.edges import MAX_NOTES, MAX_TITLE, parse_run_id
from nst.errors import ParamsError, StoreError
from nst.run_types import FINISHED
from nst.store import RunRecord, Store, png_metadata
from nst.units import format_time
from studio.gallery import model as g
from studio import keys
from studio.access import current_is_owner, refused
from studio.confirm import confirmation
from studio.gallery import nav
from studio.gallery.prints import print_links, print_panel
from studio.gallery.votes import leaderboard, making_of_button
from studio.gallery.compare import display_width, loss_curves
from studio.text import plain


def _ask_delete(run_id: int) -> None:
    if refused():
        return
    st.session_state[keys.GALLERY_CONFIRM_DELETE] = run_id


def _delete(store: Store, run_id: int) -> None:
    if refused():
        return
    try:
        store.delete_run(run_id)
    except StoreError as error:
        nav.notice(str(error))
        return
    if run_id in nav.selected():
        nav.selected().remove(run_id)
    nav.go()
    nav.notice(f"Run {run_id} was deleted.")


def _edit(store: Store, run_id: int, change) -> None:
    """Apply one edit; a refusal (too long) or a run deleted elsewhere becomes a sentence on the page."""
    if refused():
        return
    try:
        change()
    except StoreError as error:
        try:
            store.get_run(run_id)
        except StoreError:
            nav.notice(f"Run {run_id} is no longer in the gallery (it was deleted elsewhere); "
                       "the change was not saved.")
            return
        nav.notice(str(error))
    except ParamsError as error:
        nav.notice(f"Not saved: {error}")


def _save_title(store: Store, run_id: int) -> None:
    _edit(store, run_id, lambda: store.rename(run_id, st.session_state.get(f"title_{run_id}", "")))


def _save_notes(store: Store, run_id: int) -> None:
    _edit(store, run_id, lambda: store.set_notes(run_id, st.session_state.get(f"notes_{run_id}", "")))


def _toggle_favourite(store: Store, run_id: int) -> None:
    _edit(store, run_id, lambda: store.set_favourite(run_id, bool(st.session_state.get(f"fav_{run_id}"))))


def _images(store: Store, record: RunRecord, picture, info: RunMoments) -> None:
    tab_image, tab_timeline, tab_wipe = st.tabs(["Result", "Snapshots", "Before / after"])
    with tab_image:
        st.image(fit_height(picture, picture.shape[0]), width="stretch",
                 caption=None if info.kept_step is None else
                 f"The kept moment: step {info.kept_step} of {record.steps} (the final image stays kept: Snapshots).")
    with tab_timeline:
        snapshots = store.snapshots(record.id)
        selected = None
        if not snapshots:
            st.info("No snapshots were kept for this run.")
        else:
            labels = snapshot_labels(snapshots, info)
            index = st.select_slider("Snapshot", list(labels), value=len(snapshots) - 1, format_func=labels.get,
                                     key=f"snap_{record.id}")
            snap = snapshots[index]
            selected = snap.step
            st.image(snap.image, width="stretch",
                     caption=f"Step {snap.step}: total loss {g.format_value(snap.losses.get('total'))}")
        moment_panel(store, record, info, selected)
    with tab_wipe:
        mode = st.radio("Mode", ["Wipe", "Blend"], horizontal=True, key=f"dmode_{record.id}")
        position = st.slider("← photo · painting →", 0, 100, 50, key=f"dpos_{record.id}")
        image = comparison_image(store.input_images(record.id).content, picture, mode, position)
        st.image(image, width=display_width(image))
    if record.group_id:
        st.button(f"Open its {record.group_kind or 'group'}", key="open_group", on_click=nav.go,
                  kwargs={"group": record.group_id})


def _delete_controls(store: Store, record: RunRecord) -> None:
    if st.session_state.get(keys.GALLERY_CONFIRM_DELETE) != record.id:
        st.button("Delete…", key="delete", on_click=_ask_delete, args=(record.id,), width="stretch",
                  icon=":material/delete:")
        return
    confirmation(f"Delete run {record.id} and its images for good? This cannot be undone.", "Yes, delete",
                 "delete", _delete, (store, record.id), keys.GALLERY_CONFIRM_DELETE)


def _side(store: Store, record: RunRecord, picture, kept_step: int | None) -> None:
    st.download_button("Download PNG (with parameters)", lambda: png_bytes(picture, png_metadata(record, kept_step)),
                       file_name=f"run-{record.id}.png" if kept_step is None else f"run-{record.id}-step{kept_step}.png",
                       mime="image/png", on_click="ignore", type="primary", key="download", width="stretch")
    making_of_button(store, record.id)
    if st.button("Re-run with these settings", key="rerun", width="stretch", icon=":material/replay:"):
        nav.rerun(record)
    print_links(store, record)
    print_panel(store, record)  # the owner's only
    if current_is_owner():
        _owner_controls(store, record)
    scorecard_table(store.scorecard(record.id))
    _run_facts(record)


def _owner_controls(store: Store, record: RunRecord) -> None:
    """Favourite, title, notes, delete: the owner's only (guests neither see them nor may call them)."""
    st.toggle("Favourite", value=record.favourite, key=f"fav_{record.id}", on_change=_toggle_favourite,
              args=(store, record.id))
    st.text_input("Title", value=record.title, key=f"title_{record.id}", on_change=_save_title,
                  args=(store, record.id), placeholder=f"Run {record.id}", max_chars=MAX_TITLE)
    st.text_area("Notes", value=record.notes, key=f"notes_{record.id}", on_change=_save_notes,
                 args=(store, record.id), height=90, max_chars=MAX_NOTES)
    _delete_controls(store, record)


def _run_facts(record: RunRecord) -> None:
    st.subheader("Loss terms")
    st.dataframe([{"term": k, "value": g.format_value(v)} for k, v in record.losses.items()]
                 + [{"term": "score (the loss the default optimises; not a verdict)",
                     "value": g.format_value(record.score)},
                    {"term": "leakage (lower = cleaner flat areas)", "value": g.format_value(record.leakage)}],
                 hide_index=True, width="stretch")
    st.subheader("Inputs")
    st.caption(f"Content: {plain(record.content_name or record.content_sha256[:8])} · "
               f"styles: {plain(g.style_names(record))}"
               + (f" (blend {g.format_value(list(record.blend))})" if len(record.styles) > 1 else ""))
    if record.notes:
        st.caption(f"Notes: {plain(record.notes)}")


def _facts(record: RunRecord) -> None:
    st.subheader("Parameters")
    st.dataframe(g.params_table(record), hide_index=True, width="stretch")
    timings = {"duration": g.format_seconds(record.seconds), "steps": str(record.steps),
               **{f"compile {k}": g.format_seconds(v) for k, v in record.trace_seconds.items()},
               "device": record.device or "—", "VGG19 weights": record.weights_id or "—",
               "size on disk": f"{record.disk_bytes / 1024:.0f} kB"}
    with st.expander("Timings and storage"):
        st.dataframe([{"what": k, "value": v} for k, v in timings.items()], hide_index=True, width="stretch")
    if record.history:
        with st.expander("Loss curve"):
            loss_curves([record])


def detail_view(store: Store, run_param: str) -> None:
    """The run named by ``?run=`` (ASCII digits only: "²" or "１" are no run numbers)."""
    try:
        record = store.get_run(parse_run_id(run_param))
    except (StoreError, ParamsError) as error:
        nav.header("Run not found")
        st.info(plain(nav.pop_notice() or str(error)))
        return
    nav.header(f":material/image: {plain(g.run_title(record))}")
    notice = nav.pop_notice()
    if notice:
        st.info(plain(notice))
    it_s = f" · {record.steps / record.seconds:.2f} it/s" if record.seconds > 0 else ""
    st.caption(f"#{record.id} · {format_time(record.created)} · {record.status} · {record.width}×{record.height} px"
               f" · {record.steps} steps in {g.format_seconds(record.seconds)}{it_s} · {record.device}"
               + (f" · part of a {record.group_kind} ({plain(record.group_label)})" if record.group_id else ""))
    if record.status != FINISHED and record.message:
        st.warning(plain(record.message))
    elif record.message not in ("", "Finished."):  # e.g. a run put back by `gallery rebuild`
        st.info(plain(record.message))
    image_col, side_col = st.columns([3, 2], gap="large")
    info = store.run_moments([record.id])[record.id]
    picture = store.kept_image(record.id)  # the run's picture: the kept moment, else the final image
    with image_col:
        _images(store, record, picture, info)
    with side_col:
        _side(store, record, picture, info.kept_step)
    leaderboard(store, record.id)
    _facts(record)
