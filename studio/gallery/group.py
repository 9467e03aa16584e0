"""A gallery group: a sweep as a labelled grid, or a method comparison as a row."""

from __future__ import annotations

from typing import Any

import streamlit as st

from studio.gallery import model as g
from nst.pareto import ParetoMark
from nst.units import format_time
from nst.store import Store
from studio.gallery.scorecard import marks_of, pareto_caption, scorecard_caption
from studio.gallery import nav
from studio.gallery.votes import leaderboard
from studio.text import plain


def _cell(run: Any, thumb: bytes | None, caption: str, card: dict | None, mark: ParetoMark | None) -> None:
    if thumb:
        st.image(thumb, width="stretch")
    st.caption(caption)
    scorecard_caption(card)
    pareto_caption(mark)
    st.button(f"Open #{run.id}", key=f"open_{run.id}", on_click=nav.go, kwargs={"run": run.id}, width="stretch")


def _compare_button(runs: list[Any]) -> None:
    """Runs of a group straight into the side-by-side comparison (the first four when there are
    more: no single number picks "the best" ones; nst-score-v1 rewards copying, docs/quality.md)."""
    if len(runs) < g.MIN_COMPARE:
        return
    ids = ",".join(str(r.id) for r in runs[:g.MAX_COMPARE])
    label = "Compare side by side" if len(runs) <= g.MAX_COMPARE else f"Compare the first {g.MAX_COMPARE}"
    st.button(label, key="group_compare", on_click=nav.go, kwargs={"compare": ids}, icon=":material/compare:")


def _method_row(runs: list[Any], thumbs: dict[int, bytes], cards: dict[int, dict]) -> None:
    first = runs[0]
    nav.header(":material/compare: Method comparison")
    st.caption(f"{plain(g.style_names(first))} on {plain(first.content_name or 'photo')} · "
               f"{format_time(first.created)} · "
               "score = the loss this studio's default optimises (not a verdict: it rewards copying) · "
               + g.LEAKAGE_NOTE)
    _compare_button(runs)
    marks = marks_of(cards)
    for column, run in zip(st.columns(len(runs)), runs):
        with column:
            st.markdown(f"**{plain(g.method_name(run))}**")
            _cell(run, thumbs.get(run.id), f"{g.format_seconds(run.seconds)} · {g.result_line(run)} · {run.status}",
                  cards.get(run.id), marks.get(run.id))


def _sweep_grid(runs: list[Any], thumbs: dict[int, bytes], cards: dict[int, dict]) -> None:
    first = runs[0]
    nav.header(":material/grid_view: Sweep" if first.group_kind == "sweep" else ":material/grid_view: Group")
    st.caption(f"{len(runs)} runs · {plain(g.style_names(first))} on {plain(first.content_name or 'photo')} · "
               f"{format_time(first.created)} · {g.LEAKAGE_NOTE}")
    _compare_button(runs)
    marks = marks_of(cards)
    row_labels, col_labels, cells = g.grid_layout(runs)
    widths = [1.2] + [2] * len(col_labels)
    for column, label in zip(st.columns(widths)[1:], col_labels):
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
                          f"{g.result_line(run, score=run.score is not None, loss=True)} · {run.status}",
                          cards.get(run.id), marks.get(run.id))


def group_view(store: Store, group_id: str) -> None:
    runs = store.list_runs(group_id=group_id, sort="oldest", limit=200)
    if not runs:
        nav.header("Group not found")
        st.info("This sweep or comparison is not in the gallery (its runs may have been deleted).")
        return
    thumbs = store.picture_thumbnails([r.id for r in runs])  # a run's kept moment where it keeps one
    cards = store.scorecards([r.id for r in runs])
    if runs[0].group_kind == "compare":
        _method_row(runs, thumbs, cards)
    else:
        _sweep_grid(runs, thumbs, cards)
    leaderboard(store, runs[0].id)
