"""The person's path, end to end: a gallery run -> "Make a print" on its studio run page -> the 16-bit file.

    NST_VGG19_WEIGHTS=... NST_OFFLINE=1 nice python -m benchmarks.poster_studio [--out bench-out/poster-studio]
        [--content PHOTO] [--style PAINTING] [--paper A3] [--dpi 300] [--run-id N]

Paints a default-preset 512 px run with the CLI (``nst stylize --save``) into a fresh gallery in
``OUT/gallery`` (``--run-id``: a run already there; an unfinished print of it continues), opens the run's page (``views/gallery_page.py?run=ID``) through Streamlit's AppTest as
the owner, chooses the paper and dpi, presses "Make a print", confirms, follows the job's progress
words until it ends, opens the print's page, and checks the kept file with tifffile and Pillow: a
16-bit RGB TIFF of the paper's pixel size, its resolution in dpi and an sRGB ICC profile. Writes
``OUT/poster_studio.json`` (wall times, this process's peak RSS, load averages, the file's properties);
the print's page and the file are what a person would get. One heavy process: run it alone.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGE = str(ROOT / "views" / "gallery_page.py")
GB = 1024**3


def _load() -> float:
    return round(os.getloadavg()[0], 1)


def _rss_gb() -> float:
    from benchmarks.poster_memory import rss_bytes

    return round(rss_bytes() / GB, 2)


def paint_run(content: Path, style: Path) -> tuple[int, float]:
    """A 512 px run of the default preset, saved in the gallery (``NST_DATA_DIR``); its id and seconds."""
    from nst.cli import main
    from nst.store import Store

    started = time.perf_counter()
    if main(["stylize", "--content", str(content), "--style", str(style), "--size", "512", "--save",
             "-o", str(Path(os.environ["NST_DATA_DIR"]) / "run.png")]) != 0:
        raise SystemExit("the 512 px run failed")
    with Store() as store:
        return max(r.id for r in store.list_runs()), time.perf_counter() - started


def _page(run_id: int):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(PAGE, default_timeout=600)
    at.query_params["run"] = str(run_id)
    at.run()
    if at.exception:
        raise SystemExit(f"the run page failed: {[e.value for e in at.exception]}")
    return at


def _words(at) -> str:
    parts = [*at.markdown, *at.caption, *at.info, *at.warning, *at.success, *at.error]
    return "\n".join(str(p.value) for p in parts).replace("\\", "")


def make_print(run_id: int, paper: str, dpi: int) -> dict:
    """Press "Make a print" on the run's page as a person would, and wait for the print."""
    from studio import keys

    at = _page(run_id)
    at.segmented_control(key=f"print_paper_{run_id}").set_value(paper)
    at.segmented_control(key=f"print_dpi_{run_id}").set_value(dpi)
    at.run()
    estimate = next((line for line in _words(at).splitlines() if f"{paper} at {dpi} dpi" in line), "")
    print("estimate:", estimate, flush=True)
    at.button(key="print_start").click().run()
    at.button(key="print_yes").click().run()
    job = at.session_state[keys.PRINT_JOB]
    started = time.perf_counter()
    while not job.wait(60):
        view = job.view()
        print(f"{time.perf_counter() - started:6.0f} s  {view.phase}  ({view.fraction:.0%}, RSS {_rss_gb()} GB, "
              f"load {_load()})", flush=True)
    seconds = time.perf_counter() - started
    at.run()
    view = job.view()
    outcome = _words(at)
    print("outcome:", view.status, view.message, flush=True)
    return {"estimate": estimate, "status": view.status, "print_run": view.run_id, "seconds": round(seconds, 1),
            "page_says_ready": "The print is ready" in outcome, "message": view.message}


def check_file(print_run: int) -> dict:
    """The print's page and its kept file, as tifffile and Pillow read them."""
    import numpy as np
    import tifffile
    from PIL import Image, ImageCms

    from nst.store import Store

    page = _page(print_run)
    with Store() as store:
        info = store.print_of(print_run)
    with tifffile.TiffFile(info.path) as tif:
        tiff_page = tif.pages[0]
        pixels = tiff_page.asarray()
        resolution = tiff_page.tags["XResolution"].value, tiff_page.tags["ResolutionUnit"].value
        icc = tiff_page.tags.get("InterColorProfile")
    profile = ImageCms.getProfileDescription(ImageCms.ImageCmsProfile(io.BytesIO(bytes(icc.value)))) if icc else None
    with Image.open(info.path) as image:
        pillow_dpi = image.info.get("dpi")
    return {"path": str(info.path), "mb": round(info.nbytes / 1024**2, 1), "shape": list(pixels.shape),
            "dtype": str(pixels.dtype), "distinct_values_red": int(np.unique(pixels[..., 0]).size),
            "tiff_resolution": [resolution[0][0] / resolution[0][1], int(resolution[1])],
            "pillow_dpi": [round(float(v), 1) for v in pillow_dpi] if pillow_dpi else None,
            "icc_profile": profile.strip() if profile else None, "describe": info.describe(),
            "source_run": info.source_run, "page_links_source": any(b.key == "print_source" for b in page.button),
            "page_offers_download": any(d.key == "print_download" for d in page.download_button)}


def main(argv: list[str] | None = None) -> None:
    from benchmarks.poster import PAINTING, PHOTO
    from nst.precision import cpu_info

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench-out" / "poster-studio")
    parser.add_argument("--content", type=Path, default=PHOTO)
    parser.add_argument("--style", type=Path, default=PAINTING)
    parser.add_argument("--paper", default="A3")
    parser.add_argument("--dpi", type=int, default=300)
    parser.add_argument("--run-id", type=int, help="a run already in OUT/gallery (no new 512 px run)")
    args = parser.parse_args(argv)
    os.environ["NST_DATA_DIR"] = str(args.out / "gallery")
    args.out.mkdir(parents=True, exist_ok=True)
    name, flags = cpu_info()
    report: dict = {"cpu": {"name": name, "avx512f": "avx512f" in flags, "avx512_bf16": "avx512_bf16" in flags},
                    "load_start": _load(), "started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}
    if args.run_id is None:
        run_id, run_seconds = paint_run(args.content, args.style)
        report["run"] = {"id": run_id, "seconds": round(run_seconds, 1), "load": _load()}
    else:
        run_id = args.run_id
    report["rss_before_print_gb"] = _rss_gb()
    report["print"] = make_print(run_id, args.paper, args.dpi)
    report["load_end"] = _load()
    report["peak_rss_gb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / GB, 2)
    if report["print"]["print_run"] is not None:
        report["file"] = check_file(report["print"]["print_run"])
    (args.out / "poster_studio.json").write_text(json.dumps(report, indent=1))
    print(json.dumps(report, indent=1), flush=True)


if __name__ == "__main__":
    main()
