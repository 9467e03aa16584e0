"""Fast mode numbers: preview latency and memory, and the warm start (``init=fast``) against the default.

    python -m benchmarks.fast [--part latency|warm|all] [--sizes 256,512,1024] [--out DIR]

Needs the real model (``NST_FAST_MODEL``, e.g. ../shared/models/magenta) and, for the warm start,
the real VGG19 weights (``NST_VGG19_WEIGHTS``). Where the model cannot be loaded it prints
"not measured" with the reason: a stand-in model's numbers say nothing about the real one.

latency: the fast picture of tubingen x starry_night at each long side, median of ``--repeats``
after one warm-up call (which builds the interpreter for that size); resident memory after each.

warm: for each pair (``--pairs``), at 512 px, in one process after a warm-up that traces every size:
  1. the default preset from the content (``StyleParams()``): its final ``nst score`` is the target;
  2. the default preset from the fast picture (``init=fast``);
  3. the fast picture refined at 512 px only (``init=fast, scales=1``), ``--quick-steps`` steps;
  4. the fast picture refined at 256 then 512 px (``init=fast, scales=2, iterations=16``: 16 + 6 steps).
Per run: seconds and steps until the 512 px loss (the score's definition) first reaches the target and
target x 1.05, final score, total seconds. Pictures side by side go to ``--out``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import numpy as np

from benchmarks import SHARED_IMAGES

DEFAULT_PAIRS = "tubingen:starry_night,golden_gate:the_scream,hoovertowernight:shipwreck"
SAVED_STEPS = (4, 6, 8, 10, 12, 15, 20)
WITHIN = 1.05  # "within 5 % of the default preset's score"


def rss_mb() -> dict[str, float]:
    """Current and peak resident memory of this process in MB (Linux /proc)."""
    values = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                values["rss_mb" if key == "VmRSS" else "peak_rss_mb"] = int(value.split()[0]) / 1024
    return values


def _image(folder: str, name: str, max_side: int) -> np.ndarray:
    from nst.images import load_image

    path = next((SHARED_IMAGES / folder).glob(f"{name}*.jpg"))
    return load_image(str(path), max_side=max_side).pixels


def measure_latency(content: np.ndarray, style: np.ndarray, sizes: list[int], repeats: int = 5) -> list[dict]:
    from nst.fast import fast_preview

    rows = []
    for size in sizes:
        started = time.perf_counter()
        picture = fast_preview(content, [style], size=size)  # warm-up: builds this size's interpreter
        first = time.perf_counter() - started
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            fast_preview(content, [style], size=size)
            times.append(time.perf_counter() - started)
        rows.append({"size": f"{picture.shape[1]}x{picture.shape[0]}", "first_call_s": round(first, 3),
                     "median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3),
                     **{k: round(v) for k, v in rss_mb().items()}})
        print(rows[-1], flush=True)
    return rows


def _reach(history: list[dict], last_scale: int, target: float) -> dict | None:
    """The first step at the last scale whose loss is at most ``target``: its step number and elapsed time."""
    hit = next((h for h in history if h["scale"] == last_scale and h["total"] <= target), None)
    return None if hit is None else {"step": hit["step"], "seconds": round(hit["elapsed"], 1)}


def _run_row(label: str, result, score: float, target: float, params) -> dict:
    last = len(params.scale_sizes()) - 1
    return {"run": label, "steps": result.steps, "seconds": round(result.seconds, 1), "score": round(score, 5),
            "vs_default": round(score / target, 4), "reach_target": _reach(result.history, last, target),
            "reach_within_5pct": _reach(result.history, last, target * WITHIN)}


def measure_warm_start(content_name: str, style_name: str, net, out: Path, quick_steps: int,
                       runs_wanted: tuple[str, ...] = ("warm", "quick", "two")) -> dict:
    from nst.engine import stylize
    from nst.run_types import RunInputs
    from nst.fast import stylize_fast
    from nst.params import StyleParams
    from nst.score import score_image

    from nst.losses import LossForm
    from nst.score import SCORE_FORM, SCORE_WEIGHTS

    content, style = _image("content", content_name, 512), _image("style", style_name, 512)
    base = StyleParams()
    # the per-step losses are score values only while the default objective is the score's definition
    if LossForm.from_params(base) != SCORE_FORM or (base.content_weight, base.style_weight, base.tv_weight) != \
            (SCORE_WEIGHTS["content"], SCORE_WEIGHTS["style"], SCORE_WEIGHTS["tv"]):
        print("note: the default objective differs from the nst score: steps-to-score come from the engine's "
              "own loss; trust the scored snapshots (quick_snapshots) instead", flush=True)
    stylize(RunInputs(content, [style]), base.replace(iterations=1), net=net)  # warm-up: trace every scale's size

    def score(image: np.ndarray) -> float:
        return score_image(image, content, [style], net, size=base.size).terms.total

    default = stylize(RunInputs(content, [style]), base, net=net)
    target = score(default.image)
    picture = stylize_fast(_resize(content, base.size), [style])
    runs = [{"run": "default (content start)", "steps": default.steps, "seconds": round(default.seconds, 1),
             "score": round(target, 5), "vs_default": 1.0, "reach_target": None, "reach_within_5pct": None},
            {"run": "fast picture alone", "steps": 0, "seconds": None, "score": round(score(picture), 5),
             "vs_default": round(score(picture) / target, 4), "reach_target": None, "reach_within_5pct": None}]
    tag = f"{content_name}_{style_name}"
    report = {"pair": f"{content_name} x {style_name}", "target_score": round(target, 5), "runs": runs,
              "default_curve": _curve(default)}
    pictures = [default.image, picture]
    variants = {"warm": ("default preset, init=fast", base.replace(init="fast")),
                "quick": (f"init=fast, 512 px only, {quick_steps} steps",
                          base.replace(init="fast", scales=1, iterations=quick_steps)),
                "two": ("init=fast, 256+512 px, 16+6 steps", base.replace(init="fast", scales=2, iterations=16))}
    for key in runs_wanted:
        label, params = variants[key]
        result = stylize(RunInputs(content, [style]), params, net=net)
        runs.append(_run_row(label, result, score(result.image), target, params))
        print(tag, runs[-1], flush=True)
        pictures.append(result.image)
        report[f"{key}_curve"] = _curve(result)
        if key == "quick":
            report["quick_snapshots"] = _snapshot_scores(result, score, out, tag)
    out.mkdir(parents=True, exist_ok=True)
    _side_by_side(out / f"warm_{tag}.png", pictures)
    print(tag, runs[0], runs[1], flush=True)
    return report


def _curve(result) -> list[dict]:
    return [{"step": h["step"], "scale": h["scale"], "seconds": round(h["elapsed"], 1), "total": round(h["total"], 5)}
            for h in result.history]


def _snapshot_scores(result, score, out: Path, tag: str) -> list[dict]:
    """The refined picture after each snapshot step (for choosing the Quick step count), scored and saved."""
    from nst.encode import from_uint8, save_png

    rows = []
    for snap in result.snapshots:
        if snap.step in SAVED_STEPS:
            image = from_uint8(snap.image)
            rows.append({"step": snap.step, "score": round(score(image), 5)})
            save_png(out / f"quick_{tag}_{snap.step}.png", image)
    return rows


def _resize(image: np.ndarray, size: int) -> np.ndarray:
    from nst.resize import resize_long_side

    return resize_long_side(image, size)


def _side_by_side(path: Path, images: list[np.ndarray]) -> None:
    from nst.encode import save_png
    from nst.resize import resize_to

    height = images[0].shape[0]
    tiles = [resize_to(np.asarray(im, np.float32), round(im.shape[1] * height / im.shape[0]), height)
             for im in images]
    save_png(path, np.concatenate(tiles, axis=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=("latency", "warm", "all"), default="all")
    parser.add_argument("--sizes", default="256,512,1024")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--pairs", default=DEFAULT_PAIRS, help="content:style,... (names in ../shared/images)")
    parser.add_argument("--quick-steps", type=int, default=20)
    parser.add_argument("--runs", default="warm,quick,two", help="which warm-start runs besides the default")
    parser.add_argument("--out", default="benchmarks/out/fast")
    args = parser.parse_args()

    from nst.fast_model import fast_model_available
    from nst.precision import cpu_info

    name, flags = cpu_info()
    print(f"CPU: {name}; AVX2 {'avx2' in flags}, AVX-512 {'avx512f' in flags}")
    import tensorflow  # noqa: F401  (so the memory before the model includes TensorFlow itself)

    before = rss_mb()["rss_mb"]
    available, reason = fast_model_available()
    print(f"memory: {before:.0f} MB with TensorFlow, {rss_mb()['rss_mb']:.0f} MB with the fast model loaded")
    if not available:
        print(f"fast mode: not measured: {reason}")
        return
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    report: dict = {"cpu": name, "avx2": "avx2" in flags, "avx512": "avx512f" in flags, "rss_mb_before_model": before}
    if args.part in ("latency", "all"):
        content, style = _image("content", "tubingen", 1024), _image("style", "starry_night", 512)
        report["latency"] = measure_latency(content, style, [int(s) for s in args.sizes.split(",")], args.repeats)
    if args.part in ("warm", "all"):
        from nst.model import get_feature_net

        net = get_feature_net()
        report["warm_start"] = []
        for pair in args.pairs.split(","):
            report["warm_start"].append(measure_warm_start(*pair.split(":"), net, out, args.quick_steps,
                                                           tuple(args.runs.split(","))))
            (out / f"fast_{args.part}.json").write_text(json.dumps(report, indent=1))  # keep partial results
    (out / f"fast_{args.part}.json").write_text(json.dumps(report, indent=1))
    print(f"wrote {out / f'fast_{args.part}.json'}")


if __name__ == "__main__":
    main()
