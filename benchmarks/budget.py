"""Time budget of one run of ``python -m nst stylize``: where its seconds go (issue #21).

    python -m benchmarks.speed --sections budget
    python -m benchmarks.budget [--size 512] [--runs 1] [--json OUT.json] [-- extra stylize flags]

Runs the real CLI (``nst.cli.main``) in a fresh process with timers wrapped around the public
functions each part of a run goes through, and reports each part's *exclusive* wall and CPU
seconds (a part's time excludes the parts timed inside it, so the rows add up to the whole;
CPU is the process's, all threads, so on a loaded machine it is the steadier number):

- start-up: Python itself, importing ``nst.cli``, TensorFlow and the engine; the network
  (weights file found and hashed, Keras' VGG19 built and loaded, the kernels copied out); the
  precision choice; the compiled objective's set-up;
- inputs: reading and checking the pictures; the run's own set-up (resizes, colours, masks);
- per scale: the style and content targets; the first call of the step at that size (tracing,
  compiling and one step); the compiled steps, split into VGG19's forward + backward and the loss
  terms by timing, after the run, the bare truncated network against the full step at that size
  (interleaved); copies and bookkeeping around each step (numpy <-> tensor, history, best image);
  L-BFGS's own work (two-loop recursion, projection, line search);
- snapshots (uint8 conversion), progress events (the progress bar);
- end of run: the leakage metric, the PNG save; "other" is what is left (argument parsing,
  the result's assembly, ...).

It also times the bare network truncated at ``block4_conv2`` (the content layer) to say what
computing ``block4_conv3..block5_conv1`` costs for ``block5_conv1``'s style weight of 1/16.
"""

from __future__ import annotations

import json
import os
import sys
import time

_LAUNCHED_ENV = "NST_BUDGET_LAUNCHED"  # the parent's time.time() at launch: Python's own start-up
_STARTED = time.time()

from collections import defaultdict  # noqa: E402  (after the clock: it is part of what is timed)
from contextlib import contextmanager  # noqa: E402
from functools import wraps  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable, Iterator  # noqa: E402

from benchmarks import SHARED_IMAGES  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


class Spans:
    """Exclusive wall and CPU seconds per named part; nested parts are subtracted from their parent."""

    def __init__(self) -> None:
        self.totals: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
        self.order: list[str] = []
        self._stack: list[list[Any]] = []
        self.scale = ""

    @contextmanager
    def __call__(self, name: str) -> Iterator[list[Any]]:
        frame = [name, time.perf_counter(), time.process_time(), 0.0, 0.0]
        self._stack.append(frame)
        try:
            yield frame
        finally:
            self._stack.pop()
            wall, cpu = time.perf_counter() - frame[1], time.process_time() - frame[2]
            self.add(frame[0], wall - frame[3], cpu - frame[4])
            if self._stack:
                self._stack[-1][3] += wall
                self._stack[-1][4] += cpu

    def add(self, name: str, wall: float, cpu: float, calls: int = 1) -> None:
        if name not in self.totals:
            self.order.append(name)
        total = self.totals[name]
        total[0] += wall
        total[1] += cpu
        total[2] += calls

    def wrap(self, fn: Callable, name: str | Callable[[], str]) -> Callable:
        @wraps(fn)
        def timed(*args, **kwargs):
            with self(name() if callable(name) else name):
                return fn(*args, **kwargs)

        return timed

    def rows(self) -> list[dict[str, Any]]:
        return [{"part": n, "wall_s": round(self.totals[n][0], 3), "cpu_s": round(self.totals[n][1], 3),
                 "calls": int(self.totals[n][2])} for n in self.order]


def _instrument(spans: Spans) -> dict[str, Any]:
    """Wrap the run's public entry points; returns what the measurements after the run need."""
    import nst.big_stylize
    import nst.cli
    import nst.encode
    import nst.engine
    import nst.model
    import nst.weights
    from nst.objective import Objective

    seen: dict[str, Any] = {"objectives": [], "targets": {}, "raw_step": {}}
    scale = lambda suffix: lambda: f"scale {spans.scale}: {suffix}"  # noqa: E731

    nst.cli.load_input = spans.wrap(nst.cli.load_input, "inputs: read and check the pictures")
    nst.weights.file_sha256 = spans.wrap(nst.weights.file_sha256, "start-up: weights file sha256 (its id)")
    # Keras is imported only where its VGG19 reads a weight file h5py cannot (nst.model); TensorFlow
    # itself no longer imports it (nst.tf_startup), so the budget must not either
    nst.model._convs_through_keras = spans.wrap(nst.model._convs_through_keras,
                                                "start-up: Keras VGG19 built, weights read")
    for module in (nst.engine, nst.big_stylize):
        module.resolve_precision = spans.wrap(module.resolve_precision, "start-up: precision choice")
    for name in ("prepare_style", "style_mask", "detail_map"):
        setattr(nst.engine, name, spans.wrap(getattr(nst.engine, name), "run set-up: resizes, colours, masks"))
    nst.engine.to_uint8 = spans.wrap(nst.engine.to_uint8, "snapshots: uint8 conversion")
    nst.engine.leakage = spans.wrap(nst.engine.leakage, "end: leakage metric")
    nst.encode.save_png = spans.wrap(nst.encode.save_png, "end: PNG save")

    original_targets = Objective.balanced_targets

    # every scale's targets come through here, the output size's first of all (with the style balance)
    def balanced_targets(self, content, *args, **kwargs):
        size = f"{content.shape[1]}x{content.shape[0]}"
        with spans(f"scale {size}: style and content targets"):
            out = original_targets(self, content, *args, **kwargs)
        seen["targets"][size] = (self, out[0])
        return out

    Objective.balanced_targets = balanced_targets

    original_objective_for = nst.engine.objective_for

    def objective_for(*args, **kwargs):
        with spans("start-up: compiled objective set-up"):
            objective = original_objective_for(*args, **kwargs)
        if objective not in seen["objectives"]:
            seen["objectives"].append(objective)
            step = seen["raw_step"][id(objective)] = objective.value_and_grad

            def value_and_grad(image, targets_):
                traces = objective.traces
                spans.scale = f"{image.shape[2]}x{image.shape[1]}"
                with spans(f"scale {spans.scale}: compiled steps") as frame:
                    out = step(image, targets_)
                    if objective.traces != traces:
                        frame[0] = f"scale {spans.scale}: first call (tracing + compiling + 1 step)"
                return out

            objective.value_and_grad = value_and_grad
        return objective

    nst.engine.objective_for = objective_for

    original_minimize = nst.engine.minimize_box

    def minimize_box(evaluate, x0, **kwargs):
        spans.scale = f"{x0.shape[1]}x{x0.shape[0]}"
        with spans(f"scale {spans.scale}: L-BFGS own work"):
            return original_minimize(spans.wrap(evaluate, scale("copies and bookkeeping around the step")),
                                     x0, **kwargs)

    nst.engine.minimize_box = minimize_box

    original_stylize = nst.big_stylize.stylize

    def stylize(*args, on_event=None, **kwargs):
        if on_event is not None:
            on_event = spans.wrap(on_event, "progress events (progress bar)")
        return original_stylize(*args, on_event=on_event, **kwargs)

    nst.big_stylize.stylize = stylize
    return seen


def _net_factory():
    if os.environ.get("NST_BENCH_TINY_NET") == "1":  # TEST HOOK (the smoke test)
        from nst.model import tiny_feature_net_for_tests

        return lambda weights: tiny_feature_net_for_tests()
    from nst.model import get_feature_net

    return get_feature_net


def _split_steps(spans: Spans, seen: dict[str, Any], repeats: int) -> dict[str, Any]:
    """Split each scale's compiled steps into VGG19 forward + backward and the loss terms."""
    import tensorflow as tf

    from benchmarks.speed import median_times
    from nst.params import VGG19_CONV_LAYERS

    split: dict[str, Any] = {}
    for size, (objective, targets) in seen["targets"].items():
        key = f"scale {size}: compiled steps"
        if key not in spans.totals:
            continue
        image = targets.content_image
        deepest = max(objective.form.layers, key=VGG19_CONV_LAYERS.index)
        bare = {}
        for layer in sorted({deepest, "block4_conv2"}, key=VGG19_CONV_LAYERS.index):
            extract = objective.net.extractor((layer,), objective.form.pooling, objective.precision)

            @tf.function
            def bare_step(x, extract=extract, layer=layer):
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    loss = tf.reduce_sum(extract(x)[layer])
                return tape.gradient(loss, x)

            bare[f"vgg to {layer}"] = lambda f=bare_step: f(image).numpy()
        step = seen["raw_step"][id(objective)]  # not the timed one: these calls are not the run's
        full = {"full step": lambda: step(image, targets)[1].numpy()}
        cpu = median_times({**full, **bare}, repeats, clock=time.process_time)
        vgg_share = min(1.0, cpu[f"vgg to {deepest}"] / cpu["full step"])
        wall, cpu_total, calls = spans.totals.pop(key)
        spans.order.remove(key)
        spans.add(f"scale {size}: compiled steps: VGG19 forward + backward", wall * vgg_share,
                  cpu_total * vgg_share, int(calls))
        spans.add(f"scale {size}: compiled steps: loss terms and their gradients", wall * (1 - vgg_share),
                  cpu_total * (1 - vgg_share), 0)
        split[size] = {k: round(v, 4) for k, v in cpu.items()} | {"steps": int(calls), "deepest": deepest}
    return split


def child(argv: list[str], repeats: int) -> dict[str, Any]:
    """In a fresh process: the CLI run, timed part by part."""
    spans = Spans()
    launched = float(os.environ.get(_LAUNCHED_ENV, _STARTED))
    spans.add("start-up: Python", _STARTED - launched, 0.0)
    with spans("start-up: import nst.cli"):
        import nst.cli
    with spans("start-up: import TensorFlow"):
        import tensorflow  # noqa: F401
    with spans("start-up: import the engine"):
        import nst.big_stylize  # noqa: F401
    seen = _instrument(spans)
    factory = spans.wrap(_net_factory(), "start-up: network (weights found, kernels copied, variables)")
    with spans("other (arguments, result, messages)"):
        code = nst.cli.main(argv, net_factory=factory)
    if code != 0:
        raise SystemExit(f"the run failed with exit code {code}")
    finished = time.time()
    split = _split_steps(spans, seen, repeats)
    return {"rows": spans.rows(), "wall_s": round(finished - launched, 3), "split_cpu_s": split}


GROUPS = (("start-up", "start-up"), ("inputs and set-up", ("inputs", "run set-up")),
          ("targets", "style and content targets"), ("tracing", "first call"),
          ("VGG19 forward + backward", "VGG19 forward"), ("loss terms", "loss terms"),
          ("copies and bookkeeping", "copies and bookkeeping"), ("L-BFGS", "L-BFGS"),
          ("snapshots and events", ("snapshots", "progress events")), ("end of run", "end:"), ("other", "other"))


def grouped(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows summed into the budget's main parts (in the docs' order)."""
    out = []
    for label, keys in GROUPS:
        keys = (keys,) if isinstance(keys, str) else keys
        mine = [r for r in rows if any(k in r["part"] for k in keys)]
        out.append({"part": label, "wall_s": round(sum(r["wall_s"] for r in mine), 3),
                    "cpu_s": round(sum(r["cpu_s"] for r in mine), 3)})
    return out


def stylize_argv(content: Path, style: Path, output: Path, size: int, extra: tuple[str, ...] = ()) -> list[str]:
    return ["stylize", "--content", str(content), "--style", str(style), "-o", str(output), "--size", str(size),
            *extra]


def measure(argv: list[str], repeats: int = 3) -> dict[str, Any]:
    """One timed run in a fresh process (the parent's view: wall time, load average)."""
    import subprocess

    load_before = os.getloadavg()
    env = {**os.environ, _LAUNCHED_ENV: repr(time.time())}
    proc = subprocess.run([sys.executable, "-m", "benchmarks.budget", "--child", "--repeats", str(repeats), "--",
                           *argv], cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"the budget run failed:\n{proc.stderr[-3000:]}")
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    report["load_before"] = [round(v, 2) for v in load_before]
    report["load_after"] = [round(v, 2) for v in os.getloadavg()]
    report["groups"] = grouped(report["rows"])
    return report


def table(report: dict[str, Any]) -> str:
    total_wall = sum(r["wall_s"] for r in report["rows"])
    total_cpu = sum(r["cpu_s"] for r in report["rows"])
    lines = [f"{'part':<66} {'wall s':>7} {'cpu s':>7} {'calls':>6} {'share':>6}"]
    for r in report["rows"]:
        lines.append(f"{r['part']:<66} {r['wall_s']:7.2f} {r['cpu_s']:7.2f} {r['calls']:6d} "
                     f"{r['wall_s'] / total_wall:6.1%}")
    lines.append(f"{'total (rows)':<66} {total_wall:7.2f} {total_cpu:7.2f}")
    lines.append(f"{'whole process, launch to exit':<66} {report['wall_s']:7.2f}")
    lines.append("")
    for g in report["groups"]:
        lines.append(f"{g['part']:<66} {g['wall_s']:7.2f} {g['cpu_s']:7.2f} {'':6} {g['wall_s'] / total_wall:6.1%}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--content", default=str(SHARED_IMAGES / "content" / "tubingen.jpg"))
    parser.add_argument("--style", default=str(SHARED_IMAGES / "style" / "starry_night.jpg"))
    parser.add_argument("--out", default="bench-out")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of the VGG/loss split measurement")
    parser.add_argument("--json", help="write the report here")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("extra", nargs="*", help="more `nst stylize` flags (after --)")
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.extra, args.repeats)))
        return 0
    Path(args.out).mkdir(parents=True, exist_ok=True)
    report = measure(stylize_argv(Path(args.content), Path(args.style), Path(args.out) / "budget.png", args.size,
                                  tuple(args.extra)), args.repeats)
    from benchmarks.step_time import cpu_name

    print(f"{time.strftime('%Y-%m-%d %H:%M')}  {cpu_name()}  {os.cpu_count()} cores  load {report['load_before']}"
          f" -> {report['load_after']}")
    print(table(report))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
