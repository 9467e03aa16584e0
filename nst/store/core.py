"""The :class:`Store`: one object over a data directory's database and image files.

A plain class: it opens the folder (database handle, migration, ownership, orphan cleanup) and
each method is one call into the module that owns the idea (``saving``, ``reading``, ``listing``,
``upkeep``, ``export``, ``scorecards``, ``moments``, ``votes``, ``manifests``, ``backup``, ``prints``), with
the database handle and the images folder as explicit arguments.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nst.errors import StoreError, describe_os_error
from nst.run_types import RunInputs, RunToSave
from nst.scorecard_measures import SCORECARD_VERSION
# the idea modules, by name: every method below is one call into one of them
import nst.store.backup as backup
import nst.store.export as export
import nst.store.files as files
import nst.store.identity as identity
import nst.store.listing as listing
import nst.store.manifests as manifests
import nst.store.moments as moments
import nst.store.prints as prints
import nst.store.reading as reading
import nst.store.saving as saving
import nst.store.scorecards as scorecards
import nst.store.upkeep as upkeep
import nst.store.votes as votes
from nst.store.db import BUSY_TIMEOUT_SECONDS, DB_NAME, Database, default_data_dir, on_read_only_mount
from nst.store.records import CleanupReport, GroupSummary, RunRecord, RunSummary, StoredImage, StoredSnapshot


class Store:
    """The gallery's runs on disk. Cheap to share: thread-safe, one connection per thread."""

    def __init__(self, data_dir: str | os.PathLike[str] | None = None, *, grace_seconds: float = upkeep.GRACE_SECONDS,
                 cleanup: bool = True, busy_timeout: float = BUSY_TIMEOUT_SECONDS) -> None:
        self.data_dir = Path(data_dir).expanduser() if data_dir is not None else default_data_dir()
        self.images_dir = self.data_dir / files.IMAGES_DIR
        self.grace_seconds = float(grace_seconds)
        read_only = on_read_only_mount(self.data_dir) and (self.data_dir / DB_NAME).is_file()
        self.db = Database(self.data_dir, busy_timeout=busy_timeout, read_only=read_only)
        self.sweep_refusal: str | None = None  # why orphan files must stay (nst.store.identity)
        self.last_cleanup: CleanupReport | None = None
        if read_only:  # e.g. a backup on a read-only mount: browse it, change nothing
            self.db.check_read_only_schema()
            return
        try:
            self.images_dir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise StoreError(
                f"Cannot create the gallery folder {self.data_dir}: {describe_os_error(error)}; "
                "set NST_DATA_DIR to a writable folder."
            ) from None
        try:
            self.db.migrate()
        except StoreError:
            self.db.close()  # a failed open keeps no connection (and no file handle) behind
            raise
        self.sweep_refusal = self._sweep_refusal()
        if cleanup:
            self.last_cleanup = self.cleanup_orphans()

    def _sweep_refusal(self) -> str | None:
        try:
            return identity.sweep_refusal(self.db, self.images_dir)
        except (OSError, sqlite3.Error) as error:  # a read-only folder or database: never sweep then
            return f"The gallery in {self.data_dir} cannot be checked ({error}), so nothing was deleted."

    @property
    def db_path(self) -> Path:
        return self.db.path

    @property
    def read_only(self) -> bool:
        return self.db.read_only

    @property
    def schema_version(self) -> int:
        return self.db.schema_version

    def close(self) -> None:
        """Close every connection this store opened in this process (never a parent's after fork)."""
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- one run in, one run out (nst.store.saving, nst.store.reading, nst.store.export)

    def save(self, run: RunToSave) -> int:
        """Store a run and return its id. All or nothing: a failure leaves no trace of it."""
        return saving.save_run(self.db, self.images_dir, run)

    def get_run(self, run_id: int) -> RunRecord:
        with self.db.read() as conn:
            return reading.get_run(conn, int(run_id))

    def output_image(self, run_id: int) -> np.ndarray:
        """The result, float32 H x W x 3 in [0, 1] (8-bit precision, as saved)."""
        return reading.output_image(self.db.conn(), self.images_dir, run_id)

    def thumbnail_bytes(self, run_id: int) -> bytes:
        return reading.thumbnail_bytes(self.db.conn(), self.images_dir, run_id)

    def thumbnails(self, run_ids: Sequence[int]) -> dict[int, bytes]:
        """Thumbnails of many runs in one query; unknown ids are left out."""
        return reading.thumbnails(self.db.conn(), self.images_dir, run_ids)

    def snapshots(self, run_id: int) -> list[StoredSnapshot]:
        return reading.run_snapshots(self.db.conn(), self.images_dir, run_id)

    def input_images(self, run_id: int) -> RunInputs:
        """The content and style images of a run (float32, as the engine takes them), the blend and masks."""
        return reading.input_images(self.db.conn(), self.images_dir, run_id)

    def image(self, sha256: str) -> np.ndarray:
        """Any stored image by hash (e.g. a content image from :meth:`distinct_contents`), float32."""
        return reading.stored_image(self.db.conn(), self.images_dir, sha256)

    def image_path(self, sha256: str) -> Path:
        return files.image_path(self.images_dir, sha256)

    def export_run(self, run_id: int, dest_dir: str | os.PathLike[str]) -> Path:
        """The run's picture (its kept moment, else the result) as a PNG with the parameters embedded, plus a
        JSON sidecar; returns the PNG's path."""
        return export.export_run(self.db, self.images_dir, run_id, dest_dir)

    # -- files kept beside a run: its original photo, a print's TIFF (nst.store.prints)

    def original_file(self, run_id: int) -> bytes | None:
        """The bytes of the original photo kept with run ``run_id`` (None when none was kept)."""
        return prints.original_file(self.db.conn(), self.images_dir, run_id)

    def original_photo(self, run_id: int) -> np.ndarray | None:
        """The original photo kept with run ``run_id`` as float32 pixels (at most 8192 px), or None."""
        return prints.original_photo(self.db.conn(), self.images_dir, run_id)

    def original_size(self, run_id: int) -> tuple[int, int] | None:
        """(width, height) of the original photo kept with run ``run_id``, or None when none was kept."""
        return prints.original_size(self.db.conn(), run_id)

    def photo_size(self, run_id: int) -> tuple[int, int]:
        """(width, height) of the best photo run ``run_id`` has: its original when kept, else its stored photo."""
        return prints.photo_size(self.db.conn(), run_id)

    def print_of(self, run_id: int) -> prints.PrintInfo | None:
        """The print run ``run_id`` is (its file and source), or None when it is an ordinary run."""
        return prints.print_of(self.db.conn(), self.images_dir, run_id)

    def prints_of(self, source_run: int) -> list[prints.PrintInfo]:
        """The prints made from run ``source_run``, newest first."""
        return prints.prints_of(self.db.conn(), self.images_dir, source_run)

    # -- finding runs (nst.store.listing)

    def list_runs(self, *, content_hash: str | None = None, style_hash: str | None = None,
                  favourites: bool = False, group_id: str | None = None, status: str | None = None,
                  sort: str = "newest", limit: int = 50, offset: int = 0,
                  bounds: dict[str, float] | None = None) -> list[RunSummary]:
        """A page of runs, without images (fetch those with :meth:`thumbnails`); see ``listing.list_runs``."""
        with self.db.read() as conn:
            return listing.list_runs(conn, content_hash=content_hash, style_hash=style_hash, favourites=favourites,
                                     group_id=group_id, status=status, sort=sort, limit=limit, offset=offset,
                                     bounds=bounds)

    def count_runs(self, *, content_hash: str | None = None, style_hash: str | None = None,
                   favourites: bool = False, group_id: str | None = None, status: str | None = None,
                   bounds: dict[str, float] | None = None) -> int:
        return listing.count_runs(self.db.conn(), content_hash=content_hash, style_hash=style_hash,
                                  favourites=favourites, group_id=group_id, status=status, bounds=bounds)

    def distinct_contents(self) -> list[StoredImage]:
        return listing.distinct_contents(self.db.conn())

    def distinct_styles(self) -> list[StoredImage]:
        return listing.distinct_styles(self.db.conn())

    def groups(self, *, kind: str | None = None) -> list[GroupSummary]:
        return listing.groups(self.db.conn(), kind)

    # -- edits, deletion, cleanup and health (nst.store.upkeep, nst.store.manifests, nst.store.backup)

    def rename(self, run_id: int, title: str) -> None:
        upkeep.rename(self.db, run_id, title)

    def set_notes(self, run_id: int, notes: str) -> None:
        upkeep.set_notes(self.db, run_id, notes)

    def set_favourite(self, run_id: int, favourite: bool) -> None:
        upkeep.set_favourite(self.db, run_id, favourite)

    def set_score(self, run_id: int, score: float | None) -> None:
        upkeep.set_score(self.db, run_id, score)

    def set_leakage(self, run_id: int, leakage: float | None) -> None:
        upkeep.set_leakage(self.db, run_id, leakage)

    def delete_run(self, run_id: int) -> None:
        """Delete a run and every file no other run uses (shared inputs stay)."""
        upkeep.delete_run(self.db, self.images_dir, run_id)

    def cleanup_orphans(self, grace_seconds: float | None = None) -> CleanupReport:
        """Remove what a crash can leave behind (files younger than ``grace_seconds``, default the store's, stay)."""
        grace = self.grace_seconds if grace_seconds is None else float(grace_seconds)
        return upkeep.cleanup_orphans(self.db, self.images_dir, grace, self.sweep_refusal)

    def integrity_check(self) -> str:
        return upkeep.integrity_check(self.db.conn())

    def health(self) -> dict[str, Any]:
        """What ``nst gallery check`` reports (``upkeep.health``)."""
        return upkeep.health(self.db, self.images_dir, self.sweep_refusal)

    def rebuild(self) -> dict[str, int]:
        """Put the runs back from their manifests (a lost database), and unplaced pictures as untitled runs."""
        return manifests.rebuild_from_manifests(self.db, self.images_dir)

    def backup(self, folder: Path) -> dict[str, Any]:
        return backup.backup_gallery(self.db, self.images_dir, folder)

    def restore(self, folder: Path) -> dict[str, Any]:
        return backup.restore_gallery(self.db, self.images_dir, folder)

    # -- scorecards kept beside the runs (nst.store.scorecards)

    def save_scorecard(self, run_id: int, card: dict[str, Any]) -> None:
        scorecards.save_scorecard(self.db, run_id, card)

    def scorecards(self, run_ids: Sequence[int], version: str = SCORECARD_VERSION) -> dict[int, dict[str, Any]]:
        """``{run id: scorecard}`` for the runs that have one of ``version``."""
        return scorecards.scorecards_of(self.db.conn(), run_ids, version)

    def scorecard(self, run_id: int) -> dict[str, Any] | None:
        return self.scorecards([run_id]).get(int(run_id))

    def runs_without_scorecard(self, version: str = SCORECARD_VERSION) -> list[int]:
        return scorecards.runs_without_scorecard(self.db.conn(), version)

    # -- the best moment: the final scale's snapshots, their scorecards, the kept one (nst.store.moments)

    def moment_candidates(self, run_ids: Sequence[int]) -> dict[int, list[tuple[int, str]]]:
        """``{run id: [(step, sha256) ...]}``: the snapshots each run could keep instead of its final image."""
        return moments.candidates_of(self.db.conn(), run_ids)

    def save_moment_scorecards(self, run_id: int, cards: dict[int, dict[str, Any]]) -> None:
        moments.save_moment_scorecards(self.db, run_id, cards)

    def runs_without_moment_scorecards(self, version: str = SCORECARD_VERSION) -> list[int]:
        return moments.runs_without_moment_scorecards(self.db.conn(), version)

    def run_moments(self, run_ids: Sequence[int], version: str = SCORECARD_VERSION) -> dict[int, moments.RunMoments]:
        """Each run's moments with their scorecards, the suggested one and the kept one."""
        with self.db.read() as conn:
            return moments.run_moments(conn, run_ids, version)

    def kept_steps(self, run_ids: Sequence[int]) -> dict[int, int]:
        """``{run id: step}`` for the runs that keep a snapshot instead of their final image."""
        return moments.kept_steps(self.db.conn(), run_ids)

    def keep_moment(self, run_id: int, step: int | None) -> None:
        """Make snapshot ``step`` of the final scale the run's picture (``None``: the final image again)."""
        moments.keep_moment(self.db, self.images_dir, run_id, step)

    def kept_image(self, run_id: int) -> np.ndarray:
        """The run's picture: its kept moment, else the final image (float32 H x W x 3 in [0, 1])."""
        with self.db.read() as conn:
            return moments.kept_image(conn, self.images_dir, run_id)

    def picture_thumbnails(self, run_ids: Sequence[int]) -> dict[int, bytes]:
        """The cards' thumbnails: of each run's kept moment where it keeps one, else of the final image."""
        with self.db.read() as conn:
            return moments.picture_thumbnails(conn, self.images_dir, run_ids)

    # -- friends' votes (nst.store.votes)

    def record_vote(self, voter: str, left: int, right: int, outcome: str, *, now: float | None = None) -> None:
        votes.record_vote(self.db, voter, left, right, outcome, now=now)

    def undo_last_vote(self, voter: str) -> votes.Vote | None:
        return votes.undo_last_vote(self.db, voter)

    def reset_votes(self, run_ids: Sequence[int]) -> int:
        return votes.reset_votes(self.db, run_ids)

    def votes_among(self, run_ids: Sequence[int] | None = None) -> list[votes.Vote]:
        return votes.votes_among(self.db.conn(), run_ids)

    def voted_pairs(self, voter: str) -> set[tuple[int, int]]:
        return votes.voted_pairs(self.db.conn(), voter)
