"""The fast model's two runtimes side by side: the ONNX pair on onnxruntime vs the TFLite pair on tf.lite.

    python -m benchmarks.fast_runtimes [--part latency|agreement|cli|install|all] [--rounds 3] [--repeats 5]
                                       [--only onnxruntime|tflite]

The ONNX pair comes from the cache (``python -m nst fast --fetch`` first) or ``--onnx DIR``; the TFLite pair
from ../shared/models/magenta or ``--tflite DIR``. Results print as JSON lines and markdown tables.

latency: each runtime in its own fresh process (so memory and import costs are its own), the processes
  alternating ``--rounds`` times (the machine is shared: compare within a round). Per process: import and
  load seconds, then per size the first call (what building for that size costs) and the median/min of
  ``--repeats`` calls (the studio's repeated calls), CPU seconds per call, resident memory after.
agreement: mean absolute difference of the pictures, ONNX vs TFLite (XNNPACK), TFLite on its reference
  kernels vs XNNPACK, and the 384 x 384 picture enlarged vs TFLite, over 4 photos x 5 paintings.
cli: one ``python -m nst fast`` process per runtime (wall, model seconds, load seconds).
install: installed size of each runtime's packages.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED_TFLITE = Path(os.environ.get("NST_SHARED_DIR") or ROOT.parent / "shared") / "models" / "magenta"
SIZES = [(256, 172), (384, 384), (512, 344), (512, 512), (1024, 688)]  # (width, height): the rocket's aspect
PHOTO, PAINTING = "rocket", "starry_night"


def _rss_mb() -> float:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) / 1024 for line in f if line.startswith("VmRSS"))


def _model(runtime: str, folder: str):
    if runtime == "onnxruntime":
        from nst.fast_onnx import OnnxStylizer, find_onnx_pair

        return OnnxStylizer(*find_onnx_pair(Path(folder)))
    from nst.fast_tflite import TFLiteStylizer, find_pair

    return TFLiteStylizer(*find_pair(Path(folder)))


def worker(runtime: str, folder: str, repeats: int) -> dict:
    """One fresh process's numbers for ``runtime`` (printed as one JSON line by ``--worker``)."""
    started = time.perf_counter()
    if runtime == "onnxruntime":
        import onnxruntime  # noqa: F401
    else:
        import tensorflow  # noqa: F401
    imported = time.perf_counter()
    model = _model(runtime, folder)
    loaded = time.perf_counter()
    from nst.examples import example_image
    from nst.fast import stylize_fast
    from nst.resize import resize_to

    photo, painting = example_image(PHOTO), example_image(PAINTING)
    row = {"runtime": runtime, "import_s": round(imported - started, 3), "load_s": round(loaded - imported, 3),
           "rss_loaded_mb": round(_rss_mb())}
    for width, height in SIZES:
        content = resize_to(photo, width, height)
        first = time.perf_counter()
        stylize_fast(content, [painting], model=model)
        first = time.perf_counter() - first
        walls, cpus = [], []
        for _ in range(repeats):
            wall, cpu = time.perf_counter(), time.process_time()
            stylize_fast(content, [painting], model=model)
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        row[f"{width}x{height}"] = {"first_s": round(first, 3), "median_s": round(statistics.median(walls), 3),
                                    "min_s": round(min(walls), 3), "cpu_s": round(statistics.median(cpus), 3),
                                    "rss_mb": round(_rss_mb())}
    return row


def _run_worker(runtime: str, folder: str, repeats: int) -> dict:
    out = subprocess.run([sys.executable, "-m", "benchmarks.fast_runtimes", "--worker", runtime, "--folder", folder,
                          "--repeats", str(repeats)], cwd=ROOT, capture_output=True, text=True, check=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    return json.loads(out.stdout.strip().splitlines()[-1])


def part_latency(folders: dict[str, str], rounds: int, repeats: int) -> None:
    rows = []
    for round_ in range(rounds):
        for runtime, folder in folders.items():
            rows.append({"round": round_, **_run_worker(runtime, folder, repeats)})
            print(json.dumps(rows[-1]), flush=True)
    print("\n| runtime | size | first call | median | min | CPU s/call | RSS after |\n|---|---|---|---|---|---|---|")
    for runtime in folders:
        mine = [r for r in rows if r["runtime"] == runtime]
        for width, height in SIZES:
            cells = [r[f"{width}x{height}"] for r in mine]

            def med(k):
                return statistics.median(c[k] for c in cells)
            print(f"| {runtime} | {width}x{height} | {med('first_s'):.3f} s | {med('median_s'):.3f} s | "
                  f"{min(c['min_s'] for c in cells):.3f} s | {med('cpu_s'):.3f} | {med('rss_mb'):.0f} MB |")
        print(f"| {runtime} | import / load | {statistics.median(r['import_s'] for r in mine):.2f} s / "
              f"{statistics.median(r['load_s'] for r in mine):.2f} s | | | | "
              f"{statistics.median(r['rss_loaded_mb'] for r in mine):.0f} MB loaded |")


def part_agreement(folders: dict[str, str]) -> None:
    import tensorflow as tf

    from nst.examples import CONTENT_EXAMPLES, PAINTINGS, example_image
    from nst.fast import stylize_fast
    from nst.fast_tflite import TFLiteStylizer, find_pair
    from nst.resize import resize_to

    onnx, tflite = _model("onnxruntime", folders["onnxruntime"]), _model("tflite", folders["tflite"])
    reference = TFLiteStylizer(*find_pair(Path(folders["tflite"])))
    resolver = tf.lite.experimental.OpResolverType.BUILTIN_REF

    def ref_interpreter(**kwargs):  # the same file on TFLite's reference kernels (no XNNPACK)
        return tf.lite.Interpreter(experimental_op_resolver_type=resolver, **kwargs)
    import nst.fast_tflite as fast_tflite

    print("\n| size | ONNX vs TFLite: mean / min / max | TFLite reference kernels vs XNNPACK: mean / max | "
          "384 x 384 enlarged vs TFLite: mean / min |\n|---|---|---|---|")
    for width, height in [(256, 172), (512, 344), (1024, 688)]:
        ours, kernels, squashed = [], [], []
        for photo in CONTENT_EXAMPLES:
            content = resize_to(example_image(photo), width, height)
            for painting in PAINTINGS:
                style = [example_image(painting)]
                theirs = stylize_fast(content, style, model=tflite)
                ours.append(np.abs(stylize_fast(content, style, model=onnx) - theirs).mean())
                original, fast_tflite._interpreter = fast_tflite._interpreter, ref_interpreter
                try:
                    reference._transfers.clear()
                    kernels.append(np.abs(stylize_fast(content, style, model=reference) - theirs).mean())
                finally:
                    fast_tflite._interpreter = original
                square = stylize_fast(resize_to(content, 384, 384), style, model=onnx)
                squashed.append(np.abs(resize_to(square, width, height) - theirs).mean())
        print(f"| {width}x{height} | {np.mean(ours):.4f} / {np.min(ours):.4f} / {np.max(ours):.4f} | "
              f"{np.mean(kernels):.4f} / {np.max(kernels):.4f} | {np.mean(squashed):.4f} / {np.min(squashed):.4f} |",
              flush=True)


def part_cli(folders: dict[str, str]) -> None:
    print("\n| runtime | process wall | model seconds | load seconds |\n|---|---|---|---|")
    for runtime, folder in folders.items():
        started = time.perf_counter()
        out = subprocess.run([sys.executable, "-m", "nst", "fast", "--content", str(ROOT / "nst/assets/photos/rocket_launch.jpg"),
                              "--style", str(ROOT / "nst/assets/styles/starry_night.jpg"), "--size", "512",
                              "-o", "/tmp/nst-fast-runtimes.png", "--json"], cwd=ROOT, capture_output=True, text=True,
                             check=True, env={**os.environ, "NST_FAST_MODEL": folder, "NST_OFFLINE": "1"})
        wall = time.perf_counter() - started
        report = json.loads(out.stdout)
        print(f"| {runtime} | {wall:.2f} s | {report['seconds']:.3f} s | {report['load_seconds']:.2f} s |", flush=True)


def part_install() -> None:
    from importlib import metadata

    def size(dist: str) -> float:
        files = metadata.distribution(dist).files or []
        return sum((Path(f.locate()).stat().st_size for f in files if Path(f.locate()).is_file()), 0) / 1e6
    for dist in ("onnxruntime", "onnx", "tensorflow"):
        print(f"{dist} {metadata.version(dist)}: {size(dist):.0f} MB installed")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--part", default="all", choices=["latency", "agreement", "cli", "install", "all"])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--onnx", help="folder with arbitrary_predict.onnx + arbitrary_transform.onnx (default: cache)")
    parser.add_argument("--tflite", default=str(SHARED_TFLITE))
    parser.add_argument("--only", choices=["onnxruntime", "tflite"], help="latency/cli of this runtime alone")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker, args.folder, args.repeats)))
        return
    from nst.fast_fetch import cache_folder

    folders = {"onnxruntime": args.onnx or str(cache_folder()), "tflite": args.tflite}
    if args.only:
        if args.part in ("agreement", "all"):
            parser.error("--only goes with --part latency, cli or install (agreement compares both runtimes)")
        folders = {args.only: folders[args.only]}
    print(f"load average {os.getloadavg()}, {os.cpu_count()} cores", flush=True)
    if args.part in ("install", "all"):
        part_install()
    if args.part in ("latency", "all"):
        part_latency(folders, args.rounds, args.repeats)
    if args.part in ("cli", "all"):
        part_cli(folders)
    if args.part in ("agreement", "all"):
        part_agreement(folders)
    print(f"load average {os.getloadavg()}", flush=True)


if __name__ == "__main__":
    main()
