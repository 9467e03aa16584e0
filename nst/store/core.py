"""The :class:`Store`: one object over a data directory's database and image files.

Each ``*Mixin`` it is made of holds one idea (database, files, saving, reading, listing,
upkeep, export); this module only opens the folder and puts them together.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

from nst.errors import StoreError, describe_os_error
from nst.store.db import BUSY_TIMEOUT_SECONDS, DB_NAME, default_data_dir, on_read_only_mount
from nst.store.schema import SCHEMA_VERSION
from nst.store.export import ExportMixin
from nst.store.files import IMAGES_DIR
from nst.store.identity import sweep_refusal
from nst.store.listing import ListingMixin
from nst.store.records import CleanupReport
from nst.store.saving import SavingMixin
from nst.store.upkeep import GRACE_SECONDS, UpkeepMixin


class Store(SavingMixin, ExportMixin, ListingMixin, UpkeepMixin):
    """The gallery's runs on disk. Cheap to share: thread-safe, one connection per thread."""

    def __init__(self, data_dir: str | os.PathLike[str] | None = None, *, grace_seconds: float = GRACE_SECONDS,
                 cleanup: bool = True, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self.data_dir = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
        self.db_path = self.data_dir / DB_NAME
        self.images_dir = self.data_dir / IMAGES_DIR
        self.grace_seconds = float(grace_seconds)
        self.busy_timeout = float(busy_timeout)
        self._init_connections()
        self.read_only = on_read_only_mount(self.data_dir) and self.db_path.is_file()
        if self.read_only:  # e.g. a backup on a read-only mount: browse it, change nothing
            self._check_read_only_schema()
            self.last_cleanup = None
            return
        try:
            self.images_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"Cannot create the gallery folder {self.data_dir}: {describe_os_error(error)}; "
                "set NST_DATA_DIR to a writable folder."
            ) from None
        try:
            self._migrate()
        except StoreError:
            self.close()  # a failed open keeps no connection (and no file handle) behind
            raise
        self.sweep_refusal = self._sweep_refusal()
        self.last_cleanup: CleanupReport | None = self.cleanup_orphans() if cleanup else None

    def _check_read_only_schema(self) -> None:
        try:
            version = self.schema_version
        except sqlite3.Error as error:
            raise self._db_error("open the gallery database", error) from None
        if version != SCHEMA_VERSION:
            raise StoreError(f"The gallery in {self.data_dir} is read-only and was written by another version of "
                             f"the studio (schema {version}, this one uses {SCHEMA_VERSION}); copy it somewhere "
                             "writable to open it.")

    def _sweep_refusal(self) -> str | None:
        try:
            return sweep_refusal(self)
        except (OSError, sqlite3.Error) as error:  # a read-only folder or database: never sweep then
            return f"The gallery in {self.data_dir} cannot be checked ({error}), so nothing was deleted."

    @classmethod
    def open(cls, data_dir: str | os.PathLike[str] | None = None, **kwargs: Any) -> "Store":
        return cls(data_dir, **kwargs)

    def __enter__(self) -> "Store":
        return self
