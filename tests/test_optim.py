"""The box-constrained L-BFGS: converges, respects the bounds, survives non-smooth losses."""

import numpy as np
import pytest

from nst.optim import minimize_box


class Budget(Exception):
    pass


def run(fun, x0, evaluations: int, **kwargs):
    """Minimise ``fun`` for a fixed number of evaluations; returns (best x, losses)."""
    losses, points = [], []

    def evaluate(x):
        if len(losses) >= evaluations:
            raise Budget
        value, grad = fun(x)
        losses.append(value)
        points.append(x.copy())
        return value, grad

    try:
        minimize_box(evaluate, x0, **kwargs)
    except Budget:
        pass
    return points[int(np.argmin(losses))], losses


def ill_conditioned_quadratic(target, scales):
    def fun(x):
        d = x - target
        return float(np.sum(scales * d * d, dtype=np.float64)), (2 * scales * d).astype(np.float32)
    return fun


def test_converges_to_the_clipped_optimum_of_a_quadratic():
    rng = np.random.default_rng(0)
    target = rng.uniform(-0.5, 1.5, size=(16, 16, 3)).astype(np.float32)  # a third lies outside [0,1]
    scales = rng.uniform(0.1, 100.0, size=target.shape).astype(np.float32)  # condition number 1000
    best, losses = run(ill_conditioned_quadratic(target, scales), np.full_like(target, 0.5), 200)
    assert best.min() >= 0.0 and best.max() <= 1.0
    np.testing.assert_allclose(best, np.clip(target, 0, 1), atol=2e-3)


def test_beats_gradient_descent_on_an_ill_conditioned_problem():
    rng = np.random.default_rng(1)
    target = rng.uniform(0.2, 0.8, size=(8, 8, 3)).astype(np.float32)
    scales = rng.uniform(0.01, 10.0, size=target.shape).astype(np.float32)
    fun = ill_conditioned_quadratic(target, scales)
    _, lbfgs = run(fun, np.zeros_like(target), 30)
    _, steepest = run(fun, np.zeros_like(target), 30, memory=0)  # no curvature memory
    assert min(lbfgs) < 0.01 * min(steepest)


def test_keeps_improving_a_non_smooth_l1_objective():
    target = np.linspace(0.1, 0.9, 300, dtype=np.float32).reshape(10, 10, 3)

    def l1(x):
        d = x - target
        return float(np.abs(d).sum() + np.square(d).sum()), (np.sign(d) + 2 * d).astype(np.float32)

    start = np.full_like(target, 0.5)
    best, losses = run(l1, start, 150)
    assert len(losses) == 150  # it never gave up early
    assert min(losses) < 0.05 * losses[0]


def test_stops_when_the_gradient_is_zero():
    target = np.full((4, 4, 3), 0.25, np.float32)
    best, losses = run(ill_conditioned_quadratic(target, np.ones_like(target)), target.copy(), 50)
    assert len(losses) < 50
    np.testing.assert_array_equal(best, target)


def test_the_callers_exception_stops_it():
    with pytest.raises(Budget):
        def evaluate(x):
            raise Budget
        minimize_box(evaluate, np.zeros((2, 2, 3), np.float32))
