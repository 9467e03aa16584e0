"""Changing and removing runs: labels, deletion, orphan cleanup and the health check.

Deletion follows docs/store.md rule A: a file goes only while holding the write lock and only
when no ``images`` row names it, after the transaction that removed its last reference.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

from nst.edges import check_notes, check_title
from nst.store.db import Database, damaged_database, missing_run
from nst.store.files import image_path, remove_files_if_unreferenced, stale_files
from nst.store.identity import holds_pictures
from nst.store.manifests import manifest_path
from nst.store.reading import RUN_FILES_QUERY
from nst.store.run_files import files_of, remove_unreferenced, sweep_orphans
from nst.store.records import CleanupReport
from nst.store.saving import real_or_none

log = logging.getLogger("nst")

GRACE_SECONDS = 600.0  # orphan files younger than this may belong to a save in flight
_UNREFERENCED_IMAGES = (
    "DELETE FROM images WHERE sha256 NOT IN (SELECT content_sha256 FROM runs "
    "UNION SELECT output_sha256 FROM runs UNION SELECT sha256 FROM run_styles "
    "UNION SELECT sha256 FROM run_snapshots UNION SELECT sha256 FROM run_masks)")


def _referenced(conn: sqlite3.Connection, sha: str) -> bool:
    return conn.execute(
        "SELECT EXISTS (SELECT 1 FROM runs WHERE content_sha256 = :s) OR "
        "EXISTS (SELECT 1 FROM runs WHERE output_sha256 = :s) OR "
        "EXISTS (SELECT 1 FROM run_styles WHERE sha256 = :s) OR "
        "EXISTS (SELECT 1 FROM run_snapshots WHERE sha256 = :s) OR "
        "EXISTS (SELECT 1 FROM run_masks WHERE sha256 = :s)", {"s": sha}).fetchone()[0] == 1


def update_run(db: Database, run_id: int, column: str, value: Any) -> None:
    """Set one ``runs`` column of run ``run_id`` (``column`` comes from this package, never from a user)."""
    try:
        with db.write() as conn:
            changed = conn.execute(f"UPDATE runs SET {column} = ? WHERE id = ?", (value, int(run_id))).rowcount
    except sqlite3.Error as error:
        raise db.error(f"update run {run_id}", error) from None
    if not changed:
        raise missing_run(run_id)


def rename(db: Database, run_id: int, title: str) -> None:
    update_run(db, run_id, "title", check_title(str(title).strip()))


def set_notes(db: Database, run_id: int, notes: str) -> None:
    update_run(db, run_id, "notes", check_notes(str(notes)))


def set_favourite(db: Database, run_id: int, favourite: bool) -> None:
    update_run(db, run_id, "favourite", int(bool(favourite)))


def set_score(db: Database, run_id: int, score: float | None) -> None:
    """The run's score under the studio's fixed objective (``nst.score``), lower is better."""
    update_run(db, run_id, "score", real_or_none(score))


def set_leakage(db: Database, run_id: int, leakage: float | None) -> None:
    update_run(db, run_id, "leakage", real_or_none(leakage))


def delete_run(db: Database, images_dir: Path, run_id: int) -> None:
    """Delete a run and every file no other run uses (shared inputs stay)."""
    try:
        with db.write() as conn:
            shas = [row[0] for row in conn.execute(RUN_FILES_QUERY, {"id": int(run_id)})]
            kept_files = files_of(conn, run_id)  # its original photo, its print (nst.store.run_files)
            if not conn.execute("DELETE FROM runs WHERE id = ?", (int(run_id),)).rowcount:
                raise missing_run(run_id)
            dead = [sha for sha in shas if not _referenced(conn, sha)]
            conn.executemany("DELETE FROM images WHERE sha256 = ?", [(sha,) for sha in dead])
        # Committed: the run is gone. Its files go now (a crash here leaves orphans for cleanup).
        manifest_path(images_dir, run_id).unlink(missing_ok=True)
        remove_files_if_unreferenced(db, images_dir, dead)
        remove_unreferenced(db, images_dir, kept_files)
    except sqlite3.Error as error:
        raise db.error(f"delete run {run_id}", error) from None
    except OSError as error:
        log.warning("run %s deleted but its files could not all be removed: %s", run_id, error)


def cleanup_orphans(db: Database, images_dir: Path, grace_seconds: float, refusal: str | None) -> CleanupReport:
    """Remove what a crash can leave behind: unreferenced image rows, files and temp files.

    Files younger than ``grace_seconds`` are kept, since another process may be saving a run that
    will reference them. Nothing is removed while ``refusal`` (nst.store.identity) says the database
    is not the one these pictures belong to. Best effort: never raises for a file it cannot remove.
    """
    if refusal:
        log.warning("gallery cleanup skipped: %s", refusal)
        return CleanupReport()
    try:
        with db.write() as conn:
            orphan_rows = conn.execute(_UNREFERENCED_IMAGES).rowcount
        known = {row[0] for row in db.conn().execute("SELECT sha256 FROM images")}
    except sqlite3.Error as error:
        if isinstance(error, sqlite3.DatabaseError) and "malformed" in str(error).lower():
            raise damaged_database(db.path, error) from None  # reading on would show a gallery with holes
        log.warning("gallery cleanup skipped: %s", error)
        return CleanupReport()
    candidates, temp_files = stale_files(images_dir, time.time() - grace_seconds, known)
    try:
        orphan_files = remove_files_if_unreferenced(db, images_dir, candidates)
        orphan_files += sweep_orphans(db, images_dir, time.time() - grace_seconds)  # originals, prints no run names
    except (OSError, sqlite3.Error) as error:
        log.warning("gallery cleanup could not remove orphan files: %s", error)
        orphan_files = 0
    report = CleanupReport(orphan_files=orphan_files, temp_files=temp_files, orphan_rows=orphan_rows)
    if orphan_files or temp_files or orphan_rows:
        log.info("gallery cleanup: %s", report)
    return report


def integrity_check(conn: sqlite3.Connection) -> str:
    """SQLite's ``PRAGMA integrity_check`` ("ok" when healthy)."""
    return "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))


def health(db: Database, images_dir: Path, refusal: str | None) -> dict[str, Any]:
    """What ``gallery check`` reports: SQLite's integrity check, runs, pictures the database names but
    the folder lacks, pictures the folder holds, and ownership (``refusal``, nst.store.identity)."""
    conn = db.conn()
    integrity = integrity_check(conn)
    known = [row[0] for row in conn.execute("SELECT sha256 FROM images")]
    missing = [sha for sha in known if not image_path(images_dir, sha).is_file()]
    runs = conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0]
    return {"database": str(db.path), "integrity": integrity, "runs": int(runs), "images_known": len(known),
            "images_missing": missing, "pictures_on_disk": holds_pictures(images_dir), "sweep_refusal": refusal,
            "ok": integrity == "ok" and not missing and refusal is None}
