"""Friends' blind votes on pairs of runs: one row per voter and pair, removed with either run.

A pair is stored in id order (``run_low < run_high``) so (a, b) and (b, a) are one pair; the
outcome says which of the two looked better (``low``, ``high``) or ``tie`` (can't tell). Voting
again on a pair replaces that voter's earlier vote: one vote per voter per pair. Rows go with
their run (``ON DELETE CASCADE``, schema version 4). Functions over the gallery's database
(``nst.store.db``), called through :class:`nst.store.Store`.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from nst.errors import StoreError
from nst.store.db import Database

OUTCOMES = ("left", "right", "tie")
_VOTER_ID = re.compile(r"^[A-Za-z0-9_-]{4,64}$")


@dataclass(frozen=True)
class Vote:
    """One voter's verdict on a pair: ``winner`` is a run id, or None for "can't tell"."""

    voter: str
    created: float  # unix seconds
    run_a: int  # the lower id
    run_b: int
    winner: int | None


def check_voter(voter: str) -> str:
    """A voter id as the page and the CLI pass it: 4–64 letters, digits, ``-`` or ``_``."""
    if not _VOTER_ID.match(str(voter)):
        raise StoreError(f"The voter id {voter!r} is not valid: use 4 to 64 letters, digits, '-' or '_'.")
    return str(voter)


def _stored_outcome(left: int, right: int, outcome: str) -> tuple[int, int, str]:
    if outcome not in OUTCOMES:
        raise StoreError(f"A vote is one of {', '.join(OUTCOMES)}, not {outcome!r}.")
    if left == right:
        raise StoreError("A vote compares two different runs.")
    low, high = sorted((int(left), int(right)))
    if outcome == "tie":
        return low, high, "tie"
    winner = left if outcome == "left" else right
    return low, high, "low" if winner == low else "high"


def record_vote(db: Database, voter: str, left: int, right: int, outcome: str, *, now: float | None = None) -> None:
    """Keep ``voter``'s verdict on the pair shown as (left, right); replaces their earlier vote on it."""
    low, high, stored = _stored_outcome(left, right, outcome)
    try:
        with db.write() as conn:
            conn.execute("INSERT OR REPLACE INTO votes (voter, created, run_low, run_high, outcome) "
                         "VALUES (?, ?, ?, ?, ?)", (check_voter(voter), time.time() if now is None else now,
                                                    low, high, stored))
    except sqlite3.IntegrityError:
        raise StoreError(f"Cannot vote on runs {left} and {right}: one of them is no longer in the gallery.") from None
    except sqlite3.Error as error:
        raise db.error("record a vote", error) from None


def undo_last_vote(db: Database, voter: str) -> Vote | None:
    """Remove ``voter``'s newest vote and return it (None when they have none left)."""
    try:
        with db.write() as conn:
            row = conn.execute("SELECT voter, created, run_low, run_high, outcome FROM votes WHERE voter = ? "
                               "ORDER BY created DESC, rowid DESC LIMIT 1", (check_voter(voter),)).fetchone()
            if row is None:
                return None
            conn.execute("DELETE FROM votes WHERE voter = ? AND run_low = ? AND run_high = ?", (row[0], row[2], row[3]))
    except sqlite3.Error as error:
        raise db.error("undo a vote", error) from None
    return _vote(row)


def reset_votes(db: Database, run_ids: Sequence[int]) -> int:
    """Delete every vote that touches one of ``run_ids``; returns how many went."""
    ids = [(int(i), int(i)) for i in run_ids]
    try:
        with db.write() as conn:
            before = conn.total_changes
            conn.executemany("DELETE FROM votes WHERE run_low = ? OR run_high = ?", ids)
            return conn.total_changes - before
    except sqlite3.Error as error:
        raise db.error("reset votes", error) from None


def _vote(row: Sequence[Any]) -> Vote:
    voter, created, low, high, outcome = row
    winner = {"low": low, "high": high}.get(outcome)
    return Vote(voter, float(created), int(low), int(high), winner)


def votes_among(conn: sqlite3.Connection, run_ids: Sequence[int] | None = None) -> list[Vote]:
    """Every vote (oldest first) whose two runs are both in ``run_ids`` (all votes when None)."""
    rows = conn.execute(
        "SELECT voter, created, run_low, run_high, outcome FROM votes ORDER BY created, rowid").fetchall()
    votes = [_vote(r) for r in rows]
    if run_ids is None:
        return votes
    wanted = {int(i) for i in run_ids}
    return [v for v in votes if v.run_a in wanted and v.run_b in wanted]


def voted_pairs(conn: sqlite3.Connection, voter: str) -> set[tuple[int, int]]:
    """The pairs (lower id first) ``voter`` has already voted on."""
    rows = conn.execute("SELECT run_low, run_high FROM votes WHERE voter = ?", (check_voter(voter),))
    return {(int(a), int(b)) for a, b in rows}
