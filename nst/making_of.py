"""Sharing a run: its making-of as a looping animation (snapshots, the result last) and a
labelled contact sheet of several runs (pictures, titles, ratings). Encoded by Pillow."""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, ImageOps

from nst.encode import to_uint8
from nst.errors import NSTError
from nst.store import Store

MAX_SECONDS = 5.0
HOLD_LAST_MS = 1500  # the chosen moment stays on screen
FRAME_MS = 250
MAX_FRAMES = 60  # more are thinned evenly (keeping the last), so no frame is shorter than ~60 ms
SHEET_CELL = 256
ANIMATION_FORMATS = {".webp": "WEBP", ".gif": "GIF"}


def _uint8(image: np.ndarray) -> np.ndarray:
    return image if image.dtype == np.uint8 else to_uint8(image)


def frame_durations(count: int, max_seconds: float = MAX_SECONDS) -> list[int]:
    """Milliseconds per frame: even steps, the last held; the loop lasts at most ``max_seconds``."""
    if count <= 1:
        return [HOLD_LAST_MS] * count
    step = min(FRAME_MS, int((max_seconds * 1000 - HOLD_LAST_MS) // (count - 1)))
    return [step] * (count - 1) + [HOLD_LAST_MS]


def animation_bytes(frames: Sequence[np.ndarray], fmt: str = "WEBP") -> bytes:
    """A looping animation of ``frames`` (the last one is the moment to end on), each resized to the last's size."""
    if not frames:
        raise NSTError("This run kept no pictures to animate.")
    if len(frames) > MAX_FRAMES:
        picks = np.linspace(0, len(frames) - 1, MAX_FRAMES).round().astype(int)
        frames = [frames[k] for k in picks]
    last = Image.fromarray(_uint8(frames[-1]))
    images = [Image.fromarray(_uint8(f)).convert("RGB").resize(last.size, Image.Resampling.LANCZOS)
              for f in frames]
    durations = frame_durations(len(images))
    buffer = io.BytesIO()
    extra = {"quality": 85} if fmt == "WEBP" else {"optimize": True}
    images[0].save(buffer, format=fmt, save_all=True, append_images=images[1:], duration=durations, loop=0, **extra)
    return buffer.getvalue()


def run_frames(store: Store, run_id: int) -> list[np.ndarray]:
    """A stored run's snapshots in step order, then its result (the moment the user kept)."""
    return [s.image for s in store.snapshots(run_id)] + [_uint8(store.output_image(run_id))]


def animation_format(path: Path) -> str:
    fmt = ANIMATION_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise NSTError(f"Cannot write an animation to {path.name}: name it .webp or .gif.")
    return fmt


def _font(size: int) -> ImageFont.ImageFont:
    return ImageFont.load_default(size=size)


def sheet_png(cells: Sequence[tuple[np.ndarray, str, str]], *, cell: int = SHEET_CELL, columns: int = 4,
              cell_height: int | None = None) -> bytes:
    """One PNG of ``(picture, title, caption)`` cells in reading order, each picture fitted into
    ``cell`` x ``cell_height`` px (square by default; pictures of one shape fill a cell of that shape)."""
    if not cells:
        raise NSTError("There are no runs to put on a sheet.")
    columns = min(columns, len(cells))
    rows = -(-len(cells) // columns)
    label, height = 44, cell_height or cell
    sheet = Image.new("RGB", (columns * (cell + 8) + 8, rows * (height + label + 8) + 8), "white")
    draw = ImageDraw.Draw(sheet)
    title_font, caption_font = _font(16), _font(13)
    for k, (picture, title, caption) in enumerate(cells):
        image = ImageOps.contain(Image.fromarray(_uint8(picture)).convert("RGB"), (cell, height),
                                 Image.Resampling.LANCZOS)
        x = 8 + (k % columns) * (cell + 8)
        y = 8 + (k // columns) * (height + label + 8)
        sheet.paste(image, (x + (cell - image.width) // 2, y + (height - image.height) // 2))
        draw.text((x, y + height + 4), title[:34], fill="black", font=title_font)
        draw.text((x, y + height + 24), caption[:40], fill=(90, 90, 90), font=caption_font)
    buffer = io.BytesIO()
    sheet.save(buffer, format="PNG")
    return buffer.getvalue()
