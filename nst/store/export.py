"""Exporting a run: its picture (the kept moment, else the final image) as a PNG with the parameters
embedded, plus a JSON sidecar."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from nst.errors import StoreError, describe_os_error
from nst.encode import png_bytes
from nst.run_types import png_metadata as results_png_metadata
from nst.store.db import Database
from nst.store.files import write_file
from nst.store.moments import kept_image, run_moments
from nst.store.reading import get_run
from nst.store.records import RunRecord
from nst.store.saving import json_default


def png_metadata(record: RunRecord, kept_step: int | None = None) -> dict[str, Any]:
    """PNG text chunks of a stored run's picture: its parameters (``nst:params``) and what came out; for a
    kept moment (``nst.store.moments``), its step (``nst:kept_step``; the losses are the final image's)."""
    kept = {"nst:kept_step": kept_step} if kept_step is not None else {}
    return results_png_metadata(record.params, record.status, record.losses, record.steps, record.weights_id,
                                Title=record.title or f"run {record.id}", **{"nst:run_id": record.id}, **kept)


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return slug[:40]


def export_run(db: Database, images_dir: Path, run_id: int, dest_dir: str | os.PathLike[str]) -> Path:
    """Write the run's picture (the kept moment, else the final image) as a PNG with the run's parameters
    embedded, plus a JSON sidecar (with ``"moment"``: the kept and the suggested moment).

    Returns the PNG's path: ``<dest_dir>/run-<id>[-<title>].png`` and the same name ``.json``.
    """
    with db.read() as conn:
        record = get_run(conn, int(run_id))
        moment = run_moments(conn, [record.id])[record.id]
        pixels = kept_image(conn, images_dir, run_id)
    stem = f"run-{record.id}" + (f"-{_slug(record.title)}" if _slug(record.title) else "")
    dest = Path(dest_dir).expanduser()
    png_path, json_path = dest / f"{stem}.png", dest / f"{stem}.json"
    sidecar = json.dumps({**record.to_dict(), "moment": moment.to_dict()}, indent=2, default=json_default) + "\n"
    try:
        dest.mkdir(parents=True, exist_ok=True)
        write_file(png_path, png_bytes(pixels, png_metadata(record, moment.kept_step)))
        write_file(json_path, sidecar.encode())
    except OSError as error:
        raise StoreError(f"Cannot export run {run_id} to {dest}: {describe_os_error(error)}.") from None
    return png_path
