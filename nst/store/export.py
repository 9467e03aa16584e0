"""Exporting a run: its result as a PNG with the parameters embedded, plus a JSON sidecar."""

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
from nst.store.reading import get_run, output_image
from nst.store.records import RunRecord
from nst.store.saving import json_default


def png_metadata(record: RunRecord) -> dict[str, Any]:
    """PNG text chunks of a stored run's image: its parameters (``nst:params``) and what came out."""
    return results_png_metadata(record.params, record.status, record.losses, record.steps, record.weights_id,
                                Title=record.title or f"run {record.id}", **{"nst:run_id": record.id})


def _slug(text: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()
    return slug[:40]


def export_run(db: Database, images_dir: Path, run_id: int, dest_dir: str | os.PathLike[str]) -> Path:
    """Write the result as a PNG with the run's parameters embedded, plus a JSON sidecar.

    Returns the PNG's path: ``<dest_dir>/run-<id>[-<title>].png`` and the same name ``.json``.
    """
    with db.read() as conn:
        record = get_run(conn, int(run_id))
        pixels = output_image(conn, images_dir, run_id)
    stem = f"run-{record.id}" + (f"-{_slug(record.title)}" if _slug(record.title) else "")
    dest = Path(dest_dir).expanduser()
    png_path, json_path = dest / f"{stem}.png", dest / f"{stem}.json"
    sidecar = json.dumps(record.to_dict(), indent=2, default=json_default) + "\n"
    try:
        dest.mkdir(parents=True, exist_ok=True)
        write_file(png_path, png_bytes(pixels, png_metadata(record)))
        write_file(json_path, sidecar.encode())
    except OSError as error:
        raise StoreError(f"Cannot export run {run_id} to {dest}: {describe_os_error(error)}.") from None
    return png_path
