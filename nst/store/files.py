"""Content-addressed image files: hashing, encoding, atomic durable writes, reads, orphan removal.

Every picture is an 8-bit RGB PNG at ``images/<ab>/<sha256>.png``, named by the SHA-256 of its
pixels (:func:`image_hash`), never modified once written. A file is written to a temporary
name, fsync'd and renamed *before* the transaction naming it commits, and deleted only while
holding the database's write lock when no ``images`` row names it (docs/store.md, rules A, B).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
from PIL import Image

from nst.errors import StoreError, describe_os_error
from nst.encode import PNG_COMPRESS_LEVEL, jpeg_bytes, to_uint8, write_atomically
from nst.store.db import Database

IMAGES_DIR = "images"
THUMBNAIL_SIZE = 256  # long side, px
THUMBNAIL_QUALITY = 85  # JPEG
# what the store's own writes look like (nst.encode.write_file): shard "ab", temp ".<sha>.png.<uuid>.tmp"
_SHARD = re.compile(r"^[0-9a-f]{2}$")
_OWN_TEMP = re.compile(r"^\.([0-9a-f]{64})\.png\.[0-9a-f]{32}\.tmp$")


def as_uint8_rgb(pixels: np.ndarray, what: str) -> np.ndarray:
    """``pixels`` (float in [0, 1] or uint8, H x W x 3) as contiguous uint8, or a StoreError naming ``what``."""
    values = np.asarray(pixels)
    if values.ndim != 3 or values.shape[2] != 3 or values.shape[0] < 1 or values.shape[1] < 1:
        raise StoreError(f"The {what} must be an H x W x 3 RGB array, not shape {values.shape}.")
    if values.dtype == np.uint8:
        return np.ascontiguousarray(values)
    if values.dtype.kind != "f":
        raise StoreError(f"The {what} must be float pixels in [0, 1] or uint8, not {values.dtype}.")
    return to_uint8(values)


def mask_rgb(mask: np.ndarray, kind: str) -> np.ndarray:
    """A float H x W mask in [0, 1] as a grey uint8 RGB picture (masks are stored like images)."""
    mask = np.asarray(mask)
    if mask.ndim != 2:
        raise StoreError(f"The {kind} mask must be an H x W array, not shape {mask.shape}.")
    return np.repeat(to_uint8(np.clip(mask, 0.0, 1.0))[..., None], 3, axis=2)


def image_hash(pixels: np.ndarray) -> str:
    """The key an image is stored under: SHA-256 of its 8-bit pixels and shape.

    Hashing pixels rather than encoded bytes keeps deduplication independent of the PNG
    encoder (a Pillow/zlib upgrade must not store the same picture twice).
    """
    values = as_uint8_rgb(pixels, "image")
    digest = hashlib.sha256(f"rgb8:{values.shape[0]}x{values.shape[1]}:".encode())
    digest.update(values.tobytes())
    return digest.hexdigest()


def encode_png(values: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(values).save(buffer, format="PNG", compress_level=PNG_COMPRESS_LEVEL)
    return buffer.getvalue()


def thumbnail(values: np.ndarray) -> bytes:
    """A JPEG of ``values`` (uint8), long side at most ``THUMBNAIL_SIZE``."""
    return jpeg_bytes(values, THUMBNAIL_QUALITY, max_side=THUMBNAIL_SIZE, optimize=True)


def decode_png(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (``nst.images.write_atomically``).

    Module-level so tests can make it fail (a full disk) or observe it.
    """
    write_atomically(path, data)


def fsync_dir(path: Path) -> None:
    """Make renames in ``path`` durable (no-op where directories cannot be opened)."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


@dataclass
class Blob:
    """An encoded image waiting to be written: its file bytes and its ``images`` row."""

    sha256: str
    data: bytes
    role: str
    width: int
    height: int
    name: str = ""
    thumbnail: bytes | None = None


def make_blob(values: np.ndarray, role: str, *, with_thumbnail: bool = False, name: str = "") -> Blob:
    """Encode uint8 ``values`` (CPU work: do it before taking any lock)."""
    return Blob(image_hash(values), encode_png(values), role, int(values.shape[1]), int(values.shape[0]),
                str(name), thumbnail(values) if with_thumbnail else None)


def stale_files(images_dir: Path, cutoff: float, known: set[str]) -> tuple[list[str], int]:
    """(hashes of image files no row names, number of temp files removed), both older than ``cutoff``.

    Best effort: a shard or file that cannot be read or removed is skipped.
    """
    candidates: list[str] = []
    temp_files = 0
    try:
        shards = [entry for entry in os.scandir(images_dir)
                  if entry.is_dir(follow_symlinks=False) and _SHARD.match(entry.name)]
    except OSError:
        shards = []
    for shard in shards:
        try:
            entries = list(os.scandir(shard.path))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_mtime >= cutoff:
                    continue
                own_temp = _OWN_TEMP.match(entry.name)
                if own_temp and own_temp.group(1).startswith(shard.name):  # only temp files the store wrote
                    os.unlink(entry.path)
                    temp_files += 1
                elif entry.name.endswith(".png") and entry.name[:-4] not in known:
                    candidates.append(entry.name[:-4])
            except OSError:
                continue
    return candidates, temp_files


def image_path(images_dir: Path, sha256: str) -> Path:
    return images_dir / sha256[:2] / f"{sha256}.png"


def write_blobs(images_dir: Path, blobs: Sequence[Blob], created: list[str]) -> None:
    """Write missing files (atomically, durably), appending to ``created`` the hashes written."""
    folders: set[Path] = set()
    for blob in blobs:
        path = image_path(images_dir, blob.sha256)
        if path.exists():
            continue
        if not path.parent.is_dir():
            path.parent.mkdir(parents=True, exist_ok=True)
            folders.add(path.parent.parent)  # make the new shard folder's entry durable too
        write_file(path, blob.data)
        created.append(blob.sha256)
        folders.add(path.parent)
    for folder in folders:
        fsync_dir(folder)


def remove_files_if_unreferenced(db: Database, images_dir: Path, shas: Sequence[str]) -> int:
    """Unlink files no ``images`` row names; under the write lock so no save can race it (rule A)."""
    if not shas:
        return 0
    removed = 0
    with db.write() as conn:
        for sha in shas:
            if conn.execute("SELECT 1 FROM images WHERE sha256 = ?", (sha,)).fetchone():
                continue
            try:
                image_path(images_dir, sha).unlink()
                removed += 1
            except FileNotFoundError:
                pass
    return removed


def read_image(images_dir: Path, sha256: str, what: str) -> np.ndarray:
    """A stored image's uint8 pixels, or a StoreError naming ``what`` (missing, unreadable, damaged)."""
    path = image_path(images_dir, sha256)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise StoreError(f"The file of the {what} is missing from {images_dir}; "
                         "the gallery folder was changed by hand.") from None
    except OSError as error:
        raise StoreError(f"Cannot read the {what} from {path}: {describe_os_error(error)}.") from None
    try:
        return decode_png(data)
    except (OSError, ValueError):
        raise StoreError(f"The file of the {what} ({path}) is damaged.") from None
