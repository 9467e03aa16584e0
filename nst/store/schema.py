"""The gallery database's schema: forward migrations, one per version (``PRAGMA user_version``).

``MIGRATIONS[i]`` takes the schema from version ``i`` to ``i + 1``. Append only; never edit a
shipped step (``tests/test_store.py`` builds every older version and opens it).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from nst.errors import StoreError


def _execute_script(conn: sqlite3.Connection, script: str) -> None:
    """Run ``;``-separated statements inside the current transaction (``executescript`` would commit)."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


_V1_TABLES = """
        CREATE TABLE images (
            sha256 TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            nbytes INTEGER NOT NULL,
            name TEXT NOT NULL DEFAULT '',
            thumbnail BLOB,
            created REAL NOT NULL
        );
        CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            created REAL NOT NULL,
            title TEXT NOT NULL DEFAULT '',
            notes TEXT NOT NULL DEFAULT '',
            favourite INTEGER NOT NULL DEFAULT 0,
            status TEXT NOT NULL CHECK (status IN ('finished', 'stopped', 'failed')),
            message TEXT NOT NULL DEFAULT '',
            content_weight REAL NOT NULL,
            style_weight REAL NOT NULL,
            tv_weight REAL NOT NULL,
            size INTEGER NOT NULL,
            optimizer TEXT NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            steps INTEGER NOT NULL,
            seconds REAL NOT NULL,
            loss_total REAL,
            loss_content REAL,
            loss_style REAL,
            loss_tv REAL,
            device TEXT NOT NULL DEFAULT '',
            weights_id TEXT NOT NULL DEFAULT '',
            content_sha256 TEXT NOT NULL REFERENCES images(sha256),
            content_name TEXT NOT NULL DEFAULT '',
            output_sha256 TEXT NOT NULL REFERENCES images(sha256),
            params_json TEXT NOT NULL
        );
        CREATE TABLE run_styles (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            sha256 TEXT NOT NULL REFERENCES images(sha256),
            name TEXT NOT NULL DEFAULT '',
            weight REAL NOT NULL,
            PRIMARY KEY (run_id, position)
        );
        CREATE TABLE run_snapshots (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            step INTEGER NOT NULL,
            scale_index INTEGER NOT NULL,
            sha256 TEXT NOT NULL REFERENCES images(sha256),
            losses_json TEXT NOT NULL,
            PRIMARY KEY (run_id, position)
        );
        CREATE TABLE run_details (
            run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
            history_json TEXT NOT NULL,
            extra_json TEXT NOT NULL
        );
        CREATE INDEX runs_created ON runs(created);
        CREATE INDEX runs_content ON runs(content_sha256, created);
        CREATE INDEX runs_output ON runs(output_sha256);
        CREATE INDEX runs_favourite ON runs(favourite, created);
        CREATE INDEX run_styles_sha ON run_styles(sha256, run_id);
        CREATE INDEX run_snapshots_sha ON run_snapshots(sha256);
    """  # byte for byte as shipped (sqlite_master keeps this text)


def _migrate_to_1(conn: sqlite3.Connection) -> None:
    """Version 1: runs, their styles, snapshots and details; content-addressed images."""
    _execute_script(conn, _V1_TABLES)


def _migrate_to_2(conn: sqlite3.Connection) -> None:
    """Version 2: sweep / comparison groups, a per-run score and leakage metric."""
    for column in ("group_id TEXT", "group_kind TEXT", "group_label TEXT", "score REAL", "leakage REAL"):
        conn.execute(f"ALTER TABLE runs ADD COLUMN {column}")
    conn.execute("CREATE INDEX runs_group ON runs(group_id, created)")
    conn.execute("CREATE INDEX runs_content_score ON runs(content_sha256, score)")


def _migrate_to_3(conn: sqlite3.Connection) -> None:
    """Version 3: the masks a run used (a style mask, a detail mask), so a re-run restores them."""
    _execute_script(conn, """
        CREATE TABLE run_masks (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('style', 'detail')),
            sha256 TEXT NOT NULL REFERENCES images(sha256),
            PRIMARY KEY (run_id, kind)
        );
        CREATE INDEX run_masks_sha ON run_masks(sha256);
    """)


def _migrate_to_4(conn: sqlite3.Connection) -> None:
    """Version 4: friends' blind votes on pairs of runs (nst.store.votes); idempotent, so steps may be reordered."""
    _execute_script(conn, """
        CREATE TABLE IF NOT EXISTS votes (
            voter TEXT NOT NULL,
            created REAL NOT NULL,
            run_low INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            run_high INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            outcome TEXT NOT NULL CHECK (outcome IN ('low', 'high', 'tie')),
            PRIMARY KEY (voter, run_low, run_high),
            CHECK (run_low < run_high)
        );
        CREATE INDEX IF NOT EXISTS votes_high ON votes(run_high);
        CREATE INDEX IF NOT EXISTS votes_voter ON votes(voter, created)
    """)


def _migrate_to_5(conn: sqlite3.Connection) -> None:
    """Version 5: each run's scorecard per scorecard version (nst.store.scorecards); idempotent."""
    _execute_script(conn, """
        CREATE TABLE IF NOT EXISTS scorecards (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            version TEXT NOT NULL,
            created REAL NOT NULL,
            measures TEXT NOT NULL,
            PRIMARY KEY (run_id, version)
        )
    """)


def _migrate_to_6(conn: sqlite3.Connection) -> None:
    """Version 6: the gallery's id, also written in images/.store-id (nst.store.identity); idempotent."""
    conn.execute("CREATE TABLE IF NOT EXISTS store_identity (id TEXT NOT NULL)")


def _migrate_to_7(conn: sqlite3.Connection) -> None:
    """Version 7: a sweep cell's axes as data (``group_axes``, a JSON object of the swept fields' values,
    the rows' field first), so the gallery lays a sweep out without parsing labels. Older cells get them
    from their labels, parsed here once (``backfill_group_axes``); idempotent, so steps may be reordered."""
    if "group_axes" not in {row[1] for row in conn.execute("PRAGMA table_info(runs)")}:
        conn.execute("ALTER TABLE runs ADD COLUMN group_axes TEXT")
    backfill_group_axes(conn)


# How sweeps labelled their cells up to schema 6 ("style_weight=10 · content_weight=2"); frozen with step 7.
_LABEL_PART = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.+?)\s*$")


def _axes_of_label(label: str) -> dict[str, Any]:
    """The axes a label of that form names, in its order ({} when it is not of that form, e.g. a method name)."""
    axes: dict[str, Any] = {}
    for part in filter(None, re.split(r"\s*[·;,]\s*", label)):
        match = _LABEL_PART.match(part)
        if not match:
            return {}
        key, raw = match.groups()
        try:
            axes[key] = float(raw)
        except ValueError:
            axes[key] = raw
    return axes


def backfill_group_axes(conn: sqlite3.Connection) -> None:
    """Give every group cell saved without axes the axes its label names (rows put back from old manifests too)."""
    rows = conn.execute("SELECT id, group_label FROM runs WHERE group_id IS NOT NULL AND group_axes IS NULL "
                        "AND group_label IS NOT NULL").fetchall()
    for run_id, label in rows:
        axes = _axes_of_label(label)
        if axes:
            conn.execute("UPDATE runs SET group_axes = ? WHERE id = ?", (json.dumps(axes), run_id))


def _migrate_to_8(conn: sqlite3.Connection) -> None:
    """Version 8: the best moment of a run (nst.store.moments): the scorecard of each of its final scale's
    snapshots per scorecard version, and the snapshot the user keeps as the run's picture; idempotent."""
    _execute_script(conn, """
        CREATE TABLE IF NOT EXISTS moment_scorecards (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            version TEXT NOT NULL,
            step INTEGER NOT NULL,
            measures TEXT NOT NULL,
            PRIMARY KEY (run_id, version, step)
        );
        CREATE TABLE IF NOT EXISTS kept_moments (
            run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
            step INTEGER NOT NULL,
            created REAL NOT NULL
        )
    """)


def _migrate_to_9(conn: sqlite3.Connection) -> None:
    """The kept-files step (#26): files kept beside a run that are not its 8-bit pictures (the original
    photo, a print's 16-bit TIFF: nst.store.run_files), and a print's link to the run it was made from (a
    plain id, not a foreign key: a print keeps saying where it came from). Version 9; idempotent."""
    _execute_script(conn, """
        CREATE TABLE IF NOT EXISTS run_files (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('original', 'print')),
            sha256 TEXT NOT NULL,
            suffix TEXT NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            nbytes INTEGER NOT NULL,
            PRIMARY KEY (run_id, kind)
        );
        CREATE INDEX IF NOT EXISTS run_files_sha ON run_files(sha256);
        CREATE TABLE IF NOT EXISTS print_links (
            run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
            source_run INTEGER,
            paper TEXT,
            dpi INTEGER NOT NULL,
            fit TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS print_links_source ON print_links(source_run)
    """)


# MIGRATIONS[i] takes the schema from version i to i + 1. Append only; never edit a shipped step.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_migrate_to_1, _migrate_to_2, _migrate_to_3,
                                                                _migrate_to_4, _migrate_to_5, _migrate_to_6,
                                                                _migrate_to_7, _migrate_to_8, _migrate_to_9)
MASK_KINDS = ("style", "detail")
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(conn: sqlite3.Connection, data_dir: Path) -> None:
    """Move the schema forward to ``SCHEMA_VERSION``; call holding the write lock (BEGIN IMMEDIATE).

    Reads the version again under the lock, because another process may have migrated meanwhile.
    A database from a newer studio is refused and left untouched.
    """
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"The gallery in {data_dir} was written by a newer version of the studio "
            f"(schema {version}, this one knows {SCHEMA_VERSION}); upgrade the studio to open it."
        )
    for step in range(version, SCHEMA_VERSION):
        MIGRATIONS[step](conn)
        conn.execute(f"PRAGMA user_version = {step + 1}")
