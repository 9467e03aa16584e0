"""The scorecard where a run is judged (issue #24): a line on cards, a table in the detail view, and
the Pareto marks of a comparison or group. Draws what nst.scorecard_measures and nst.pareto compute."""

from __future__ import annotations

from typing import Any, Mapping

import streamlit as st

from nst.pareto import ParetoMark, pareto_marks
from nst.scorecard_measures import HELP, MEASURES, scorecard_line

PARETO_HELP = ("Marked runs are ones no other run here beats on every scorecard measure (the Pareto set): "
               "each is a different trade-off between keeping the photo and becoming the painting. "
               "There is no single best: compare them, or let friends vote.")


def scorecard_caption(card: Mapping[str, Any] | None) -> None:
    st.caption(scorecard_line(card), help=HELP)


def scorecard_table(card: Mapping[str, Any] | None) -> None:
    st.subheader("Scorecard", help=HELP)
    if card is None:
        st.caption(scorecard_line(None))
        return
    st.dataframe([{"measure": m.label, "value": f"{card[name]:.3f}",
                   "better": "higher" if m.higher_is_better else "lower"} for name, m in MEASURES.items()],
                 hide_index=True, width="stretch")


def marks_of(cards: Mapping[int, Mapping[str, Any]]) -> dict[int, ParetoMark]:
    return {mark.run_id: mark for mark in pareto_marks(cards)} if len(cards) >= 2 else {}


def pareto_caption(mark: ParetoMark | None) -> None:
    if mark is None:
        return
    if mark.on_front:
        st.caption(f":material/star_half: Pareto set: {mark.reason}", help=PARETO_HELP)
    else:
        st.caption(f"Beaten: {mark.reason}", help=PARETO_HELP)
