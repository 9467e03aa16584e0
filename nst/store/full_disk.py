"""Deleting a run when the disk is completely full, to make room.

On a full disk SQLite cannot open a WAL database at all, not even to read: it must create the
``-shm``/``-wal`` files first ("disk I/O error"). So the gallery could not delete the runs whose
pictures would free the space. ``free_run_files`` reads the database without writing anything
(SQLite's ``immutable`` URI: no lock files) and removes the picture files only this run uses; with
that space free, the normal transactional delete (``Store.delete_run``) runs. A crash between the
two leaves a run whose pictures are missing, which ``nst gallery check`` reports.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from nst.store.db import DB_NAME
from nst.store.files import IMAGES_DIR, image_path
from nst.store.reading import RUN_FILES_QUERY
from nst.store.run_files import free_kept_files

_USED_ELSEWHERE = (
    "SELECT EXISTS (SELECT 1 FROM runs WHERE id != :r AND (content_sha256 = :s OR output_sha256 = :s)) OR "
    "EXISTS (SELECT 1 FROM run_styles WHERE run_id != :r AND sha256 = :s) OR "
    "EXISTS (SELECT 1 FROM run_snapshots WHERE run_id != :r AND sha256 = :s) OR "
    "EXISTS (SELECT 1 FROM run_masks WHERE run_id != :r AND sha256 = :s)")


def free_run_files(data_dir: Path, run_id: int) -> int:
    """Remove the picture files only run ``run_id`` uses; returns how many went."""
    conn = sqlite3.connect(f"file:{data_dir / DB_NAME}?mode=ro&immutable=1", uri=True)
    try:
        shas = [row[0] for row in conn.execute(RUN_FILES_QUERY, {"id": int(run_id)})]
        only_here = [sha for sha in shas if not conn.execute(_USED_ELSEWHERE, {"r": int(run_id), "s": sha}).fetchone()[0]]
        removed = free_kept_files(conn, data_dir / IMAGES_DIR, run_id)  # a print's TIFF first: the biggest
    finally:
        conn.close()
    for sha in only_here:
        try:
            image_path(data_dir / IMAGES_DIR, sha).unlink()
            removed += 1
        except FileNotFoundError:
            continue
    return removed
