"""A small JSON manifest beside each run's pictures, so a lost database can be rebuilt.

The stored PNGs are bare pixels named by hash: without the database nothing says which run they
belong to. After each save the run's rows (the run, its styles, snapshots, masks, details and the
image rows it names, thumbnails left out) go to ``images/manifests/<run id>.json``; deleting the run
deletes it. ``nst gallery rebuild`` (``rebuild_from_manifests``) puts the rows of every manifest whose
pictures are all present back into a fresh database, keeping run ids, and remakes thumbnails from the
pictures. Galleries made before manifests (issue #18) left no record of which picture was a run's
output, photo, painting, snapshot or mask: every picture no manifest places comes back as an untitled
run of its own (``recover_unplaced``), marked in its message, so nothing is lost and the user deletes
what they do not want.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from nst.params import StyleParams
from nst.store.db import Database, named_rows
from nst.store.files import image_path, thumbnail
from nst.store.identity import database_id, folder_id
from nst.store.schema import backfill_group_axes

MANIFESTS = "manifests"
FORMAT = "nst-run-manifest-1"
_CHILD_TABLES = ("run_styles", "run_snapshots", "run_masks", "run_details", "scorecards", "run_files", "print_links")
_IMAGE_COLUMNS = ("sha256", "role", "width", "height", "nbytes", "name", "created")
_PICTURE_NAME = re.compile(r"[0-9a-f]{64}")
RECOVERED_MESSAGE = ("recovered by `nst gallery rebuild` from a gallery made before manifests: the photo, "
                     "painting and settings that made this picture are not known")


def manifest_path(images_dir: Path, run_id: int) -> Path:
    return images_dir / MANIFESTS / f"{int(run_id)}.json"


def write_manifest(conn: sqlite3.Connection, images_dir: Path, run_id: int, image_shas: list[str]) -> None:
    """Write run ``run_id``'s manifest (atomically); best effort is the caller's choice."""
    runs = named_rows(conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)))
    data: dict[str, Any] = {"format": FORMAT, "runs": runs}
    for table in _CHILD_TABLES:
        data[table] = named_rows(conn.execute(f"SELECT * FROM {table} WHERE run_id = ?", (run_id,)))
    marks = ",".join("?" * len(image_shas))
    query = f"SELECT {', '.join(_IMAGE_COLUMNS)} FROM images WHERE sha256 IN ({marks})"
    data["images"] = named_rows(conn.execute(query, tuple(image_shas))) if image_shas else []
    path = manifest_path(images_dir, run_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(data))
    os.replace(partial, path)


def _insert(conn: sqlite3.Connection, table: str, rows: list[dict[str, Any]], verb: str = "INSERT") -> None:
    for row in rows:
        conn.execute(f"{verb} INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                     tuple(row.values()))


def rebuild_from_manifests(db: Database, images_dir: Path) -> dict[str, int]:
    """Put every manifest's run back (its pictures must all be present); returns what was done."""
    folder = images_dir / MANIFESTS
    restored = skipped = 0
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else ():
        data = json.loads(path.read_text())
        if data.get("format") != FORMAT or not data.get("runs"):
            skipped += 1
            continue
        if any(not image_path(images_dir, img["sha256"]).is_file() for img in data["images"]):
            skipped += 1
            continue
        with db.write() as conn:
            if conn.execute("SELECT 1 FROM runs WHERE id = ?", (data["runs"][0]["id"],)).fetchone():
                continue  # already in the database
            for img in data["images"]:
                with Image.open(image_path(images_dir, img["sha256"])) as picture:
                    thumb = thumbnail(np.asarray(picture.convert("RGB")))
                _insert(conn, "images", [{**img, "thumbnail": thumb}], "INSERT OR IGNORE")
            _insert(conn, "runs", data["runs"])
            for table in _CHILD_TABLES:
                _insert(conn, table, data.get(table, []))
            backfill_group_axes(conn)  # a manifest from before schema 7 names its sweep axes in the label only
        restored += 1
    recovered = recover_unplaced(db, images_dir)
    _adopt_folder_id(db, images_dir)
    return {"restored": restored, "skipped": skipped, "recovered": recovered}


def _unplaced_pictures(conn: sqlite3.Connection, images_dir: Path) -> list[Path]:
    """Stored pictures (``<shard>/<sha256>.png``) that no ``images`` row names, oldest first."""
    known = {row[0] for row in conn.execute("SELECT sha256 FROM images")}
    found = [path for path in images_dir.glob("*/*.png")
             if _PICTURE_NAME.fullmatch(path.stem) and path.parent.name == path.stem[:2] and path.stem not in known]
    return sorted(found, key=lambda path: (path.stat().st_mtime, path.name))


def _recovered_rows(path: Path, pixels: np.ndarray) -> tuple[dict[str, Any], dict[str, Any]]:
    """The ``images`` and ``runs`` rows of one picture put back as an untitled run of its own."""
    height, width = pixels.shape[:2]
    created = path.stat().st_mtime
    image = {"sha256": path.stem, "role": "output", "width": width, "height": height,
             "nbytes": path.stat().st_size, "name": "", "thumbnail": thumbnail(pixels), "created": created}
    params = StyleParams(size=max(64, min(max(width, height), 8192)))
    run = {"created": created, "title": "", "status": "finished", "message": RECOVERED_MESSAGE,
           "content_weight": params.content_weight, "style_weight": params.style_weight,
           "tv_weight": params.tv_weight, "size": params.size, "optimizer": params.optimizer,
           "width": width, "height": height, "steps": 0, "seconds": 0.0, "content_sha256": path.stem,
           "content_name": "", "output_sha256": path.stem, "params_json": json.dumps(params.to_dict())}
    return image, run


def recover_unplaced(db: Database, images_dir: Path) -> int:
    """Put every picture no manifest placed back as an untitled run (with a manifest of its own)."""
    recovered = 0
    for path in _unplaced_pictures(db.conn(), images_dir):
        try:
            with Image.open(path) as picture:
                pixels = np.asarray(picture.convert("RGB"))
        except OSError:
            continue  # not a picture after all: leave the file alone
        image, run = _recovered_rows(path, pixels)
        with db.write() as conn:
            _insert(conn, "images", [image], "INSERT OR IGNORE")
            run_id = conn.execute(f"INSERT INTO runs ({', '.join(run)}) VALUES ({', '.join('?' * len(run))})",
                                  tuple(run.values())).lastrowid
            conn.execute("INSERT INTO run_details (run_id, history_json, extra_json) VALUES (?, '[]', '{}')",
                         (run_id,))
            write_manifest(conn, images_dir, int(run_id), [path.stem])
        recovered += 1
    return recovered


def _adopt_folder_id(db: Database, images_dir: Path) -> None:
    """A rebuilt database belongs to the pictures it was rebuilt from: give it the folder's gallery id."""
    dir_id = folder_id(images_dir)
    with db.write() as conn:
        if dir_id and database_id(conn) is None:
            conn.execute("INSERT INTO store_identity (id) VALUES (?)", (dir_id,))
