"""Which pictures belong to which database: a gallery id written both in the database and in the
images folder (``images/.store-id``), so that a missing, emptied or foreign database never deletes
pictures it does not know about.

Orphan cleanup (``nst.store.upkeep.cleanup_orphans``) deletes image files no row names; that is right
only when the database is the one those files belong to. ``sweep_refusal`` decides on open:

* a fresh gallery (no id anywhere, no pictures): a new id goes into both;
* a gallery made before ids existed (no id anywhere, the database knows pictures): adopted, same;
* the database has no id (missing, emptied to 0 bytes, a new file) but the folder holds pictures
  or an id: nothing is deleted and the refusal says so in one sentence;
* the two ids differ (a database from another gallery): the same refusal.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from pathlib import Path

from nst.store.db import Database

ID_FILE = ".store-id"


def folder_id(images_dir: Path) -> str | None:
    try:
        return (images_dir / ID_FILE).read_text().strip() or None
    except OSError:
        return None


def database_id(conn: sqlite3.Connection) -> str | None:
    row = conn.execute("SELECT id FROM store_identity LIMIT 1").fetchone()
    return row[0] if row else None


def holds_pictures(images_dir: Path) -> int:
    """How many stored pictures (``<shard>/<sha>.png``) the folder holds."""
    count = 0
    for shard in images_dir.iterdir() if images_dir.is_dir() else ():
        if shard.is_dir():
            count += sum(1 for f in shard.iterdir() if f.suffix == ".png")
    return count


def _write_both(db: Database, images_dir: Path, new_id: str) -> None:
    with db.write() as conn:
        conn.execute("INSERT INTO store_identity (id) VALUES (?)", (new_id,))
    partial = images_dir / (ID_FILE + ".partial")
    partial.write_text(new_id + "\n")
    os.replace(partial, images_dir / ID_FILE)


def sweep_refusal(db: Database, images_dir: Path) -> str | None:
    """None when orphan cleanup may run; else the one sentence saying why nothing will be deleted."""
    db_id, dir_id = database_id(db.conn()), folder_id(images_dir)
    if db_id is not None and db_id == dir_id:
        return None
    if db_id is not None and dir_id is None:
        (images_dir / ID_FILE).write_text(db_id + "\n")  # the folder lost its id file: the database is known
        return None
    pictures = holds_pictures(images_dir)
    known = db.conn().execute("SELECT COUNT(*) FROM images").fetchone()[0]
    if db_id is None and dir_id is None and (pictures == 0 or known > 0):
        _write_both(db, images_dir, secrets.token_hex(16))  # a new gallery, or one made before gallery ids
        return None
    return (f"The gallery database {db.path} does not belong to the {pictures} pictures in "
            f"{images_dir} (it is new, emptied or from another gallery), so nothing was deleted; "
            "put the right gallery.sqlite3 back, `nst gallery restore` a backup, or `nst gallery rebuild` "
            "to see them again.")
