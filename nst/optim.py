"""Box-constrained L-BFGS for images: pixels stay in [0, 1] without scipy's overhead.

scipy's L-BFGS-B works in float64 and, at 512 px, spends about 3 s setting up each call and
about 1 s of its own per iteration (measured with scipy 1.17; see benchmarks/speed.py). A
style transfer step costs 1-3 s, so that doubled the run time. This is a projected L-BFGS
in float32 numpy, whose own work per iteration is a few dozen vector operations:

- the search direction is the usual two-loop recursion over the last ``memory`` (s, y) pairs,
  restricted to the *free* pixels (those not held at a bound by a gradient pushing outward);
- the step is projected onto the box (``clip``) and accepted by an Armijo backtracking line
  search on the projected path; with a good curvature estimate the first trial (t = 1) is
  accepted, so a step costs one evaluation of the loss and its gradient;
- a pair with non-positive curvature is skipped, and a direction that is not a descent
  direction or a line search that fails drops the memory and falls back to a scaled
  gradient step, so non-smooth terms (an L1 total variation) slow it down but never stop it.

``minimize_box`` knows nothing about images or budgets: the caller's ``evaluate`` may raise
to stop it (the engine raises on a finished budget, a cancel or a weight change).
"""

from __future__ import annotations

from collections import deque
from typing import Callable

import numpy as np

Evaluate = Callable[[np.ndarray], tuple[float, np.ndarray]]

ARMIJO = 1e-4  # sufficient decrease constant (the usual choice)
MAX_BACKTRACKS = 8
FIRST_STEP = 0.05  # largest pixel change (of 1.0) of the very first, gradient-only step


def _two_loop(grad: np.ndarray, pairs: deque, free: np.ndarray) -> np.ndarray:
    """-H grad for the L-BFGS inverse Hessian H of the remembered pairs, on the free pixels."""
    # The free-pixel restriction is applied to the input and the output only: the pairs stay
    # whole, which keeps this at ~4 passes over the image per pair (it runs every step).
    q = grad * free
    alphas = []
    for s, y, rho in reversed(pairs):
        alpha = rho * np.dot(s.ravel(), q.ravel())
        q -= alpha * y
        alphas.append(alpha)
    s, y, _ = pairs[-1]
    q *= np.dot(s.ravel(), y.ravel()) / np.dot(y.ravel(), y.ravel())
    for (s, y, rho), alpha in zip(pairs, reversed(alphas)):
        beta = rho * np.dot(y.ravel(), q.ravel())
        q += (alpha - beta) * s
    return -q * free


def _gradient_step(grad: np.ndarray, free: np.ndarray) -> np.ndarray:
    """A steepest-descent direction scaled so that the largest pixel moves by FIRST_STEP."""
    direction = -grad * free
    largest = float(np.max(np.abs(direction))) if direction.size else 0.0
    return direction * (FIRST_STEP / largest) if largest > 0 else direction


def minimize_box(evaluate: Evaluate, x0: np.ndarray, *, memory: int = 20,
                 lower: float = 0.0, upper: float = 1.0, stats: dict[str, int] | None = None) -> np.ndarray:
    """Minimise ``evaluate`` over ``lower <= x <= upper`` until ``evaluate`` raises.

    ``evaluate(x)`` returns (loss, gradient) with the gradient shaped like ``x``. Returns the
    last accepted point if the search can make no progress at all (a zero gradient).
    ``stats``, if given, counts "iterations", "backtracks" (rejected trial points) and
    "resets" (curvature memory dropped) as it goes.
    """
    stats = stats if stats is not None else {}
    for key in ("iterations", "backtracks", "resets"):
        stats.setdefault(key, 0)
    x = np.clip(np.asarray(x0, np.float32), lower, upper)
    f, g = evaluate(x)
    pairs: deque = deque(maxlen=memory)
    while True:
        free = ~(((x <= lower) & (g > 0)) | ((x >= upper) & (g < 0)))
        direction = _two_loop(g, pairs, free) if pairs else _gradient_step(g, free)
        if np.dot(direction.ravel(), (g * free).ravel()) >= 0:  # not downhill: forget the curvature
            pairs.clear()
            stats["resets"] += 1
            direction = _gradient_step(g, free)
        if not np.any(direction):
            return x
        step = 1.0
        for _ in range(MAX_BACKTRACKS):
            x_new = np.clip(x + step * direction, lower, upper)
            f_new, g_new = evaluate(x_new)
            if f_new <= f + ARMIJO * float(np.dot(g.ravel(), (x_new - x).ravel())):
                break
            stats["backtracks"] += 1
            step *= 0.5 if pairs else 0.25
        else:  # no decrease along this direction: start the memory afresh from here
            pairs.clear()
            stats["resets"] += 1
            if f_new >= f:
                continue
        s, y = x_new - x, g_new - g
        curvature = float(np.dot(s.ravel(), y.ravel()))
        if curvature > 1e-10 * float(np.dot(y.ravel(), y.ravel())):
            pairs.append((s, y, 1.0 / curvature))
        x, f, g = x_new, f_new, g_new
        stats["iterations"] += 1
