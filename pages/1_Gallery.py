"""The gallery page: every saved run; browse, compare side by side, sweep grids, open, re-run.

Views only: the runs come from ``nst.store.Store`` (SQLite in ``$NST_DATA_DIR``) and every
computation (the parameter diff, the sweep grid layout, loss curves, wipe/blend) is in
``nst.gallery``. Which view shows is in the URL, so it survives a reload and can be shared:

- ``?run=<id>``: one run (image, parameters, timings, snapshots, download, re-run, edit, delete);
- ``?compare=<id>,<id>[,...]``: 2-4 runs side by side;
- ``?group=<group id>``: a sweep as a labelled grid, or a method comparison as a row;
- nothing: the grid of thumbnails with filters, sort and paging.

"Re-run with these settings" puts ``StyleParams.to_dict()`` into
``st.session_state["nst_rerun_params"]`` (and the run's id into ``"nst_rerun_run_id"``, so
the studio can load the same content and style images with ``Store.input_images``) and
switches to the studio page, which reads those keys.
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st
from streamlit.errors import StreamlitAPIException

from nst import gallery as g
from nst.errors import NSTError
from nst.images import png_bytes
from nst.store import RunRecord, Store, StoreError, default_data_dir

RERUN_PARAMS_KEY = "nst_rerun_params"
RERUN_RUN_KEY = "nst_rerun_run_id"
STUDIO_PAGE = "app.py"
COLUMNS = 4
SELECTED_KEY = "gallery_selected"
PAGE_KEY = "gallery_page"

st.set_page_config(page_title="Gallery · Style studio", page_icon=":material/photo_library:", layout="wide")


# ---- store ------------------------------------------------------------------------------------
@st.cache_resource(show_spinner=False)
def open_store(data_dir: str) -> Store:
    """One Store per data directory and server process (it is thread-safe: a connection per thread)."""
    return Store(data_dir)


def _store() -> Store:
    return open_store(str(default_data_dir()))


def _fail(error: Exception) -> None:
    """A store problem as one sentence, never a traceback."""
    st.error(str(error) if isinstance(error, NSTError) else f"The gallery could not be read: {error}",
             icon=":material/error:")
    st.stop()


# ---- navigation (query params) ------------------------------------------------------------------
def _go(**params: Any) -> None:
    """Switch the view: ``_go()`` back to the grid, ``_go(run=3)``, ``_go(compare="1,2")``."""
    st.query_params.clear()
    for key, value in params.items():
        st.query_params[key] = str(value)
    st.session_state.pop("confirm_delete", None)


def _selected() -> list[int]:
    return st.session_state.setdefault(SELECTED_KEY, [])


def _toggle(run_id: int) -> None:
    selected = _selected()
    checked = st.session_state.get(f"sel_{run_id}", False)
    if checked and run_id not in selected:
        if len(selected) >= g.MAX_COMPARE:
            st.session_state[f"sel_{run_id}"] = False
            st.session_state["_gallery_notice"] = f"Compare takes at most {g.MAX_COMPARE} runs."
            return
        selected.append(run_id)
    elif not checked and run_id in selected:
        selected.remove(run_id)


def _clear_selection() -> None:
    for run_id in _selected():
        st.session_state.pop(f"sel_{run_id}", None)
    st.session_state[SELECTED_KEY] = []


def _reset_page() -> None:
    st.session_state[PAGE_KEY] = 0


def _studio_link() -> None:
    try:
        st.page_link(STUDIO_PAGE, label="Go to the studio", icon=":material/palette:")
    except StreamlitAPIException:  # this page run on its own (tests): no studio page registered
        pass


def _header(title: str, back: bool = True) -> None:
    if back:
        st.button("← Gallery", on_click=_go, key="back")
    st.title(title)


# ---- the grid ---------------------------------------------------------------------------------------
def _filters(store: Store) -> dict[str, Any]:
    contents = {c.sha256: c for c in store.distinct_contents()}
    styles = {s.sha256: s for s in store.distinct_styles()}
    c1, c2, c3, c4 = st.columns([2, 2, 1, 2], vertical_alignment="bottom")
    with c1:
        content = st.selectbox("Content image", [None, *contents], key="f_content", on_change=_reset_page,
                               format_func=lambda k: "All" if k is None else
                               f"{contents[k].name or k[:8]} ({contents[k].runs})")
    with c2:
        style = st.selectbox("Style image", [None, *styles], key="f_style", on_change=_reset_page,
                             format_func=lambda k: "All" if k is None else
                             f"{styles[k].name or k[:8]} ({styles[k].runs})")
    with c3:
        favourites = st.toggle("Favourites", key="f_fav", on_change=_reset_page)
    options = [g.SORT_LABELS[k] for k in g.sort_options(content is not None, style is not None)]
    if st.session_state.get("f_sort") not in options:
        st.session_state["f_sort"] = options[0]
    with c4:
        label = st.selectbox("Sort by", options, key="f_sort", on_change=_reset_page,
                            help="Lowest loss is offered when one content image and one style image are chosen: "
                                 "scores only compare runs of the same pair.")
    sort = next(k for k, v in g.SORT_LABELS.items() if v == label)
    return {"content_hash": content, "style_hash": style, "favourites": favourites, "sort": sort}


def _card(run: Any, thumb: bytes | None) -> None:
    with st.container(border=True):
        if thumb:
            st.image(thumb, width="stretch")
        star = ":material/star: " if run.favourite else ""
        st.markdown(f"{star}**{g.run_title(run)}**")
        st.caption(g.card_caption(run))
        st.caption(f"{g.card_meta(run)} · {g.style_names(run)} on {run.content_name or 'photo'}")
        left, right = st.columns(2, vertical_alignment="center")
        with left:
            st.checkbox("Select", key=f"sel_{run.id}", value=run.id in _selected(), on_change=_toggle,
                        args=(run.id,))
        with right:
            st.button("Open", key=f"open_{run.id}", on_click=_go, kwargs={"run": run.id}, width="stretch")


def _compare_bar() -> None:
    selected = _selected()
    left, mid, right = st.columns([3, 1, 1], vertical_alignment="center")
    with left:
        if selected:
            st.caption(f"Selected for comparison: {', '.join(f'#{i}' for i in selected)} "
                       f"({len(selected)} of at most {g.MAX_COMPARE})")
        else:
            st.caption(f"Tick {g.MIN_COMPARE}–{g.MAX_COMPARE} runs to compare them side by side.")
    with mid:
        st.button("Compare", key="compare", type="primary", width="stretch",
                  disabled=not g.MIN_COMPARE <= len(selected) <= g.MAX_COMPARE,
                  on_click=_go, kwargs={"compare": ",".join(map(str, selected))})
    with right:
        st.button("Clear selection", key="clear_sel", width="stretch", disabled=not selected,
                  on_click=_clear_selection)


def grid_view(store: Store) -> None:
    _header(":material/photo_library: Gallery", back=False)
    total_all = store.count_runs()
    if total_all == 0:
        st.info("No paintings yet. Open the **Style studio** page, pick a photo and a style and press "
                "**Stylize**: every finished run is kept here. (Sweeps and method comparisons from "
                "`python -m nst sweep|compare --save` appear here too.)", icon=":material/brush:")
        _studio_link()
        return
    st.caption(f"{total_all} run{'s' if total_all != 1 else ''} kept in `{store.data_dir}`.")
    tab_runs, tab_groups = st.tabs(["Runs", "Sweeps & comparisons"])
    with tab_runs:
        filters = _filters(store)
        notice = st.session_state.pop("_gallery_notice", None)
        if notice:
            st.warning(notice)
        _compare_bar()
        count = store.count_runs(content_hash=filters["content_hash"], style_hash=filters["style_hash"],
                                 favourites=filters["favourites"])
        pages = g.page_count(count)
        page = min(int(st.session_state.get(PAGE_KEY, 0)), pages - 1)
        runs = store.list_runs(**filters, limit=g.PAGE_SIZE, offset=page * g.PAGE_SIZE)
        if not runs:
            st.info("No runs match these filters.")
        thumbs = store.thumbnails([r.id for r in runs])
        for start in range(0, len(runs), COLUMNS):
            columns = st.columns(COLUMNS)
            for column, run in zip(columns, runs[start:start + COLUMNS]):
                with column:
                    _card(run, thumbs.get(run.id))
        if pages > 1:
            prev, info, nxt = st.columns([1, 2, 1], vertical_alignment="center")
            with prev:
                st.button("← Newer" if filters["sort"] == "newest" else "← Previous", key="prev_page",
                          disabled=page == 0, on_click=lambda: st.session_state.update({PAGE_KEY: page - 1}))
            with info:
                st.caption(f"Page {page + 1} of {pages} · {count} runs")
            with nxt:
                st.button("Older →" if filters["sort"] == "newest" else "Next →", key="next_page",
                          disabled=page >= pages - 1,
                          on_click=lambda: st.session_state.update({PAGE_KEY: page + 1}))
        else:
            st.caption(f"{count} run{'s' if count != 1 else ''}")
    with tab_groups:
        groups_list(store)


def groups_list(store: Store) -> None:
    groups = store.groups()
    if not groups:
        st.info("No sweeps or method comparisons yet. Run one from the studio, or with "
                "`python -m nst sweep --grid style_weight=3,10,30 ... --save`.")
        return
    for group in groups[:30]:
        first = store.list_runs(group_id=group.group_id, sort="oldest", limit=1)
        thumbs = store.thumbnails([first[0].id]) if first else {}
        with st.container(border=True):
            image_col, text_col, button_col = st.columns([1, 5, 1], vertical_alignment="center")
            with image_col:
                if first and thumbs.get(first[0].id):
                    st.image(thumbs[first[0].id], width=96)
            with text_col:
                kind = {"sweep": "Sweep", "compare": "Method comparison"}.get(group.group_kind or "", "Group")
                what = f" · {g.style_names(first[0])} on {first[0].content_name or 'photo'}" if first else ""
                st.markdown(f"**{kind}** · {group.runs} runs · {g.format_date(group.created)}{what}")
            with button_col:
                st.button("Open", key=f"group_{group.group_id}", on_click=_go, kwargs={"group": group.group_id},
                          width="stretch")


# ---- a group: sweep grid or method row ----------------------------------------------------------
def _cell(run: Any, thumb: bytes | None, caption: str) -> None:
    if thumb:
        st.image(thumb, width="stretch")
    st.caption(caption)
    st.button(f"Open #{run.id}", key=f"open_{run.id}", on_click=_go, kwargs={"run": run.id}, width="stretch")


def _group_compare_button(runs: list[Any]) -> None:
    """Runs of a group straight into the side-by-side comparison (the first four, or the best
    four by score when there are more)."""
    if len(runs) < g.MIN_COMPARE:
        return
    chosen = runs
    if len(runs) > g.MAX_COMPARE:
        chosen = sorted(runs, key=lambda r: (r.score is None, r.score if r.score is not None else 0.0))
    ids = ",".join(str(r.id) for r in chosen[:g.MAX_COMPARE])
    label = "Compare side by side" if len(runs) <= g.MAX_COMPARE else f"Compare the best {g.MAX_COMPARE} by score"
    st.button(label, key="group_compare", on_click=_go, kwargs={"compare": ids}, icon=":material/compare:")


def group_view(store: Store, group_id: str) -> None:
    runs = store.list_runs(group_id=group_id, sort="oldest", limit=200)
    if not runs:
        _header("Group not found")
        st.info("This sweep or comparison is not in the gallery (its runs may have been deleted).")
        return
    kind = runs[0].group_kind
    thumbs = store.thumbnails([r.id for r in runs])
    first = runs[0]
    if kind == "compare":
        _header(":material/compare: Method comparison")
        st.caption(f"{g.style_names(first)} on {first.content_name or 'photo'} · {g.format_date(first.created)} · "
                   "score = loss under this studio's objective, lower is better · " + g.LEAKAGE_NOTE)
        _group_compare_button(runs)
        columns = st.columns(len(runs))
        best = min((r.score for r in runs if r.score is not None), default=None)
        for column, run in zip(columns, runs):
            with column:
                st.markdown(f"**{g.method_name(run)}**" + (" :material/trophy:" if best is not None
                                                          and run.score == best else ""))
                _cell(run, thumbs.get(run.id),
                      f"{g.format_seconds(run.seconds)} · {g.result_line(run)} · {run.status}")
        return
    _header(":material/grid_view: Sweep" if kind == "sweep" else ":material/grid_view: Group")
    st.caption(f"{len(runs)} runs · {g.style_names(first)} on {first.content_name or 'photo'} · "
               f"{g.format_date(first.created)} · {g.LEAKAGE_NOTE}")
    _group_compare_button(runs)
    row_labels, col_labels, cells = g.grid_layout(runs)
    widths = [1.2] + [2] * len(col_labels)
    header = st.columns(widths)
    for column, label in zip(header[1:], col_labels):
        column.markdown(f"**{label}**")
    for row_label, row in zip(row_labels, cells):
        columns = st.columns(widths, vertical_alignment="center")
        columns[0].markdown(f"**{row_label}**" if row_label else "")
        for column, run in zip(columns[1:], row):
            with column:
                if run is None:
                    st.caption("(no run)")
                else:
                    _cell(run, thumbs.get(run.id), f"{g.format_seconds(run.seconds)} · "
                          f"{g.result_line(run, score=run.score is not None, loss=True)} · {run.status}")


# ---- compare 2-4 runs ------------------------------------------------------------------------------
def _ids(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        part = part.strip()
        if part.isdigit() and int(part) not in out:
            out.append(int(part))
    return out


def _diff_table(records: list[RunRecord]) -> None:
    import pandas as pd

    rows = g.param_diff(records, include_results=True)
    only_diff = st.toggle("Only differences", value=False, key="only_diff")
    shown = [r for r in rows if r.differs or not only_diff]
    columns = [f"#{r.id} {g.run_title(r)}" for r in records]
    frame = pd.DataFrame([[row.name, *[g.format_value(v) for v in row.values], "≠" if row.differs else ""]
                          for row in shown], columns=["parameter", *columns, "differs"])
    styled = frame.style.apply(
        lambda row: ["background-color: rgba(255, 196, 0, 0.28); font-weight: 600" if row["differs"] else ""
                     for _ in row], axis=1)
    st.dataframe(styled, hide_index=True, width="stretch", key="diff_table")
    n = sum(r.differs for r in rows)
    st.caption(f"{n} row{'s' if n != 1 else ''} differ (highlighted).")


def _loss_chart(records: list[RunRecord]) -> None:
    import altair as alt
    import pandas as pd

    term = st.radio("Loss term", list(g.LOSS_TERMS), horizontal=True, key="cmp_term")
    data = g.loss_curve_rows(records, term)
    if not data:
        st.info("These runs have no stored loss history.")
        return
    chart = alt.Chart(pd.DataFrame(data)).mark_line(strokeWidth=1.8).encode(
        x=alt.X("step:Q", title="step"),
        y=alt.Y("loss:Q", title=f"{term} loss (log scale)", scale=alt.Scale(type="log")),
        color=alt.Color("run:N", title=None, legend=alt.Legend(orient="top"), scale=alt.Scale(scheme="category10")),
        tooltip=["run:N", "step:Q", alt.Tooltip("loss:Q", format=".3g")],
    ).properties(height=300)
    st.altair_chart(chart, width="stretch")
    st.caption("Each run's own objective: its weights and loss form differ, so compare shapes more than levels.")


def _display_width(image) -> int:
    """Small previews shown a little enlarged (at least 480 px wide), big ones at most 900 px."""
    return int(max(480, min(900, image.shape[1])))


def _wipe(store: Store, records: list[RunRecord]) -> None:
    options = {f"r{r.id}": f"#{r.id} {g.run_title(r)}" for r in records}
    options.update({f"c{r.id}": f"content photo of #{r.id}" for r in records[:1]})
    left, right, mode_col = st.columns([2, 2, 1])
    keys = list(options)
    with left:
        before = st.selectbox("Left / before", keys, index=len(keys) - 1, format_func=options.get, key="wipe_a")
    with right:
        after = st.selectbox("Right / after", keys, index=0, format_func=options.get, key="wipe_b")
    with mode_col:
        mode = st.radio("Mode", ["Wipe", "Blend"], horizontal=True, key="wipe_mode")
    position = st.slider("← left · right →", 0, 100, 50, key="wipe_pos")

    def pixels(key: str):
        run_id = int(key[1:])
        return store.input_images(run_id).content if key[0] == "c" else store.output_image(run_id)

    image = g.comparison_image(pixels(before), pixels(after), mode, position)
    st.image(image, width=_display_width(image))


def compare_view(store: Store, ids: list[int]) -> None:
    _header(":material/compare: Compare runs")
    if not g.MIN_COMPARE <= len(ids) <= g.MAX_COMPARE:
        st.info(f"Choose {g.MIN_COMPARE} to {g.MAX_COMPARE} runs in the gallery to compare them.")
        return
    records = []
    for run_id in ids:
        try:
            records.append(store.get_run(run_id))
        except StoreError as error:
            st.warning(str(error))
    if len(records) < g.MIN_COMPARE:
        st.info("Fewer than two of these runs are still in the gallery.")
        return
    images = [store.output_image(r.id) for r in records]
    width, height = g.common_box([i.shape for i in images])
    columns = st.columns(len(records))
    for column, record, image in zip(columns, records, images):
        with column:
            st.image(g.fit_box(image, width, height), width="stretch")
            st.markdown(f"**#{record.id} {g.run_title(record)}**")
            st.caption(f"{g.format_seconds(record.seconds)} · {record.steps} steps · "
                       f"{g.result_line(record, loss=True)} · {record.status}")
            st.button("Open", key=f"open_{record.id}", on_click=_go, kwargs={"run": record.id})
    st.caption("score = loss under this studio's objective, lower is better · " + g.LEAKAGE_NOTE)
    tab_params, tab_losses, tab_wipe = st.tabs(["Parameters", "Loss curves", "Before / after"])
    with tab_params:
        _diff_table(records)
    with tab_losses:
        _loss_chart(records)
    with tab_wipe:
        _wipe(store, records)


# ---- one run ------------------------------------------------------------------------------------------
def _rerun(record: RunRecord) -> None:
    """Hand the run's settings to the studio page and go there."""
    st.session_state[RERUN_PARAMS_KEY] = g.rerun_params(record)
    st.session_state[RERUN_RUN_KEY] = record.id
    try:
        st.switch_page(STUDIO_PAGE)
    except StreamlitAPIException:  # the page is run on its own (no studio page registered)
        st.session_state["_gallery_notice"] = ("Settings copied: open the studio page to paint with them.")


def _ask_delete(run_id: int) -> None:
    st.session_state["confirm_delete"] = run_id


def _delete(store: Store, run_id: int) -> None:
    try:
        store.delete_run(run_id)
    except StoreError as error:
        st.session_state["_gallery_notice"] = str(error)
        return
    if run_id in _selected():
        _selected().remove(run_id)
    _go()
    st.session_state["_gallery_notice"] = f"Run {run_id} was deleted."


def _save_title(store: Store, run_id: int) -> None:
    store.rename(run_id, st.session_state.get(f"title_{run_id}", ""))


def _save_notes(store: Store, run_id: int) -> None:
    store.set_notes(run_id, st.session_state.get(f"notes_{run_id}", ""))


def _toggle_favourite(store: Store, run_id: int) -> None:
    store.set_favourite(run_id, bool(st.session_state.get(f"fav_{run_id}")))


def detail_view(store: Store, run_id: int) -> None:
    try:
        record = store.get_run(run_id)
    except StoreError as error:
        _header("Run not found")
        st.info(str(error))
        return
    _header(f":material/image: {g.run_title(record)}")
    notice = st.session_state.pop("_gallery_notice", None)
    if notice:
        st.info(notice)
    it_s = f" · {record.steps / record.seconds:.2f} it/s" if record.seconds > 0 else ""
    st.caption(f"#{record.id} · {g.format_date(record.created)} · {record.status} · {record.width}×{record.height} px"
               f" · {record.steps} steps in {g.format_seconds(record.seconds)}{it_s} · {record.device}"
               + (f" · part of a {record.group_kind} ({record.group_label})" if record.group_id else ""))
    if record.status != "finished" and record.message:
        st.warning(record.message)
    image_col, side_col = st.columns([3, 2], gap="large")
    output = store.output_image(record.id)
    with image_col:
        tab_image, tab_timeline, tab_wipe = st.tabs(["Result", "Snapshots", "Before / after"])
        with tab_image:
            st.image(g.fit_height(output, output.shape[0]), width="stretch")
        with tab_timeline:
            snapshots = store.snapshots(record.id)
            if not snapshots:
                st.info("No snapshots were kept for this run.")
            else:
                labels = {i: f"step {s.step} (scale {s.scale_index + 1})" for i, s in enumerate(snapshots)}
                index = st.select_slider("Snapshot", list(labels), value=len(snapshots) - 1, format_func=labels.get,
                                         key=f"snap_{record.id}")
                snap = snapshots[index]
                st.image(snap.image, width="stretch",
                         caption=f"Step {snap.step}: total loss {g.format_value(snap.losses.get('total'))}")
        with tab_wipe:
            mode = st.radio("Mode", ["Wipe", "Blend"], horizontal=True, key=f"dmode_{record.id}")
            position = st.slider("← photo · painting →", 0, 100, 50, key=f"dpos_{record.id}")
            image = g.comparison_image(store.input_images(record.id).content, output, mode, position)
            st.image(image, width=_display_width(image))
        if record.group_id:
            st.button(f"Open its {record.group_kind or 'group'}", key="open_group", on_click=_go,
                      kwargs={"group": record.group_id})
    with side_col:
        st.download_button("Download PNG (with parameters)", lambda: png_bytes(output, g.png_metadata(record)),
                           file_name=f"run-{record.id}.png", mime="image/png", on_click="ignore", type="primary",
                           key="download", width="stretch")
        if st.button("Re-run with these settings", key="rerun", width="stretch", icon=":material/replay:"):
            _rerun(record)
        st.toggle("Favourite", value=record.favourite, key=f"fav_{record.id}", on_change=_toggle_favourite,
                  args=(store, record.id))
        st.text_input("Title", value=record.title, key=f"title_{record.id}", on_change=_save_title,
                      args=(store, record.id), placeholder=f"Run {record.id}")
        st.text_area("Notes", value=record.notes, key=f"notes_{record.id}", on_change=_save_notes,
                     args=(store, record.id), height=90)
        if st.session_state.get("confirm_delete") == record.id:
            st.warning(f"Delete run {record.id} and its images for good? This cannot be undone.")
            yes, no = st.columns(2)
            with yes:
                st.button("Yes, delete", key="delete_yes", type="primary", on_click=_delete,
                          args=(store, record.id), width="stretch")
            with no:
                st.button("Cancel", key="delete_no", width="stretch",
                          on_click=lambda: st.session_state.pop("confirm_delete", None))
        else:
            st.button("Delete…", key="delete", on_click=_ask_delete, args=(record.id,), width="stretch",
                      icon=":material/delete:")
        st.subheader("Loss terms")
        st.dataframe([{"term": k, "value": g.format_value(v)} for k, v in record.losses.items()]
                     + [{"term": "score (studio objective)", "value": g.format_value(record.score)},
                        {"term": "leakage (lower = cleaner flat areas)", "value": g.format_value(record.leakage)}],
                     hide_index=True, width="stretch")
        st.subheader("Inputs")
        st.caption(f"Content: {record.content_name or record.content_sha256[:8]} · styles: {g.style_names(record)}"
                   + (f" (blend {g.format_value(list(record.blend))})" if len(record.styles) > 1 else ""))
        if record.notes:
            st.caption(f"Notes: {record.notes}")
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
            _loss_chart([record])


# ==========================================================================================
try:
    store = _store()
    params = st.query_params
    if params.get("run", "").isdigit():
        detail_view(store, int(params["run"]))
    elif params.get("compare"):
        compare_view(store, _ids(params["compare"]))
    elif params.get("group"):
        group_view(store, params["group"])
    else:
        grid_view(store)
except StoreError as error:
    _fail(error)
except Exception as error:  # noqa: BLE001 - one sentence on the page, the traceback in the server log
    logging.getLogger("nst.gallery_page").exception("gallery page failed")
    st.error(f"Something went wrong showing this view ({type(error).__name__}: {error}). "
             "Go back to the gallery and try again; the details are in the server log.", icon=":material/error:")
    st.button("← Gallery", on_click=_go, key="back_after_error")
