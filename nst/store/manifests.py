"""A small JSON manifest beside each run's pictures, so a lost database can be rebuilt.

The stored PNGs are bare pixels named by hash: without the database nothing says which run they
belong to. After each save the run's rows (the run, its styles, snapshots, masks, details and the
image rows it names, thumbnails left out) go to ``images/manifests/<run id>.json``; deleting the run
deletes it. ``nst gallery rebuild`` (``rebuild_from_manifests``) puts the rows of every manifest whose
pictures are all present back into a fresh database, keeping run ids, and remakes thumbnails from the
pictures; for galleries made before manifests it cannot know the runs, and says how many pictures it
could not place.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from nst.store.files import thumbnail
from nst.store.identity import database_id, folder_id

MANIFESTS = "manifests"
FORMAT = "nst-run-manifest-1"
_CHILD_TABLES = ("run_styles", "run_snapshots", "run_masks", "run_details", "scorecards", "run_files", "print_links")
_IMAGE_COLUMNS = ("sha256", "role", "width", "height", "nbytes", "name", "created")


def manifest_path(images_dir: Path, run_id: int) -> Path:
    return images_dir / MANIFESTS / f"{int(run_id)}.json"


def _rows(conn: sqlite3.Connection, query: str, args: tuple) -> list[dict[str, Any]]:
    cursor = conn.execute(query, args)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def write_manifest(conn: sqlite3.Connection, images_dir: Path, run_id: int, image_shas: list[str]) -> None:
    """Write run ``run_id``'s manifest (atomically); best effort is the caller's choice."""
    data: dict[str, Any] = {"format": FORMAT, "runs": _rows(conn, "SELECT * FROM runs WHERE id = ?", (run_id,))}
    for table in _CHILD_TABLES:
        data[table] = _rows(conn, f"SELECT * FROM {table} WHERE run_id = ?", (run_id,))
    marks = ",".join("?" * len(image_shas))
    data["images"] = _rows(conn, f"SELECT {', '.join(_IMAGE_COLUMNS)} FROM images WHERE sha256 IN ({marks})",
                           tuple(image_shas)) if image_shas else []
    path = manifest_path(images_dir, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data))
    os.replace(partial, path)


def _insert(conn: sqlite3.Connection, table: str, rows: list[dict[str, Any]], verb: str = "INSERT") -> None:
    for row in rows:
        conn.execute(f"{verb} INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                     tuple(row.values()))


def rebuild_from_manifests(store: Any) -> dict[str, int]:
    """Put every manifest's run back (its pictures must all be present); returns what was done."""
    folder = store.images_dir / MANIFESTS
    restored = skipped = 0
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        data = json.loads(path.read_text())
        if data.get("format") != FORMAT or not data.get("runs"):
            skipped += 1
            continue
        if any(not store.image_path(img["sha256"]).is_file() for img in data["images"]):
            skipped += 1
            continue
        with store._write() as conn:
            if conn.execute("SELECT 1 FROM runs WHERE id = ?", (data["runs"][0]["id"],)).fetchone():
                continue  # already in the database
            for img in data["images"]:
                with Image.open(store.image_path(img["sha256"])) as picture:
                    thumb = thumbnail(np.asarray(picture.convert("RGB")))
                _insert(conn, "images", [{**img, "thumbnail": thumb}], "INSERT OR IGNORE")
            _insert(conn, "runs", data["runs"])
            for table in _CHILD_TABLES:
                _insert(conn, table, data.get(table, []))
        restored += 1
    _adopt_folder_id(store)
    return {"restored": restored, "skipped": skipped}


def _adopt_folder_id(store: Any) -> None:
    """A rebuilt database belongs to the pictures it was rebuilt from: give it the folder's gallery id."""
    dir_id = folder_id(store.images_dir)
    with store._write() as conn:
        if dir_id and database_id(conn) is None:
            conn.execute("INSERT INTO store_identity (id) VALUES (?)", (dir_id,))
