"""How soon the gallery page shows its thumbnails in a real browser with 1,000 runs saved.

    python -m benchmarks.gallery_browser [--runs 1000] [--repeats 3] [--json OUT.json]

Fills a fresh store with fake runs (benchmarks.store_listing.fill: 64 px images, shared
inputs), starts ``streamlit run app.py`` on it, and opens ``/Gallery`` in headless Chromium
(/usr/bin/chromium or $NST_CHROMIUM, through Playwright) several times. For each load it
measures, from the navigation start, when the first page's thumbnails are all decoded in the
page (every card image has a natural width). The first load includes the server's first run
of the page (imports, opening the store); later loads are what a user sees on a reload.
Prints the numbers; not a test (nothing is asserted). The target (issue 13): under 1 s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from benchmarks.store_listing import fill
from studio.gallery.model import PAGE_SIZE
from nst.store import Store

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("NST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
THUMBS_DECODED = """() => {
  const imgs = [...document.querySelectorAll('[data-testid="stImage"] img')];
  return imgs.length >= %d && imgs.every(i => i.complete && i.naturalWidth > 0);
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def studio_server(data_dir: Path, log_path: Path, watcher: str | None = None, *, root: Path = ROOT,
                  env: dict[str, str] | None = None):
    """``streamlit run app.py`` of the tree ``root`` on a free localhost port; yields its URL.

    ``env`` defaults to the tiny test network (NST_STUDIO_TEST_TINY_NET=1)."""
    port = _free_port()
    env = dict(os.environ, NST_DATA_DIR=str(data_dir), NST_OFFLINE="1",
               **(env if env is not None else {"NST_STUDIO_TEST_TINY_NET": "1"}), PYTHONPATH=str(root))
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", str(root / "app.py"), "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"]
            + (["--server.fileWatcherType", watcher] if watcher else []),  # else .streamlit/config.toml's
            cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            for _ in range(600):
                with contextlib.suppress(OSError):
                    urllib.request.urlopen(url + "/_stcore/health", timeout=1)
                    break
                time.sleep(0.2)
            yield url
        finally:
            process.terminate()
            process.wait(timeout=30)


def measure(url: str, repeats: int, expected: int) -> tuple[list[float], list[float]]:
    """(seconds to the page's title, seconds to all first-page thumbnails decoded) per load."""
    from playwright.sync_api import sync_playwright

    seconds, titles = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(repeats):
            page = browser.new_page(viewport={"width": 1400, "height": 1100})
            start = time.perf_counter()
            page.goto(url + "/Gallery")
            page.get_by_role("heading", name="Gallery").wait_for(timeout=120_000)
            titles.append(time.perf_counter() - start)
            page.wait_for_function(THUMBS_DECODED % expected, timeout=120_000, polling=20)
            seconds.append(time.perf_counter() - start)
            page.close()
        browser.close()
    return titles, seconds


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--data-dir", type=Path, help="reuse (or fill, if missing) this store")
    parser.add_argument("--file-watcher", choices=["auto", "poll", "watchdog", "none"],
                        help="override the config's fileWatcherType (default: as `bash dev.sh app` starts it)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        fill_seconds = 0.0
        if not data_dir.exists():
            with Store(data_dir) as store:
                fill_seconds = fill(store, args.runs, 64)
        with studio_server(data_dir, Path(tmp) / "streamlit.log", args.file_watcher) as url:
            titles, seconds = measure(url, args.repeats, min(PAGE_SIZE, args.runs))
    from nst.precision import cpu_info

    cpu_name, flags = cpu_info()
    cpu = f"{cpu_name} ({', '.join(sorted(f for f in flags if f in ('avx2', 'avx512f', 'amx_bf16')))})"
    report = {"runs": args.runs, "fill_seconds": round(fill_seconds, 1), "cpu": cpu,
              "python": platform.python_version(), "first_load_s": round(seconds[0], 3),
              "reload_s": [round(s, 3) for s in seconds[1:]],
              "reload_median_s": round(statistics.median(seconds[1:]), 3) if len(seconds) > 1 else None,
              "title_s": [round(t, 3) for t in titles], "file_watcher": args.file_watcher or "config",
              "load_average": os.getloadavg()[0]}
    print(f"{args.runs} runs; gallery thumbnails ({min(PAGE_SIZE, args.runs)}) decoded in the browser: "
          f"first load {seconds[0]:.2f} s, reloads {', '.join(f'{s:.2f}' for s in seconds[1:])} s; the page's "
          f"title showed after {', '.join(f'{t:.2f}' for t in titles)} s (load average {os.getloadavg()[0]:.1f})")
    print(json.dumps(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
