"""The best moment of each run, kept: its final scale's scorecards and the moment the user keeps.

A run's *moments* are the snapshots of its final scale at the output's size (not the one identical to
the final image) and then the final image. Each snapshot's scorecard is measured after the save
(``nst.rescore``: the job worker, ``stylize --save``, ``gallery rescore``) and kept here per
scorecard version (table ``moment_scorecards``); the final image's is the run's own scorecard
(``nst.store.scorecards``). The suggestion is the pure rule of ``nst.best_moment`` applied when read,
so a new rule needs no measuring again.

The moment the user keeps (table ``kept_moments``; no row: the final image) is the run's picture: the
gallery's card thumbnail, the run page, the compare view, downloads and ``gallery export``. The final
image and every snapshot stay kept. Functions over the gallery's database (``nst.store.db``) and images
folder, called through :class:`nst.store.Store`; no TensorFlow here.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nst.best_moment import Moment, Suggestion, suggest, suggestion_dict
from nst.encode import from_uint8
from nst.errors import StoreError
from nst.scorecard_measures import MEASURES, SCORECARD_VERSION
from nst.store.db import Database, missing_run
from nst.store.files import read_image, thumbnail
from nst.store.reading import output_image, run_column, thumbnails
from nst.store.scorecards import scorecards_of

# the final scale's snapshots at the output's size, other than the final image itself, in time order
_CANDIDATES = """
    SELECT s.run_id, s.step, s.sha256 FROM run_snapshots s
    JOIN runs r ON r.id = s.run_id JOIN images i ON i.sha256 = s.sha256
    WHERE s.run_id IN ({marks}) AND i.width = r.width AND i.height = r.height AND s.sha256 != r.output_sha256
      AND s.scale_index = (SELECT MAX(scale_index) FROM run_snapshots WHERE run_id = s.run_id)
    ORDER BY s.run_id, s.position"""


@dataclass(frozen=True)
class RunMoments:
    """What the run page and the JSON show: the moments with their scorecards, the suggestion, the choice."""

    run_id: int
    candidates: tuple[int, ...]  # steps of the snapshots that can be kept
    moments: tuple[Moment, ...]  # measured ones only; empty until the run and its snapshots are scored
    suggestion: Suggestion | None
    kept_step: int | None  # None: the final image

    def to_dict(self, *, with_moments: bool = True) -> dict[str, Any]:
        data: dict[str, Any] = {"kept": {"step": self.kept_step, "final": self.kept_step is None},
                                "suggested": suggestion_dict(self.moments, self.suggestion)}
        if with_moments:
            data["moments"] = [{"step": m.step, "scorecard": dict(m.card)} for m in self.moments]
        return data


def _chunks(ids: Sequence[int]) -> list[list[int]]:
    ids = [int(i) for i in ids]
    return [ids[start:start + 500] for start in range(0, len(ids), 500)]


def _marks(chunk: Sequence[int]) -> str:
    return ",".join("?" * len(chunk))


def candidates_of(conn: sqlite3.Connection, run_ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
    """``{run id: [(step, sha256) ...]}``: the snapshots each run could keep instead of its final image."""
    out: dict[int, list[tuple[int, str]]] = {}
    for chunk in _chunks(run_ids):
        for run_id, step, sha in conn.execute(_CANDIDATES.format(marks=_marks(chunk)), chunk).fetchall():
            out.setdefault(int(run_id), []).append((int(step), str(sha)))
    return out


def save_moment_scorecards(db: Database, run_id: int, cards: Mapping[int, Mapping[str, Any]]) -> None:
    """Keep the scorecard of each snapshot step (``{step: {"version", measure ...}}``) of ``run_id``."""
    rows = [(int(run_id), str(card["version"]), int(step), json.dumps({m: float(card[m]) for m in MEASURES}))
            for step, card in cards.items()]
    try:
        with db.write() as conn:
            conn.executemany("INSERT OR REPLACE INTO moment_scorecards (run_id, version, step, measures) "
                             "VALUES (?, ?, ?, ?)", rows)
    except sqlite3.IntegrityError:
        raise StoreError(f"Run {run_id} is no longer in the gallery; its moments' scorecards were not kept.") from None
    except sqlite3.Error as error:
        raise db.error("keep the moments' scorecards", error) from None


def _moment_cards(conn: sqlite3.Connection, run_ids: Sequence[int], version: str) -> dict[int, dict[int, dict[str, Any]]]:
    out: dict[int, dict[int, dict[str, Any]]] = {}
    for chunk in _chunks(run_ids):
        rows = conn.execute(f"SELECT run_id, step, measures FROM moment_scorecards WHERE version = ? AND run_id IN "
                            f"({_marks(chunk)})", (version, *chunk)).fetchall()
        for run_id, step, measures in rows:
            out.setdefault(int(run_id), {})[int(step)] = {"version": version, **json.loads(measures)}
    return out


def runs_without_moment_scorecards(conn: sqlite3.Connection, version: str = SCORECARD_VERSION) -> list[int]:
    """Runs with a snapshot that could be kept and has no scorecard of ``version`` (for ``gallery rescore``)."""
    ids = [int(r[0]) for r in conn.execute("SELECT id FROM runs WHERE status != 'failed' ORDER BY id")]
    cards = _moment_cards(conn, ids, version)
    return [run_id for run_id, snaps in candidates_of(conn, ids).items()
            if any(step not in cards.get(run_id, {}) for step, _ in snaps)]


def kept_steps(conn: sqlite3.Connection, run_ids: Sequence[int]) -> dict[int, int]:
    """``{run id: kept step}`` for the runs that keep a snapshot instead of their final image."""
    out: dict[int, int] = {}
    for chunk in _chunks(run_ids):
        out.update((int(r), int(s)) for r, s in conn.execute(
            f"SELECT run_id, step FROM kept_moments WHERE run_id IN ({_marks(chunk)})", chunk))
    return out


def run_moments(conn: sqlite3.Connection, run_ids: Sequence[int],
                version: str = SCORECARD_VERSION) -> dict[int, RunMoments]:
    """Each run's moments, suggestion and choice; a run is measured only when the run and every snapshot are."""
    ids = [int(i) for i in run_ids]
    finals, cards = scorecards_of(conn, ids, version), _moment_cards(conn, ids, version)
    candidates, kept = candidates_of(conn, ids), kept_steps(conn, ids)
    out = {}
    for run_id in ids:
        steps = tuple(step for step, _ in candidates.get(run_id, []))
        measured = run_id in finals and all(step in cards.get(run_id, {}) for step in steps)
        moments = tuple([Moment(step, cards[run_id][step]) for step in steps] + [Moment(None, finals[run_id])]) \
            if measured else ()
        out[run_id] = RunMoments(run_id, steps, moments, suggest(moments), kept.get(run_id))
    return out


def keep_moment(db: Database, images_dir: Path, run_id: int, step: int | None) -> None:
    """Make snapshot ``step`` of the final scale the run's picture (``None``: the final image again)."""
    run_id = int(run_id)
    run_column(db.conn(), run_id, "id")  # a missing run is one sentence
    if step is None:
        with db.write() as conn:
            conn.execute("DELETE FROM kept_moments WHERE run_id = ?", (run_id,))
        return
    snaps = dict(candidates_of(db.conn(), [run_id]).get(run_id, []))
    if int(step) not in snaps:
        choices = ", ".join(str(s) for s in snaps) or "none"
        raise StoreError(f"Run {run_id} has no snapshot of its final scale at step {step} to keep "
                         f"(its steps: {choices}; or keep the final image).")
    sha = snaps[int(step)]
    thumb = thumbnail(read_image(images_dir, sha, f"snapshot {step} of run {run_id}"))  # encoded before the lock
    try:
        with db.write() as conn:
            conn.execute("UPDATE images SET thumbnail = ? WHERE sha256 = ? AND thumbnail IS NULL", (thumb, sha))
            conn.execute("INSERT OR REPLACE INTO kept_moments (run_id, step, created) VALUES (?, ?, ?)",
                         (run_id, int(step), time.time()))
    except sqlite3.IntegrityError:
        raise missing_run(run_id) from None
    except sqlite3.Error as error:
        raise db.error(f"keep a moment of run {run_id}", error) from None


def _kept_shas(conn: sqlite3.Connection, run_ids: Sequence[int]) -> dict[int, str]:
    out: dict[int, str] = {}
    for chunk in _chunks(run_ids):
        out.update((int(r), str(sha)) for r, sha in conn.execute(
            "SELECT k.run_id, s.sha256 FROM kept_moments k JOIN run_snapshots s ON s.run_id = k.run_id "
            f"AND s.step = k.step WHERE k.run_id IN ({_marks(chunk)})", chunk))
    return out


def kept_image(conn: sqlite3.Connection, images_dir: Path, run_id: int) -> np.ndarray:
    """The run's picture: the kept snapshot, or the final image (float32 H x W x 3 in [0, 1])."""
    sha = _kept_shas(conn, [run_id]).get(int(run_id))
    if sha is None:
        return output_image(conn, images_dir, run_id)
    return from_uint8(read_image(images_dir, sha, f"kept moment of run {run_id}"))


def picture_thumbnails(conn: sqlite3.Connection, images_dir: Path, run_ids: Sequence[int]) -> dict[int, bytes]:
    """The gallery cards' thumbnails: of the kept moment where a run keeps one, else of the final image."""
    thumbs = thumbnails(conn, images_dir, run_ids)
    for run_id, sha in _kept_shas(conn, run_ids).items():
        row = conn.execute("SELECT thumbnail FROM images WHERE sha256 = ?", (sha,)).fetchone()
        thumbs[run_id] = bytes(row[0]) if row and row[0] is not None else \
            thumbnail(read_image(images_dir, sha, f"kept moment of run {run_id}"))
    return thumbs
