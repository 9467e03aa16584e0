"""The Vote page's panel: a blind pair of runs of one photo, left / right / can't tell, undo.

The voter id lives in the URL (``?voter=<id>``): a reload keeps it, a new browser without it gets
a fresh one (docs/votes.md says why not the Streamlit session, which a reload replaces). The pair
on screen is kept in the session per pool until the voter answers; every answer refits the
ranking (nst.ranking.rank) and the next pair is chosen from it at once (nst.ranking.next_pair).
"""

from __future__ import annotations

import uuid

import streamlit as st

from nst.errors import StoreError
from nst.leaderboard import Pool, pools, ratings
from nst.ranking import next_pair
from nst.store import Store
from nst.store.votes import check_voter
from studio.text import neutral, plain

PAIR_KEY = "vote_pair"  # {pool key: (left run id, right run id)} on screen
LAST_KEY = "vote_last"  # a one-line note about the last answer
POOL_WIDGET = "vote_pool"


def voter_id() -> str:
    """This browser's voter id from ``?voter=``, made (and put in the URL) on the first visit."""
    current = st.query_params.get("voter", "")
    try:
        return check_voter(current)
    except StoreError:
        fresh = uuid.uuid4().hex[:12]
        st.query_params["voter"] = fresh
        return fresh


def _pair(store: Store, pool: Pool, voter: str) -> tuple[int, int] | None:
    shown = st.session_state.setdefault(PAIR_KEY, {})
    done = store.voted_pairs(voter)
    pair = shown.get(pool.key)
    ids = {r.id for r in pool.runs}
    if pair is None or tuple(sorted(pair)) in done or not set(pair) <= ids:
        pair = next_pair(ratings(store, pool.runs), done)
        shown[pool.key] = pair
    return pair


def _answer(store: Store, pool_key: str, voter: str, left: int, right: int, outcome: str) -> None:
    store.record_vote(voter, left, right, outcome)
    st.session_state.get(PAIR_KEY, {}).pop(pool_key, None)
    st.session_state[LAST_KEY] = {"left": "Left", "right": "Right", "tie": "Can't tell"}[outcome] + " — thanks!"


def _undo(store: Store, pool_key: str, voter: str) -> None:
    vote = store.undo_last_vote(voter)
    if vote is None:
        st.session_state[LAST_KEY] = "Nothing to undo."
        return
    st.session_state.setdefault(PAIR_KEY, {})[pool_key] = (vote.run_a, vote.run_b)
    st.session_state[LAST_KEY] = "Last vote undone: that pair is back."


def _choose_pool(store: Store) -> Pool | None:
    found = pools(store)
    if not found:
        st.info("Nothing to vote on yet: run a comparison or a sweep (or two runs of one photo) first.")
        return None
    labels = {p.key: neutral(p.label) for p in found}
    key = st.selectbox("What to vote on", list(labels), format_func=labels.get, key=POOL_WIDGET)
    return next(p for p in found if p.key == key)


def vote_panel(store: Store) -> None:
    voter = voter_id()
    pool = _choose_pool(store)
    if pool is None:
        return
    note = st.session_state.pop(LAST_KEY, None)
    pair = _pair(store, pool, voter)
    if pair is None:
        st.success("You have voted on every pair here. Thank you! The gallery shows the ranking.")
    else:
        left, right = pair
        columns = st.columns(2)  # side by side on a wide screen, stacked on a phone
        for column, run_id, name in zip(columns, pair, ("Left", "Right")):
            column.image(store.kept_image(run_id), caption=name, width="stretch")  # the run's picture (kept moment)
        a, b, c = st.columns(3)
        for column, label, outcome, shortcut in ((a, "◀ Left", "left", "Left"), (b, "Can't tell", "tie", "Down"),
                                                 (c, "Right ▶", "right", "Right")):
            column.button(label, key=f"vote_{outcome}", width="stretch", shortcut=shortcut, on_click=_answer,
                          args=(store, pool.key, voter, left, right, outcome))
    st.button("Undo last vote", key="vote_undo", icon=":material/undo:", shortcut="Backspace",
              on_click=_undo, args=(store, pool.key, voter))
    if note:
        st.caption(plain(note))
    st.caption(f"Keys: ← left, → right, ↓ can't tell, Backspace undo. You are voter {voter} "
               f"({len(store.voted_pairs(voter))} votes); keep this page's address to stay you.")
