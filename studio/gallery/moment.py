"""The best moment on a stored run's page (issue #24): the timeline with the suggested, kept and overdone
moments marked, why, and the owner's choice of the run's picture. Draws what nst.best_moment and
nst.store.moments compute; the choice is the owner's only (guests see it, and a forged click is refused)."""

from __future__ import annotations

from typing import Any, Sequence

import streamlit as st

from nst.best_moment import RULE_HELP
from nst.errors import StoreError
from nst.store import RunMoments, RunRecord, Store, StoredSnapshot
from studio import charts
from studio.access import current_is_owner, refused
from studio.gallery import nav

MEASURE_LABELS = {"structure": "structure (higher: more of the photo)", "style_gap": "style gap (lower: closer to the painting)"}


def _step_of(step: int | None, record: RunRecord) -> int:
    return record.steps if step is None else step


def moment_label(step: int | None) -> str:
    return "the final image" if step is None else f"step {step}"


def overdone_steps(info: RunMoments) -> set[int | None]:
    """Every moment inside an overdone stretch (its ends included)."""
    stretches = info.suggestion.overdone if info.suggestion else ()
    return {info.moments[i].step for s in stretches for i in range(s.start, s.end + 1)}


def snapshot_labels(snapshots: Sequence[StoredSnapshot], info: RunMoments) -> dict[int, str]:
    """The timeline's labels: step and scale, and whether the moment is suggested, kept or overdone."""
    suggested = info.suggestion.step if info.suggestion else None
    overdone = overdone_steps(info)
    labels = {}
    for i, s in enumerate(snapshots):
        marks = [what for what, on in (("suggested", s.step == suggested), ("kept", s.step == info.kept_step),
                                       ("overdone", s.step in overdone)) if on]
        labels[i] = f"step {s.step} (scale {s.scale_index + 1})" + "".join(f" · {m}" for m in marks)
    return labels


def moment_chart_spec(info: RunMoments, record: RunRecord) -> dict[str, Any]:
    rows = [{"step": _step_of(m.step, record), "measure": MEASURE_LABELS[name], "value": float(m.card[name])}
            for m in info.moments for name in MEASURE_LABELS]
    stretches = [{"from": _step_of(info.moments[s.start].step, record), "to": _step_of(info.moments[s.end].step, record),
                  "what": f"overdone: structure −{s.structure_lost:.3f}"} for s in info.suggestion.overdone]
    marks = [{"step": _step_of(info.suggestion.step, record), "what": "suggested"}]
    if info.kept_step is not None and info.kept_step != info.suggestion.step:
        marks.append({"step": info.kept_step, "what": "kept"})
    return charts.moments_chart(rows, stretches, marks)


def _keep(store: Store, run_id: int, step: int | None) -> None:
    if refused():
        return
    try:
        store.keep_moment(run_id, step)
    except StoreError as error:
        nav.notice(str(error))
        return
    nav.notice(f"Run {run_id} now shows {moment_label(step)} in the gallery"
               + (" (the final image stays kept)." if step is not None else "."))


def moment_panel(store: Store, record: RunRecord, info: RunMoments, selected: int | None) -> None:
    """Under the timeline: the suggestion and its reason, the overdone stretches, the choice."""
    st.markdown(f"**Best moment** · kept: {moment_label(info.kept_step)}", help=RULE_HELP)
    if not info.candidates:
        st.caption("This run kept no snapshot of its final scale at full size: its picture is the final image.")
        return
    if info.suggestion is None:
        st.caption(f"No suggestion yet: the snapshots are not scored (python -m nst gallery rescore {record.id}).")
    else:
        st.caption(f"Suggested: {moment_label(info.suggestion.step)}: {info.suggestion.reason}.")
        for s in info.suggestion.overdone:
            st.caption(f":material/trending_down: Overdone from {moment_label(info.moments[s.start].step)} to "
                       f"{moment_label(info.moments[s.end].step)}: structure fell by {s.structure_lost:.3f} while "
                       "the style gap no longer improved.")
        st.vega_lite_chart(spec=moment_chart_spec(info, record), width="stretch")
    if current_is_owner():
        _choices(store, record, info, selected)


def _choices(store: Store, record: RunRecord, info: RunMoments, selected: int | None) -> None:
    suggested = info.suggestion.step if info.suggestion else None
    left, mid, right = st.columns(3)
    with left:
        st.button("Keep the suggested moment", key="keep_suggested", width="stretch", type="primary",
                  disabled=info.suggestion is None or suggested == info.kept_step,
                  on_click=_keep, args=(store, record.id, suggested))
    with mid:
        st.button(f"Keep {moment_label(selected)}" if selected in info.candidates else "Keep this snapshot",
                  key="keep_selected", width="stretch", disabled=selected not in info.candidates
                  or selected == info.kept_step, on_click=_keep, args=(store, record.id, selected),
                  help="Only the final scale's snapshots at the picture's full size can be kept.")
    with right:
        st.button("Keep the final image", key="keep_final", width="stretch", disabled=info.kept_step is None,
                  on_click=_keep, args=(store, record.id, None))
