"""Smoke runs of the benchmarks on the tiny network, so they keep working (no timings asserted)."""

from benchmarks.step_time import measure
from nst.model import tiny_feature_net_for_tests


def test_step_time_benchmark_reports_a_row_per_size():
    rows = measure([64, 96], repeats=1, net=tiny_feature_net_for_tests())
    assert [r["size"] for r in rows] == ["64x48", "96x72"]
    assert all(r["median_step_s"] > 0 and r["first_call_s"] > 0 for r in rows)


def test_the_schedule_table_models_time_from_steps_and_marks_the_pareto_front():
    from benchmarks.schedules import table
    from nst.params import StyleParams

    def row(pair, preset, params, structure, gap, copied):
        return {"pair": pair, "preset": preset, "params": params.to_dict(), "structure": structure,
                "style_gap": gap, "copied": copied}

    base = StyleParams(size=256, scales=3, iterations=80, iteration_decay=0.4)
    cut, worse = base.replace(iterations=40), base.replace(iterations=60)
    rows = {"base": [row("a", "base", base, 0.5, 0.2, 0.0), row("b", "base", base, 0.4, 0.2, 0.0)],
            "cut": [row("a", "cut", cut, 0.4, 0.3, 0.1), row("b", "cut", cut, 0.3, 0.3, 0.0)],
            "worse": [row("a", "worse", worse, 0.3, 0.4, 0.2), row("b", "worse", worse, 0.3, 0.4, 0.0)]}
    seconds = {(layers, size): size / 128 for layers in ("block5", "no_block5") for size in (128, 256, 512)}
    lines = {line["preset"]: line for line in table(rows, "base", seconds, 512)}
    assert lines["base"]["seconds"] == 80 * 1 + 32 * 2 + 13 * 4 and lines["base"]["time_ratio"] == 1.0
    assert lines["cut"]["steps"] == "40/16/6" and lines["cut"]["copied+"] == 1
    assert abs(lines["cut"]["structure_change"] + 2 / 9) < 1e-9  # 0.35 vs 0.45
    assert lines["base"]["pareto"] and lines["cut"]["pareto"] and not lines["worse"]["pareto"]
