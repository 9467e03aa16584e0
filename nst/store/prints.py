"""Reading back what ``nst.store.run_files`` keeps: a run's original photo, and prints and their sources.

Functions over a connection and the images folder, called by :class:`nst.store.Store`'s methods of the
same names; no TensorFlow, no Streamlit.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nst.errors import StoreError
from nst.store.run_files import ORIGINAL_MAX_SIDE, file_path


@dataclass(frozen=True)
class PrintInfo:
    """A print run's full-size file and the run it was made from."""

    run_id: int
    source_run: int | None  # None: made from files, not from a gallery run
    source_exists: bool  # False once the source run was deleted
    path: Path  # the 16-bit TIFF
    nbytes: int
    width: int
    height: int
    dpi: int
    paper: str | None
    fit: str

    def describe(self) -> str:
        sheet = f"{self.paper} at {self.dpi} dpi" if self.paper else f"{self.dpi} dpi"
        return f"{sheet}, {self.width} x {self.height} px, 16-bit TIFF, {self.nbytes / 1024**2:.0f} MB"


def _file(conn: sqlite3.Connection, run_id: int, kind: str) -> tuple[str, str, int, int, int] | None:
    return conn.execute(
        "SELECT sha256, suffix, width, height, nbytes FROM run_files WHERE run_id = ? AND kind = ?",
        (int(run_id), kind)).fetchone()


def original_file(conn: sqlite3.Connection, images_dir: Path, run_id: int) -> bytes | None:
    """The bytes of the original photo kept with run ``run_id`` (None when none was kept)."""
    row = _file(conn, run_id, "original")
    if row is None:
        return None
    path = file_path(images_dir, row[0], row[1])
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise StoreError(f"The original photo of run {run_id} is missing from {path.parent}; "
                         "the gallery folder was changed by hand.") from None


def original_photo(conn: sqlite3.Connection, images_dir: Path, run_id: int) -> np.ndarray | None:
    """The original photo of run ``run_id`` as float32 pixels (at most ``ORIGINAL_MAX_SIDE`` px), or None."""
    data = original_file(conn, images_dir, run_id)
    if data is None:
        return None
    from nst.images import load_image
    from nst.resize import resize_long_side

    pixels = load_image(data, max_side=ORIGINAL_MAX_SIDE).pixels
    return resize_long_side(pixels, ORIGINAL_MAX_SIDE) if max(pixels.shape[:2]) > ORIGINAL_MAX_SIDE else pixels


def original_size(conn: sqlite3.Connection, run_id: int) -> tuple[int, int] | None:
    """(width, height) of the original photo kept with run ``run_id``, or None when none was kept."""
    row = _file(conn, run_id, "original")
    return None if row is None else (int(row[2]), int(row[3]))


def photo_size(conn: sqlite3.Connection, run_id: int) -> tuple[int, int]:
    """(width, height) of the best photo run ``run_id`` has: its original when kept, else its stored photo."""
    kept = original_size(conn, run_id)
    if kept is not None:
        return kept
    found = conn.execute(
        "SELECT images.width, images.height FROM runs JOIN images ON images.sha256 = runs.content_sha256 "
        "WHERE runs.id = ?", (int(run_id),)).fetchone()
    if found is None:
        raise StoreError(f"There is no run {run_id} in the gallery.")
    return int(found[0]), int(found[1])


def print_of(conn: sqlite3.Connection, images_dir: Path, run_id: int) -> PrintInfo | None:
    """The print run ``run_id`` is (its file and source), or None when it is an ordinary run."""
    link = conn.execute(
        "SELECT source_run, paper, dpi, fit, EXISTS (SELECT 1 FROM runs WHERE id = print_links.source_run) "
        "FROM print_links WHERE run_id = ?", (int(run_id),)).fetchone()
    row = _file(conn, run_id, "print")
    if link is None or row is None:
        return None
    source, paper, dpi, fit, exists = link
    return PrintInfo(int(run_id), source, bool(exists), file_path(images_dir, row[0], row[1]), int(row[4]),
                     int(row[2]), int(row[3]), int(dpi), paper, fit)


def prints_of(conn: sqlite3.Connection, images_dir: Path, source_run: int) -> list[PrintInfo]:
    """The prints made from run ``source_run``, newest first."""
    ids = [r[0] for r in conn.execute(
        "SELECT run_id FROM print_links WHERE source_run = ? ORDER BY run_id DESC", (int(source_run),))]
    return [info for info in (print_of(conn, images_dir, i) for i in ids) if info is not None]
