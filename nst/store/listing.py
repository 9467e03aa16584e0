"""Finding runs: filtered, sorted pages of summaries, counts, the filters' images and groups."""

from __future__ import annotations

import sqlite3
from typing import Any

from nst.errors import StoreError
from nst.run_types import RUN_STATUSES
from nst.scorecard_measures import MEASURES, SCORECARD_VERSION
from nst.store.db import named_rows
from nst.store.reading import nan_if_none, styles_of
from nst.store.records import GroupSummary, RunSummary, StoredImage, axes_from_json

STATUSES = RUN_STATUSES
SORTS = ("newest", "oldest", "fastest", "score", *MEASURES)
_ORDER = {
    "newest": "created DESC, id DESC",
    "oldest": "created ASC, id ASC",
    "fastest": "seconds ASC, id DESC",
    "score": "score IS NULL, score ASC, loss_total IS NULL, loss_total ASC, id DESC",
}


def _measure(name: str) -> str:
    """SQL for a run's current scorecard measure (NULL without one); names come from MEASURES only."""
    return (f"(SELECT json_extract(measures, '$.{name}') FROM scorecards WHERE scorecards.run_id = runs.id "
            f"AND scorecards.version = '{SCORECARD_VERSION}')")


for _name, _m in MEASURES.items():  # best first; runs without a scorecard last
    _ORDER[_name] = f"{_measure(_name)} IS NULL, {_measure(_name)} {'DESC' if _m.higher_is_better else 'ASC'}, id DESC"
_SUMMARY_COLUMNS = (
    "id, created, title, status, favourite, content_weight, style_weight, tv_weight, size, optimizer, "
    "width, height, steps, seconds, loss_total, score, leakage, content_sha256, content_name, "
    "group_id, group_kind, group_label, group_axes, device"
)


def _where(content_hash: str | None, style_hash: str | None, favourites: bool,
           group_id: str | None, status: str | None, bounds: dict[str, float] | None = None) -> tuple[str, list[Any]]:
    """The WHERE clause (with its arguments) of the gallery's filters. ``bounds``: scorecard measure ->
    the worst value kept (at least it for a higher-is-better measure, at most it otherwise)."""
    clauses, args = [], []
    for name, bound in (bounds or {}).items():
        if name not in MEASURES:
            raise StoreError(f"A scorecard filter names one of {', '.join(MEASURES)}, not {name!r}.")
        clauses.append(f"{_measure(name)} {'>=' if MEASURES[name].higher_is_better else '<='} ?")
        args.append(float(bound))
    if content_hash:
        clauses.append("content_sha256 = ?")
        args.append(content_hash)
    if style_hash:
        clauses.append("id IN (SELECT run_id FROM run_styles WHERE sha256 = ?)")
        args.append(style_hash)
    if favourites:
        clauses.append("favourite = 1")
    if group_id is not None:
        clauses.append("group_id = ?")
        args.append(group_id)
    if status is not None:
        if status not in STATUSES:
            raise StoreError(f"status must be one of {', '.join(STATUSES)}, not {status!r}.")
        clauses.append("status = ?")
        args.append(status)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", args


def _check_page(sort: str, content_hash: str | None, style_hash: str | None, limit: int, offset: int) -> None:
    if sort not in SORTS:
        raise StoreError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}.")
    if sort == "score" and not (content_hash and style_hash):
        raise StoreError("Sorting by score compares runs only within one content + style pair; "
                         "choose a content image and a style image first.")
    if limit < 0 or offset < 0:
        raise StoreError("limit and offset must not be negative.")


def _summary(r: dict[str, Any], styles: tuple) -> RunSummary:
    """A summary row (by name) as a RunSummary."""
    return RunSummary(
        id=r["id"], created=r["created"], title=r["title"], status=r["status"], favourite=bool(r["favourite"]),
        content_weight=r["content_weight"], style_weight=r["style_weight"], tv_weight=r["tv_weight"],
        size=r["size"], optimizer=r["optimizer"], width=r["width"], height=r["height"], steps=r["steps"],
        seconds=r["seconds"], loss_total=nan_if_none(r["loss_total"]), score=r["score"], leakage=r["leakage"],
        content_sha256=r["content_sha256"], content_name=r["content_name"], styles=styles,
        group_id=r["group_id"], group_kind=r["group_kind"], group_label=r["group_label"], device=r["device"],
        group_axes=axes_from_json(r["group_axes"]),
    )


def list_runs(conn: sqlite3.Connection, *, content_hash: str | None = None, style_hash: str | None = None,
              favourites: bool = False, group_id: str | None = None, status: str | None = None,
              sort: str = "newest", limit: int = 50, offset: int = 0,
              bounds: dict[str, float] | None = None) -> list[RunSummary]:
    """A page of runs, without images (call inside one read transaction: it takes two queries).

    ``sort``: "newest", "oldest", "fastest" (shortest duration) or "score" (lowest first).
    "score" is only meaningful, and only allowed, within one content + style pair: scores
    are "loss under this studio's objective" and differ in scale between image pairs. It
    orders by the ``score`` column; runs without a score come after, by lowest final loss.
    A scorecard measure's name sorts by it, best first (runs without a scorecard last);
    ``bounds`` keeps only runs whose scorecard is at least that good on each named measure.
    """
    _check_page(sort, content_hash, style_hash, limit, offset)
    where, args = _where(content_hash, style_hash, favourites, group_id, status, bounds)
    rows = named_rows(conn.execute(
        f"SELECT {_SUMMARY_COLUMNS} FROM runs{where} ORDER BY {_ORDER[sort]} LIMIT ? OFFSET ?",
        (*args, int(limit), int(offset))))
    styles = styles_of(conn, [row["id"] for row in rows])
    return [_summary(r, styles.get(r["id"], ())) for r in rows]


def count_runs(conn: sqlite3.Connection, *, content_hash: str | None = None, style_hash: str | None = None,
               favourites: bool = False, group_id: str | None = None, status: str | None = None,
               bounds: dict[str, float] | None = None) -> int:
    where, args = _where(content_hash, style_hash, favourites, group_id, status, bounds)
    return int(conn.execute(f"SELECT COUNT(*) FROM runs{where}", args).fetchone()[0])


def _distinct(conn: sqlite3.Connection, query: str) -> list[StoredImage]:
    return [StoredImage(sha, name, w, h, n, bytes(thumb or b""))
            for sha, name, w, h, n, thumb in conn.execute(query)]


def distinct_contents(conn: sqlite3.Connection) -> list[StoredImage]:
    """Every content image in use, most used first (for the gallery's filter)."""
    return _distinct(conn, (
        "SELECT i.sha256, i.name, i.width, i.height, c.n, i.thumbnail FROM "
        "(SELECT content_sha256 AS sha, COUNT(*) AS n, MAX(created) AS last FROM runs GROUP BY content_sha256) c "
        "JOIN images i ON i.sha256 = c.sha ORDER BY c.n DESC, c.last DESC"))


def distinct_styles(conn: sqlite3.Connection) -> list[StoredImage]:
    """Every style image in use, most used first."""
    return _distinct(conn, (
        "SELECT i.sha256, i.name, i.width, i.height, s.n, i.thumbnail FROM "
        "(SELECT sha256 AS sha, COUNT(DISTINCT run_id) AS n, MAX(run_id) AS last FROM run_styles GROUP BY sha256) s "
        "JOIN images i ON i.sha256 = s.sha ORDER BY s.n DESC, s.last DESC"))


def groups(conn: sqlite3.Connection, kind: str | None = None) -> list[GroupSummary]:
    """Sweeps and method comparisons, newest first."""
    where, args = ("WHERE group_id IS NOT NULL AND group_kind = ?", [kind]) if kind else \
        ("WHERE group_id IS NOT NULL", [])
    return [GroupSummary(gid, gkind, n, created) for gid, gkind, n, created in conn.execute(
        f"SELECT group_id, MAX(group_kind), COUNT(*), MIN(created) FROM runs {where} "
        "GROUP BY group_id ORDER BY MIN(created) DESC", args)]
