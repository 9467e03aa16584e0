"""Ray benchmark: a 2x2 sweep at 256 px in-process vs on a local Ray cluster, and Ray's per-task cost.

    python -m benchmarks.ray_batch [--quick] [--out bench-out]

Needs the real weights (``NST_VGG19_WEIGHTS``) and ../shared/images (tubingen x starry_night).
Each sweep is the whole ``python -m nst sweep ... --size 256 --json`` command in a fresh
process (Preview quality: 128 px then 256 px), timed from start to exit, so Ray's one-off costs
(starting the cluster, starting workers, importing TensorFlow and building VGG19 in each
worker) are in the totals. Modes:

- ``in-process``: ``NST_RAY_ADDRESS`` unset (today's path; TensorFlow uses both cores).
- ``ray, 1 worker``: ``NST_RAY_ADDRESS=local``, 2 CPUs, 2 CPUs per task: one cell at a time,
  each with two TensorFlow threads.
- ``ray, 2 workers``: 2 CPUs, 1 CPU per task: two cells at once, one thread each.

Per-task overhead: on a warm local cluster, the round trip of a task that takes the same
inputs as a cell (a 256 px content and style image) and returns a 256 px image, but does no
work: what Ray adds to every cell beyond the painting. Writes ``OUT/ray_batch.json``.
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

from benchmarks import SHARED_IMAGES
from benchmarks.step_time import cpu_name

ROOT = Path(__file__).resolve().parents[1]
GRID = ("--grid", "style_weight=3,30", "--grid", "tv_weight=0.5,2")
MODES = {
    "in-process": {},
    "ray, 1 worker": {"NST_RAY_ADDRESS": "local", "NST_RAY_LOCAL_CPUS": "2", "NST_RAY_CPUS_PER_TASK": "2"},
    "ray, 2 workers": {"NST_RAY_ADDRESS": "local", "NST_RAY_LOCAL_CPUS": "2", "NST_RAY_CPUS_PER_TASK": "1"},
}


def sweep_command(size: int) -> list[str]:
    return [sys.executable, "-m", "nst", "sweep", "--content", str(SHARED_IMAGES / "content" / "tubingen.jpg"),
            "--style", str(SHARED_IMAGES / "style" / "starry_night.jpg"), *GRID, "--size", str(size), "--json"]


def time_sweep(mode: str, size: int) -> dict[str, object]:
    """Wall time of one whole sweep command in a fresh process, and what its cells say."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NST_RAY_")}
    env.update(MODES[mode])
    started = time.perf_counter()
    done = subprocess.run(sweep_command(size), cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{mode}: the sweep failed: {done.stderr.strip().splitlines()[-1:]}")
    report = json.loads(done.stdout)
    cells = [item["seconds"] for item in report["items"]]
    # the machine is shared: the 1-minute load average at the end says how much
    return {"mode": mode, "backend": report["backend"], "wall_s": round(wall, 2),
            "load_avg_1min_after": round(os.getloadavg()[0], 2),
            "cells_s": [round(c, 2) for c in cells], "sum_cells_s": round(sum(cells), 2)}


def _noop_cell(content: np.ndarray, styles: list) -> np.ndarray:
    return np.zeros_like(content)


def task_overhead(size: int, repeats: int) -> dict[str, float]:
    """Ray's cost per cell beyond the painting, on a warm local cluster (2 CPUs)."""
    import ray

    started = time.perf_counter()
    ray.init(num_cpus=2, include_dashboard=False, _node_ip_address="127.0.0.1", configure_logging=False,
             log_to_driver=False)
    cluster_start = time.perf_counter() - started
    try:
        task = ray.remote(num_cpus=1)(_noop_cell)
        rng = np.random.default_rng(0)
        content = rng.random((size * 3 // 4, size, 3), dtype=np.float32)
        styles = [rng.random((size, size, 3), dtype=np.float32)]
        started = time.perf_counter()
        ray.get(task.remote(content, styles))
        first = time.perf_counter() - started  # includes starting a worker process
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            ray.get(task.remote(content, styles))
            times.append(time.perf_counter() - started)
    finally:
        ray.shutdown()
    return {"cluster_start_s": round(cluster_start, 2), "first_task_s": round(first, 3),
            "per_task_median_s": round(statistics.median(times), 4), "per_task_max_s": round(max(times), 4),
            "repeats": repeats}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: 128 px, in-process and 2 workers only")
    parser.add_argument("--out", default="bench-out")
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args(argv)
    if not os.environ.get("NST_VGG19_WEIGHTS") or not (SHARED_IMAGES / "content" / "tubingen.jpg").is_file():
        print("needs NST_VGG19_WEIGHTS and ../shared/images", file=sys.stderr)
        return 2
    size = 128 if args.quick else args.size
    modes = ["in-process", "ray, 2 workers"] if args.quick else list(MODES)
    report: dict[str, object] = {"cpu": cpu_name(), "cores": os.cpu_count(), "size": size, "grid": " ".join(GRID)}
    rows = []
    for mode in modes:
        row = time_sweep(mode, size)
        rows.append(row)
        print(f"{mode:16s} wall {row['wall_s']:7.1f} s   cells {row['cells_s']}   "
              f"load {row['load_avg_1min_after']}", flush=True)
    report["sweeps"] = rows
    report["overhead"] = overhead = task_overhead(size, 5 if args.quick else 30)
    print(f"Ray local cluster start {overhead['cluster_start_s']} s; first task (worker start) "
          f"{overhead['first_task_s']} s; per task {overhead['per_task_median_s'] * 1000:.1f} ms median "
          f"({overhead['per_task_max_s'] * 1000:.1f} ms max)")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ray_batch.json").write_text(json.dumps(report, indent=2))
    print(f"CPU: {report['cpu']}, {report['cores']} cores; wrote {out / 'ray_batch.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
