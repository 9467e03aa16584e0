"""Issue #21's schedule screen: time against quality for the schedule candidates, as a Pareto table.

    python -m benchmarks.quality --size 256 --presets v3_80_32_13 --resume --out OUT [--pairs ...]   # per candidate
    python -m benchmarks.schedules --runs OUT [--baseline v3_80_32_13] [--size 512] [--repeats 5]

The quality benchmark keeps one row per pair and candidate (``OUT/runs``: scorecard, steps). The
runs' own seconds come from a machine shared with others, so the time of a candidate is modelled:
its steps per scale at ``--size`` times one step's median time at that scale's size, measured here
with the calls of every size and layer set interleaved (``--repeats``). A candidate is on the
Pareto front when no other is at most as slow and at least as good on structure, style gap and
copied (means over the baseline's pairs; a candidate lacking some is left out). "copied+" counts the pairs whose copied share
rose by more than 0.02 over the baseline's.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np


def step_seconds(sizes: list[int], layer_sets: dict[str, Any], repeats: int) -> dict[tuple[str, int], float]:
    """Median CPU seconds (the process's, all threads: steadier than wall time on a shared machine) of one
    step at each long side (4:3), per style layer set, calls interleaved."""
    import time

    import tensorflow as tf

    from benchmarks.speed import median_times
    from nst.losses import LossForm
    from nst.model import get_feature_net
    from nst.objective import Objective
    from nst.params import StyleParams
    from nst.precision import resolve_precision
    from nst.run_types import Weights

    net, fns = get_feature_net(), {}
    for name, layers in layer_sets.items():
        params = StyleParams(style_layers=layers)
        objective = Objective(net, LossForm.from_params(params), resolve_precision(params.precision))
        objective.set_weights(Weights(params.content_weight, params.style_weight, params.tv_weight))
        for size in sizes:
            image = np.random.default_rng(0).random((size * 3 // 4, size, 3), dtype=np.float32)
            targets, tensor = objective.targets(image, [image], [1.0]), tf.constant(image[None])
            fns[(name, size)] = lambda o=objective, t=targets, x=tensor: o.value_and_grad(x, t)[1].numpy()
    return median_times(fns, repeats, clock=time.process_time)


def layer_set(style_layers: Any) -> str:
    """What a step costs depends on the deepest layer computed: with block5_conv1 or without it (the content
    layer, block4_conv2, is computed either way; the style layers' weights cost nothing)."""
    return "block5" if any(name == "block5_conv1" for name, _ in style_layers) else "no_block5"


def candidates(runs: Path) -> dict[str, list[dict[str, Any]]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    for file in sorted(runs.glob("*.json")):
        row = json.loads(file.read_text())
        if row["preset"] != "jcjohnson":
            rows.setdefault(row["preset"], []).append(row)
    return rows


def table(rows: dict[str, list[dict[str, Any]]], baseline: str, seconds: dict[tuple[str, int], float],
          size: int) -> list[dict[str, Any]]:
    """One line per candidate that has every pair the baseline has, with its modelled seconds at ``size``."""
    from nst.params import StyleParams

    base = {r["pair"]: r for r in rows[baseline]}
    lines = []
    for preset, rs in rows.items():
        mine = [r for r in rs if r["pair"] in base]
        if len(mine) < len(base):  # a candidate screened on part of the baseline's pairs only
            continue
        params = StyleParams.from_dict({**mine[0]["params"], "size": size})
        layers = layer_set(params.style_layers)
        modelled = sum(n * seconds[(layers, s)] for n, s in zip(params.scale_iterations(), params.scale_sizes()))
        line = {"preset": preset, "steps": "/".join(map(str, params.scale_iterations())), "layers": layers,
                "seconds": modelled, "pairs": len(mine),
                **{k: float(np.mean([r[k] for r in mine])) for k in ("structure", "style_gap", "copied")},
                "copied+": sum(r["copied"] > base[r["pair"]]["copied"] + 0.02 for r in mine)}
        lines.append(line)
    base_line = next(line for line in lines if line["preset"] == baseline)
    for line in lines:
        line["time_ratio"] = line["seconds"] / base_line["seconds"]
        line["structure_change"] = line["structure"] / base_line["structure"] - 1
        line["style_gap_change"] = line["style_gap"] / base_line["style_gap"] - 1
        line["pareto"] = not any(_dominates(other, line) for other in lines if other is not line)
    return sorted(lines, key=lambda line: line["seconds"])


def _dominates(a: dict[str, Any], b: dict[str, Any]) -> bool:
    no_worse = (a["seconds"] <= b["seconds"] and a["structure"] >= b["structure"] and a["style_gap"] <= b["style_gap"]
                and a["copied"] <= b["copied"])
    better = (a["seconds"] < b["seconds"] or a["structure"] > b["structure"] or a["style_gap"] < b["style_gap"]
              or a["copied"] < b["copied"])
    return no_worse and better


def markdown(lines: list[dict[str, Any]], size: int) -> str:
    out = [f"| candidate | steps | layers | modelled CPU s at {size} px | time ratio | structure (Δ) | style gap (Δ) "
           "| copied | copied+ | Pareto |", "|---|---|---|---|---|---|---|---|---|---|"]
    for line in lines:
        out.append(f"| {line['preset']} | {line['steps']} | {line['layers']} | {line['seconds']:.1f} | "
                   f"{line['time_ratio']:.2f} | {line['structure']:.3f} ({line['structure_change']:+.1%}) | "
                   f"{line['style_gap']:.3f} ({line['style_gap_change']:+.1%}) | {line['copied']:.3f} | "
                   f"{line['copied+']} | {'yes' if line['pareto'] else ''} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", required=True, type=Path, help="the quality benchmark's OUT folder")
    parser.add_argument("--baseline", default="v3_80_32_13")
    parser.add_argument("--size", type=int, default=512, help="the output size the time is modelled at")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    from nst.params import StyleParams
    from benchmarks.step_time import cpu_name

    rows = candidates(args.runs / "runs")
    sizes = sorted({s for rs in rows.values() for s in
                    StyleParams.from_dict({**rs[0]["params"], "size": args.size}).scale_sizes()})
    layer_sets: dict[str, Any] = {}
    for rs in rows.values():
        layers = StyleParams.from_dict(rs[0]["params"]).style_layers
        layer_sets.setdefault(layer_set(layers), layers)
    seconds = step_seconds(sizes, layer_sets, args.repeats)
    print(f"{cpu_name()}; median step CPU s: " + ", ".join(f"{k[0]} {k[1]} px {v:.3f}" for k, v in seconds.items()))
    print(markdown(table(rows, args.baseline, seconds, args.size), args.size))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
