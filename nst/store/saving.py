"""Saving a run: encode everything, write the files, then insert every row in one transaction.

All or nothing (docs/store.md, "Why a crash cannot leave a half-visible run"): pictures are
encoded without a lock, files are written durably before the transaction, and inside it (holding
the write lock) every file is checked again and rewritten if a cleanup elsewhere removed it.
Until the commit there is no run; after it, the run is complete.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nst.best_moment import MOMENTS
from nst.edges import check_notes, check_title
from nst.errors import StoreError, describe_os_error
from nst.params import StyleParams
from nst.run_types import LossTerms, RunLabels, RunToSave, run_status
from nst.store.manifests import write_manifest
from nst.store.db import Database
from nst.store.files import (Blob, as_uint8_rgb, make_blob, mask_rgb, remove_files_if_unreferenced,
                             write_blobs)
from nst.store.run_files import (Attachment, attachments, insert_attachments, remove_unreferenced,
                                 write_attachments)
from nst.store.schema import MASK_KINDS

RUN_SNAPSHOTS = 9  # evenly spaced over the whole run, the first and the last included
MAX_SNAPSHOTS = RUN_SNAPSHOTS + MOMENTS  # and up to MOMENTS of the final scale (the best moment's candidates)


def real_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def losses_dict(losses: LossTerms) -> dict[str, float]:
    """The four loss terms as plain floats (a result's or a snapshot's)."""
    return {k: float(v) for k, v in losses.to_dict().items()}


def _evenly(indices: Sequence[int], limit: int) -> set[int]:
    """Up to ``limit`` of ``indices``, evenly spaced, the first and the last included."""
    if len(indices) <= limit:
        return set(indices)
    return {indices[int(round(i))] for i in np.linspace(0, len(indices) - 1, limit)}


def pick_snapshots(snapshots: Sequence[Any]) -> list[Any]:
    """The snapshots kept: ``RUN_SNAPSHOTS`` evenly spaced over the run (the timeline), and ``MOMENTS`` evenly
    spaced over the final scale (the moments the run's best moment is chosen from: nst.best_moment)."""
    if not snapshots:
        return []
    final_scale = max(int(getattr(s, "scale_index", 0)) for s in snapshots)
    final = [i for i, s in enumerate(snapshots) if int(getattr(s, "scale_index", 0)) == final_scale]
    kept = _evenly(range(len(snapshots)), RUN_SNAPSHOTS) | _evenly(final, MOMENTS)
    return [snapshots[i] for i in sorted(kept)]


def _checked_run(run: RunToSave) -> tuple[StyleParams, str, tuple[float, ...], tuple[str, ...]]:
    """(params, run status, blend, style names) of a run to save, or a StoreError saying what is wrong."""
    result, inputs = run.result, run.inputs
    params = result.params if isinstance(result.params, StyleParams) else StyleParams.from_dict(result.params)
    try:
        status = run_status(str(result.status))
    except ValueError as error:
        raise StoreError(str(error)) from None
    styles, style_names = inputs.styles, tuple(inputs.style_names)
    if not styles:
        raise StoreError("A run needs at least one style image to be saved.")
    blend = tuple(float(b) for b in inputs.blend) if inputs.blend else params.blend_weights(len(styles))
    if len(blend) != len(styles):
        raise StoreError(f"Got {len(blend)} blend weights for {len(styles)} style images; give one per style.")
    names = style_names + ("",) * (len(styles) - len(style_names))
    if len(names) != len(styles):
        raise StoreError(f"Got {len(style_names)} style names for {len(styles)} style images.")
    return params, status, blend, names


def _run_columns(result: Any, params: StyleParams, status: str, output: np.ndarray) -> dict[str, Any]:
    """The ``runs`` columns that describe what ran and what came out."""
    losses = losses_dict(result.losses)
    return {
        "status": status, "message": str(getattr(result, "message", "") or ""),
        "content_weight": params.content_weight, "style_weight": params.style_weight,
        "tv_weight": params.tv_weight, "size": params.size, "optimizer": params.optimizer,
        "width": int(output.shape[1]), "height": int(output.shape[0]),
        "steps": int(result.steps), "seconds": float(result.seconds),
        "loss_total": losses["total"], "loss_content": losses["content"], "loss_style": losses["style"],
        "loss_tv": losses["tv"], "device": str(getattr(result, "device", "") or ""),
        "weights_id": str(getattr(result, "weights_id", "") or ""), "params_json": json.dumps(params.to_dict()),
    }


def _label_columns(labels: RunLabels) -> dict[str, Any]:
    """The ``runs`` columns the gallery shows a run by."""
    return {"title": check_title(str(labels.title)), "notes": check_notes(str(labels.notes)),
            "favourite": int(bool(labels.favourite)),
            "group_id": labels.group_id, "group_kind": labels.group_kind, "group_label": labels.group_label,
            "group_axes": json.dumps(dict(labels.group_axes)) if labels.group_axes else None,
            "score": real_or_none(labels.score), "leakage": real_or_none(labels.leakage)}


def _details(result: Any) -> tuple[str, str]:
    """(history JSON, extra JSON) for ``run_details``."""
    history = [dict(row) for row in (getattr(result, "history", None) or [])]
    extra = {
        "weight_changes": [int(s) for s in (getattr(result, "weight_changes", None) or [])],
        "trace_seconds": {str(k): float(v) for k, v in (getattr(result, "trace_seconds", None) or {}).items()},
    }
    return json.dumps(history, default=json_default), json.dumps(extra)


@dataclass
class EncodedRun:
    """A run ready to insert: every file's bytes, and every row except the ids SQLite assigns."""

    blobs: list[Blob]
    run: dict[str, Any]  # runs columns
    style_rows: list[tuple]  # (position, sha256, name, weight)
    snapshot_rows: list[tuple]  # (step, scale_index, sha256, losses_json)
    details: tuple[str, str]  # (history_json, extra_json)
    mask_rows: list[tuple[str, str]]  # (kind, sha256)


def _snapshot_blobs(snapshots: Sequence[Any]) -> tuple[list[tuple], list[Blob]]:
    rows, blobs = [], []
    for snap in pick_snapshots(list(snapshots)):
        blob = make_blob(as_uint8_rgb(snap.image, "snapshot"), "snapshot")
        blobs.append(blob)
        rows.append((int(snap.step), int(getattr(snap, "scale_index", 0)), blob.sha256,
                     json.dumps(losses_dict(snap.losses))))
    return rows, blobs


def _mask_blobs(masks: Mapping[str, np.ndarray | None]) -> dict[str, Blob]:
    unknown = sorted(set(masks) - set(MASK_KINDS))
    if unknown:
        raise StoreError(f"Unknown mask kind(s) {', '.join(unknown)}; use {' or '.join(MASK_KINDS)}.")
    return {kind: make_blob(mask_rgb(mask, kind), "mask") for kind, mask in masks.items() if mask is not None}


def encode_run(run: RunToSave) -> EncodedRun:
    """Check and encode a run (CPU work, no lock held), or a StoreError saying what is wrong with it."""
    params, status, blend, names = _checked_run(run)
    result, inputs = run.result, run.inputs
    output = as_uint8_rgb(result.image, "output image")
    output_blob = make_blob(output, "output", with_thumbnail=True)
    content_blob = make_blob(as_uint8_rgb(inputs.content, "content image"), "content", with_thumbnail=True,
                             name=inputs.content_name)
    style_blobs = [make_blob(as_uint8_rgb(s, f"style image {i + 1}"), "style", with_thumbnail=True, name=n)
                   for i, (s, n) in enumerate(zip(inputs.styles, names))]
    snapshot_rows, snapshot_blobs = _snapshot_blobs(getattr(result, "snapshots", None) or [])
    masks = _mask_blobs(inputs.masks or {})
    row = {"created": time.time(), **_label_columns(run.labels), **_run_columns(result, params, status, output),
           "content_sha256": content_blob.sha256, "content_name": str(inputs.content_name),
           "output_sha256": output_blob.sha256}
    return EncodedRun(
        blobs=[content_blob, *style_blobs, output_blob, *snapshot_blobs, *masks.values()], run=row,
        style_rows=[(i, b.sha256, str(n), w) for i, (b, n, w) in enumerate(zip(style_blobs, names, blend))],
        snapshot_rows=snapshot_rows, details=_details(result),
        mask_rows=[(kind, blob.sha256) for kind, blob in masks.items()])


def save_run(db: Database, images_dir: Path, run: RunToSave) -> int:
    """Store a run and return its id. All or nothing: a failure leaves no trace of it."""
    encoded = encode_run(run)
    files = attachments(run)  # the original photo, a print's TIFF (nst.store.run_files)
    created: list[str] = []
    created_files: list[Attachment] = []
    try:
        write_blobs(images_dir, encoded.blobs, created)
        write_attachments(images_dir, files, created_files)
        with db.write() as conn:
            # A cleanup elsewhere may have removed a file we found already present; it could
            # only do so holding this lock and with no row naming it, so re-check here.
            write_blobs(images_dir, encoded.blobs, created)
            write_attachments(images_dir, files, created_files)
            run_id = insert_run(conn, encoded)
            insert_attachments(conn, run_id, files, run.print_file)
            # in the transaction: a manifest that cannot be written fails the save (nst.store.manifests)
            write_manifest(conn, images_dir, run_id, [blob.sha256 for blob in encoded.blobs])
        return run_id
    except OSError as error:
        _forget(db, images_dir, created, created_files)
        raise StoreError(f"Cannot save the run to {db.folder}: {describe_os_error(error)} "
                         "(runs saved earlier are safe).") from None
    except sqlite3.Error as error:
        _forget(db, images_dir, created, created_files)
        raise db.error("save the run", error) from None
    except BaseException:
        _forget(db, images_dir, created, created_files)
        raise


def insert_run(conn: sqlite3.Connection, encoded: EncodedRun) -> int:
    """Insert an encoded run's rows (call inside the write transaction); returns the new run id."""
    now = time.time()
    for blob in encoded.blobs:
        conn.execute(
            "INSERT INTO images (sha256, role, width, height, nbytes, name, thumbnail, created) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(sha256) DO UPDATE SET "
            "name = CASE WHEN images.name = '' THEN excluded.name ELSE images.name END, "
            "thumbnail = COALESCE(images.thumbnail, excluded.thumbnail)",
            (blob.sha256, blob.role, blob.width, blob.height, len(blob.data), blob.name, blob.thumbnail, now),
        )
    run = encoded.run
    marks = ", ".join("?" for _ in run)
    run_id = conn.execute(f"INSERT INTO runs ({', '.join(run)}) VALUES ({marks})", tuple(run.values())).lastrowid
    conn.executemany("INSERT INTO run_styles (run_id, position, sha256, name, weight) VALUES (?, ?, ?, ?, ?)",
                     [(run_id, *row) for row in encoded.style_rows])
    conn.executemany(
        "INSERT INTO run_snapshots (run_id, position, step, scale_index, sha256, losses_json) "
        "VALUES (?, ?, ?, ?, ?, ?)", [(run_id, i, *row) for i, row in enumerate(encoded.snapshot_rows)])
    conn.execute("INSERT INTO run_details (run_id, history_json, extra_json) VALUES (?, ?, ?)",
                 (run_id, *encoded.details))
    conn.executemany("INSERT INTO run_masks (run_id, kind, sha256) VALUES (?, ?, ?)",
                     [(run_id, kind, sha) for kind, sha in encoded.mask_rows])
    return int(run_id)


def _forget(db: Database, images_dir: Path, shas: Sequence[str], files: Sequence[Attachment] = ()) -> None:
    """Best effort after a failed save: remove the files it created that nothing names."""
    try:
        remove_files_if_unreferenced(db, images_dir, shas)
        remove_unreferenced(db, images_dir, [(f.sha256, f.suffix) for f in files])
    except (OSError, sqlite3.Error):
        pass  # the orphan cleanup on a later open gets them
