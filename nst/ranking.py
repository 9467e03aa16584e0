"""Ranking runs from friends' votes: a Bradley–Terry fit (``choix``), a 90 % bootstrap interval,
the next pair worth asking about, and the agreement (Kendall τ) of a measure with the ranking.

Pure functions over votes (``(a, b, winner)`` with winner ``a``, ``b`` or None for a tie);
nothing here reads the store. See docs/votes.md for the rules and why they are these.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import choix
import numpy as np
from scipy.stats import kendalltau

ALPHA = 0.05  # ridge on the ratings: keeps a run that never lost (or never won) finite
BOOTSTRAP_SAMPLES = 200
INTERVAL = 0.90
PairVote = tuple[int, int, "int | None"]


@dataclass(frozen=True)
class Rating:
    """One run's Bradley–Terry rating (log-strength, mean 0 over the ranked runs) and its 90 % interval."""

    run_id: int
    rating: float
    low: float | None  # None while the run has no votes
    high: float | None
    votes: int

    def to_dict(self) -> dict:
        return {"id": self.run_id, "rating": self.rating, "low": self.low, "high": self.high, "votes": self.votes}


def _comparisons(votes: Sequence[PairVote], index: Mapping[int, int]) -> list[tuple[int, int]]:
    """choix's (winner, loser) list. A decisive vote counts twice and a tie once each way, so a
    tie is exactly half a win for each side (choix has no ties; scaling all votes by 2 keeps the fit)."""
    data: list[tuple[int, int]] = []
    for a, b, winner in votes:
        i, j = index[a], index[b]
        if winner is None:
            data += [(i, j), (j, i)]
        else:
            won, lost = (i, j) if winner == a else (j, i)
            data += [(won, lost), (won, lost)]
    return data


def fit(run_ids: Sequence[int], votes: Sequence[PairVote], *, alpha: float = ALPHA) -> dict[int, float]:
    """Bradley–Terry ratings (natural log of strength, mean 0): P(a beats b) = 1 / (1 + exp(r_b - r_a))."""
    index = {run_id: i for i, run_id in enumerate(run_ids)}
    data = _comparisons([v for v in votes if v[0] in index and v[1] in index], index)
    if not data or len(index) < 2:
        return {run_id: 0.0 for run_id in run_ids}
    params = choix.ilsr_pairwise(len(index), data, alpha=alpha)
    params = params - params.mean()
    return {run_id: float(params[i]) for run_id, i in index.items()}


def rank(run_ids: Sequence[int], votes: Sequence[PairVote], *, samples: int = BOOTSTRAP_SAMPLES,
         seed: int = 0, alpha: float = ALPHA) -> list[Rating]:
    """Ratings with a 90 % percentile-bootstrap interval (votes resampled with replacement), best first;
    runs without votes (rating 0, no interval) come last."""
    votes = [v for v in votes if v[0] in set(run_ids) and v[1] in set(run_ids)]
    point = fit(run_ids, votes, alpha=alpha)
    counts = {run_id: 0 for run_id in run_ids}
    for a, b, _ in votes:
        counts[a] += 1
        counts[b] += 1
    draws = np.zeros((samples, len(run_ids)))
    rng = np.random.default_rng(seed)
    for s in range(samples if votes else 0):
        picked = [votes[k] for k in rng.integers(0, len(votes), len(votes))]
        ratings = fit(run_ids, picked, alpha=alpha)
        draws[s] = [ratings[r] for r in run_ids]
    tail = (1 - INTERVAL) / 2 * 100
    low, high = (np.percentile(draws, [tail, 100 - tail], axis=0) if votes else
                 (np.zeros(len(run_ids)), np.zeros(len(run_ids))))
    board = [Rating(r, point[r], float(low[i]) if counts[r] else None, float(high[i]) if counts[r] else None,
                    counts[r]) for i, r in enumerate(run_ids)]
    return sorted(board, key=lambda x: (x.votes == 0, -x.rating, x.run_id))


def next_pair(board: Sequence[Rating], done: set[tuple[int, int]],
              rng: random.Random | None = None) -> tuple[int, int] | None:
    """The pair that teaches most, shown in random order; None when the voter has seen every pair.

    Rule: among pairs this voter has not voted on, first the pair whose less-voted run has the
    fewest votes (every run is seen early), then the closest pair: the smallest rating gap
    relative to the two intervals' widths (unrated runs count as wide open), then at random.
    """
    rng = rng or random.Random()
    candidates = []
    for i, x in enumerate(board):
        for y in board[i + 1:]:
            pair = tuple(sorted((x.run_id, y.run_id)))
            if pair in done:
                continue
            width = _width(x) + _width(y)
            candidates.append((min(x.votes, y.votes), abs(x.rating - y.rating) / width, rng.random(), pair))
    if not candidates:
        return None
    left, right = min(candidates)[3]
    return (left, right) if rng.random() < 0.5 else (right, left)


def _width(rating: Rating) -> float:
    if rating.low is None or rating.high is None:
        return 10.0
    return max(rating.high - rating.low, 1e-3)


def agreement(board: Sequence[Rating], measures: Mapping[str, Mapping[int, float | None]]) -> dict[str, dict]:
    """Kendall τ of each measure with the votes' ratings, over the runs that have votes and the measure.

    ``measures`` maps a name to {run id: value, higher = better}; τ = 1 means the measure orders
    the runs as the friends did. ``tau`` is None with fewer than 2 such runs (or no variation).
    """
    voted = {r.run_id: r.rating for r in board if r.votes}
    result = {}
    for name, values in measures.items():
        ids = [i for i in voted if values.get(i) is not None and np.isfinite(values[i])]
        tau = kendalltau([values[i] for i in ids], [voted[i] for i in ids]).statistic if len(ids) >= 2 else None
        result[name] = {"tau": None if tau is None or not np.isfinite(tau) else float(tau), "runs": len(ids)}
    return result
