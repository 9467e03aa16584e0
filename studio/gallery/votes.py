"""The gallery's view of friends' votes: a pool's leaderboard (rating, 90 % interval, votes),
the scorecard's agreement (Kendall τ and the runs it rests on), and the sharing downloads
(the run's making-of animation, the leaderboard sheet PNG). Computed in nst.leaderboard."""

from __future__ import annotations

import streamlit as st

from nst.leaderboard import board_sheet, pool_of_run, report
from nst.making_of import animation_bytes, run_frames
from nst.store import Store
from studio.access import current_is_owner, refused
from studio.text import neutral, plain


def _format(value: float | None) -> str:
    return "–" if value is None else f"{value:+.2f}"


def leaderboard(store: Store, run_id: int) -> None:
    """The ranking of the pool ``run_id`` is in (its group, else its photo), with the agreement."""
    pool = pool_of_run(store, run_id)
    if len(pool.runs) < 2:
        return
    result = report(store, pool)
    titles = {r.id: neutral(r.title) or f"run {r.id}" for r in pool.runs}
    with st.expander(f"Friends' votes: {plain(pool.label)}", expanded=any(r["votes"] for r in result["runs"])):
        st.dataframe([{"run": f"#{r['id']} {titles[r['id']]}", "rating": _format(r["rating"]),
                       "90 % interval": "–" if r["low"] is None else f"{r['low']:+.2f} … {r['high']:+.2f}",
                       "votes": r["votes"]} for r in result["runs"]], hide_index=True, width="stretch")
        st.caption("Bradley–Terry ratings (log strength; +1 = e ≈ 2.7× the odds of being picked). "
                   "Agreement of each measure with the votes (Kendall τ; 1 = same order):")
        st.dataframe([{"measure": name, "τ": "–" if a["tau"] is None else f"{a['tau']:+.2f}", "runs": a["runs"]}
                      for name, a in result["agreement"].items()], hide_index=True, width="stretch")
        st.download_button("Download leaderboard sheet (PNG)", lambda: board_sheet(store, pool),
                           file_name=f"leaderboard-{run_id}.png", mime="image/png", on_click="ignore",
                           key=f"sheet_{run_id}")
        # resetting is the owner's (guests may vote, not wipe the votes)
        if current_is_owner() and st.button("Reset these votes", key=f"reset_votes_{run_id}") and not refused():
            store.reset_votes([r.id for r in pool.runs])
            st.rerun()


def making_of_button(store: Store, run_id: int) -> None:
    st.download_button("Download making-of (animated WebP)", lambda: animation_bytes(run_frames(store, run_id)),
                       file_name=f"making-of-{run_id}.webp", mime="image/webp", on_click="ignore",
                       key=f"making_of_{run_id}", width="stretch", icon=":material/animation:")
