"""Poster benchmark: an A3 300 dpi print grown from a 512 px run, measured.

    python -m benchmarks.poster [--out bench-out/poster] [--time-limit 1200] [--budget-gb 8] [--quick]
                                [--stages run,mem1024,mem2048,mem4096,poster,print,analyse]

Stages (each but ``analyse`` a fresh child process, so its peak RSS is its own):

- run: the default preset at 512 px (tubingen x starry_night): the run a person picked.
- mem1024, mem2048, mem4096 (and, asked for by name on a quiet machine, mem4096whole): measured
  peak vs ``nst.memory``'s estimate (``benchmarks/poster_memory.py``); ``memory_check`` in the report
  says whether each is within +-20 %.
- poster: ``nst.poster`` A3 at 300 dpi (4961 x 3508, crop) from that run, the 1024 px photo,
  within ``--budget-gb`` and ``--time-limit`` seconds; its peak vs the plan's estimate.
- print: the Print preset (2048 px, five scales): its peak is the 2048 px measurement, and
  its picture the quality bar for 100 % crops.
- analyse: seams (gradient energy in 4 px bands on tile borders / at half-tile offsets),
  likeness (scorecard structure of the downscaled poster against the run), detail (Laplacian
  energy of the poster / of a Lanczos enlargement of the run), style gap of 100 % crops
  (poster vs Print), and docs/poster_*.jpg.

Writes ``OUT/poster.json`` and prints a table. Every stage records the load average beside its
time: on a shared machine wall times are inflated. ``--quick``: 256 px paper-less smoke run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks import SHARED_IMAGES
from benchmarks.poster_memory import STAGES as MEMORY_STAGES, memory_check

ROOT = Path(__file__).resolve().parents[1]
PHOTO, PAINTING = SHARED_IMAGES / "content" / "tubingen.jpg", SHARED_IMAGES / "style" / "starry_night.jpg"
GB = 1024**3


def _child(stage: str, out: Path, extra: list[str]) -> dict:
    """Run one stage in a fresh process: wall seconds, peak RSS, load average before/after."""
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "benchmarks.poster", "--stage", stage, "--out", str(out), *extra],
                            cwd=ROOT)
    _, status, usage = os.wait4(proc.pid, 0)
    if status != 0:
        raise SystemExit(f"stage {stage} failed (status {status})")
    row = {"wall_s": round(time.perf_counter() - started, 1), "peak_rss_gb": round(usage.ru_maxrss * 1024 / GB, 2),
           "load_before": round(load_before, 1), "load_after": round(os.getloadavg()[0], 1)}
    extra_file = out / f"{stage}.json"
    if extra_file.is_file():
        row.update(json.loads(extra_file.read_text()))
    return row


def _load(path: Path) -> np.ndarray:
    from nst.images import load_image

    return load_image(path).pixels


def _params(quick: bool):
    from nst.params import StyleParams

    return StyleParams(size=128 if quick else 512)


def poster_plan(args, run: np.ndarray):
    from nst.poster import plan_poster
    from nst.print_output import paper_for

    size = (256, 181) if args.quick else paper_for("A3", 300, run.shape[1], run.shape[0]).pixels
    steps = (3, 2, 2) if args.quick else (20, 10, 8)
    return plan_poster(*size, max(run.shape[:2]), _params(args.quick), budget=int(args.budget_gb * GB), steps=steps,
                       **({"max_tile": 128, "overlap": 16} if args.quick else {}))


def stage_run(args) -> dict:
    from nst.encode import save_png
    from nst.engine import stylize
    from nst.run_types import RunInputs

    result = stylize(RunInputs(_load(PHOTO), [_load(PAINTING)]), _params(args.quick))
    np.save(args.out / "run.npy", result.image)
    save_png(args.out / "run.png", result.image)
    return {"steps": len(result.history)}


def _cropped_inputs(plan, run: np.ndarray):
    from nst.print_output import crop_to_aspect

    photo = crop_to_aspect(_load(PHOTO), plan.width, plan.height)
    return photo, crop_to_aspect(run, plan.width, plan.height)


def stage_poster(args) -> dict:
    from nst.poster_paint import paint_poster
    from nst.print_output import save_print

    run = np.load(args.out / "run.npy")
    plan = poster_plan(args, run)
    print(plan.describe(), flush=True)
    photo, start = _cropped_inputs(plan, run)

    def progress(p) -> None:
        print(f"scale {p.scale_index + 1}/{p.n_scales} tile {p.tile_index + 1}/{p.n_tiles} {p.fraction:.0%} "
              f"{p.elapsed:.0f} s, eta {p.eta or 0:.0f} s, load {os.getloadavg()[0]:.1f}", flush=True)

    result = paint_poster(plan, photo, [_load(PAINTING)], start, _params(args.quick), on_progress=progress,
                          time_limit=args.time_limit)
    np.save(args.out / "poster.npy", result.image)
    save_print(args.out / "poster.tiff", result.image, 300, {"benchmark": "poster"})
    return {"plan": plan.describe(), "estimate_gb": round(plan.peak_bytes / GB, 2), "status": result.status,
            "paint_s": round(result.seconds, 1), "scale_s": [round(s, 1) for s in result.scale_seconds],
            "steps": result.steps, "tiles": [len(s.plan.tiles) for s in plan.scales],
            "tile_size": [[s.plan.tile_width, s.plan.tile_height] for s in plan.scales]}


def stage_print(args) -> dict:
    from nst.encode import save_png
    from nst.engine import stylize
    from nst.run_types import RunInputs
    from nst.params import with_quality

    from nst.memory import step_bytes
    from nst.poster import poster_layers
    from nst.precision import resolve_precision

    params = with_quality(_params(args.quick).replace(size=256 if args.quick else 2048), "Print")
    result = stylize(RunInputs(_load(PHOTO), [_load(PAINTING)]), params)
    np.save(args.out / "print.npy", result.image)
    save_png(args.out / "print.png", result.image)
    h, w = result.image.shape[:2]
    estimate = step_bytes(w, h, resolve_precision(params.precision), poster_layers(params))
    return {"steps": len(result.history), "estimate_gb": round(estimate / GB, 2)}


STAGES = {"run": stage_run, "poster": stage_poster, "print": stage_print, **MEMORY_STAGES}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench-out" / "poster")
    parser.add_argument("--stages", default="run,mem1024,mem2048,mem4096,poster,print,analyse")
    parser.add_argument("--stage", help=argparse.SUPPRESS)
    parser.add_argument("--time-limit", type=float, default=1200.0)
    parser.add_argument("--budget-gb", type=float, default=8.0)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.stage:
        row = STAGES[args.stage](args)
        (args.out / f"{args.stage}.json").write_text(json.dumps(row))
        return
    _orchestrate(args)


def _orchestrate(args) -> None:
    from nst.precision import cpu_info

    name, flags = cpu_info()
    report_path = args.out / "poster.json"
    report = json.loads(report_path.read_text()) if report_path.is_file() else {}
    report["cpu"] = {"name": name, "avx512f": "avx512f" in flags, "avx512_bf16": "avx512_bf16" in flags}
    extra = [f"--time-limit={args.time_limit}", f"--budget-gb={args.budget_gb}"] + (["--quick"] if args.quick else [])
    for stage in args.stages.split(","):
        print(f"== {stage} (load {os.getloadavg()[0]:.1f})", flush=True)
        if stage == "analyse":
            from benchmarks.poster_analysis import analyse

            report["analysis"] = analyse(args, report)
        else:
            report[stage] = _child(stage, args.out, extra)
        report["memory_check"] = memory_check(report)
        report_path.write_text(json.dumps(report, indent=1))
        print(json.dumps({stage: report.get(stage if stage != "analyse" else "analysis")}, indent=1), flush=True)
    print(json.dumps({"memory_check": report["memory_check"]}, indent=1), flush=True)


if __name__ == "__main__":
    main()
