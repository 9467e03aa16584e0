"""Time per engine step (one VGG19 forward + backward with the full loss) at given sizes.

    python -m benchmarks.step_time [--sizes 256,512] [--repeats 5] [--json OUT.json]

Needs the real weights (NST_VGG19_WEIGHTS or the usual chain). The aspect is 4:3, like the
sample photos. Prints a table; the first call per size (tracing + compile) is reported apart.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np


def cpu_name() -> str:
    from nst.precision import cpu_info

    return cpu_info()[0]


def measure(sizes: list[int], repeats: int, net=None) -> list[dict[str, float]]:
    """Rows of timings; ``net`` defaults to the real VGG19 (tests pass the tiny network)."""
    import tensorflow as tf

    from nst.objective import Objective
    from nst.losses import LossForm
    from nst.model import get_feature_net
    from nst.params import StyleParams

    objective = Objective(net or get_feature_net(), LossForm.from_params(StyleParams()))
    rows = []
    for size in sizes:
        height, width = size * 3 // 4, size
        image = np.random.default_rng(0).random((height, width, 3), dtype=np.float32)
        targets = objective.targets(image, [image], [1.0])
        tensor = tf.constant(image[None])
        started = time.perf_counter()
        objective.value_and_grad(tensor, targets)[1].numpy()
        first = time.perf_counter() - started
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            objective.value_and_grad(tensor, targets)[1].numpy()
            times.append(time.perf_counter() - started)
        rows.append({"size": f"{width}x{height}", "first_call_s": round(first, 3),
                     "median_step_s": round(statistics.median(times), 3), "min_step_s": round(min(times), 3)})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="256,512")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--json")
    args = parser.parse_args()
    rows = measure([int(s) for s in args.sizes.split(",")], args.repeats)
    report = {"date": time.strftime("%Y-%m-%d"), "cpu": cpu_name(), "cores": os.cpu_count(), "rows": rows}
    print(f"{report['date']}  {report['cpu']}  {report['cores']} cores")
    print(f"{'size':>10} {'first call':>11} {'median step':>12} {'min step':>9}")
    for row in rows:
        print(f"{row['size']:>10} {row['first_call_s']:>10.2f}s {row['median_step_s']:>11.2f}s {row['min_step_s']:>8.2f}s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)


if __name__ == "__main__":
    main()
