"""Each run's scorecard (``nst.scorecard``), kept per scorecard version and removed with its run.

Scorecards are computed after a run is saved (the job worker, ``stylize --save``) or later by
``nst gallery rescore``; a new ``SCORECARD_VERSION`` makes every stored one count as missing, so
rescoring fills them in again. Functions over the gallery's database (``nst.store.db``), called
through :class:`nst.store.Store`; no TensorFlow here.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

from nst.errors import StoreError
from nst.scorecard_measures import MEASURES, SCORECARD_VERSION
from nst.store.db import Database


def save_scorecard(db: Database, run_id: int, card: dict[str, Any]) -> None:
    """Keep ``card`` (``{"version", measure: value ...}``) for ``run_id``, replacing one of the same version."""
    measures = {name: float(card[name]) for name in MEASURES}
    try:
        with db.write() as conn:
            conn.execute("INSERT OR REPLACE INTO scorecards (run_id, version, created, measures) VALUES (?, ?, ?, ?)",
                         (int(run_id), str(card["version"]), time.time(), json.dumps(measures)))
    except sqlite3.IntegrityError:
        raise StoreError(f"Run {run_id} is no longer in the gallery; its scorecard was not kept.") from None
    except sqlite3.Error as error:
        raise db.error("keep a scorecard", error) from None


def scorecards_of(conn: sqlite3.Connection, run_ids: Sequence[int],
                  version: str = SCORECARD_VERSION) -> dict[int, dict[str, Any]]:
    """``{run id: {"version", measure: value ...}}`` for the runs that have a scorecard of ``version``."""
    ids = [int(i) for i in run_ids]
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    rows = conn.execute(f"SELECT run_id, measures FROM scorecards WHERE version = ? AND run_id IN ({marks})",
                        (version, *ids)).fetchall()
    return {int(run_id): {"version": version, **json.loads(measures)} for run_id, measures in rows}


def runs_without_scorecard(conn: sqlite3.Connection, version: str = SCORECARD_VERSION) -> list[int]:
    """Runs with a picture (not failed) and no scorecard of ``version`` (oldest first): what ``gallery rescore`` fills in."""
    rows = conn.execute(
        "SELECT id FROM runs WHERE status != 'failed' AND id NOT IN "
        "(SELECT run_id FROM scorecards WHERE version = ?) ORDER BY id", (version,)).fetchall()
    return [int(r[0]) for r in rows]
