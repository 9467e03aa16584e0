"""Speed benchmark: the engine against the bare VGG19 step and TensorFlow's tutorial recipe.

    python -m benchmarks.speed [--quick] [--sections budget,floor,quality,fair,equal,scaling,precision,cold]
                               [--out bench-out] [--full-size 2048]

Runs on this machine, in one go, and prints a table and writes ``OUT/speed.json`` plus the
images (``OUT/*.png``). Sections:

- budget: where the seconds of one ``python -m nst stylize`` run go, part by part, in a fresh
  process (benchmarks/budget.py).
- floor: the bare forward+backward (gradient w.r.t. the input) of VGG19 truncated at
  block5_conv1 vs one step of the engine (the full loss and the optimiser's own work) at
  512 px; their ratio.
- quality: the tutorial's recipe (benchmarks/tutorial.py; 1000 Adam steps at 512 px; result
  cached by input hash, step time re-measured over 10 steps, its time = that x 1000) vs the
  whole wall time of ``python -m nst stylize`` with the default preset; both nst scores and
  the side-by-side image.
- fair: the engine's optimiser (coarse-to-fine, box L-BFGS) on the tutorial's own objective:
  wall time to reach the tutorial's 1000-step loss.
- equal: the tutorial given exactly the engine's wall time; both results under both
  objectives (nst score, the tutorial's loss).
- scaling: time per step and peak RSS of a fresh process at 256..2048 px, and a full
  ``--full-size`` px run (the "Print" quality preset: 5 scales).
- precision: float32 vs bfloat16 convolutions: step time, final score, L-BFGS backtracks.
- cold: import, model build and the first step of a fresh process.

The quality / fair / equal sections need ../shared/images (tubingen x starry_night) and say
so when it is absent. ``--quick`` is a smoke run (small sizes, few steps). Sizes are long
sides; the aspect is the sample photo's (4:3).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Callable

import numpy as np

from benchmarks.step_time import cpu_name

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("budget", "floor", "quality", "fair", "equal", "scaling", "precision", "cold")


@dataclass(frozen=True)
class Config:
    size: int = 512
    tutorial_steps: int = 1000
    tutorial_timing_steps: int = 10
    repeats: int = 5
    scaling_sizes: tuple[int, ...] = (256, 512, 1024, 2048)
    scaling_steps: int = 4
    full_size: int = 2048  # the "print on the wall" run; 0 = skip
    precision_size: int = 256  # the float32/bfloat16 score comparison runs the default preset at this size
    fair_time_cap: float = 600.0  # seconds; 0 = the tutorial's own 1000-step time
    sections: tuple[str, ...] = SECTIONS
    out: Path = Path("bench-out")
    engine_args: tuple[str, ...] = ()  # extra `nst stylize` flags of the quality run (quick mode)
    in_process: bool = False  # run the engine in this process (tests inject a tiny network)


QUICK = Config(size=128, tutorial_steps=20, tutorial_timing_steps=2, repeats=2, scaling_sizes=(64, 128),
               scaling_steps=2, full_size=0, precision_size=64, fair_time_cap=60.0,
               engine_args=("--iterations", "10", "--scales", "2"))


# ---- helpers ------------------------------------------------------------------------------
def benchmark_net():
    """The real VGG19; NST_BENCH_TINY_NET=1 (TEST HOOK, for the smoke test only) gives the tiny one."""
    if os.environ.get("NST_BENCH_TINY_NET") == "1":
        from nst.model import tiny_feature_net_for_tests

        return tiny_feature_net_for_tests()
    from nst.model import get_feature_net

    return get_feature_net()


def dims(size: int) -> tuple[int, int]:
    """(height, width) of a 4:3 image with long side ``size``."""
    return size * 3 // 4, size


def run_measured(args: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Run a command; (wall seconds, peak RSS in bytes of that process, stdout)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.PIPE, text=True,
                                env={**os.environ, **(env or {})})
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        stderr = proc.stderr.read() if proc.stderr else ""
        out.seek(0)
        stdout = out.read()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args[:4])} ... failed ({proc.returncode}):\n{stderr[-2000:]}")
    return wall, usage.ru_maxrss * 1024, stdout


def save_side_by_side(path: Path, *images: np.ndarray) -> None:
    from nst.encode import save_png
    from nst.resize import resize_to

    height = min(im.shape[0] for im in images)
    resized = [resize_to(im, round(im.shape[1] * height / im.shape[0]), height) for im in images]
    gap = np.ones((height, 8, 3), np.float32)
    parts: list[np.ndarray] = []
    for im in resized:
        parts += [im, gap]
    save_png(path, np.concatenate(parts[:-1], axis=1))


def median_times(fns: dict[str, Callable[[], Any]], repeats: int,
                 clock: Callable[[], float] = time.perf_counter) -> dict[str, float]:
    """Median seconds of each function, calls interleaved so a busy machine hurts all alike
    (``clock=time.process_time``: CPU seconds, the steadier number on a loaded machine)."""
    for fn in fns.values():
        fn()  # trace / warm up
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(repeats):
        for key, fn in fns.items():
            started = clock()
            fn()
            times[key].append(clock() - started)
    return {k: statistics.median(v) for k, v in times.items()}


# ---- 1. floor ---------------------------------------------------------------------------------
def floor_section(net, cfg: Config, precision: str = "float32") -> dict[str, Any]:
    import tensorflow as tf

    from nst.engine import stylize

    from nst.run_types import RunInputs
    from nst.params import StyleParams

    height, width = dims(cfg.size)
    rng = np.random.default_rng(0)
    image = tf.constant(rng.random((1, height, width, 3), dtype=np.float32))
    extract = net.extractor(("block5_conv1",), "max", precision)

    @tf.function
    def bare_step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(extract(x)["block5_conv1"])
        return tape.gradient(loss, x)

    bare = median_times({"floor": lambda: bare_step(image).numpy()}, cfg.repeats)["floor"]
    # One engine step as a run pays it: loss + gradient + the optimiser's own work + reporting.
    steps = cfg.repeats + 2
    content = rng.random((height, width, 3), dtype=np.float32)
    style = rng.random((height, width, 3), dtype=np.float32)
    params = StyleParams(size=cfg.size, scales=1, iterations=steps, precision=precision)
    result = stylize(RunInputs(content, [style]), params, net=net)
    elapsed = [h["elapsed"] for h in result.history]
    engine = statistics.median(np.diff(elapsed)[1:])  # the first step includes tracing
    bare_again = median_times({"floor": lambda: bare_step(image).numpy()}, cfg.repeats)["floor"]
    floor = min(bare, bare_again)
    return {"size": f"{width}x{height}", "precision": precision, "floor_step_s": round(floor, 3),
            "engine_step_s": round(engine, 3), "ratio": round(engine / floor, 3), "target_ratio": 1.05}


# ---- 2. quality: tutorial vs default preset ---------------------------------------------------
def engine_default_run(cfg: Config, pair_paths: tuple[Path, Path], net) -> tuple[np.ndarray, float, int]:
    """(result, wall seconds incl. start-up, peak RSS) of the default preset at cfg.size."""
    from nst.images import load_image

    output = cfg.out / "engine_default.png"
    if cfg.in_process:
        from nst.cli import main as cli_main

        started = time.perf_counter()
        code = cli_main(["stylize", "--content", str(pair_paths[0]), "--style", str(pair_paths[1]),
                         "-o", str(output), "--size", str(cfg.size), *cfg.engine_args], net_factory=lambda _: net)
        if code != 0:
            raise RuntimeError("the engine run failed")
        wall, rss = time.perf_counter() - started, 0
    else:
        wall, rss, _ = run_measured([sys.executable, "-m", "nst", "stylize", "--content", str(pair_paths[0]),
                                     "--style", str(pair_paths[1]), "-o", str(output), "--size", str(cfg.size),
                                     *cfg.engine_args])
    return load_image(output).pixels, wall, rss


def quality_section(net, cfg: Config, pair, pair_paths, log) -> tuple[dict[str, Any], dict[str, Any]]:
    from benchmarks.tutorial import Tutorial, cached_result
    from nst.encode import save_png
    from nst.resize import resize_to
    from nst.score import score_image

    content, style = pair
    tutorial = Tutorial(net, content, style)
    tutorial_step = tutorial.step_time(cfg.tutorial_timing_steps)
    tutorial_time = tutorial_step * cfg.tutorial_steps
    reference = cached_result(net, content, style, cfg.tutorial_steps, log=log)
    engine_image, engine_wall, engine_rss = engine_default_run(cfg, pair_paths, net)
    engine_image = resize_to(engine_image, content.shape[1], content.shape[0])
    save_png(cfg.out / f"tutorial_{cfg.tutorial_steps}.png", reference.image)
    save_side_by_side(cfg.out / "side_by_side.png", reference.image, engine_image)
    scores = {name: score_image(img, content, [style], net, size=cfg.size).terms.total
              for name, img in (("tutorial", reference.image), ("engine", engine_image))}
    row = {
        "size": f"{content.shape[1]}x{content.shape[0]}",
        "tutorial_step_s": round(tutorial_step, 3), "tutorial_steps": cfg.tutorial_steps,
        "tutorial_time_s": round(tutorial_time, 1), "tutorial_loss": reference.loss,
        "tutorial_score": round(scores["tutorial"], 4),
        "engine_wall_s": round(engine_wall, 1), "engine_peak_rss_gb": round(engine_rss / 2**30, 2),
        "engine_score": round(scores["engine"], 4),
        "engine_tutorial_loss": tutorial.loss(engine_image),
        "time_ratio": round(engine_wall / tutorial_time, 4), "target_time_ratio": round(1 / 25, 4),
        "engine_score_at_least_as_good": scores["engine"] <= scores["tutorial"],
    }
    return row, {"engine_image": engine_image, "tutorial": tutorial, "reference": reference}


# ---- 2b. the engine's optimiser on the tutorial's objective ------------------------------------
def fair_section(net, cfg: Config, pair, target_loss: float, time_cap: float) -> dict[str, Any]:
    from nst.engine import stylize
    from nst.run_types import RunInputs
    from nst.run_types import RunControl
    from nst.params import MIN_SIZE
    from nst.recipes import RECIPES

    content, style = pair
    objective = RECIPES["tf-tutorial"].params(cfg.size).replace(optimizer="lbfgs")
    started = time.perf_counter()
    # coarse-to-fine up to half size, as the default preset paints...
    coarse = stylize(RunInputs(content, [style]), objective.replace(size=max(MIN_SIZE, cfg.size // 2), scales=2, iterations=80,
                                                          iteration_decay=0.4), net=net)
    coarse_seconds = time.perf_counter() - started
    # ...then full size until the tutorial's 1000-step loss is reached (or the cap)
    control, reached = RunControl(), {}

    def watch(event) -> None:
        if event.kind == "step" and event.losses is not None and event.losses.total <= target_loss:
            reached.setdefault("seconds", time.perf_counter() - started)
            reached.setdefault("steps", event.step)
            control.cancel()
        elif time.perf_counter() - started > time_cap:
            control.cancel()

    fine = stylize(RunInputs(content, [style], init_image=coarse.image), objective.replace(scales=1, iterations=100_000, init="image"), net=net, control=control, on_event=watch)
    return {
        "target_loss": target_loss, "reached": bool(reached),
        "seconds_to_target": round(reached["seconds"], 1) if reached else None,
        "coarse_seconds": round(coarse_seconds, 1), "full_size_steps": reached.get("steps", fine.steps),
        "best_loss": fine.losses.total, "cap_s": round(time_cap, 1),
        "optimizer_stats": fine.optimizer_stats,
    }


# ---- 2c. equal time ---------------------------------------------------------------------------
def equal_time_section(net, cfg: Config, pair, engine_wall: float, engine_image: np.ndarray) -> dict[str, Any]:
    from benchmarks.tutorial import Tutorial
    from nst.encode import save_png
    from nst.score import score_image

    content, style = pair
    tutorial = Tutorial(net, content, style)
    steps = tutorial.run(seconds=engine_wall)
    image = tutorial.result()
    save_png(cfg.out / "tutorial_equal_time.png", image)
    save_side_by_side(cfg.out / "equal_time.png", image, engine_image)
    score = {name: score_image(img, content, [style], net, size=cfg.size).terms.total
             for name, img in (("tutorial", image), ("engine", engine_image))}
    loss = {"tutorial": tutorial.loss(image), "engine": tutorial.loss(engine_image)}
    return {
        "seconds": round(engine_wall, 1), "tutorial_steps": steps,
        "tutorial_score": round(score["tutorial"], 4), "engine_score": round(score["engine"], 4),
        "tutorial_loss_of_tutorial": loss["tutorial"], "tutorial_loss_of_engine": loss["engine"],
        "engine_wins_score": score["engine"] < score["tutorial"],
        "engine_wins_tutorial_loss": loss["engine"] < loss["tutorial"],
    }


# ---- 3. scaling -------------------------------------------------------------------------------
def child_steps(size: int, steps: int, precision: str) -> dict[str, Any]:
    """In a fresh process: a single-scale run of ``steps`` steps at ``size``; per-step times."""
    from nst.engine import stylize
    from nst.run_types import RunInputs
    from nst.params import StyleParams

    height, width = dims(size)
    rng = np.random.default_rng(0)
    content = rng.random((height, width, 3), dtype=np.float32)
    style = rng.random((height, width, 3), dtype=np.float32)
    result = stylize(RunInputs(content, [style]), StyleParams(size=size, scales=1, iterations=steps, precision=precision), net=benchmark_net())
    elapsed = [0.0] + [h["elapsed"] for h in result.history]
    per_step = np.diff(elapsed)
    return {"first_step_s": float(per_step[0]), "step_s": float(np.median(per_step[1:])) if steps > 1 else None}


def scaling_section(cfg: Config, pair_paths, log) -> dict[str, Any]:
    rows = []
    for size in cfg.scaling_sizes:
        wall, rss, out = run_measured([sys.executable, "-m", "benchmarks.speed", "--child-steps", str(size),
                                       "--steps", str(cfg.scaling_steps)])
        child = json.loads(out.strip().splitlines()[-1])
        height, width = dims(size)
        rows.append({"size": f"{width}x{height}", "pixels": width * height, "step_s": round(child["step_s"], 3),
                     "first_step_s": round(child["first_step_s"], 2), "peak_rss_gb": round(rss / 2**30, 2)})
        log(f"  scaling {size}: {rows[-1]}")
    base = rows[0] if rows else {}
    for row in rows:
        grow = row["pixels"] / base["pixels"]
        row["time_growth_per_pixel_growth"] = round(row["step_s"] / base["step_s"] / grow, 3)
    section: dict[str, Any] = {"rows": rows}
    if cfg.full_size and pair_paths:
        output = cfg.out / f"engine_{cfg.full_size}.png"
        wall, rss, _ = run_measured([sys.executable, "-m", "nst", "stylize", "--content", str(pair_paths[0]),
                                     "--style", str(pair_paths[1]), "-o", str(output),
                                     "--size", str(cfg.full_size), "--scales", "5"])
        section["full_run"] = {"size": cfg.full_size, "preset": "Print (5 scales, 80/32/13/5/2 steps)",
                               "wall_s": round(wall, 1), "peak_rss_gb": round(rss / 2**30, 2),
                               "target_s": 900}
    return section


# ---- 4. precision -----------------------------------------------------------------------------
def precision_section(net, cfg: Config, pair) -> dict[str, Any]:
    from nst.engine import stylize
    from nst.run_types import RunInputs
    from nst.params import StyleParams
    from nst.precision import cpu_info, has_native_bf16, resolve_precision
    from nst.score import score_image

    rows = {}
    for precision in ("float32", "bfloat16"):
        row = floor_section(net, cfg, precision)
        if pair is not None:
            content, style = pair
            result = stylize(RunInputs(content, [style]), StyleParams(size=cfg.precision_size, precision=precision), net=net)
            row["score"] = round(score_image(result.image, content, [style], net, size=cfg.precision_size).terms.total, 4)
            row["run_seconds"] = round(result.seconds, 1)
            row["lbfgs"] = result.optimizer_stats
            row["steps"] = result.steps
        rows[precision] = row
    f32, b16 = rows["float32"], rows["bfloat16"]
    return {
        "rows": rows, "native_bf16": has_native_bf16(cpu_info()[1]),
        "bf16_time_ratio": round(b16["floor_step_s"] / f32["floor_step_s"], 3),
        "score_change": (round(b16["score"] / f32["score"] - 1, 4) if "score" in b16 else None),
        "auto_chooses": resolve_precision("auto"),
    }


# ---- 5. cold start ----------------------------------------------------------------------------
def child_cold(size: int) -> dict[str, float]:
    started = time.time()
    import tensorflow  # noqa: F401

    from nst.engine import stylize

    from nst.run_types import RunInputs
    from nst.params import StyleParams

    imported = time.time()
    net = benchmark_net()
    built = time.time()
    height, width = dims(size)
    image = np.random.default_rng(0).random((height, width, 3), dtype=np.float32)
    stylize(RunInputs(image, [image]), StyleParams(size=size, scales=1, iterations=1), net=net)
    stepped = time.time()
    return {"start": started, "imported": imported, "built": built, "stepped": stepped}


def cold_section(cfg: Config) -> dict[str, Any]:
    launched = time.time()
    wall, rss, out = run_measured([sys.executable, "-m", "benchmarks.speed", "--child-cold", str(cfg.size)])
    t = json.loads(out.strip().splitlines()[-1])
    return {"python_start_s": round(t["start"] - launched, 2), "import_s": round(t["imported"] - t["start"], 2),
            "model_build_s": round(t["built"] - t["imported"], 2),
            "first_step_s": round(t["stepped"] - t["built"], 2), "total_s": round(wall, 2),
            "size": cfg.size}


# ---- 0. time budget ---------------------------------------------------------------------------
def budget_section(cfg: Config, pair_paths) -> dict[str, Any]:
    from benchmarks import budget

    if pair_paths is None:
        return {"skipped": "../shared/images (tubingen.jpg, starry_night.jpg) not found"}
    argv = budget.stylize_argv(pair_paths[0], pair_paths[1], cfg.out / "budget.png", cfg.size, cfg.engine_args)
    report = budget.measure(argv, repeats=cfg.repeats)
    print(budget.table(report), file=sys.stderr)
    return report


# ---- the run ----------------------------------------------------------------------------------
def run(cfg: Config, net=None, pair=None, pair_paths=None, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the chosen sections; returns the report (also written to cfg.out/speed.json)."""
    from benchmarks.tutorial import SHARED_IMAGES, sample_pair
    from nst.resize import resize_long_side

    cfg.out.mkdir(parents=True, exist_ok=True)
    net = net or benchmark_net()
    if pair is None:
        pair = sample_pair(cfg.size)
        pair_paths = (SHARED_IMAGES / "content" / "tubingen.jpg", SHARED_IMAGES / "style" / "starry_night.jpg")
    report: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpu": cpu_name(), "cores": os.cpu_count(),
                              "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(cfg).items()}}
    missing = "skipped: ../shared/images (tubingen.jpg, starry_night.jpg) not found"

    def section(name: str, fn: Callable[[], Any]) -> Any:
        if name not in cfg.sections:
            return None
        log(f"== {name}")
        started = time.perf_counter()
        report[name] = fn()
        log(f"   {json.dumps(report[name], default=str)[:600]}  ({time.perf_counter() - started:.0f} s)")
        _write(cfg, report)
        return report[name]

    section("budget", lambda: budget_section(cfg, pair_paths))
    section("cold", lambda: cold_section(cfg))
    section("floor", lambda: floor_section(net, cfg))
    quality: dict[str, Any] = {}
    if pair is None:
        for name in ("quality", "fair", "equal"):
            section(name, lambda: missing)
    else:
        def quality_run():
            row, extra = quality_section(net, cfg, pair, pair_paths, log)
            quality.update(extra, row=row)
            return row

        section("quality", quality_run)
        if quality:
            row = quality["row"]
            section("fair", lambda: fair_section(net, cfg, pair, row["tutorial_loss"],
                                                 cfg.fair_time_cap or row["tutorial_time_s"]))
            section("equal", lambda: equal_time_section(net, cfg, pair, row["engine_wall_s"],
                                                        quality["engine_image"]))
    small_pair = None if pair is None else tuple(resize_long_side(p, cfg.precision_size) for p in pair)
    section("precision", lambda: precision_section(net, cfg, small_pair))
    section("scaling", lambda: scaling_section(cfg, pair_paths if pair is not None else None, log))
    return report


def _write(cfg: Config, report: dict[str, Any]) -> None:
    (cfg.out / "speed.json").write_text(json.dumps(report, indent=2, default=str))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: small sizes, few steps")
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--out", default="bench-out")
    parser.add_argument("--full-size", type=int, help="the full-run size of the scaling section (0 = skip)")
    parser.add_argument("--scaling-sizes", help="comma-separated long sides of the scaling section ('' = none)")
    parser.add_argument("--child-steps", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--child-cold", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=4, help=argparse.SUPPRESS)
    parser.add_argument("--precision", default="auto", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_steps:
        print(json.dumps(child_steps(args.child_steps, args.steps, args.precision)))
        return 0
    if args.child_cold:
        print(json.dumps(child_cold(args.child_cold)))
        return 0
    sections = tuple(s.strip() for s in args.sections.split(",") if s.strip())
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}")
    cfg = replace(QUICK if args.quick else Config(), sections=sections, out=Path(args.out))
    if args.full_size is not None:
        cfg = replace(cfg, full_size=args.full_size)
    if args.scaling_sizes is not None:
        cfg = replace(cfg, scaling_sizes=tuple(int(v) for v in args.scaling_sizes.split(",") if v.strip()))
    report = run(cfg)
    print(json.dumps(report, indent=2, default=str))
    print(f"written: {cfg.out / 'speed.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
