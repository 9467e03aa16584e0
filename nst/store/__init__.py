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

The package, one idea a module, each a set of functions that take the database handle
(:class:`nst.store.db.Database`, or one of its connections) and the images folder as arguments:
``schema`` (forward migrations), ``db`` (the handle: connections, locks, error sentences),
``files`` (content-addressed image files), ``saving`` (a run in, all or nothing), ``reading``
(one run out), ``listing`` (pages, counts, filters), ``upkeep`` (edits, deletion, orphan cleanup,
health), ``export``, ``identity`` (which pictures belong to which database), ``manifests`` (a
run's rows beside its pictures; rebuild), ``backup``, ``full_disk``, ``scorecards``, ``moments`` (the
best moment), ``votes`` and ``records`` (what comes back). ``core`` holds :class:`Store`, a plain class: it opens the folder,
and each method is one call into one of those modules. Everyone outside the package goes through
``Store``. A run to save is a :class:`nst.run_types.RunToSave` (``Store.save``). Nothing here
imports TensorFlow or Streamlit.
"""

from __future__ import annotations

from nst.store.core import Store
from nst.store.db import BUSY_TIMEOUT_SECONDS, DB_NAME, default_data_dir, new_group_id
from nst.store.export import png_metadata
from nst.store.files import IMAGES_DIR, THUMBNAIL_QUALITY, THUMBNAIL_SIZE, image_hash
from nst.store.listing import SORTS, STATUSES
from nst.store.moments import RunMoments
from nst.store.records import (CleanupReport, GroupSummary, RunRecord, RunSummary, StoredImage,
                               StoredSnapshot, StyleRef)
from nst.store.saving import MAX_SNAPSHOTS
from nst.store.schema import MASK_KINDS, MIGRATIONS, SCHEMA_VERSION
from nst.store.upkeep import GRACE_SECONDS

__all__ = [
    "Store", "RunRecord", "RunSummary", "StyleRef", "StoredSnapshot",
    "StoredImage", "GroupSummary", "CleanupReport", "RunMoments",
    "default_data_dir", "image_hash", "new_group_id", "png_metadata",
    "SCHEMA_VERSION", "MIGRATIONS", "MASK_KINDS", "SORTS", "STATUSES", "MAX_SNAPSHOTS", "THUMBNAIL_SIZE",
    "THUMBNAIL_QUALITY", "GRACE_SECONDS", "BUSY_TIMEOUT_SECONDS", "DB_NAME", "IMAGES_DIR",
]
