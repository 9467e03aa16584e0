"""bfloat16 convolutions: offered, and chosen per machine only where they pay."""

import numpy as np
import pytest

from nst import precision
from nst.run_types import RunInputs
from nst.engine import stylize
from nst.errors import ParamsError
from nst.params import StyleParams


def fake_cpu(monkeypatch, flags, ratio=None):
    calls = []
    monkeypatch.setattr(precision, "cpu_info", lambda: ("Test CPU", frozenset(flags)))

    def measured(*args, **kwargs):
        calls.append(1)
        assert ratio is not None, "no micro-benchmark should run on this CPU"
        return ratio

    monkeypatch.setattr(precision, "conv_time_ratio", measured)
    return calls


def test_a_cpu_without_native_bfloat16_uses_float32_without_measuring(monkeypatch):
    fake_cpu(monkeypatch, {"avx2", "avx512f"})
    assert precision.resolve_precision("auto") == "float32"


@pytest.mark.parametrize("ratio, expected", [(0.5, "bfloat16"), (0.59, "bfloat16"), (0.8, "float32"), (1.6, "float32")])
def test_a_bfloat16_cpu_is_measured_once_and_the_choice_cached(monkeypatch, tmp_path, ratio, expected):
    monkeypatch.setenv("NST_CACHE_DIR", str(tmp_path))
    calls = fake_cpu(monkeypatch, {"avx512f", "avx512_bf16"}, ratio)
    assert precision.resolve_precision("auto") == expected
    assert precision.resolve_precision("auto") == expected
    assert len(calls) == 1
    assert (tmp_path / "precision.json").exists()


def test_an_explicit_precision_is_used_as_asked(monkeypatch):
    fake_cpu(monkeypatch, set())
    assert precision.resolve_precision("bfloat16") == "bfloat16"


def test_an_unknown_precision_is_refused_in_one_sentence():
    with pytest.raises(ParamsError, match="precision"):
        StyleParams(precision="fp8")


def test_bfloat16_runs_paint_like_float32_ones(tiny_net, content_image, style_image):
    params = StyleParams(size=64, scales=1, iterations=20)
    single = stylize(RunInputs(content_image, [style_image]), params.replace(precision="float32"), net=tiny_net)
    half = stylize(RunInputs(content_image, [style_image]), params.replace(precision="bfloat16"), net=tiny_net)
    assert half.precision == "bfloat16" and single.precision == "float32"
    assert half.history[-1]["total"] < 0.7 * half.history[0]["total"]  # it optimises
    assert np.abs(half.image - single.image).mean() < 0.05
