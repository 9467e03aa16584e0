"""Smoke runs of the benchmarks on the tiny network, so they keep working (no timings asserted)."""

from benchmarks.step_time import measure
from nst.model import tiny_feature_net_for_tests


def test_step_time_benchmark_reports_a_row_per_size():
    rows = measure([64, 96], repeats=1, net=tiny_feature_net_for_tests())
    assert [r["size"] for r in rows] == ["64x48", "96x72"]
    assert all(r["median_step_s"] > 0 and r["first_call_s"] > 0 for r in rows)
