"""What the store hands back: runs, their styles and snapshots, images for filters, reports.

Frozen dataclasses, no SQL: the gallery pages, the CLI and the export read these. Each record
that leaves the program as JSON has exactly one projection to a dict here (``to_dict``).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from typing import Any

import numpy as np

from nst.params import StyleParams
from nst.run_types import RunStatus
from nst.units import format_time


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
    status: RunStatus
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
    group_axes: dict[str, Any] | None = None  # a sweep cell's swept fields and values, rows' field first

    def to_dict(self) -> dict[str, Any]:
        """The listing's JSON row (``python -m nst gallery list --json``)."""
        return {"id": self.id, "created": format_time(self.created, iso=True), "title": self.title, "status": self.status,
                "favourite": self.favourite, "width": self.width, "height": self.height, "seconds": self.seconds,
                "content_weight": self.content_weight, "style_weight": self.style_weight,
                "tv_weight": self.tv_weight, "loss_total": self.loss_total, "score": self.score,
                "group_id": self.group_id, "group_label": self.group_label, "group_axes": self.group_axes}


@dataclass(frozen=True)
class RunRecord:
    """Everything stored about one run except the pixels (see :meth:`Store.output_image`)."""

    id: int
    created: float
    title: str
    notes: str
    favourite: bool
    status: RunStatus  # the engine's "diverged" is stored as failed
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
    group_axes: dict[str, Any] | None = None  # a sweep cell's swept fields and values, rows' field first

    @property
    def blend(self) -> tuple[float, ...]:
        return tuple(s.weight for s in self.styles)

    def to_dict(self, *, history: bool = True) -> dict[str, Any]:
        """The run as JSON: the export's sidecar (and, without the history, ``gallery show``)."""
        data = {
            "id": self.id, "created": format_time(self.created, iso=True), "title": self.title, "notes": self.notes,
            "favourite": self.favourite, "status": self.status, "message": self.message,
            "params": self.params.to_dict(), "losses": self.losses, "steps": self.steps,
            "seconds": self.seconds, "width": self.width, "height": self.height, "device": self.device,
            "vgg19_weights": self.weights_id, "score": self.score, "leakage": self.leakage,
            "content": {"sha256": self.content_sha256, "name": self.content_name},
            "styles": [dataclasses.asdict(s) for s in self.styles],
            "group": {"id": self.group_id, "kind": self.group_kind, "label": self.group_label,
                      "axes": self.group_axes},
            "weight_changes": self.weight_changes, "trace_seconds": self.trace_seconds,
        }
        if history:
            data["history"] = self.history
        return data


def axes_from_json(text: str | None) -> dict[str, Any] | None:
    """A ``group_axes`` column as the records carry it (None for a run that is no sweep cell)."""
    return json.loads(text) if text else None


@dataclass(frozen=True)
class StoredSnapshot:
    step: int
    scale_index: int
    image: np.ndarray  # uint8 H x W x 3, as the engine's Snapshot
    losses: dict[str, float]


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
