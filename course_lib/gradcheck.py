"""Gradient checking: compare an analytic gradient with centred finite differences.

Convention (CS231n): in float64 with h about 1e-5, a relative error of 1e-7 or less is
good, above 1e-2 the gradient is probably wrong; kinks (ReLU at 0) cause false alarms, so
keep test inputs away from them.

    ok, message = check_gradient(lambda W: loss(W, X, Y), W, my_grad_W)
    assert ok, message
"""
from __future__ import annotations

import numpy as np

FLOOR = 1e-12  # denominators below this count as this, so 0 against 0 is an error of 0


def numerical_gradient(f, x, h: float = 1e-5) -> np.ndarray:
    """d f / d x by centred differences (f(x + h e_i) - f(x - h e_i)) / 2h, for a scalar f.

    `f` is called with a float64 copy of `x` that is perturbed one entry at a time; `x`
    itself is never modified. Returns a float64 array shaped like `x`.
    """
    x = np.array(x, dtype=np.float64)
    grad = np.empty_like(x)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + h
        plus = float(f(x))
        x[i] = old - h
        minus = float(f(x))
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def relative_error(a, n, floor: float = FLOOR) -> np.ndarray:
    """Elementwise |a - n| / max(|a|, |n|, floor)."""
    a, n = np.asarray(a, dtype=np.float64), np.asarray(n, dtype=np.float64)
    return np.abs(a - n) / np.maximum(np.maximum(np.abs(a), np.abs(n)), floor)


def compare_gradients(analytic, numeric, tol: float = 1e-6, name: str = "gradient",
                      floor: float = FLOOR) -> tuple[bool, str]:
    """(ok, message): ok when every entry's relative error is at most `tol`; the message names
    the worst entry with the received (analytic) and expected (numerical) derivatives."""
    numeric = np.asarray(numeric, dtype=np.float64)
    analytic = np.asarray(analytic)
    if analytic.shape != numeric.shape:
        return False, f"{name}: expected shape {numeric.shape}, received shape {analytic.shape}."
    if analytic.dtype.kind not in "biuf":
        return False, f"{name}: expected an array of numbers, received dtype {analytic.dtype}."
    if not np.all(np.isfinite(analytic)):
        index = tuple(int(i) for i in np.argwhere(~np.isfinite(analytic))[0])
        return False, f"{name}: received a non-finite derivative {analytic[index]} at index {index}."
    if analytic.size == 0:
        return True, f"{name}: empty"
    error = relative_error(analytic, numeric, floor)
    index = np.unravel_index(int(np.argmax(error)), error.shape)
    index = tuple(int(i) for i in index)
    worst = float(error[index])
    where = f" at index {index}" if index else ""
    summary = (f"{name}: largest relative error {worst:.3g}{where}: received {analytic[index]:.10g}, "
               f"expected {numeric[index]:.10g} (centred differences)")
    if worst <= tol:
        return True, summary + f"; within {tol:g}."
    return False, summary + f"; {int((error > tol).sum())} of {error.size} entries above {tol:g}."


def check_gradient(f, x, analytic, tol: float = 1e-6, h: float = 1e-5,
                   name: str = "gradient") -> tuple[bool, str]:
    """(ok, message) comparing `analytic` with `numerical_gradient(f, x, h)`; see `compare_gradients`."""
    return compare_gradients(analytic, numerical_gradient(f, x, h), tol, name)
