"""Files kept beside a run that are not its 8-bit pictures: the photo as the person gave it, and a print.

* ``original``: the photo's own file (an upload's bytes, ``stylize --content``'s file), kept when it is
  bigger than the run's stored photo, so a print of the run takes its detail from the real photo.
  Files up to ``ORIGINAL_MAX_SIDE`` px on the long side are kept byte for byte; larger ones as their
  first ``ORIGINAL_MAX_SIDE`` px (reduced, JPEG quality 95).
* ``print``: a print's full-size 16-bit TIFF (``nst poster``, the studio's "Make a print"); the print's
  run also gets a ``print_links`` row naming the run it was made from, its paper, dpi and fit.

The files live at ``images/files/<ab>/<sha256 of the bytes><suffix>``: content-addressed (a photo used
by many runs is kept once) and immutable. They follow the pictures' rules (docs/store.md): written
atomically and durably *before* the transaction that names them (:func:`write_attachments`, again
inside it), deleted only holding the write lock when no ``run_files`` row names them
(:func:`remove_unreferenced`), and orphans older than the grace period swept (:func:`sweep_orphans`).
Reading them back (originals, prints, links) is ``nst.store.prints``.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image

from nst.errors import NSTError, StoreError
from nst.run_types import PrintFile, RunToSave
from nst.store.db import Database
from nst.store.files import fsync_dir, write_file

ORIGINAL_MAX_SIDE = 8192
FILES_DIR = "files"
_NAME = re.compile(r"^([0-9a-f]{64})(\.[a-z]{2,4})$")
_SUFFIXES = {"JPEG": ".jpg", "MPO": ".jpg", "PNG": ".png", "WEBP": ".webp", "BMP": ".bmp", "TIFF": ".tiff",
             "GIF": ".gif"}
_ROTATED = {5, 6, 7, 8}  # EXIF orientations that swap width and height


@dataclass(frozen=True)
class Attachment:
    """A file to keep with a run: its bytes and its ``run_files`` row."""

    kind: str  # "original" or "print"
    sha256: str
    suffix: str
    data: bytes
    width: int
    height: int


def files_dir(images_dir: Path) -> Path:
    return images_dir / FILES_DIR


def file_path(images_dir: Path, sha256: str, suffix: str) -> Path:
    return files_dir(images_dir) / sha256[:2] / f"{sha256}{suffix}"


def _attachment(kind: str, data: bytes, suffix: str, width: int, height: int) -> Attachment:
    return Attachment(kind, hashlib.sha256(data).hexdigest(), suffix, data, int(width), int(height))


def _oriented_size(image: Image.Image) -> tuple[int, int]:
    width, height = image.size
    orientation = image.getexif().get(274, 1)
    return (height, width) if orientation in _ROTATED else (width, height)


def _reduced_jpeg(pixels: np.ndarray) -> tuple[bytes, int, int]:
    from nst.encode import to_uint8
    from nst.resize import resize_long_side

    small = to_uint8(resize_long_side(np.asarray(pixels, np.float32), ORIGINAL_MAX_SIDE))
    buffer = io.BytesIO()
    Image.fromarray(small).save(buffer, "JPEG", quality=95)
    return buffer.getvalue(), small.shape[1], small.shape[0]


def _original_from_bytes(data: bytes) -> Attachment:
    from nst.images import load_image

    with Image.open(io.BytesIO(data)) as image:
        suffix = _SUFFIXES.get(image.format or "")
        width, height = _oriented_size(image)
    if suffix is not None and max(width, height) <= ORIGINAL_MAX_SIDE:
        return _attachment("original", data, suffix, width, height)
    reduced, w, h = _reduced_jpeg(load_image(data, max_side=ORIGINAL_MAX_SIDE).pixels)
    return _attachment("original", reduced, ".jpg", w, h)


def _original_from_pixels(pixels: np.ndarray) -> Attachment:
    from nst.encode import PNG_COMPRESS_LEVEL, to_uint8

    values = np.asarray(pixels)
    if max(values.shape[:2]) > ORIGINAL_MAX_SIDE:
        reduced, w, h = _reduced_jpeg(values)
        return _attachment("original", reduced, ".jpg", w, h)
    values = values if values.dtype == np.uint8 else to_uint8(values)
    buffer = io.BytesIO()
    Image.fromarray(values).save(buffer, "PNG", compress_level=PNG_COMPRESS_LEVEL)
    return _attachment("original", buffer.getvalue(), ".png", values.shape[1], values.shape[0])


def original_size(original: bytes | np.ndarray) -> tuple[int, int]:
    """(width, height) of an original as it reads (EXIF orientation applied), without decoding pixels."""
    if isinstance(original, (bytes, bytearray)):
        with Image.open(io.BytesIO(original)) as image:
            return _oriented_size(image)
    return int(np.shape(original)[1]), int(np.shape(original)[0])


def attachments(run: RunToSave) -> list[Attachment]:
    """The files to keep with ``run`` (CPU work: before any lock): its original photo when bigger than
    the stored one, and its print file."""
    out = []
    original, content = run.inputs.original, np.asarray(run.inputs.content)
    try:
        if original is not None and max(original_size(original)) > max(content.shape[:2]):
            out.append(_original_from_bytes(bytes(original)) if isinstance(original, (bytes, bytearray))
                       else _original_from_pixels(original))
    except (OSError, ValueError, NSTError) as error:  # the photo was read before; its file changed since?
        raise StoreError(f"The original photo could not be kept with the run ({error}).") from None
    if run.print_file is not None:
        p = run.print_file
        out.append(_attachment("print", p.data, ".tiff", p.width, p.height))
    return out


def write_attachments(images_dir: Path, files: Sequence[Attachment], created: list[Attachment]) -> None:
    """Write the files not on disk yet (atomically, durably); ``created`` collects those written."""
    for item in files:
        path = file_path(images_dir, item.sha256, item.suffix)
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        write_file(path, item.data)
        fsync_dir(path.parent)
        created.append(item)


def insert_attachments(conn: sqlite3.Connection, run_id: int, files: Sequence[Attachment],
                       print_file: PrintFile | None) -> None:
    """The rows naming ``files`` and the print's link (inside the save's transaction)."""
    conn.executemany(
        "INSERT INTO run_files (run_id, kind, sha256, suffix, width, height, nbytes) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [(run_id, f.kind, f.sha256, f.suffix, f.width, f.height, len(f.data)) for f in files])
    if print_file is not None:
        conn.execute("INSERT INTO print_links (run_id, source_run, paper, dpi, fit) VALUES (?, ?, ?, ?, ?)",
                     (run_id, print_file.source_run, print_file.paper, print_file.dpi, print_file.fit))


def files_of(conn: sqlite3.Connection, run_id: int) -> list[tuple[str, str]]:
    """(sha256, suffix) of every file kept with run ``run_id``."""
    return [(sha, suffix) for sha, suffix in
            conn.execute("SELECT sha256, suffix FROM run_files WHERE run_id = ?", (int(run_id),))]


def remove_unreferenced(db: Database, images_dir: Path, files: Sequence[tuple[str, str]]) -> int:
    """Unlink the files (sha256, suffix) no ``run_files`` row names; under the write lock so no save can race it."""
    if not files:
        return 0
    removed = 0
    with db.write() as conn:
        for sha, suffix in files:
            if not conn.execute("SELECT 1 FROM run_files WHERE sha256 = ?", (sha,)).fetchone():
                removed += _unlink(file_path(images_dir, sha, suffix))
    return removed


def _unlink(path: Path) -> int:
    """1 when ``path`` was removed, 0 when it was already gone."""
    try:
        path.unlink()
        return 1
    except FileNotFoundError:
        return 0


def sweep_orphans(db: Database, images_dir: Path, cutoff: float) -> int:
    """Remove files (and the temp files of writes that never finished) older than ``cutoff`` that no row
    names; best effort, like the pictures' cleanup."""
    folder = files_dir(images_dir)
    if not folder.is_dir():
        return 0
    known = {row[0] for row in db.conn().execute("SELECT sha256 FROM run_files")}
    stale: list[tuple[str, str]] = []
    for shard in (p for p in folder.iterdir() if p.is_dir() and re.fullmatch(r"[0-9a-f]{2}", p.name)):
        for entry in shard.iterdir():
            try:
                if entry.stat().st_mtime >= cutoff:
                    continue
                name = _NAME.match(entry.name)
                if name and name.group(1) not in known:
                    stale.append((name.group(1), name.group(2)))
                elif re.fullmatch(r"\.[0-9a-f]{64}\.[a-z]{2,4}\.[0-9a-f]{32}\.tmp", entry.name):
                    os.unlink(entry)
            except OSError:
                continue
    return remove_unreferenced(db, images_dir, stale)


def kept_file_names(conn: sqlite3.Connection) -> list[str]:
    """Every kept file's path relative to ``images/`` (a backup copies them with the pictures)."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'run_files'").fetchone():
        return []  # a backup of a gallery from before these files
    return [f"{FILES_DIR}/{sha[:2]}/{sha}{suffix}"
            for sha, suffix in conn.execute("SELECT DISTINCT sha256, suffix FROM run_files")]


def free_kept_files(conn: sqlite3.Connection, images_dir: Path, run_id: int) -> int:
    """On a full disk (``nst.store.full_disk``): remove the kept files only run ``run_id`` names."""
    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'run_files'").fetchone():
        return 0
    removed = 0
    for sha, suffix in files_of(conn, run_id):
        if not conn.execute("SELECT 1 FROM run_files WHERE sha256 = ? AND run_id != ?", (sha, int(run_id))).fetchone():
            removed += _unlink(file_path(images_dir, sha, suffix))
    return removed
