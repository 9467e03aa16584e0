"""Two to four runs side by side: images, the parameter diff, loss curves, a wipe between any two."""

from __future__ import annotations

import streamlit as st

from studio.gallery.scorecard import marks_of, pareto_caption, scorecard_caption
from nst.comparison import common_box, comparison_image, fit_box
from nst.errors import StoreError
from nst.store import RunRecord, Store
from studio.gallery import model as g
from studio import charts
from studio.gallery import nav
from studio.text import plain


def diff_table(records: list[RunRecord]) -> None:
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


def loss_curves(records: list[RunRecord]) -> None:
    term = st.radio("Loss term", list(g.LOSS_TERMS), horizontal=True, key="cmp_term")
    rows = g.loss_curve_rows(records, term)
    if not rows:
        st.info("These runs have no stored loss history.")
        return
    st.vega_lite_chart(spec=charts.runs_chart(rows, term), width="stretch")
    st.caption("Each run's own objective: its weights and loss form differ, so compare shapes more than levels.")


def display_width(image) -> int:
    """Small previews shown a little enlarged (at least 480 px wide), big ones at most 900 px."""
    return int(max(480, min(900, image.shape[1])))


def _wipe(store: Store, records: list[RunRecord]) -> None:
    options = {f"r{r.id}": f"#{r.id} {g.run_title(r)}" for r in records}
    options.update({f"c{r.id}": f"content photo of #{r.id}" for r in records[:1]})
    left, right, mode_col = st.columns([2, 2, 1])
    choices = list(options)
    with left:
        before = st.selectbox("Left / before", choices, index=len(choices) - 1, format_func=options.get,
                              key="wipe_a")
    with right:
        after = st.selectbox("Right / after", choices, index=0, format_func=options.get, key="wipe_b")
    with mode_col:
        mode = st.radio("Mode", ["Wipe", "Blend"], horizontal=True, key="wipe_mode")
    position = st.slider("← left · right →", 0, 100, 50, key="wipe_pos")

    def pixels(key: str):
        run_id = int(key[1:])
        return store.input_images(run_id).content if key[0] == "c" else store.kept_image(run_id)

    image = comparison_image(pixels(before), pixels(after), mode, position)
    st.image(image, width=display_width(image))


def _records(store: Store, ids: list[int]) -> list[RunRecord]:
    records = []
    for run_id in ids:
        try:
            records.append(store.get_run(run_id))
        except StoreError as error:
            st.warning(plain(error))
    return records


def compare_view(store: Store, ids: list[int]) -> None:
    nav.header(":material/compare: Compare runs")
    if not g.MIN_COMPARE <= len(ids) <= g.MAX_COMPARE:
        st.info(f"Choose {g.MIN_COMPARE} to {g.MAX_COMPARE} runs in the gallery to compare them.")
        return
    records = _records(store, ids)
    if len(records) < g.MIN_COMPARE:
        st.info("Fewer than two of these runs are still in the gallery.")
        return
    images = [store.kept_image(r.id) for r in records]  # each run's picture: its kept moment, else the final
    cards = store.scorecards([r.id for r in records])
    marks = marks_of(cards)
    width, height = common_box([i.shape for i in images])
    for column, record, image in zip(st.columns(len(records)), records, images):
        with column:
            st.image(fit_box(image, width, height), width="stretch")
            st.markdown(f"**#{record.id} {plain(g.run_title(record))}**")
            st.caption(f"{g.format_seconds(record.seconds)} · {record.steps} steps · "
                       f"{g.result_line(record, loss=True)} · {record.status}")
            scorecard_caption(cards.get(record.id))
            pareto_caption(marks.get(record.id))
            st.button("Open", key=f"open_{record.id}", on_click=nav.go, kwargs={"run": record.id})
    st.caption("score = the loss this studio's default optimises (not a verdict: it rewards copying) · "
               + g.LEAKAGE_NOTE)
    tab_params, tab_losses, tab_wipe = st.tabs(["Parameters", "Loss curves", "Before / after"])
    with tab_params:
        diff_table(records)
    with tab_losses:
        loss_curves(records)
    with tab_wipe:
        _wipe(store, records)
