"""The votes' ranking of stored runs: which runs are compared (a pool), their ratings and the
scorecard's agreement with them, as the Vote page, the gallery and ``nst gallery votes`` show it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nst.errors import StoreError
from nst.ranking import Rating, agreement, rank
from nst.scorecard_measures import MEASURES
from nst.store import Store
from nst.store.records import RunSummary

MAX_POOL = 500  # runs read for one pool


@dataclass(frozen=True)
class Pool:
    """Runs voted on against each other: one sweep / comparison, or every run of one photo."""

    key: str  # "group:<id>" or "photo:<sha256>"
    label: str
    runs: tuple[RunSummary, ...]


def pools(store: Store) -> list[Pool]:
    """Every group with two or more finished runs, then every photo with two or more, newest first."""
    runs = store.list_runs(status="finished", limit=MAX_POOL)
    by_group: dict[str, list[RunSummary]] = {}
    by_photo: dict[str, list[RunSummary]] = {}
    for run in runs:
        if run.group_id:
            by_group.setdefault(run.group_id, []).append(run)
        by_photo.setdefault(run.content_sha256, []).append(run)
    found = [Pool(f"group:{gid}", f"{members[0].group_kind or 'group'} {gid[:8]} ({len(members)} runs)",
                  tuple(members)) for gid, members in by_group.items() if len(members) >= 2]
    found += [Pool(f"photo:{sha}", f"all runs of {members[0].content_name or sha[:8]} ({len(members)} runs)",
                   tuple(members)) for sha, members in by_photo.items() if len(members) >= 2]
    return found


def pool_for(store: Store, group: str | None) -> Pool:
    """The pool of group ``group`` (an id or a unique prefix), or of every finished run when None."""
    if group is None:
        runs = tuple(store.list_runs(status="finished", limit=MAX_POOL))
        return Pool("all", "all runs", runs)
    matches = [p for p in pools(store) if p.key.startswith(f"group:{group}")]
    if len(matches) != 1:
        raise StoreError(f"No single group starts with {group!r}; `nst gallery list --json` shows group ids.")
    return matches[0]


def scorecard_measures(store: Store, runs: Sequence[RunSummary]) -> dict[str, dict[int, float | None]]:
    """Each stored scorecard measure (``nst.store.scorecards``) oriented so that higher = better, then
    for comparison the optimised loss (``score``, negated) and the flat-area leakage (negated)."""
    cards = store.scorecards([r.id for r in runs])
    measures = {
        (m.label if m.higher_is_better else f"{m.label} (less)"):
            {r.id: None if r.id not in cards else (1 if m.higher_is_better else -1) * cards[r.id][name]
             for r in runs}
        for name, m in MEASURES.items()}
    measures["score (lower loss)"] = {r.id: None if r.score is None else -r.score for r in runs}
    measures["leakage (less)"] = {r.id: None if r.leakage is None else -r.leakage for r in runs}
    return measures


def pair_votes(store: Store, run_ids: Sequence[int]) -> list[tuple[int, int, int | None]]:
    return [(v.run_a, v.run_b, v.winner) for v in store.votes_among(run_ids)]


def ratings(store: Store, runs: Sequence[RunSummary]) -> list[Rating]:
    """The Bradley–Terry board of ``runs`` from every vote between two of them, best first."""
    ids = [r.id for r in runs]
    return rank(ids, pair_votes(store, ids))


def report(store: Store, pool: Pool) -> dict:
    """``{"runs": [{"id", "rating", "low", "high", "votes"}...], "agreement": {measure: {"tau", "runs"}}}``.

    Across all runs (no group), each photo is ranked on its own (runs of different photos are
    never paired), and the agreement is computed per photo pool and listed under its key.
    """
    if pool.key != "all":
        board = ratings(store, pool.runs)
        return {"runs": [r.to_dict() for r in board], "agreement": agreement(board, scorecard_measures(store, pool.runs))}
    out: dict = {"runs": [], "agreement": {}}
    for sub in (p for p in pools(store) if p.key.startswith("photo:")):
        board = ratings(store, sub.runs)
        out["runs"] += [r.to_dict() for r in board]
        out["agreement"][sub.key] = agreement(board, scorecard_measures(store, sub.runs))
    return out


def pool_of_run(store: Store, run_id: int) -> Pool:
    """The pool a run is ranked in: its sweep / comparison, else every run of its photo."""
    run = store.get_run(run_id)
    keys = ([f"group:{run.group_id}"] if run.group_id else []) + [f"photo:{run.content_sha256}"]
    for key in keys:
        for pool in pools(store):
            if pool.key == key:
                return pool
    alone = tuple(r for r in store.list_runs(limit=MAX_POOL) if r.id == run_id)
    return Pool(f"run:{run_id}", f"run {run_id}", alone)


def board_sheet(store: Store, pool: Pool) -> bytes:
    """A labelled sheet PNG of a pool, best rated first: picture (the kept moment), title, rating [90 % interval]
    and votes."""
    from nst.making_of import sheet_png

    titles = {r.id: r.title or f"run {r.id}" for r in pool.runs}
    cells = []
    for r in ratings(store, pool.runs):
        interval = f" [{r.low:+.2f}, {r.high:+.2f}]" if r.low is not None else ""
        cells.append((store.kept_image(r.run_id), f"#{r.run_id} {titles[r.run_id]}",
                      f"rating {r.rating:+.2f}{interval}, {r.votes} votes"))
    return sheet_png(cells)
