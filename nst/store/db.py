"""The gallery database handle: one connection per thread and process, WAL, short write transactions.

Several Streamlit sessions, sweeps and the CLI write at once. A :class:`Database` gives each thread
its own connection (replaced after ``fork``, closed with its thread); reads that take several
queries share one snapshot (:meth:`Database.read`), and writes take SQLite's single write lock
with ``BEGIN IMMEDIATE`` and a busy timeout (:meth:`Database.write`). The store's other modules
are functions that take this handle (or one of its connections) and the images folder.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
import time
import uuid
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from nst.errors import StoreError
from nst.store.schema import SCHEMA_VERSION, migrate

DB_NAME = "gallery.sqlite3"
BUSY_TIMEOUT_SECONDS = 10.0


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


def named_rows(cursor: sqlite3.Cursor) -> list[dict[str, Any]]:
    """A query's rows as {column: value} dicts, so code reads columns by name, never by position."""
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def missing_run(run_id: int) -> StoreError:
    return StoreError(f"There is no run {run_id} in the gallery (it may have been deleted).")


def on_read_only_mount(folder: Path) -> bool:
    """The folder is on a file system mounted read-only (checked on the mount, so root counts too)."""
    try:
        return bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False


FULL_BELOW_BYTES = 1 << 20  # less free space than this and SQLite's WAL files cannot be made


def disk_is_full(folder: Path) -> bool:
    try:
        stats = os.statvfs(folder)
    except OSError as error:
        return error.errno == errno.ENOSPC
    return stats.f_bavail * stats.f_frsize < FULL_BELOW_BYTES


def damaged_database(db_path: Path, error: sqlite3.Error) -> StoreError:
    return StoreError(f"The gallery database {db_path} is damaged ({error}); run `nst gallery check` to see "
                      "what can still be read, and put back a copy from a backup if you have one.")


class _Connection(sqlite3.Connection):
    """A connection that remembers its process and can be weakly referenced."""

    pid: int = 0


class Database:
    """The database file of the gallery in ``folder``: connections, transactions, one-sentence errors.

    ``read_only``: the gallery is on a read-only mount; connections open it immutable, and every
    change is refused with one sentence (:meth:`error`).
    """

    def __init__(self, folder: Path, *, busy_timeout: float = BUSY_TIMEOUT_SECONDS, read_only: bool = False) -> None:
        self.folder = folder
        self.path = folder / DB_NAME
        self.busy_timeout = float(busy_timeout)
        self.read_only = read_only
        self._local = threading.local()
        # Weak: a thread's connection lives in its thread-local slot and is closed when the thread
        # ends (Streamlit runs each rerun in a new thread); close() reaches the ones still alive.
        self.connections: weakref.WeakSet[_Connection] = weakref.WeakSet()
        self._connections_lock = threading.Lock()

    def conn(self) -> sqlite3.Connection:
        """This thread's connection (opened on first use, and again after ``fork``)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and conn.pid == os.getpid():
            return conn
        try:
            # read-only mount: nothing can change the file, and SQLite may not create its -shm there
            target, uri = (f"file:{self.path}?mode=ro&immutable=1", True) if self.read_only else (self.path, False)
            conn = sqlite3.connect(target, timeout=self.busy_timeout, isolation_level=None,
                                   check_same_thread=False, factory=_Connection, uri=uri)
            conn.pid = os.getpid()
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as error:
            raise self.error("open the gallery database", error) from None
        self._local.conn = conn
        with self._connections_lock:
            self.connections.add(conn)
        return conn

    def close(self) -> None:
        """Close every connection opened in this process (never a parent's after fork)."""
        with self._connections_lock:
            connections, self.connections = list(self.connections), weakref.WeakSet()
        for conn in connections:
            if conn.pid != os.getpid():
                continue
            try:
                conn.close()
            except sqlite3.Error:
                pass
        self._local = threading.local()

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A short write transaction holding SQLite's write lock (BEGIN IMMEDIATE)."""
        conn = self.conn()
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
    def read(self) -> Iterator[sqlite3.Connection]:
        """One consistent snapshot for several SELECTs (WAL: never blocks, never blocks writers)."""
        conn = self.conn()
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")

    def error(self, doing: str, error: sqlite3.Error) -> StoreError:
        """The one sentence for an SQLite error while ``doing`` something (read-only, full, busy, damaged)."""
        text = str(error).lower()
        if self.read_only or "readonly" in text:
            return StoreError(f"Cannot {doing}: the gallery in {self.folder} is read-only; browse it, or copy it "
                              "to a writable folder (NST_DATA_DIR) to change it.")
        if "full" in text or ("disk i/o" in text and disk_is_full(self.folder)):
            return StoreError(f"Cannot {doing}: the disk holding {self.folder} is full; free some space "
                              "(`nst gallery delete ID` works even now) and try again (runs saved earlier are safe).")
        if "locked" in text or "busy" in text:
            return StoreError(f"Cannot {doing}: the gallery database stayed busy for more than "
                              f"{self.busy_timeout:g} s; try again.")
        if "malformed" in text or "not a database" in text:
            return damaged_database(self.path, error)
        return StoreError(f"Cannot {doing}: {error}.")

    @property
    def schema_version(self) -> int:
        return int(self.conn().execute("PRAGMA user_version").fetchone()[0])

    def migrate(self) -> None:
        """WAL mode, then the schema moved forward to ``SCHEMA_VERSION`` (nst.store.schema)."""
        try:
            self._enable_wal()
            if self.schema_version == SCHEMA_VERSION:
                return
            with self.write() as conn:
                migrate(conn, self.folder)
        except sqlite3.Error as error:
            raise self.error("open the gallery database", error) from None

    def check_read_only_schema(self) -> None:
        """A read-only gallery cannot be migrated: refuse one of another schema version."""
        try:
            version = self.schema_version
        except sqlite3.Error as error:
            raise self.error("open the gallery database", error) from None
        if version != SCHEMA_VERSION:
            raise StoreError(f"The gallery in {self.folder} is read-only and was written by another version of "
                             f"the studio (schema {version}, this one uses {SCHEMA_VERSION}); copy it somewhere "
                             "writable to open it.")

    def _enable_wal(self) -> None:
        """Switch to WAL, retrying while another process creating the same gallery holds the lock."""
        conn = self.conn()
        for attempt in range(50):
            try:
                if conn.execute("PRAGMA journal_mode = WAL").fetchone()[0].lower() != "wal":
                    raise StoreError(f"The gallery database {self.path} cannot use WAL mode "
                                     "(is it on a network drive?); set NST_DATA_DIR to a local folder.")
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error).lower() or attempt == 49:
                    raise
                time.sleep(0.1)
