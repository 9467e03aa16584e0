"""A consistent copy of the gallery, and putting one back: ``nst gallery backup DIR`` / ``restore DIR``.

The database is copied with SQLite's online backup API (``Connection.backup``), so a backup taken
while the studio saves runs is a consistent snapshot; the picture files are content-addressed and
never change once written, so copying the ones the snapshot names (plus the gallery id) after it is
enough. Restoring copies the pictures first, then the database back the same way: the gallery is the
backup's again, and pictures saved since become orphans of the same gallery (removed after the grace
period, like any crash's leftovers).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

from nst.errors import StoreError, describe_os_error
from nst.store.db import DB_NAME, Database
from nst.store.files import IMAGES_DIR, image_path
from nst.store.identity import ID_FILE
from nst.store.run_files import kept_file_names


def _copy_database(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def _copy_pictures(from_images: Path, to_images: Path, names: list[Path]) -> int:
    copied = 0
    for relative in names:  # inside images/: a picture, or a kept file (nst.store.run_files)
        source, target = from_images / relative, to_images / relative
        if target.is_file() or not source.is_file():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target.with_suffix(".partial"))
        os.replace(target.with_suffix(".partial"), target)
        copied += 1
    if (from_images / ID_FILE).is_file():
        shutil.copy2(from_images / ID_FILE, to_images / ID_FILE)
    return copied


def _names(db_path: Path) -> list[Path]:
    """Every file the database names, relative to ``images/``."""
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return ([image_path(Path(), row[0]) for row in conn.execute("SELECT sha256 FROM images")]
                + [Path(name) for name in kept_file_names(conn)])
    finally:
        conn.close()


def backup_gallery(db: Database, images_dir: Path, folder: Path) -> dict[str, Any]:
    """Copy the gallery into ``folder`` (created; refused when it already holds a gallery)."""
    target_db = folder / DB_NAME
    if target_db.exists():
        raise StoreError(f"{folder} already holds a gallery backup; choose an empty folder.")
    try:
        (folder / IMAGES_DIR).mkdir(parents=True, exist_ok=True)
        _copy_database(db.path, target_db)
        pictures = _copy_pictures(images_dir, folder / IMAGES_DIR, _names(target_db))
    except (OSError, sqlite3.Error) as error:
        detail = describe_os_error(error) if isinstance(error, OSError) else str(error)
        raise StoreError(f"Cannot back the gallery up into {folder}: {detail}.") from None
    return {"backup": str(folder), "pictures": pictures}


def restore_gallery(db: Database, images_dir: Path, folder: Path) -> dict[str, Any]:
    """Make the gallery ``folder``'s backup again (pictures first, then the database)."""
    source_db = folder / DB_NAME
    if not source_db.is_file():
        raise StoreError(f"{folder} holds no gallery backup ({DB_NAME} is missing).")
    try:
        pictures = _copy_pictures(folder / IMAGES_DIR, images_dir, _names(source_db))
        db.close()
        _copy_database(source_db, db.path)
    except (OSError, sqlite3.Error) as error:
        detail = describe_os_error(error) if isinstance(error, OSError) else str(error)
        raise StoreError(f"Cannot restore the gallery from {folder}: {detail}.") from None
    return {"restored": str(folder), "pictures": pictures}
