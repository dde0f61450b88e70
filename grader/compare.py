"""Comparisons that decide checks. They see only plain data the parent rebuilt itself,
and their failures say what was expected and what was found.
"""
from __future__ import annotations

import numpy as np

from grader.rubric import CheckFailed, Mistake


def describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"[:200]


def as_array(name: str, found, shape: tuple | None = None) -> np.ndarray:
    """`found` as a numeric array of `shape` (None: any); CheckFailed otherwise."""
    if isinstance(found, (int, float)) and not isinstance(found, bool):
        found = np.asarray(found)
    if not isinstance(found, np.ndarray) or found.dtype.kind not in "biuf":
        raise CheckFailed(f"{name}: expected a NumPy array of numbers, found {describe(found)}.")
    if shape is not None and found.shape != tuple(shape):
        raise CheckFailed(f"{name}: expected shape {tuple(shape)}, found shape {found.shape}.")
    return found


def as_float(name: str, found) -> float:
    """A returned scalar (a float, an int or a 0-d / one-element array) as a float."""
    if isinstance(found, np.ndarray) and found.size == 1 and found.dtype.kind in "iuf":
        return float(found.reshape(()))
    if isinstance(found, (int, float)) and not isinstance(found, bool):
        return float(found)
    raise CheckFailed(f"{name}: expected a float, found {describe(found)}.")


def same(found, wrong, *, rtol: float, atol: float = 0.0) -> bool:
    """`found` is numbers of the shape of `wrong`, equal within the tolerances, NaN where it has NaN."""
    try:
        found, wrong = np.asarray(found, dtype=float), np.asarray(wrong, dtype=float)
    except (TypeError, ValueError):
        return False
    return found.shape == wrong.shape and bool(np.allclose(found, wrong, rtol=rtol, atol=atol, equal_nan=True))


COMBINED = "+"  # joins the ids of the two mistakes a combination names


def both(first: Mistake, second: Mistake) -> Mistake:
    """The mistake of making `first` and `second` together (two entries of one function's
    catalogue, e.g. a cross-entropy summed and with the wrong sign): its id joins theirs with
    "+", its text names both mistakes and both fixes. A rubric registers it
    (`Rubric.known`) and passes (both(a, b), the result the two give together) among the
    mistakes of a check where it can compute that result."""
    return Mistake(f"{first.id}{COMBINED}{second.id}", f"{first.what}; and at the same time {second.what}",
                   f"{first.fix}; and also {second.fix}")


def parts(mistake: Mistake) -> tuple[str, ...]:
    """The ids of the catalogue entries `mistake` names: one, or two for a combination."""
    return tuple(mistake.id.split(COMBINED))


def recognise(found, mistakes, *, rtol: float, atol: float = 0.0) -> Mistake | None:
    """The first of `mistakes` ((Mistake, the result that mistake gives), ...) whose result
    `found` is the `same` as; single mistakes are tried before combinations of two (`both`), so
    a result one mistake explains never names two."""
    ordered = sorted(mistakes, key=lambda entry: len(parts(entry[0])))  # stable: given order within each
    return next((mistake for mistake, wrong in ordered if same(found, wrong, rtol=rtol, atol=atol)), None)


def expect_close(name: str, found, expected, *, rtol: float, atol: float = 0.0, mistakes=()) -> None:
    """`found` equals `expected` elementwise within atol + rtol * |expected|; NaN and inf never do.
    On failure, the first of `mistakes` whose result `found` equals is named (see `recognise`)."""
    try:
        _expect_close(name, found, expected, rtol=rtol, atol=atol)
    except CheckFailed as failure:
        raise CheckFailed(str(failure), recognise(found, mistakes, rtol=rtol, atol=atol)) from None


def _expect_close(name: str, found, expected, *, rtol: float, atol: float) -> None:
    expected = np.asarray(expected, dtype=float)
    found = as_array(name, found, expected.shape).astype(float)
    bad = ~np.isfinite(found)
    if bad.any():
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise CheckFailed(f"{name}: found a non-finite value {found[index]} at index {index}.")
    error = np.abs(found - expected)
    wrong = error > atol + rtol * np.abs(expected)
    if wrong.any():
        index = tuple(int(i) for i in np.argwhere(wrong)[0])
        where = f" at index {index}" if index else ""
        raise CheckFailed(
            f"{name}: expected {expected[index]:.10g}{where}, found {found[index]:.10g} "
            f"({int(wrong.sum())} of {wrong.size} entries off; largest error {error.max():.3g}).")


def expect_scalar(name: str, found, expected: float, *, rtol: float, atol: float = 0.0, mistakes=()) -> None:
    try:
        found = as_float(name, found)
    except CheckFailed as failure:
        raise CheckFailed(str(failure), recognise(found, mistakes, rtol=rtol, atol=atol)) from None
    expect_close(name, found, expected, rtol=rtol, atol=atol, mistakes=mistakes)


def expect_tuple(name: str, found, length: int) -> tuple:
    if not isinstance(found, (tuple, list)) or len(found) != length:
        raise CheckFailed(f"{name}: expected a tuple of {length} values, found {describe(found)}.")
    return tuple(found)
