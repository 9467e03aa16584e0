"""Studio click -> finished at 512 px in a real browser, old code against new code, interleaved.

    python -m benchmarks.studio_click --old-rev main [--rounds 2] [--clicks 2] [--json OUT.json]

For each round and each version (alternating old/new, so both see the same load), it starts
``streamlit run app.py`` of that version with the real VGG19 weights (NST_VGG19_WEIGHTS) and an
empty gallery, opens the Studio in headless Chromium (Playwright), waits for "model ready", then
clicks **Stylize** on the page's defaults (the Astronaut example x The Starry Night, Standard
quality, 512 px) and measures the seconds from the click until the page says "Finished:" (the job
is finished only after its result is scored, saved to the gallery and its scorecard kept). The first
click of a server includes compiling the step; later clicks (same settings again) do not. Reports
medians per click number, the ratio new / old, the CPU flags and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.gallery_browser import CHROMIUM, CHROMIUM_ARGS, studio_server
from benchmarks.step_time import cpu_name
from benchmarks.versus import ROOT, unpack_revision

TIMEOUT_MS = 1_800_000  # a 512 px run on a 2-core machine shared by others


def clicks_to_finished(url: str, clicks: int) -> list[float]:
    """Seconds from each click on Stylize to "Finished:" on the page."""
    from playwright.sync_api import sync_playwright

    seconds = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(url)
        page.get_by_text("model ready").wait_for(timeout=TIMEOUT_MS)
        for _ in range(clicks):
            button = page.get_by_role("button", name="Stylize", exact=True)
            button.wait_for(timeout=TIMEOUT_MS)
            page.wait_for_timeout(1000)  # let the page settle after the last rerun
            started = time.perf_counter()
            button.click()
            page.get_by_test_id("stProgress").first.wait_for(timeout=TIMEOUT_MS)  # the run has started
            page.get_by_text("Finished:").wait_for(timeout=TIMEOUT_MS)
            seconds.append(time.perf_counter() - started)
        browser.close()
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old-rev", required=True, help="git revision of the old code (e.g. main)")
    parser.add_argument("--new-dir", default=str(ROOT))
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--clicks", type=int, default=2)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if not os.environ.get("NST_VGG19_WEIGHTS"):
        parser.error("set NST_VGG19_WEIGHTS to the VGG19 .h5 (this measures real paintings)")
    runs: dict[str, list[list[float]]] = {"old": [], "new": []}
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="nst-click-") as tmp:
        trees = {"old": unpack_revision(args.old_rev, Path(tmp)), "new": Path(args.new_dir).resolve()}
        for r in range(args.rounds):
            for which in (("old", "new") if r % 2 == 0 else ("new", "old")):
                data = Path(tmp) / f"data-{which}-{r}"
                with studio_server(data, Path(tmp) / f"{which}-{r}.log", "none", root=trees[which], env={}) as url:
                    seconds = clicks_to_finished(url, args.clicks)
                runs[which].append(seconds)
                print(f"round {r + 1} {which}: {', '.join(f'{s:.1f}' for s in seconds)} s "
                      f"(load {os.getloadavg()[0]:.1f})", flush=True)
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpu": cpu_name(), "cores": os.cpu_count(),
                              "old_rev": args.old_rev, "runs": runs, "load_before": [round(v, 2) for v in load_before],
                              "load_after": [round(v, 2) for v in os.getloadavg()], "clicks": {}}
    for click in range(args.clicks):
        old = statistics.median(run[click] for run in runs["old"])
        new = statistics.median(run[click] for run in runs["new"])
        report["clicks"][click + 1] = {"old_s": round(old, 1), "new_s": round(new, 1), "ratio": round(new / old, 3)}
        print(f"click {click + 1}: {old:.1f} -> {new:.1f} s (x{new / old:.3f})")
    print(f"{report['cpu']}, {report['cores']} cores, load {report['load_before']} -> {report['load_after']}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
