"""Shared test fixtures. Tests never touch the network (NST_OFFLINE is forced on here) and never the
user's own gallery or caches: every test, and every subprocess it starts, gets its own data and cache
folders (``isolated_dirs``), and the run fails if anything appeared in the real ones (tests/hermetic.py)."""

from __future__ import annotations

import functools
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from hermetic import created_under, isolated_env, listing, real_dirs

os.environ["NST_OFFLINE"] = "1"
# in-process unless a test asks for Ray itself (tests/test_remote*.py set NST_RAY_ADDRESS per test)
os.environ.pop("NST_RAY_ADDRESS", None)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# The user's folders are named before our variables hide them; until a test's own folders are set
# (collection, session fixtures such as the Ray cluster) everything goes to one scratch folder.
REAL_DIRS = real_dirs()
REAL_BEFORE = listing(REAL_DIRS)
os.environ.update(isolated_env(Path(tempfile.mkdtemp(prefix="nst-test-session-"))))


@functools.lru_cache(maxsize=1)
def _float32_choice() -> str:
    from nst import precision

    name, flags = precision.cpu_info()
    return json.dumps({"key": precision._machine_key(name, flags), "cpu": name, "precision": "float32",
                       "pinned_by": "tests/conftest.py"})


def pin_float32(cache_dir: str) -> None:
    """Runs with precision "auto" use float32 in every test and every server a test starts: on an empty cache
    nst.precision would time bfloat16 against float32, so a test's numbers (a print's tiles, a real-weight
    score) depended on the machine's timing, which is how one CI run went red. Tests of bfloat16 ask for it;
    tests/test_precision.py fakes the CPU, whose key this file does not match."""
    folder = Path(cache_dir)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "precision.json").write_text(_float32_choice())


pin_float32(os.environ["NST_CACHE_DIR"])


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """This test's own gallery and cache folders, in the environment its subprocesses inherit too."""
    env = isolated_env(tmp_path_factory.mktemp("home"))
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    pin_float32(env["NST_CACHE_DIR"])
    yield env
    fast_model = sys.modules.get("nst.fast_model")
    if fast_model is not None:  # the fast model is loaded once per process: the next test has its own caches
        fast_model.forget_fast_model()


@pytest.fixture(autouse=True)
def streamlit_error_details() -> Iterator[None]:
    """Streamlit's ``client.showErrorDetails`` as it was before the test: a page run in sharing mode turns
    it off process-wide (studio/access.py), and AppTest pages run in this process, so without this a
    later test's owner would see a redacted error depending on test order."""
    config = sys.modules.get("streamlit.config")
    before = config.get_option("client.showErrorDetails") if config else None
    yield
    config = sys.modules.get("streamlit.config")
    if config is not None:
        config.set_option("client.showErrorDetails", before if before is not None else "full")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if a test (or a server it started) wrote into the user's own gallery or caches."""
    created = created_under(REAL_DIRS, REAL_BEFORE)
    if created:
        shown = ", ".join(str(p) for p in created[:5]) + (" ..." if len(created) > 5 else "")
        print(f"\nerror: the tests created {len(created)} path(s) in the user's own folders: {shown}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED

@pytest.fixture
def time_zone(monkeypatch: pytest.MonkeyPatch):
    """``time_zone("IST-5:30")``: this process's local time zone for the test (a POSIX TZ string, so no
    tz database is needed), put back afterwards."""
    import time

    def use(tz: str) -> None:
        monkeypatch.setenv("TZ", tz)
        time.tzset()

    yield use
    monkeypatch.undo()
    time.tzset()


# ../shared beside the clone; NST_SHARED_DIR points elsewhere (a git worktree in another folder)
SHARED = Path(os.environ.get("NST_SHARED_DIR") or Path(__file__).resolve().parents[1].parent / "shared")
SHARED_IMAGES = SHARED / "images"


def real_weights_path() -> Path | None:
    value = os.environ.get("NST_VGG19_WEIGHTS")
    return Path(value) if value and Path(value).is_file() else None


SHARED_FAST_MODEL = SHARED / "models" / "magenta"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not any(SHARED_FAST_MODEL.glob("*transfer*.tflite")):
        for item in items:
            if "real_fast_model" in item.keywords:
                item.add_marker(pytest.mark.skip(reason=f"Magenta's TFLite pair not found in {SHARED_FAST_MODEL}"))
    reason = None
    if real_weights_path() is None:
        reason = "NST_VGG19_WEIGHTS not set to an existing VGG19 weights file"
    elif not (SHARED_IMAGES / "content" / "tubingen.jpg").is_file():
        reason = f"sample images not found in {SHARED_IMAGES}"
    if reason:
        for item in items:
            if "real_weights" in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def tiny_net():
    from nst.model import tiny_feature_net_for_tests

    return tiny_feature_net_for_tests(seed=0)


def _gradient_image(height: int, width: int) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    return np.stack([x / width, y / height, 0.5 + 0.4 * np.sin(x / 3.0) * np.cos(y / 4.0)], -1).astype(np.float32)


@pytest.fixture
def content_image() -> np.ndarray:
    """A smooth 48 x 64 picture with some structure."""
    return _gradient_image(48, 64)


@pytest.fixture
def style_image() -> np.ndarray:
    """A busy, colourful 64 x 64 texture (stripes plus seeded noise)."""
    rng = np.random.default_rng(7)
    y, x = np.mgrid[0:64, 0:64].astype(np.float32)
    stripes = 0.5 + 0.5 * np.sin((x + y) / 2.0)
    noise = rng.uniform(0, 1, (64, 64, 3)).astype(np.float32)
    return np.clip(0.6 * noise + 0.4 * stripes[..., None] * np.array([1.0, 0.2, 0.6]), 0, 1).astype(np.float32)


@pytest.fixture(scope="session")
def ray_cluster():
    """One small local Ray cluster for the whole test session (2 CPUs, loopback only, no dashboard).

    Started after NST_OFFLINE and the scratch folders are set, so its workers inherit them; shut
    down (every Ray process stopped) when the session ends.
    """
    import ray

    from nst import remote

    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", configure_logging=False,
             log_to_driver=False)
    try:
        yield "local"  # an address for the code under test: ray is initialised, so it joins this one
    finally:
        remote.shutdown()


@pytest.fixture
def pictures(tmp_path, content_image, style_image, monkeypatch):
    """The two test pictures as PNG files, with the gallery in a scratch folder: (content, style) paths."""
    from PIL import Image

    monkeypatch.setenv("NST_DATA_DIR", str(tmp_path / "gallery"))
    content, style = tmp_path / "content.png", tmp_path / "style.png"
    Image.fromarray((content_image * 255).astype(np.uint8)).save(content)
    Image.fromarray((style_image * 255).astype(np.uint8)).save(style)
    return str(content), str(style)
