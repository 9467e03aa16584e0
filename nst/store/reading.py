"""Opening one run: its record, its pictures (result, snapshots, inputs, masks) and thumbnails."""

from __future__ import annotations

import json
import math
import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nst.errors import StoreError
from nst.encode import from_uint8, to_uint8
from nst.params import StyleParams
from nst.store.db import missing_run, named_rows
from nst.store.files import read_image, thumbnail
from nst.run_types import RunInputs
from nst.store.records import RunRecord, StoredSnapshot, StyleRef, axes_from_json

RUN_FILES_QUERY = ("SELECT content_sha256 FROM runs WHERE id = :id UNION SELECT output_sha256 FROM runs WHERE id = :id "
              "UNION SELECT sha256 FROM run_styles WHERE run_id = :id "
              "UNION SELECT sha256 FROM run_snapshots WHERE run_id = :id "
              "UNION SELECT sha256 FROM run_masks WHERE run_id = :id")  # every image a run names (param :id)


def nan_if_none(value: Any) -> float:
    return math.nan if value is None else float(value)


def styles_of(conn: sqlite3.Connection, run_ids: Sequence[int]) -> dict[int, tuple[StyleRef, ...]]:
    """The styles of many runs in blend order, a few queries of up to 500 ids each."""
    out: dict[int, list[StyleRef]] = {}
    for start in range(0, len(run_ids), 500):
        chunk = list(run_ids[start:start + 500])
        marks = ", ".join("?" for _ in chunk)
        for run_id, sha, name, weight in conn.execute(
                f"SELECT run_id, sha256, name, weight FROM run_styles WHERE run_id IN ({marks}) "
                "ORDER BY run_id, position", chunk):
            out.setdefault(run_id, []).append(StyleRef(sha, name, weight))
    return {k: tuple(v) for k, v in out.items()}


def _record(r: dict[str, Any], details: tuple[str, str], styles: tuple[StyleRef, ...],
            snapshot_steps: tuple[int, ...], disk_bytes: int) -> RunRecord:
    """A ``runs`` row (by name) and what belongs to it, as a RunRecord."""
    extra = json.loads(details[1])
    return RunRecord(
        id=r["id"], created=r["created"], title=r["title"], notes=r["notes"], favourite=bool(r["favourite"]),
        status=r["status"], message=r["message"], params=StyleParams.from_saved(json.loads(r["params_json"])),
        losses={k: nan_if_none(r[f"loss_{k}"]) for k in ("total", "content", "style", "tv")},
        history=json.loads(details[0]), steps=r["steps"], seconds=r["seconds"], width=r["width"],
        height=r["height"], device=r["device"], weights_id=r["weights_id"],
        weight_changes=list(extra.get("weight_changes", [])), trace_seconds=dict(extra.get("trace_seconds", {})),
        content_sha256=r["content_sha256"], content_name=r["content_name"], styles=styles,
        output_sha256=r["output_sha256"], snapshot_steps=snapshot_steps, disk_bytes=disk_bytes,
        group_id=r["group_id"], group_kind=r["group_kind"], group_label=r["group_label"],
        score=r["score"], leakage=r["leakage"], group_axes=axes_from_json(r["group_axes"]),
    )


def run_column(conn: sqlite3.Connection, run_id: int, column: str) -> Any:
    """One column of run ``run_id``'s row, or the StoreError for a run that is not there."""
    row = conn.execute(f"SELECT {column} FROM runs WHERE id = ?", (int(run_id),)).fetchone()
    if row is None:
        raise missing_run(run_id)
    return row[0]


def get_run(conn: sqlite3.Connection, run_id: int) -> RunRecord:
    """Run ``run_id``'s record (call inside one read transaction: it takes several queries)."""
    rows = named_rows(conn.execute("SELECT * FROM runs WHERE id = ?", (run_id,)))
    if not rows:
        raise missing_run(run_id)
    details = conn.execute("SELECT history_json, extra_json FROM run_details WHERE run_id = ?",
                           (run_id,)).fetchone() or ("[]", "{}")
    snaps = conn.execute("SELECT step FROM run_snapshots WHERE run_id = ? ORDER BY position", (run_id,))
    disk = conn.execute(f"SELECT COALESCE(SUM(nbytes), 0) FROM images WHERE sha256 IN ({RUN_FILES_QUERY})",
                        {"id": run_id}).fetchone()[0]
    return _record(rows[0], details, styles_of(conn, [run_id]).get(run_id, ()),
                   tuple(s[0] for s in snaps.fetchall()), int(disk))


def output_image(conn: sqlite3.Connection, images_dir: Path, run_id: int) -> np.ndarray:
    """The result, float32 H x W x 3 in [0, 1] (8-bit precision, as saved)."""
    sha = run_column(conn, run_id, "output_sha256")
    return from_uint8(read_image(images_dir, sha, f"result of run {run_id}"))


def thumbnail_bytes(conn: sqlite3.Connection, images_dir: Path, run_id: int) -> bytes:
    """The run's thumbnail: JPEG bytes, long side at most ``THUMBNAIL_SIZE`` px."""
    row = conn.execute(
        "SELECT images.thumbnail FROM runs JOIN images ON images.sha256 = runs.output_sha256 WHERE runs.id = ?",
        (int(run_id),)).fetchone()
    if row is None:
        raise missing_run(run_id)
    if row[0] is None:  # never for runs saved by this code; kept safe for hand-made rows
        return thumbnail(to_uint8(output_image(conn, images_dir, run_id)))
    return bytes(row[0])


def thumbnails(conn: sqlite3.Connection, images_dir: Path, run_ids: Sequence[int]) -> dict[int, bytes]:
    """Thumbnails of many runs in one query (a gallery page's worth); unknown ids are left out."""
    out: dict[int, bytes] = {}
    ids = [int(i) for i in run_ids]
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        for run_id, data in conn.execute(
                f"SELECT runs.id, images.thumbnail FROM runs JOIN images ON images.sha256 = runs.output_sha256 "
                f"WHERE runs.id IN ({marks})", chunk).fetchall():
            out[run_id] = bytes(data) if data is not None else thumbnail_bytes(conn, images_dir, run_id)
    return out


def run_snapshots(conn: sqlite3.Connection, images_dir: Path, run_id: int) -> list[StoredSnapshot]:
    """The kept snapshots (up to ``MAX_SNAPSHOTS``, the last included), in step order."""
    run_column(conn, run_id, "id")
    rows = conn.execute(
        "SELECT step, scale_index, sha256, losses_json FROM run_snapshots WHERE run_id = ? ORDER BY position",
        (int(run_id),)).fetchall()
    return [StoredSnapshot(step, scale, read_image(images_dir, sha, f"snapshot {step} of run {run_id}"),
                           json.loads(losses)) for step, scale, sha, losses in rows]


def input_images(conn: sqlite3.Connection, images_dir: Path, run_id: int) -> RunInputs:
    """The content and style images of a run (float32, as the engine takes them), the blend and masks."""
    content_sha, content_name = conn.execute(
        "SELECT content_sha256, content_name FROM runs WHERE id = ?", (int(run_id),)).fetchone() or (None, None)
    if content_sha is None:
        raise missing_run(run_id)

    def read(sha: str, what: str) -> np.ndarray:
        return from_uint8(read_image(images_dir, sha, f"{what} of run {run_id}"))

    styles = styles_of(conn, [int(run_id)]).get(int(run_id), ())
    masks = {kind: read(sha, f"{kind} mask")[..., 0] for kind, sha in conn.execute(
        "SELECT kind, sha256 FROM run_masks WHERE run_id = ?", (int(run_id),)).fetchall()}
    return RunInputs(
        content=read(content_sha, "content image"), styles=[read(s.sha256, "style image") for s in styles],
        blend=tuple(s.weight for s in styles), content_name=content_name,
        style_names=tuple(s.name for s in styles), masks={"style": masks.get("style"), "detail": masks.get("detail")},
    )


def stored_image(conn: sqlite3.Connection, images_dir: Path, sha256: str) -> np.ndarray:
    """Any stored image by hash (e.g. a content image from ``distinct_contents``), float32."""
    if not re.fullmatch(r"[0-9a-f]{64}", sha256 or ""):
        raise StoreError(f"{sha256!r} is not an image hash.")
    if not conn.execute("SELECT 1 FROM images WHERE sha256 = ?", (sha256,)).fetchone():
        raise StoreError(f"There is no image {sha256[:12]} in the gallery.")
    return from_uint8(read_image(images_dir, sha256, f"image {sha256[:12]}"))
