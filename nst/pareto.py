"""Which runs of a group no other run beats on every scorecard measure (the Pareto set), and why.

A group (a sweep, a method comparison) has no single best run: one keeps more of the photo, another
is closer to the painting. Instead of crowning the lowest value of one number, the gallery marks each
run that no other run dominates (at least as good on every measure, better on one) and says in one
line what it trades ("keeps more of the photo than #7 at the same style gap"). Pure: no TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from nst.scorecard_measures import MEASURES

SAME = 0.01  # measures closer than this count as equal in a reason ("at the same style gap")


@dataclass(frozen=True)
class ParetoMark:
    run_id: int
    on_front: bool
    reason: str  # one line: what it does better than its nearest rival, or which run beats it


def _better_or_equal(a: Mapping[str, float], b: Mapping[str, float], measure: str) -> bool:
    higher = MEASURES[measure].higher_is_better
    return a[measure] >= b[measure] if higher else a[measure] <= b[measure]


def dominates(a: Mapping[str, float], b: Mapping[str, float], measures: tuple[str, ...]) -> bool:
    """``a`` is at least as good as ``b`` on every measure and strictly better on one."""
    return all(_better_or_equal(a, b, m) for m in measures) and any(a[m] != b[m] for m in measures)


def _advantage(a: Mapping[str, float], b: Mapping[str, float], b_id: int, measures: tuple[str, ...]) -> str:
    wins = [m for m in measures if _better_or_equal(a, b, m) and abs(a[m] - b[m]) >= SAME]
    if not wins:
        return f"as good as #{b_id} on every measure"
    win = max(wins, key=lambda m: abs(a[m] - b[m]))
    level = [m for m in measures if m != win and abs(a[m] - b[m]) < SAME]
    at = f" at the same {level[0].replace('_', ' ')}" if level else ""
    return f"{MEASURES[win].better} than #{b_id}{at}"


def pareto_marks(cards: Mapping[int, Mapping[str, float]]) -> list[ParetoMark]:
    """A mark per run id, in the given order, for the runs' scorecards (runs without one are left out)."""
    measures = tuple(m for m in MEASURES if all(m in card for card in cards.values()))
    marks = []
    for run_id, card in cards.items():
        rivals = {other: c for other, c in cards.items() if other != run_id}
        beaten_by = [other for other, c in rivals.items() if dominates(c, card, measures)]
        if beaten_by:
            marks.append(ParetoMark(run_id, False, f"#{beaten_by[0]} is as good or better on every measure"))
        elif not rivals:
            marks.append(ParetoMark(run_id, True, "the only scored run"))
        else:
            nearest = min(rivals, key=lambda o: sum(abs(card[m] - rivals[o][m]) for m in measures))
            marks.append(ParetoMark(run_id, True, _advantage(card, rivals[nearest], nearest, measures)))
    return marks
