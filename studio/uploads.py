"""Pictures the user brings: uploads checked once per file and session, examples, a re-run's inputs."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from nst.errors import ImageError
from nst.examples import example_image
from nst.encode import jpeg_bytes
from nst.images import load_image
from nst.resize import resize_long_side
from studio import keys

UPLOAD_TYPES = ["jpg", "jpeg", "png", "webp", "bmp", "tif", "tiff", "gif"]
MAX_INPUT_SIDE = 2048  # uploads are reduced to this on load; the engine resizes further (the file itself is
# kept with the run when bigger, for prints: RunInputs.original, nst.store.run_files)
THUMB_SIDE = 240


@dataclass(frozen=True)
class Picture:
    """An input picture ready to use: engine pixels, a label, a thumbnail, what loading changed."""

    id: str  # stable identity (upload file id, ``ex_<key>``, ``run<N>_<i>``): memo and widget keys
    label: str
    pixels: np.ndarray
    thumb: bytes
    notes: tuple[str, ...] = ()
    original: bytes | None = None  # the file as given (kept with the run when bigger than ``pixels``, for prints)


@dataclass(frozen=True)
class Upload:
    name: str
    picture: Picture | None
    error: str | None


def thumb(pixels: np.ndarray) -> bytes:
    return jpeg_bytes(pixels, max_side=THUMB_SIDE)


def read_upload(data: bytes, name: str) -> tuple[np.ndarray | None, tuple[str, ...], str | None]:
    """(pixels, notes, error): an upload as engine pixels, what was changed, or why it is refused.

    ``name`` only labels messages; it never becomes a path.
    """
    try:
        loaded = load_image(data, name=name, max_side=MAX_INPUT_SIDE)
    except ImageError as error:
        return None, (), str(error)
    pixels = loaded.pixels
    notes = list(loaded.notes)
    if max(pixels.shape[:2]) > MAX_INPUT_SIDE:
        pixels = resize_long_side(pixels, MAX_INPUT_SIDE)
        notes.append(f"reduced to {MAX_INPUT_SIDE} px on the long side")
    return pixels, tuple(notes), None


def session_upload(uploaded) -> Upload:
    """Decode an UploadedFile once per session (keyed by Streamlit's file id)."""
    cache = st.session_state.setdefault(keys.MEMO_UPLOADS, {})
    entry = cache.get(uploaded.file_id)
    if entry is None:
        data = uploaded.getvalue()
        pixels, notes, error = read_upload(data, uploaded.name)
        picture = None if pixels is None else Picture(uploaded.file_id, uploaded.name, pixels, thumb(pixels), notes,
                                                      data)  # the store keeps it only when bigger than pixels
        entry = cache[uploaded.file_id] = Upload(uploaded.name, picture, error)
    return entry


def forget_uploads_except(keep: set[str]) -> None:
    cache = st.session_state.get(keys.MEMO_UPLOADS, {})
    for file_id in [f for f in cache if f not in keep]:
        del cache[file_id]


def live_upload_ids(*widget_keys: str) -> set[str]:
    """File ids the given uploaders hold now."""
    ids = set()
    for key in widget_keys:
        value = st.session_state.get(key)
        for item in (value if isinstance(value, list) else [value] if value is not None else []):
            ids.add(item.file_id)
    return ids


@st.cache_data(show_spinner=False)
def _example_thumb(key: str) -> bytes:
    return thumb(example_image(key))


def example(key: str, title: str) -> Picture:
    return Picture(f"ex_{key}", title, example_image(key), _example_thumb(key))
