"""End to end in a real browser: `streamlit run app.py` + headless Chromium driven by Playwright.

Uses the tiny test network (NST_STUDIO_TEST_TINY_NET=1), so it needs no weights. Skips with a
reason when the Python ``playwright`` package or a Chromium binary is missing (``.ci/run``
installs Debian's ``chromium``; ``playwright install`` cannot download here). Chromium is
found at $NST_CHROMIUM or /usr/bin/chromium.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("NST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
START_TIMEOUT = 180
RUN_TIMEOUT_MS = 240_000
UI_TIMEOUT_MS = 120_000  # one rerun on a loaded 2-core machine (other processes may share it): generous

playwright_sync = pytest.importorskip("playwright.sync_api", reason="the Python playwright package is not installed")
if not Path(CHROMIUM).is_file():
    pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set NST_CHROMIUM)", allow_module_level=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def studio_server(log_dir: Path, **env: str):
    """``streamlit run app.py`` on a free localhost port with the tiny-network hook; yields its URL.

    The server is always stopped, and its log must hold no traceback.
    """
    port = _free_port()
    log_path = log_dir / "streamlit.log"
    env = dict(os.environ, NST_STUDIO_TEST_TINY_NET="1", NST_OFFLINE="1", PYTHONUNBUFFERED="1", **env)
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"streamlit did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(20)
    log_text = log_path.read_text(errors="replace")
    assert "Traceback" not in log_text, log_text[-3000:]


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """A studio server on a free localhost port, with the tiny-network test hook on."""
    with studio_server(tmp_path_factory.mktemp("studio")) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def _png_bytes(width: int, height: int) -> bytes:
    y, x = np.mgrid[0:height, 0:width]
    pixels = np.stack([x * 255 // width, y * 255 // height, (x + y) % 64 * 4], -1).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def _quick_settings(page) -> None:
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Preview", exact=True).click()
    page.wait_for_timeout(500)
    size = sidebar.get_by_test_id("stSlider").filter(has_text="Output size").get_by_role("slider")
    size.focus()
    page.keyboard.press("Home")  # the smallest output size
    page.get_by_text(re.compile(r"steps over scales .*256 px")).wait_for(timeout=UI_TIMEOUT_MS)


def _progress_step(page) -> int:
    text = page.get_by_test_id("stProgress").first.inner_text()
    match = re.search(r"Step (\d+) / (\d+)", text)
    return int(match.group(1)) if match else -1


def test_pick_examples_stylize_watch_progress_and_get_the_result(studio, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(studio)
    page.get_by_role("button", name="Stylize", exact=True).wait_for(timeout=START_TIMEOUT * 1000)
    page.get_by_text("model ready").wait_for(timeout=UI_TIMEOUT_MS)

    # a bad upload gets its message beside the style uploader; the rest keeps working
    style_input = page.get_by_test_id("stFileUploader").nth(1).locator("input[type=file]")
    style_input.set_input_files(files=[{"name": "notes.png", "mimeType": "image/png", "buffer": b"not a png"}])
    page.get_by_text("notes.png is not an image file we can read").wait_for(timeout=UI_TIMEOUT_MS)

    # pick a different example content picture and a second example style
    page.get_by_test_id("stSelectbox").filter(has_text="use an example").click()
    page.get_by_role("option", name="Rocket launch").click()
    page.get_by_text("Example: Rocket launch").wait_for(timeout=UI_TIMEOUT_MS)
    styles = page.get_by_test_id("stMultiSelect").filter(has_text="examples").locator("input")
    styles.scroll_into_view_if_needed()
    styles.click()
    styles.fill("The Scream")
    page.get_by_role("option", name="The Scream").click()
    page.keyboard.press("Escape")
    page.get_by_text("The Scream").first.wait_for(timeout=UI_TIMEOUT_MS)
    # the quickest settings: Preview quality at 256 px
    _quick_settings(page)

    page.get_by_role("button", name="Stylize", exact=True).click()
    page.get_by_test_id("stProgress").first.wait_for(timeout=RUN_TIMEOUT_MS)
    page.get_by_text("Live:").first.wait_for(timeout=UI_TIMEOUT_MS)
    first = -1
    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    while first < 1 and time.monotonic() < deadline:  # progress appears ...
        first = _progress_step(page) if page.get_by_test_id("stProgress").count() else first
        page.wait_for_timeout(200)
    assert first >= 1
    page.screenshot(path=str(tmp_path / "studio-running.png"), full_page=True)
    later = first
    while later <= first and time.monotonic() < deadline:  # ... and updates while it runs
        if page.get_by_test_id("stProgress").count() == 0:
            break  # already finished
        later = max(later, _progress_step(page))
        page.wait_for_timeout(200)

    page.get_by_text("Finished:").wait_for(timeout=RUN_TIMEOUT_MS)
    result = page.get_by_test_id("stImage").filter(has_text="Result (best image)")
    result.wait_for(timeout=UI_TIMEOUT_MS)
    assert result.locator("img").evaluate("img => img.complete && img.naturalWidth") > 0
    page.get_by_role("button", name=re.compile("Download PNG")).wait_for(timeout=UI_TIMEOUT_MS)
    assert page.get_by_test_id("stException").count() == 0
    page.screenshot(path=str(tmp_path / "studio-result.png"), full_page=True)
    assert (tmp_path / "studio-result.png").stat().st_size > 10_000

    # download the final PNG: parameters are embedded
    with page.expect_download() as download_info:
        page.get_by_role("button", name=re.compile("Download PNG")).click()
    path = download_info.value.path()
    with Image.open(path) as png:
        assert "nst:params" in png.text and png.size[0] == 256
    page.close()


def test_upload_a_photo_and_stop_a_run(studio, browser):
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(studio)
    page.get_by_role("button", name="Stylize", exact=True).wait_for(timeout=START_TIMEOUT * 1000)
    page.get_by_test_id("stFileUploader").first.locator("input[type=file]").set_input_files(
        files=[{"name": "mine.png", "mimeType": "image/png", "buffer": _png_bytes(120, 90)}])
    page.get_by_text("Your photo: mine.png").wait_for(timeout=UI_TIMEOUT_MS)
    page.get_by_test_id("stSidebar").get_by_text("High", exact=True).click()  # long enough to stop
    page.wait_for_timeout(500)
    page.get_by_role("button", name="Stylize", exact=True).click()
    page.get_by_test_id("stProgress").first.wait_for(timeout=RUN_TIMEOUT_MS)
    deadline = time.monotonic() + RUN_TIMEOUT_MS / 1000
    while _progress_step(page) < 2 and time.monotonic() < deadline:
        page.wait_for_timeout(200)
    page.get_by_role("button", name="Stop", exact=True).click()
    page.get_by_text("kept the best image so far").first.wait_for(timeout=RUN_TIMEOUT_MS)
    page.get_by_role("tab", name="Timeline").click()
    page.get_by_role("button", name=re.compile(r"Download step \d+ as PNG")).wait_for(timeout=UI_TIMEOUT_MS)
    assert page.get_by_test_id("stException").count() == 0
    page.close()


PAINTED = re.compile(r"Painted: keep the photo on (\d+)% · keep detail on (\d+)%")


def _painted_shares(page) -> tuple[int, int]:
    match = PAINTED.search(page.get_by_text(PAINTED).inner_text())
    return int(match.group(1)), int(match.group(2))


def _wait_for_shares(page, predicate, what: str) -> tuple[int, int]:
    """Poll the caption until it satisfies ``predicate`` (a rerun follows each stroke: no fixed sleep)."""
    deadline = time.monotonic() + UI_TIMEOUT_MS / 1000
    shares = _painted_shares(page)
    while not predicate(shares):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; the caption says {shares}")
        page.wait_for_timeout(250)
        shares = _painted_shares(page)
    return shares


def _stroke(page, canvas, points: list[tuple[float, float]]) -> None:
    """Drag the mouse along ``points`` (fractions of the canvas), as a user paints one stroke."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    assert box and box["width"] > 100, box
    x0, y0 = points[0]
    page.mouse.move(box["x"] + x0 * box["width"], box["y"] + y0 * box["height"])
    page.mouse.down()
    for x, y in points[1:]:
        page.mouse.move(box["x"] + x * box["width"], box["y"] + y * box["height"], steps=8)
    page.mouse.up()


def test_paint_a_mask_with_the_brush(studio, browser):
    """The brush (streamlit-drawable-canvas, a components-v2 element in the page itself, not an
    iframe): a red stroke marks photo to keep, a blue one detail; the caption and the overlay
    follow; Clear empties both."""
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.goto(studio)
    page.get_by_role("button", name="Stylize", exact=True).wait_for(timeout=START_TIMEOUT * 1000)
    page.get_by_text("Spatial control: where the style goes").click()
    page.get_by_text(PAINTED).wait_for(timeout=UI_TIMEOUT_MS)
    assert _painted_shares(page) == (0, 0)
    canvas = page.locator("canvas.upper-canvas").first
    canvas.wait_for(timeout=UI_TIMEOUT_MS)

    _stroke(page, canvas, [(0.1, 0.2), (0.5, 0.3), (0.9, 0.4)])
    keep, detail = _wait_for_shares(page, lambda s: s[0] > 0, "the red stroke to count")
    assert detail == 0

    page.get_by_text("Show the mask on the photo").click()
    page.get_by_test_id("stImage").filter(has_text="Red: kept as the photo").wait_for(timeout=UI_TIMEOUT_MS)

    page.get_by_text("Red brush: strokes keep the photo").wait_for(timeout=UI_TIMEOUT_MS)
    page.get_by_text("Keep detail here").click()
    # drawn after the canvas in the same rerun: once it shows, the canvas has the blue brush
    page.get_by_text("Blue brush: strokes keep detail").wait_for(timeout=UI_TIMEOUT_MS)
    _stroke(page, canvas, [(0.1, 0.8), (0.5, 0.75), (0.9, 0.7)])
    keep_after, detail = _wait_for_shares(page, lambda s: s[1] > 0, "the blue stroke to count")
    assert keep_after == keep  # the blue stroke does not cross the red one

    page.get_by_role("button", name="Clear the brush strokes").click()
    _wait_for_shares(page, lambda s: s == (0, 0), "Clear to empty the canvas")
    page.get_by_text("Nothing is masked: the style goes everywhere.").wait_for(timeout=UI_TIMEOUT_MS)
    assert page.get_by_test_id("stException").count() == 0
    page.close()
