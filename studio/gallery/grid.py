"""The gallery's grid of thumbnails (filters, sort, paging, selection) and its list of groups."""

from __future__ import annotations

from typing import Any

import streamlit as st

from studio.gallery import model as g
from nst.scorecard_measures import HELP, MEASURES
from nst.units import format_time
from nst.store import Store
from studio.gallery.scorecard import scorecard_caption
from studio import keys
from studio.access import current_is_owner
from studio.gallery import nav
from studio.text import clip, neutral, plain

COLUMNS = 4
CARD_TITLE_CHARS = 80  # a card shows two lines of title at most; the run page shows it all


def _reset_page() -> None:
    st.session_state[keys.GALLERY_PAGE] = 0


def _filters(store: Store) -> dict[str, Any]:
    contents = {c.sha256: c for c in store.distinct_contents()}
    styles = {s.sha256: s for s in store.distinct_styles()}
    c1, c2, c3, c4 = st.columns([2, 2, 1, 2], vertical_alignment="bottom")
    with c1:
        content = st.selectbox("Content image", [None, *contents], key="f_content", on_change=_reset_page,
                               format_func=lambda k: "All" if k is None else
                               f"{neutral(contents[k].name) or k[:8]} ({contents[k].runs})")
    with c2:
        style = st.selectbox("Style image", [None, *styles], key="f_style", on_change=_reset_page,
                             format_func=lambda k: "All" if k is None else
                             f"{neutral(styles[k].name) or k[:8]} ({styles[k].runs})")
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
    return {"content_hash": content, "style_hash": style, "favourites": favourites, "sort": sort,
            "bounds": _scorecard_bounds()}


def _scorecard_bounds() -> dict[str, float]:
    """The scorecard filters: a bound per measure, kept only when moved from "everything"."""
    bounds = {}
    with st.expander("Filter by scorecard", icon=":material/filter_alt:"):
        st.caption(HELP)
        for column, (name, measure) in zip(st.columns(len(MEASURES)), MEASURES.items()):
            loosest = 0.0 if measure.higher_is_better else g.SCORECARD_FILTER_MAX
            with column:
                value = st.slider(f"{measure.label} {'at least' if measure.higher_is_better else 'at most'}",
                                  0.0, g.SCORECARD_FILTER_MAX, loosest, 0.01, key=f"f_card_{name}",
                                  on_change=_reset_page)
            if value != loosest:
                bounds[name] = value
    return bounds


def _card(run: Any, thumb: bytes | None, card: dict | None, kept_step: int | None) -> None:
    with st.container(border=True):
        if thumb:
            st.image(thumb, width="stretch")
        if kept_step is not None:
            st.caption(f":material/bookmark: kept moment: step {kept_step} of {run.steps}")
        star = ":material/star: " if run.favourite else ""
        st.markdown(f"{star}**{plain(clip(g.run_title(run), CARD_TITLE_CHARS))}**")
        st.caption(g.card_caption(run))
        scorecard_caption(card)
        st.caption(f"{g.card_meta(run)} · {plain(g.style_names(run))} on {plain(run.content_name or 'photo')}")
        left, right = st.columns(2, vertical_alignment="center")
        with left:
            st.checkbox("Select", key=f"sel_{run.id}", value=run.id in nav.selected(), on_change=nav.toggle,
                        args=(run.id,))
        with right:
            st.button("Open", key=f"open_{run.id}", on_click=nav.go, kwargs={"run": run.id}, width="stretch")


def _compare_bar() -> None:
    selected = nav.selected()
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
                  on_click=nav.go, kwargs={"compare": ",".join(map(str, selected))})
    with right:
        st.button("Clear selection", key="clear_sel", width="stretch", disabled=not selected,
                  on_click=nav.clear_selection)


def _pager(page: int, pages: int, count: int, newest: bool) -> None:
    if pages <= 1:
        st.caption(f"{count} run{'s' if count != 1 else ''}")
        return
    prev, info, nxt = st.columns([1, 2, 1], vertical_alignment="center")
    with prev:
        st.button("← Newer" if newest else "← Previous", key="prev_page", disabled=page == 0,
                  on_click=lambda: st.session_state.update({keys.GALLERY_PAGE: page - 1}))
    with info:
        st.caption(f"Page {page + 1} of {pages} · {count} runs")
    with nxt:
        st.button("Older →" if newest else "Next →", key="next_page", disabled=page >= pages - 1,
                  on_click=lambda: st.session_state.update({keys.GALLERY_PAGE: page + 1}))


def _runs_tab(store: Store) -> None:
    filters = _filters(store)
    notice = nav.pop_notice()
    if notice:
        st.warning(plain(notice))
    _compare_bar()
    count = store.count_runs(content_hash=filters["content_hash"], style_hash=filters["style_hash"],
                             favourites=filters["favourites"], bounds=filters["bounds"])
    pages = g.page_count(count)
    page = min(int(st.session_state.get(keys.GALLERY_PAGE, 0)), pages - 1)
    runs = store.list_runs(**filters, limit=g.PAGE_SIZE, offset=page * g.PAGE_SIZE)
    if not runs:
        st.info("No runs match these filters.")
    ids = [r.id for r in runs]
    thumbs, cards, kept = store.picture_thumbnails(ids), store.scorecards(ids), store.kept_steps(ids)
    for start in range(0, len(runs), COLUMNS):
        for column, run in zip(st.columns(COLUMNS), runs[start:start + COLUMNS]):
            with column:
                _card(run, thumbs.get(run.id), cards.get(run.id), kept.get(run.id))
    _pager(page, pages, count, filters["sort"] == "newest")


def grid_view(store: Store) -> None:
    nav.header(":material/photo_library: Gallery", back=False)
    total_all = store.count_runs()
    if total_all == 0:
        st.info("No paintings yet. Open the **Studio** page, pick a photo and a style and press "
                "**Stylize**: every finished run is kept here. (Sweeps and method comparisons from "
                "`python -m nst sweep|compare --save` appear here too.)", icon=":material/brush:")
        nav.studio_link()
        return
    runs = f"{total_all} run{'s' if total_all != 1 else ''}"
    # the server's folder is the owner's business, not a guest's
    st.caption(f"{runs} kept in `{store.data_dir}`." if current_is_owner() else f"{runs}.")
    tab_runs, tab_groups = st.tabs(["Runs", "Sweeps & comparisons"])
    with tab_runs:
        _runs_tab(store)
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
        thumbs = store.picture_thumbnails([first[0].id]) if first else {}
        with st.container(border=True):
            image_col, text_col, button_col = st.columns([1, 5, 1], vertical_alignment="center")
            with image_col:
                if first and thumbs.get(first[0].id):
                    st.image(thumbs[first[0].id], width=96)
            with text_col:
                kind = {"sweep": "Sweep", "compare": "Method comparison"}.get(group.group_kind or "", "Group")
                what = f" · {plain(g.style_names(first[0]))} on {plain(first[0].content_name or 'photo')}" if first else ""
                st.markdown(f"**{kind}** · {group.runs} runs · {format_time(group.created)}{what}")
            with button_col:
                st.button("Open", key=f"group_{group.group_id}", on_click=nav.go, kwargs={"group": group.group_id},
                          width="stretch")
