"""The run store: every finished run kept in SQLite, its pictures as files beside it.

``Store(data_dir)`` opens (creating or migrating) ``<data_dir>/gallery.sqlite3`` and the image
folder ``<data_dir>/images/``. The data directory is ``$NST_DATA_DIR`` when set, else
``$XDG_DATA_HOME/nst-studio``, else ``~/.local/share/nst-studio`` (:func:`default_data_dir`).
See ``docs/store.md`` for the layout, the schema versions and why a crash cannot leave a
half-visible run.

The rules that make it crash- and concurrency-safe, in one place:

* Image files are content-addressed (named by the SHA-256 of their pixels), immutable, and
  written to a temporary name, fsync'd and renamed *before* the transaction that inserts the
  rows referencing them commits. Inside that transaction (which holds SQLite's write lock)
  every file is checked to exist, and rewritten if a concurrent cleanup removed it.
* A file is deleted only while holding the write lock, and only when no ``images`` row names
  it. ``images`` rows are removed in the same transaction that removes their last reference.
* Files that no row names (a crash between write and commit) and stale temporary files are
  removed on open once older than a grace period, so a save in flight elsewhere is untouched.
* One SQLite connection per thread (and per process), WAL mode, a busy timeout, and short
  ``BEGIN IMMEDIATE`` write transactions: Streamlit sessions and the CLI can write at once.

Nothing here imports TensorFlow or Streamlit; results are taken duck-typed (anything with
the attributes of :class:`nst.engine.StyleResult`, or a mapping of them).
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging
import math
import os
import re
import sqlite3
import threading
import time
import uuid
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
from PIL import Image

from nst.errors import NSTError, StoreError, describe_os_error
from nst.images import from_uint8, jpeg_bytes, png_bytes, to_uint8, write_atomically
from nst.params import StyleParams
from nst.results import RUN_STATUSES, run_status
from nst.results import png_metadata as results_png_metadata

log = logging.getLogger("nst")

__all__ = [
    "StoreError", "Store", "RunRecord", "RunSummary", "StyleRef", "StoredSnapshot", "InputImages",
    "StoredImage", "GroupSummary", "CleanupReport", "default_data_dir", "image_hash", "new_group_id",
    "SCHEMA_VERSION", "SORTS", "STATUSES", "MAX_SNAPSHOTS", "THUMBNAIL_SIZE", "GRACE_SECONDS",
]

DB_NAME = "gallery.sqlite3"
IMAGES_DIR = "images"
STATUSES = RUN_STATUSES
SORTS = ("newest", "oldest", "fastest", "score")
MAX_SNAPSHOTS = 9  # 8 evenly spaced (the first included) + the last
THUMBNAIL_SIZE = 256  # long side, px
THUMBNAIL_QUALITY = 85  # JPEG
GRACE_SECONDS = 600.0  # orphan files younger than this may belong to a save in flight
BUSY_TIMEOUT_SECONDS = 10.0
_TEMP_SUFFIX = ".tmp"


# ============================================================================ records


@dataclass(frozen=True)
class StyleRef:
    """One style image of a run, in blend order."""

    sha256: str
    name: str
    weight: float


@dataclass(frozen=True)
class RunSummary:
    """What a gallery grid cell needs: no images, no history (see :meth:`Store.thumbnails`)."""

    id: int
    created: float  # unix seconds
    title: str
    status: str
    favourite: bool
    content_weight: float
    style_weight: float
    tv_weight: float
    size: int  # params.size (requested long side)
    optimizer: str
    width: int  # output image
    height: int
    steps: int
    seconds: float
    loss_total: float  # NaN when the run never produced a finite loss
    score: float | None
    leakage: float | None
    content_sha256: str
    content_name: str
    styles: tuple[StyleRef, ...]
    group_id: str | None
    group_kind: str | None
    group_label: str | None
    device: str

    @property
    def created_at(self) -> datetime:
        return datetime.fromtimestamp(self.created, tz=timezone.utc)


@dataclass(frozen=True)
class RunRecord:
    """Everything stored about one run except the pixels (see :meth:`Store.output_image`)."""

    id: int
    created: float
    title: str
    notes: str
    favourite: bool
    status: str  # finished | stopped | failed  (the engine's "diverged" is stored as failed)
    message: str
    params: StyleParams
    losses: dict[str, float]  # total, content, style, tv (NaN if never finite)
    history: list[dict[str, float]]
    steps: int
    seconds: float
    width: int
    height: int
    device: str
    weights_id: str
    weight_changes: list[int]
    trace_seconds: dict[str, float]
    content_sha256: str
    content_name: str
    styles: tuple[StyleRef, ...]
    output_sha256: str
    snapshot_steps: tuple[int, ...]
    disk_bytes: int  # the PNG files this run references (shared inputs counted in full)
    group_id: str | None
    group_kind: str | None
    group_label: str | None
    score: float | None
    leakage: float | None

    @property
    def created_at(self) -> datetime:
        return datetime.fromtimestamp(self.created, tz=timezone.utc)

    @property
    def blend(self) -> tuple[float, ...]:
        return tuple(s.weight for s in self.styles)


@dataclass(frozen=True)
class StoredSnapshot:
    step: int
    scale_index: int
    image: np.ndarray  # uint8 H x W x 3, as the engine's Snapshot
    losses: dict[str, float]


@dataclass(frozen=True)
class InputImages:
    content: np.ndarray  # float32 H x W x 3 in [0, 1]
    styles: list[np.ndarray]
    blend: tuple[float, ...]
    content_name: str
    style_names: tuple[str, ...]
    mask: np.ndarray | None = None  # float32 H x W in [0, 1]: the style mask the run used (1 = stylise)
    detail_mask: np.ndarray | None = None  # the detail mask it used (1 = keep detail)


@dataclass(frozen=True)
class StoredImage:
    """A distinct content or style image, for the gallery's filters."""

    sha256: str
    name: str
    width: int
    height: int
    runs: int  # how many runs use it in this role
    thumbnail: bytes  # JPEG, long side <= THUMBNAIL_SIZE


@dataclass(frozen=True)
class GroupSummary:
    group_id: str
    group_kind: str | None
    runs: int
    created: float  # first run's


@dataclass(frozen=True)
class CleanupReport:
    orphan_files: int = 0
    temp_files: int = 0
    orphan_rows: int = 0


# ============================================================================ helpers


def default_data_dir() -> Path:
    """``$NST_DATA_DIR``, else ``$XDG_DATA_HOME/nst-studio``, else ``~/.local/share/nst-studio``."""
    explicit = os.environ.get("NST_DATA_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "nst-studio"


def new_group_id() -> str:
    """A fresh id for a sweep or a method comparison (runs saved with it form one grid)."""
    return uuid.uuid4().hex


def _as_uint8_rgb(pixels: np.ndarray, what: str) -> np.ndarray:
    values = np.asarray(pixels)
    if values.ndim != 3 or values.shape[2] != 3 or values.shape[0] < 1 or values.shape[1] < 1:
        raise StoreError(f"The {what} must be an H x W x 3 RGB array, not shape {values.shape}.")
    if values.dtype == np.uint8:
        return np.ascontiguousarray(values)
    if values.dtype.kind != "f":
        raise StoreError(f"The {what} must be float pixels in [0, 1] or uint8, not {values.dtype}.")
    return to_uint8(values)


def _mask_rgb(mask: np.ndarray, kind: str) -> np.ndarray:
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
    values = _as_uint8_rgb(pixels, "image")
    digest = hashlib.sha256(f"rgb8:{values.shape[0]}x{values.shape[1]}:".encode())
    digest.update(values.tobytes())
    return digest.hexdigest()


def _encode_png(values: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(values).save(buffer, format="PNG")
    return buffer.getvalue()


def _thumbnail(values: np.ndarray) -> bytes:
    return jpeg_bytes(values, THUMBNAIL_QUALITY, max_side=THUMBNAIL_SIZE, optimize=True)


def _decode_png(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def png_metadata(record: "RunRecord") -> dict[str, Any]:
    """PNG text chunks of a stored run's image: its parameters (``nst:params``) and what came out."""
    return results_png_metadata(record.params, record.status, record.losses, record.steps, record.weights_id,
                                Title=record.title or f"run {record.id}", **{"nst:run_id": record.id})


def _write_file(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (``nst.images.write_atomically``).

    Module-level so tests can make it fail (a full disk) or observe it.
    """
    write_atomically(path, data)


def _fsync_dir(path: Path) -> None:
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


def _checked_run(fields: Any, styles: Sequence[np.ndarray], blend: Sequence[float],
                 style_names: Sequence[str]) -> tuple[StyleParams, str, tuple[float, ...], tuple[str, ...]]:
    """(params, run status, blend, style names) of a run to save, or a StoreError saying what is wrong."""
    params = fields.params if isinstance(fields.params, StyleParams) else StyleParams.from_dict(fields.params)
    try:
        status = run_status(str(fields.status))
    except ValueError as error:
        raise StoreError(str(error)) from None
    if not styles:
        raise StoreError("A run needs at least one style image to be saved.")
    blend = tuple(float(b) for b in blend) if blend else params.blend_weights(len(styles))
    if len(blend) != len(styles):
        raise StoreError(f"Got {len(blend)} blend weights for {len(styles)} style images; give one per style.")
    names = tuple(style_names) + ("",) * (len(styles) - len(style_names))
    if len(names) != len(styles):
        raise StoreError(f"Got {len(style_names)} style names for {len(styles)} style images.")
    return params, status, blend, names


def _run_columns(fields: Any, params: StyleParams, status: str, losses: dict[str, float],
                 output: np.ndarray) -> dict[str, Any]:
    """The ``runs`` columns that describe what ran and what came out."""
    return {
        "status": status, "message": str(getattr(fields, "message", "") or ""),
        "content_weight": params.content_weight, "style_weight": params.style_weight,
        "tv_weight": params.tv_weight, "size": params.size, "optimizer": params.optimizer,
        "width": int(output.shape[1]), "height": int(output.shape[0]),
        "steps": int(fields.steps), "seconds": float(fields.seconds),
        "loss_total": losses["total"], "loss_content": losses["content"], "loss_style": losses["style"],
        "loss_tv": losses["tv"], "device": str(getattr(fields, "device", "") or ""),
        "weights_id": str(getattr(fields, "weights_id", "") or ""), "params_json": json.dumps(params.to_dict()),
    }


def _named_rows(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    """A query's rows as {column: value} dicts, so code reads columns by name, never by position."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def _real_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def _nan_if_none(value: Any) -> float:
    return math.nan if value is None else float(value)


def _losses_dict(losses: Any) -> dict[str, float]:
    if losses is None:
        data: Mapping[str, Any] = {}
    elif isinstance(losses, Mapping):
        data = losses
    elif hasattr(losses, "to_dict"):
        data = losses.to_dict()
    else:
        data = {k: getattr(losses, k, math.nan) for k in ("total", "content", "style", "tv")}
    return {k: float(data.get(k, math.nan)) for k in ("total", "content", "style", "tv")}


def _pick_snapshots(snapshots: Sequence[Any], limit: int = MAX_SNAPSHOTS) -> list[Any]:
    """Up to ``limit`` snapshots, evenly spaced over the run, always including the last."""
    n = len(snapshots)
    if n <= limit:
        return list(snapshots)
    indices = sorted({int(round(i)) for i in np.linspace(0, n - 1, limit)})
    return [snapshots[i] for i in indices]


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return slug[:40]


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# ============================================================================ schema


def _execute_script(conn: sqlite3.Connection, script: str) -> None:
    """Run ``;``-separated statements inside the current transaction (``executescript`` would commit)."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _migrate_to_1(conn: sqlite3.Connection) -> None:
    """Version 1: runs, their styles, snapshots and details; content-addressed images."""
    _execute_script(conn, """
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
    """)


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


# MIGRATIONS[i] takes the schema from version i to i + 1. Append only; never edit a shipped step.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_migrate_to_1, _migrate_to_2, _migrate_to_3)
MASK_KINDS = ("style", "detail")
SCHEMA_VERSION = len(MIGRATIONS)

_SUMMARY_COLUMNS = (
    "id, created, title, status, favourite, content_weight, style_weight, tv_weight, size, optimizer, "
    "width, height, steps, seconds, loss_total, score, leakage, content_sha256, content_name, "
    "group_id, group_kind, group_label, device"
)


# ============================================================================ the store


class _Connection(sqlite3.Connection):
    """A connection that remembers its process and can be weakly referenced."""

    pid: int = 0


@dataclass
class _Blob:
    sha256: str
    data: bytes
    role: str
    width: int
    height: int
    name: str = ""
    thumbnail: bytes | None = None


class Store:
    """The gallery's runs on disk. Cheap to share: thread-safe, one connection per thread."""

    def __init__(self, data_dir: str | os.PathLike[str] | None = None, *, grace_seconds: float = GRACE_SECONDS,
                 cleanup: bool = True, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self.data_dir = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
        self.db_path = self.data_dir / DB_NAME
        self.images_dir = self.data_dir / IMAGES_DIR
        self.grace_seconds = float(grace_seconds)
        self.busy_timeout = float(busy_timeout)
        self._local = threading.local()
        # Weak: a thread's connection lives in its thread-local slot and is closed when the thread
        # ends (Streamlit runs each rerun in a new thread); close() reaches the ones still alive.
        self._connections: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._connections_lock = threading.Lock()
        try:
            self.images_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"Cannot create the gallery folder {self.data_dir}: {describe_os_error(error)}; "
                "set NST_DATA_DIR to a writable folder."
            ) from None
        self._migrate()
        self.last_cleanup: CleanupReport | None = self.cleanup_orphans() if cleanup else None

    @classmethod
    def open(cls, data_dir: str | os.PathLike[str] | None = None, **kwargs: Any) -> "Store":
        return cls(data_dir, **kwargs)

    # ------------------------------------------------------------------ connections

    def _conn(self) -> sqlite3.Connection:
        conn = getattr(self._local, "conn", None)
        if conn is not None and conn.pid == os.getpid():
            return conn
        try:
            conn = sqlite3.connect(self.db_path, timeout=self.busy_timeout, isolation_level=None,
                                   check_same_thread=False, factory=_Connection)
            conn.pid = os.getpid()
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as error:
            raise self._db_error("open the gallery database", error) from None
        self._local.conn = conn
        with self._connections_lock:
            self._connections.add(conn)
        return conn

    def close(self) -> None:
        """Close every connection this store opened in this process (never a parent's after fork)."""
        with self._connections_lock:
            connections, self._connections = list(self._connections), weakref.WeakSet()
        for conn in connections:
            if conn.pid != os.getpid():
                continue
            try:
                conn.close()
            except sqlite3.Error:
                pass
        self._local = threading.local()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction holding SQLite's write lock (BEGIN IMMEDIATE)."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass
            raise

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        """One consistent snapshot for several SELECTs (WAL: never blocks, never blocks writers)."""
        conn = self._conn()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")

    def _db_error(self, doing: str, error: sqlite3.Error) -> StoreError:
        text = str(error).lower()
        if "full" in text:
            return StoreError(f"Cannot {doing}: the disk holding {self.data_dir} is full; free some space "
                              "and try again (runs saved earlier are safe).")
        if "locked" in text or "busy" in text:
            return StoreError(f"Cannot {doing}: the gallery database stayed busy for more than "
                              f"{self.busy_timeout:g} s; try again.")
        if "malformed" in text or "not a database" in text:
            return StoreError(f"Cannot {doing}: {self.db_path} is damaged or not a gallery database.")
        return StoreError(f"Cannot {doing}: {error}.")

    def _migrate(self) -> None:
        conn = self._conn()
        try:
            for attempt in range(50):
                try:
                    if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
                        raise StoreError(f"The gallery database {self.db_path} cannot use WAL mode "
                                         "(is it on a network drive?); set NST_DATA_DIR to a local folder.")
                    break
                except sqlite3.OperationalError as error:
                    if "locked" not in str(error).lower() or attempt == 49:
                        raise
                    time.sleep(0.1)
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version == SCHEMA_VERSION:
                return
            with self._write() as conn:
                version = conn.execute("PRAGMA user_version").fetchone()[0]  # another process may have won
                if version > SCHEMA_VERSION:
                    raise StoreError(
                        f"The gallery in {self.data_dir} was written by a newer version of the studio "
                        f"(schema {version}, this one knows {SCHEMA_VERSION}); upgrade the studio to open it."
                    )
                for step in range(version, SCHEMA_VERSION):
                    MIGRATIONS[step](conn)
                    conn.execute(f"PRAGMA user_version = {step + 1}")
        except sqlite3.Error as error:
            raise self._db_error("open the gallery database", error) from None

    @property
    def schema_version(self) -> int:
        return int(self._conn().execute("PRAGMA user_version").fetchone()[0])

    # ------------------------------------------------------------------ files

    def image_path(self, sha256: str) -> Path:
        return self.images_dir / sha256[:2] / f"{sha256}.png"

    def _write_blobs(self, blobs: Sequence[_Blob], created: list[str]) -> None:
        """Write missing files (atomically, durably), appending to ``created`` the hashes written."""
        folders: set[Path] = set()
        for blob in blobs:
            path = self.image_path(blob.sha256)
            if path.exists():
                continue
            if not path.parent.is_dir():
                path.parent.mkdir(parents=True, exist_ok=True)
                folders.add(path.parent.parent)  # make the new shard folder's entry durable too
            _write_file(path, blob.data)
            created.append(blob.sha256)
            folders.add(path.parent)
        for folder in folders:
            _fsync_dir(folder)

    def _remove_files_if_unreferenced(self, shas: Sequence[str]) -> int:
        """Unlink files no ``images`` row names; under the write lock so no save can race it."""
        if not shas:
            return 0
        removed = 0
        with self._write() as conn:
            for sha in shas:
                if conn.execute("SELECT 1 FROM images WHERE sha256 = ?", (sha,)).fetchone():
                    continue
                try:
                    self.image_path(sha).unlink()
                    removed += 1
                except FileNotFoundError:
                    pass
        return removed

    # ------------------------------------------------------------------ saving

    def save_run(
        self,
        result: Any,
        *,
        content: np.ndarray,
        styles: Sequence[np.ndarray],
        blend: Sequence[float] = (),
        title: str = "",
        notes: str = "",
        content_name: str = "",
        style_names: Sequence[str] = (),
        favourite: bool = False,
        group_id: str | None = None,
        group_kind: str | None = None,
        group_label: str | None = None,
        score: float | None = None,
        leakage: float | None = None,
        masks: Mapping[str, np.ndarray | None] | None = None,
    ) -> int:
        """Store a run and return its id. All or nothing: a failure leaves no trace of it.

        ``result`` is a :class:`nst.engine.StyleResult` or anything with its attributes (a
        mapping works too): ``image`` (float [0,1] or uint8), ``status``, ``message``,
        ``steps``, ``seconds``, ``losses``, ``history``, ``snapshots``, ``params``, and
        optionally ``device``, ``weights_id``, ``weight_changes``, ``trace_seconds``.
        ``blend`` defaults to ``params.blend_weights(len(styles))``. ``masks``: the run's
        ``{"style": ..., "detail": ...}`` masks (H x W in [0, 1], None for none), kept for re-runs.
        """
        fields = SimpleNamespace(**result) if isinstance(result, Mapping) else result
        params, status, blend, names = _checked_run(fields, styles, blend, style_names)
        losses = _losses_dict(fields.losses)
        history = [dict(row) for row in (getattr(fields, "history", None) or [])]
        extra = {
            "weight_changes": [int(s) for s in (getattr(fields, "weight_changes", None) or [])],
            "trace_seconds": {str(k): float(v) for k, v in (getattr(fields, "trace_seconds", None) or {}).items()},
        }

        # Encode everything first (CPU work, no lock held).
        output = _as_uint8_rgb(fields.image, "output image")
        output_blob = self._blob(output, "output", thumbnail=True)
        content_blob = self._blob(_as_uint8_rgb(content, "content image"), "content", thumbnail=True,
                                  name=content_name)
        style_blobs = [self._blob(_as_uint8_rgb(s, f"style image {i + 1}"), "style", thumbnail=True, name=n)
                       for i, (s, n) in enumerate(zip(styles, names))]
        snapshot_rows, snapshot_blobs = self._snapshot_rows(getattr(fields, "snapshots", None) or [])
        mask_blobs = self._mask_blobs(masks or {})
        blobs = [content_blob, *style_blobs, output_blob, *snapshot_blobs, *mask_blobs.values()]
        run = {
            "created": time.time(), "title": str(title), "notes": str(notes), "favourite": int(bool(favourite)),
            **_run_columns(fields, params, status, losses, output), "content_sha256": content_blob.sha256,
            "content_name": str(content_name), "output_sha256": output_blob.sha256,
            "group_id": group_id, "group_kind": group_kind, "group_label": group_label,
            "score": _real_or_none(score), "leakage": _real_or_none(leakage),
        }
        styles_rows = [(i, b.sha256, str(n), w) for i, (b, n, w) in enumerate(zip(style_blobs, names, blend))]
        details = (json.dumps(history, default=_json_default), json.dumps(extra),
                   [(kind, blob.sha256) for kind, blob in mask_blobs.items()])

        created: list[str] = []
        try:
            self._write_blobs(blobs, created)
            with self._write() as conn:
                # A cleanup elsewhere may have removed a file we found already present; it could
                # only do so holding this lock and with no row naming it, so re-check here.
                self._write_blobs(blobs, created)
                return self._insert_run(conn, run, blobs, styles_rows, snapshot_rows, details)
        except OSError as error:
            self._forget(created)
            raise StoreError(f"Cannot save the run to {self.data_dir}: {describe_os_error(error)} "
                             "(runs saved earlier are safe).") from None
        except sqlite3.Error as error:
            self._forget(created)
            raise self._db_error("save the run", error) from None
        except BaseException:
            self._forget(created)
            raise

    def _snapshot_rows(self, snapshots: Sequence[Any]) -> tuple[list[tuple], list[_Blob]]:
        rows, blobs = [], []
        for snap in _pick_snapshots(list(snapshots)):
            blob = self._blob(_as_uint8_rgb(snap.image, "snapshot"), "snapshot")
            blobs.append(blob)
            rows.append((int(snap.step), int(getattr(snap, "scale_index", 0)), blob.sha256,
                         json.dumps(_losses_dict(getattr(snap, "losses", None)))))
        return rows, blobs

    def _mask_blobs(self, masks: Mapping[str, np.ndarray | None]) -> dict[str, _Blob]:
        unknown = sorted(set(masks) - set(MASK_KINDS))
        if unknown:
            raise StoreError(f"Unknown mask kind(s) {', '.join(unknown)}; use {' or '.join(MASK_KINDS)}.")
        return {kind: self._blob(_mask_rgb(mask, kind), "mask") for kind, mask in masks.items() if mask is not None}

    def _blob(self, values: np.ndarray, role: str, *, thumbnail: bool = False, name: str = "") -> _Blob:
        return _Blob(image_hash(values), _encode_png(values), role, int(values.shape[1]), int(values.shape[0]),
                     str(name), _thumbnail(values) if thumbnail else None)

    def _insert_run(self, conn: sqlite3.Connection, run: dict[str, Any], blobs: Sequence[_Blob],
                    styles_rows: Sequence[tuple], snapshot_rows: Sequence[tuple],
                    details: tuple[str, str, list[tuple[str, str]]]) -> int:
        now = time.time()
        for blob in blobs:
            conn.execute(
                "INSERT INTO images (sha256, role, width, height, nbytes, name, thumbnail, created) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sha256) DO UPDATE SET "
                "name = CASE WHEN images.name = '' THEN excluded.name ELSE images.name END, "
                "thumbnail = COALESCE(images.thumbnail, excluded.thumbnail)",
                (blob.sha256, blob.role, blob.width, blob.height, len(blob.data), blob.name, blob.thumbnail, now),
            )
        columns = ", ".join(run)
        marks = ", ".join("?" for _ in run)
        run_id = conn.execute(f"INSERT INTO runs ({columns}) VALUES ({marks})", tuple(run.values())).lastrowid
        conn.executemany("INSERT INTO run_styles (run_id, position, sha256, name, weight) VALUES (?, ?, ?, ?, ?)",
                         [(run_id, *row) for row in styles_rows])
        conn.executemany(
            "INSERT INTO run_snapshots (run_id, position, step, scale_index, sha256, losses_json) "
            "VALUES (?, ?, ?, ?, ?, ?)", [(run_id, i, *row) for i, row in enumerate(snapshot_rows)])
        history_json, extra_json, mask_rows = details
        conn.execute("INSERT INTO run_details (run_id, history_json, extra_json) VALUES (?, ?, ?)",
                     (run_id, history_json, extra_json))
        conn.executemany("INSERT INTO run_masks (run_id, kind, sha256) VALUES (?, ?, ?)",
                         [(run_id, kind, sha) for kind, sha in mask_rows])
        return int(run_id)

    def _forget(self, shas: Sequence[str]) -> None:
        """Best effort after a failed save: remove the files it created that nothing names."""
        try:
            self._remove_files_if_unreferenced(shas)
        except (OSError, sqlite3.Error):
            pass  # the orphan cleanup on a later open gets them

    # ------------------------------------------------------------------ reading

    def get_run(self, run_id: int) -> RunRecord:
        with self._read() as conn:
            return self._get_run(conn, run_id)

    def _get_run(self, conn: sqlite3.Connection, run_id: int) -> RunRecord:
        rows = _named_rows(conn.execute("SELECT * FROM runs WHERE id = ?", (int(run_id),)))
        if not rows:
            raise self._missing(run_id)
        r = rows[0]
        details = conn.execute("SELECT history_json, extra_json FROM run_details WHERE run_id = ?",
                               (int(run_id),)).fetchone() or ("[]", "{}")
        extra = json.loads(details[1])
        styles = self._styles_of(conn, [int(run_id)]).get(int(run_id), ())
        snaps = conn.execute("SELECT step FROM run_snapshots WHERE run_id = ? ORDER BY position",
                             (int(run_id),)).fetchall()
        disk = conn.execute(
            "SELECT COALESCE(SUM(nbytes), 0) FROM images WHERE sha256 IN ("
            "SELECT content_sha256 FROM runs WHERE id = :id UNION SELECT output_sha256 FROM runs WHERE id = :id "
            "UNION SELECT sha256 FROM run_styles WHERE run_id = :id "
            "UNION SELECT sha256 FROM run_snapshots WHERE run_id = :id "
            "UNION SELECT sha256 FROM run_masks WHERE run_id = :id)", {"id": int(run_id)}).fetchone()[0]
        return RunRecord(
            id=r["id"], created=r["created"], title=r["title"], notes=r["notes"], favourite=bool(r["favourite"]),
            status=r["status"], message=r["message"], params=StyleParams.from_dict(json.loads(r["params_json"])),
            losses={k: _nan_if_none(r[f"loss_{k}"]) for k in ("total", "content", "style", "tv")},
            history=json.loads(details[0]), steps=r["steps"], seconds=r["seconds"], width=r["width"],
            height=r["height"], device=r["device"], weights_id=r["weights_id"],
            weight_changes=list(extra.get("weight_changes", [])), trace_seconds=dict(extra.get("trace_seconds", {})),
            content_sha256=r["content_sha256"], content_name=r["content_name"], styles=styles,
            output_sha256=r["output_sha256"], snapshot_steps=tuple(s[0] for s in snaps), disk_bytes=int(disk),
            group_id=r["group_id"], group_kind=r["group_kind"], group_label=r["group_label"],
            score=r["score"], leakage=r["leakage"],
        )

    def _missing(self, run_id: int) -> StoreError:
        return StoreError(f"There is no run {run_id} in the gallery (it may have been deleted).")

    @staticmethod
    def _styles_of(conn: sqlite3.Connection, run_ids: Sequence[int]) -> dict[int, tuple[StyleRef, ...]]:
        out: dict[int, list[StyleRef]] = {}
        for start in range(0, len(run_ids), 500):
            chunk = list(run_ids[start:start + 500])
            marks = ", ".join("?" for _ in chunk)
            for run_id, sha, name, weight in conn.execute(
                    f"SELECT run_id, sha256, name, weight FROM run_styles WHERE run_id IN ({marks}) "
                    "ORDER BY run_id, position", chunk):
                out.setdefault(run_id, []).append(StyleRef(sha, name, weight))
        return {k: tuple(v) for k, v in out.items()}

    def _read_image(self, sha256: str, what: str) -> np.ndarray:
        path = self.image_path(sha256)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise StoreError(f"The file of the {what} is missing from {self.images_dir}; "
                             "the gallery folder was changed by hand.") from None
        except OSError as error:
            raise StoreError(f"Cannot read the {what} from {path}: {describe_os_error(error)}.") from None
        try:
            return _decode_png(data)
        except (OSError, ValueError):
            raise StoreError(f"The file of the {what} ({path}) is damaged.") from None

    def _run_column(self, run_id: int, column: str) -> Any:
        row = self._conn().execute(f"SELECT {column} FROM runs WHERE id = ?", (int(run_id),)).fetchone()
        if row is None:
            raise self._missing(run_id)
        return row[0]

    def output_image(self, run_id: int) -> np.ndarray:
        """The result, float32 H x W x 3 in [0, 1] (8-bit precision, as saved)."""
        return from_uint8(self._read_image(self._run_column(run_id, "output_sha256"), f"result of run {run_id}"))

    def output_png_path(self, run_id: int) -> Path:
        """Path of the stored result PNG (no metadata; :meth:`export_run` writes one with it)."""
        return self.image_path(self._run_column(run_id, "output_sha256"))

    def thumbnail_bytes(self, run_id: int) -> bytes:
        """The run's thumbnail: JPEG bytes, long side at most ``THUMBNAIL_SIZE`` px."""
        row = self._conn().execute(
            "SELECT images.thumbnail FROM runs JOIN images ON images.sha256 = runs.output_sha256 WHERE runs.id = ?",
            (int(run_id),)).fetchone()
        if row is None:
            raise self._missing(run_id)
        if row[0] is None:  # never for runs saved by this code; kept safe for hand-made rows
            return _thumbnail(to_uint8(self.output_image(run_id)))
        return bytes(row[0])

    def thumbnails(self, run_ids: Sequence[int]) -> dict[int, bytes]:
        """Thumbnails of many runs in one query (a gallery page's worth); unknown ids are left out."""
        out: dict[int, bytes] = {}
        ids = [int(i) for i in run_ids]
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ", ".join("?" for _ in chunk)
            for run_id, data in self._conn().execute(
                    f"SELECT runs.id, images.thumbnail FROM runs JOIN images ON images.sha256 = runs.output_sha256 "
                    f"WHERE runs.id IN ({marks})", chunk):
                out[run_id] = bytes(data) if data is not None else self.thumbnail_bytes(run_id)
        return out

    def snapshots(self, run_id: int) -> list[StoredSnapshot]:
        """The kept snapshots (up to ``MAX_SNAPSHOTS``, the last included), in step order."""
        self._run_column(run_id, "id")
        rows = self._conn().execute(
            "SELECT step, scale_index, sha256, losses_json FROM run_snapshots WHERE run_id = ? ORDER BY position",
            (int(run_id),)).fetchall()
        return [StoredSnapshot(step, scale, self._read_image(sha, f"snapshot {step} of run {run_id}"),
                               json.loads(losses)) for step, scale, sha, losses in rows]

    def input_images(self, run_id: int) -> InputImages:
        """The content and style images of a run (float32, as the engine takes them) and the blend."""
        content_sha, content_name = self._conn().execute(
            "SELECT content_sha256, content_name FROM runs WHERE id = ?", (int(run_id),)).fetchone() or (None, None)
        if content_sha is None:
            raise self._missing(run_id)
        styles = self._styles_of(self._conn(), [int(run_id)]).get(int(run_id), ())
        masks = {kind: from_uint8(self._read_image(sha, f"{kind} mask of run {run_id}"))[..., 0]
                 for kind, sha in self._conn().execute(
                     "SELECT kind, sha256 FROM run_masks WHERE run_id = ?", (int(run_id),)).fetchall()}
        return InputImages(
            content=from_uint8(self._read_image(content_sha, f"content image of run {run_id}")),
            styles=[from_uint8(self._read_image(s.sha256, f"style image of run {run_id}")) for s in styles],
            blend=tuple(s.weight for s in styles), content_name=content_name,
            style_names=tuple(s.name for s in styles), mask=masks.get("style"), detail_mask=masks.get("detail"),
        )

    def image(self, sha256: str) -> np.ndarray:
        """Any stored image by hash (e.g. a content image from :meth:`distinct_contents`), float32."""
        if not re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
            raise StoreError(f"{sha256!r} is not an image hash.")
        if not self._conn().execute("SELECT 1 FROM images WHERE sha256 = ?", (sha256,)).fetchone():
            raise StoreError(f"There is no image {sha256[:12]} in the gallery.")
        return from_uint8(self._read_image(sha256, f"image {sha256[:12]}"))

    # ------------------------------------------------------------------ listing

    def _where(self, content_hash: str | None, style_hash: str | None, favourites: bool,
               group_id: str | None, status: str | None) -> tuple[str, list[Any]]:
        clauses, args = [], []
        if content_hash:
            clauses.append("content_sha256 = ?")
            args.append(content_hash)
        if style_hash:
            clauses.append("id IN (SELECT run_id FROM run_styles WHERE sha256 = ?)")
            args.append(style_hash)
        if favourites:
            clauses.append("favourite = 1")
        if group_id is not None:
            clauses.append("group_id = ?")
            args.append(group_id)
        if status is not None:
            if status not in STATUSES:
                raise StoreError(f"status must be one of {', '.join(STATUSES)}, not {status!r}.")
            clauses.append("status = ?")
            args.append(status)
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", args

    def list_runs(self, *, content_hash: str | None = None, style_hash: str | None = None,
                  favourites: bool = False, group_id: str | None = None, status: str | None = None,
                  sort: str = "newest", limit: int = 50, offset: int = 0) -> list[RunSummary]:
        """A page of runs, without images (fetch those with :meth:`thumbnails`).

        ``sort``: "newest", "oldest", "fastest" (shortest duration) or "score" (lowest first).
        "score" is only meaningful, and only allowed, within one content + style pair: scores
        are "loss under this studio's objective" and differ in scale between image pairs. It
        orders by the ``score`` column; runs without a score come after, by lowest final loss.
        """
        if sort not in SORTS:
            raise StoreError(f"sort must be one of {', '.join(SORTS)}, not {sort!r}.")
        if sort == "score" and not (content_hash and style_hash):
            raise StoreError("Sorting by score compares runs only within one content + style pair; "
                             "choose a content image and a style image first.")
        if limit < 0 or offset < 0:
            raise StoreError("limit and offset must not be negative.")
        where, args = self._where(content_hash, style_hash, favourites, group_id, status)
        order = {
            "newest": "created DESC, id DESC",
            "oldest": "created ASC, id ASC",
            "fastest": "seconds ASC, id DESC",
            "score": "score IS NULL, score ASC, loss_total IS NULL, loss_total ASC, id DESC",
        }[sort]
        with self._read() as conn:
            cursor = conn.execute(f"SELECT {_SUMMARY_COLUMNS} FROM runs{where} ORDER BY {order} LIMIT ? OFFSET ?",
                                  (*args, int(limit), int(offset)))
            rows = _named_rows(cursor)
            styles = self._styles_of(conn, [row["id"] for row in rows])
        return [RunSummary(
            id=r["id"], created=r["created"], title=r["title"], status=r["status"], favourite=bool(r["favourite"]),
            content_weight=r["content_weight"], style_weight=r["style_weight"], tv_weight=r["tv_weight"],
            size=r["size"], optimizer=r["optimizer"], width=r["width"], height=r["height"], steps=r["steps"],
            seconds=r["seconds"], loss_total=_nan_if_none(r["loss_total"]), score=r["score"], leakage=r["leakage"],
            content_sha256=r["content_sha256"], content_name=r["content_name"], styles=styles.get(r["id"], ()),
            group_id=r["group_id"], group_kind=r["group_kind"], group_label=r["group_label"], device=r["device"],
        ) for r in rows]

    def count_runs(self, *, content_hash: str | None = None, style_hash: str | None = None,
                   favourites: bool = False, group_id: str | None = None, status: str | None = None) -> int:
        where, args = self._where(content_hash, style_hash, favourites, group_id, status)
        return int(self._conn().execute(f"SELECT COUNT(*) FROM runs{where}", args).fetchone()[0])

    def _distinct(self, query: str) -> list[StoredImage]:
        return [StoredImage(sha, name, w, h, n, bytes(thumb or b""))
                for sha, name, w, h, n, thumb in self._conn().execute(query)]

    def distinct_contents(self) -> list[StoredImage]:
        """Every content image in use, most used first (for the gallery's filter)."""
        return self._distinct(
            "SELECT i.sha256, i.name, i.width, i.height, c.n, i.thumbnail FROM "
            "(SELECT content_sha256 AS sha, COUNT(*) AS n, MAX(created) AS last FROM runs GROUP BY content_sha256) c "
            "JOIN images i ON i.sha256 = c.sha ORDER BY c.n DESC, c.last DESC")

    def distinct_styles(self) -> list[StoredImage]:
        """Every style image in use, most used first."""
        return self._distinct(
            "SELECT i.sha256, i.name, i.width, i.height, s.n, i.thumbnail FROM "
            "(SELECT sha256 AS sha, COUNT(DISTINCT run_id) AS n, MAX(run_id) AS last FROM run_styles GROUP BY sha256) s "
            "JOIN images i ON i.sha256 = s.sha ORDER BY s.n DESC, s.last DESC")

    def groups(self, *, kind: str | None = None) -> list[GroupSummary]:
        """Sweeps and method comparisons, newest first."""
        where, args = ("WHERE group_id IS NOT NULL AND group_kind = ?", [kind]) if kind else \
            ("WHERE group_id IS NOT NULL", [])
        return [GroupSummary(gid, gkind, n, created) for gid, gkind, n, created in self._conn().execute(
            f"SELECT group_id, MAX(group_kind), COUNT(*), MIN(created) FROM runs {where} "
            "GROUP BY group_id ORDER BY MIN(created) DESC", args)]

    # ------------------------------------------------------------------ editing

    def _update(self, run_id: int, column: str, value: Any) -> None:
        try:
            with self._write() as conn:
                changed = conn.execute(f"UPDATE runs SET {column} = ? WHERE id = ?", (value, int(run_id))).rowcount
        except sqlite3.Error as error:
            raise self._db_error(f"update run {run_id}", error) from None
        if not changed:
            raise self._missing(run_id)

    def rename(self, run_id: int, title: str) -> None:
        self._update(run_id, "title", str(title).strip())

    def set_notes(self, run_id: int, notes: str) -> None:
        self._update(run_id, "notes", str(notes))

    def set_favourite(self, run_id: int, favourite: bool) -> None:
        self._update(run_id, "favourite", int(bool(favourite)))

    def set_score(self, run_id: int, score: float | None) -> None:
        """The run's score under the studio's fixed objective (``nst.score``), lower is better."""
        self._update(run_id, "score", _real_or_none(score))

    def set_leakage(self, run_id: int, leakage: float | None) -> None:
        self._update(run_id, "leakage", _real_or_none(leakage))

    def delete_run(self, run_id: int) -> None:
        """Delete a run and every file no other run uses (shared inputs stay)."""
        try:
            with self._write() as conn:
                shas = [row[0] for row in conn.execute(
                    "SELECT content_sha256 FROM runs WHERE id = :id UNION SELECT output_sha256 FROM runs WHERE id = :id "
                    "UNION SELECT sha256 FROM run_styles WHERE run_id = :id "
                    "UNION SELECT sha256 FROM run_snapshots WHERE run_id = :id "
                    "UNION SELECT sha256 FROM run_masks WHERE run_id = :id", {"id": int(run_id)})]
                if not conn.execute("DELETE FROM runs WHERE id = ?", (int(run_id),)).rowcount:
                    raise self._missing(run_id)
                dead = [sha for sha in shas if not self._referenced(conn, sha)]
                conn.executemany("DELETE FROM images WHERE sha256 = ?", [(sha,) for sha in dead])
            # Committed: the run is gone. Its files go now (a crash here leaves orphans for cleanup).
            self._remove_files_if_unreferenced(dead)
        except sqlite3.Error as error:
            raise self._db_error(f"delete run {run_id}", error) from None
        except OSError as error:
            log.warning("run %s deleted but its files could not all be removed: %s", run_id, error)

    @staticmethod
    def _referenced(conn: sqlite3.Connection, sha: str) -> bool:
        return conn.execute(
            "SELECT EXISTS (SELECT 1 FROM runs WHERE content_sha256 = :s) OR "
            "EXISTS (SELECT 1 FROM runs WHERE output_sha256 = :s) OR "
            "EXISTS (SELECT 1 FROM run_styles WHERE sha256 = :s) OR "
            "EXISTS (SELECT 1 FROM run_snapshots WHERE sha256 = :s) OR "
            "EXISTS (SELECT 1 FROM run_masks WHERE sha256 = :s)", {"s": sha}).fetchone()[0] == 1

    # ------------------------------------------------------------------ cleanup

    def cleanup_orphans(self, grace_seconds: float | None = None) -> CleanupReport:
        """Remove what a crash can leave behind: unreferenced image rows, files and temp files.

        Files younger than ``grace_seconds`` (default: the store's) are kept, since another
        process may be saving a run that will reference them. Best effort: never raises for
        a file it cannot remove.
        """
        grace = self.grace_seconds if grace_seconds is None else float(grace_seconds)
        cutoff = time.time() - grace
        try:
            with self._write() as conn:
                orphan_rows = conn.execute(
                    "DELETE FROM images WHERE sha256 NOT IN (SELECT content_sha256 FROM runs "
                    "UNION SELECT output_sha256 FROM runs UNION SELECT sha256 FROM run_styles "
                    "UNION SELECT sha256 FROM run_snapshots UNION SELECT sha256 FROM run_masks)").rowcount
            known = {row[0] for row in self._conn().execute("SELECT sha256 FROM images")}
        except sqlite3.Error as error:
            log.warning("gallery cleanup skipped: %s", error)
            return CleanupReport()
        candidates: list[str] = []
        temp_files = 0
        try:
            shards = [entry for entry in os.scandir(self.images_dir) if entry.is_dir(follow_symlinks=False)]
        except OSError:
            shards = []
        for shard in shards:
            try:
                entries = list(os.scandir(shard.path))
            except OSError:
                continue
            for entry in entries:
                name = entry.name
                try:
                    if name.endswith(_TEMP_SUFFIX):
                        if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                            os.unlink(entry.path)
                            temp_files += 1
                    elif name.endswith(".png") and name[:-4] not in known:
                        if entry.stat(follow_symlinks=False).st_mtime < cutoff:
                            candidates.append(name[:-4])
                except OSError:
                    continue
        try:
            orphan_files = self._remove_files_if_unreferenced(candidates)
        except (OSError, sqlite3.Error) as error:
            log.warning("gallery cleanup could not remove orphan files: %s", error)
            orphan_files = 0
        report = CleanupReport(orphan_files=orphan_files, temp_files=temp_files, orphan_rows=orphan_rows)
        if orphan_files or temp_files or orphan_rows:
            log.info("gallery cleanup: %s", report)
        return report

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` ("ok" when healthy)."""
        return "; ".join(row[0] for row in self._conn().execute("PRAGMA integrity_check"))

    # ------------------------------------------------------------------ export

    def export_run(self, run_id: int, dest_dir: str | os.PathLike[str]) -> Path:
        """Write the result as a PNG with the run's parameters embedded, plus a JSON sidecar.

        Returns the PNG's path: ``<dest_dir>/run-<id>[-<title>].png`` and the same name ``.json``.
        """
        record = self.get_run(run_id)
        pixels = self.output_image(run_id)
        stem = f"run-{record.id}" + (f"-{_slug(record.title)}" if _slug(record.title) else "")
        dest = Path(dest_dir).expanduser()
        metadata = png_metadata(record)
        sidecar = {
            "id": record.id, "created": record.created_at.isoformat(), "title": record.title, "notes": record.notes,
            "favourite": record.favourite, "status": record.status, "message": record.message,
            "params": record.params.to_dict(), "losses": record.losses, "steps": record.steps,
            "seconds": record.seconds, "width": record.width, "height": record.height, "device": record.device,
            "vgg19_weights": record.weights_id, "score": record.score, "leakage": record.leakage,
            "content": {"sha256": record.content_sha256, "name": record.content_name},
            "styles": [dataclasses.asdict(s) for s in record.styles],
            "group": {"id": record.group_id, "kind": record.group_kind, "label": record.group_label},
            "weight_changes": record.weight_changes, "trace_seconds": record.trace_seconds,
            "history": record.history,
        }
        png_path, json_path = dest / f"{stem}.png", dest / f"{stem}.json"
        try:
            dest.mkdir(parents=True, exist_ok=True)
            _write_file(png_path, png_bytes(pixels, metadata))
            _write_file(json_path, (json.dumps(sidecar, indent=2, default=_json_default) + "\n").encode())
        except OSError as error:
            raise StoreError(f"Cannot export run {run_id} to {dest}: {describe_os_error(error)}.") from None
        return png_path
