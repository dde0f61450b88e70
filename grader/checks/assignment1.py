"""Assignment 1 rubric: linear regression with the normal equation (PM10 -> PM2.5).

Every check builds its inputs here, runs student code only through `ctx`, and judges the
plain data that comes back against the reference or a property.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd

from course_lib.datasets import load_air_quality
from grader.assignments import get
from grader.compare import as_array, as_float, describe, expect_close, expect_scalar, expect_tuple
from grader.rubric import CheckFailed, Rubric

rubric = Rubric()


def ref():
    return get("assignment1").reference()


# -- drop_missing -------------------------------------------------------------------------

def air_frame() -> pd.DataFrame:
    """12 rows like the station files, with NaN in PM2.5, PM10 and (kept) SO2."""
    rng = np.random.default_rng(11)
    frame = pd.DataFrame({
        "No": np.arange(1, 13), "PM2.5": rng.uniform(3, 300, 12).round(1),
        "PM10": rng.uniform(5, 400, 12).round(1), "SO2": rng.uniform(2, 50, 12).round(1),
        "station": ["Dongsi"] * 6 + ["Tiantan"] * 6})
    frame.loc[[1, 5], "PM2.5"] = np.nan
    frame.loc[[5, 8], "PM10"] = np.nan
    frame.loc[[3, 8, 10], "SO2"] = np.nan
    return frame


def expect_frame(name: str, found, expected: pd.DataFrame) -> None:
    """Same columns in the same order, same rows in the same order (the index may differ)."""
    if not isinstance(found, pd.DataFrame):
        raise CheckFailed(f"{name}: expected a pandas DataFrame, found {describe(found)}.")
    if list(found.columns) != list(expected.columns):
        raise CheckFailed(f"{name}: expected the columns {list(expected.columns)}, "
                          f"found {list(found.columns)}.")
    if len(found) != len(expected):
        raise CheckFailed(f"{name}: expected {len(expected)} rows, found {len(found)}.")
    for column in expected.columns:
        want, got = expected[column].to_numpy(), found[column].to_numpy()
        same = (want == got) | (pd.isna(want) & pd.isna(got))
        if not np.all(same):
            row = int(np.argmin(same))
            raise CheckFailed(f"{name}: row {row} (0-based, after dropping) of column '{column}' "
                              f"should be {want[row]!r}, found {got[row]!r}; are the rows in "
                              f"their original order, and only the right ones dropped?")


@rubric.check("drop_missing.rows", "drop_missing removes the rows with NaN in PM10 or PM2.5", 2)
def drop_missing_rows(ctx):
    frame = air_frame()
    expect_frame("drop_missing(df)", ctx.call("drop_missing", frame), ref().drop_missing(frame))


@rubric.check("drop_missing.columns", "drop_missing looks only at the columns it is given", 1, hidden=True)
def drop_missing_columns(ctx):
    frame = air_frame()
    found = ctx.call("drop_missing", frame, columns=("SO2",))
    expect_frame("drop_missing(df, columns=('SO2',))", found, ref().drop_missing(frame, columns=("SO2",)))


@rubric.check("drop_missing.input_unchanged", "drop_missing leaves its input frame unchanged", 1)
def drop_missing_input_unchanged(ctx):
    frame = air_frame()
    _, (after,) = ctx.call_keeping_args("drop_missing", frame)
    try:
        expect_frame("the input frame after drop_missing", after, frame)
    except CheckFailed as failure:
        raise CheckFailed(f"{failure} drop_missing must return a new frame, not modify its input "
                          f"(no inplace=True).") from None


# -- train_test_split ---------------------------------------------------------------------

def numbered_rows(n: int):
    """X (n, 2) and y (n,) whose values name their row, so rows can be traced through a split."""
    ids = np.arange(n, dtype=float)
    return np.column_stack([ids, 2 * ids + 0.5]), 3 * ids + 1


def split_of(ctx, n: int, **kwargs):
    X, y = numbered_rows(n)
    found = expect_tuple(f"train_test_split(X, y, {kwargs})", ctx.call("train_test_split", X, y, **kwargs), 4)
    return [as_array(f"train_test_split output {i}", part) for i, part in enumerate(found)]


@rubric.check("train_test_split.sizes", "train_test_split puts ceil(n * test_size) rows in the test part", 1)
def split_sizes(ctx):
    for n, test_size in [(10, 0.25), (101, 0.2), (7, 0.5)]:
        n_test = math.ceil(n * test_size)
        X_train, X_test, y_train, y_test = split_of(ctx, n, test_size=test_size, seed=0)
        shapes = (X_train.shape, X_test.shape, y_train.shape, y_test.shape)
        want = ((n - n_test, 2), (n_test, 2), (n - n_test,), (n_test,))
        if shapes != want:
            raise CheckFailed(f"with n={n}, test_size={test_size}: expected shapes {want} "
                              f"(n_test = ceil({n} * {test_size}) = {n_test}), found {shapes}.")


@rubric.check("train_test_split.partition", "train_test_split keeps every row once and each X with its y", 2)
def split_partition(ctx):
    X_train, X_test, y_train, y_test = split_of(ctx, 100, test_size=0.2, seed=0)
    X, y = np.concatenate([X_train, X_test]), np.concatenate([y_train, y_test])
    if X.shape != (100, 2) or y.shape != (100,):
        raise CheckFailed(f"the parts together should hold 100 rows, found X {X.shape} and y {y.shape}.")
    ids = X[:, 0]
    if not np.array_equal(np.sort(ids), np.arange(100)):
        raise CheckFailed(f"every row must land in exactly one part; rows "
                          f"{sorted(set(range(100)) - set(ids.astype(int).tolist()))[:5]} are missing "
                          f"and some are repeated.")
    if not np.array_equal(X[:, 1], 2 * ids + 0.5):
        raise CheckFailed("the columns of X were shuffled separately; shuffle whole rows.")
    if not np.array_equal(y, 3 * ids + 1):
        row = int(np.argmax(y != 3 * ids + 1))
        raise CheckFailed(f"X and y were shuffled differently: X row {int(ids[row])} is paired with "
                          f"the y of row {int((y[row] - 1) // 3)}; use the same order for both.")


@rubric.check("train_test_split.shuffled", "train_test_split shuffles the rows", 1)
def split_shuffled(ctx):
    X_train, X_test, _, _ = split_of(ctx, 100, test_size=0.2, seed=0)
    if np.all(np.diff(X_train[:, 0]) > 0) and np.all(np.diff(X_test[:, 0]) > 0):
        raise CheckFailed("the rows come out in their original order; shuffle them with a "
                          "generator seeded by `seed` (e.g. np.random.default_rng(seed).permutation(n)).")


@rubric.check("train_test_split.seeded", "train_test_split depends on its seed, and only on it", 1, hidden=True)
def split_seeded(ctx):
    first = split_of(ctx, 100, test_size=0.2, seed=0)
    again = split_of(ctx, 100, test_size=0.2, seed=0)
    default = split_of(ctx, 100)
    other = split_of(ctx, 100, test_size=0.2, seed=1)
    if not all(np.array_equal(a, b) for a, b in zip(first, again)):
        raise CheckFailed("the same seed gave two different splits; seed the generator with `seed`.")
    if not all(np.array_equal(a, b) for a, b in zip(first, default)):
        raise CheckFailed("the defaults (test_size=0.2, seed=0) gave another split than passing them.")
    if np.array_equal(first[1], other[1]):
        raise CheckFailed("seed=0 and seed=1 gave the same test rows; the split must depend on the seed.")


# -- add_bias -----------------------------------------------------------------------------

@rubric.check("add_bias.matrix", "add_bias puts a column of ones in front of an (n, d) matrix", 1)
def add_bias_matrix(ctx):
    X = np.random.default_rng(2).normal(size=(5, 3))
    found = as_array("add_bias(X) for X of shape (5, 3)", ctx.call("add_bias", X), (5, 4))
    if np.allclose(found[:, -1], 1) and not np.allclose(found[:, 0], 1):
        raise CheckFailed("the column of ones is last; it must be column 0 so that weights[0] is the bias.")
    expect_close("add_bias(X)", found, ref().add_bias(X), rtol=0, atol=0)


@rubric.check("add_bias.vector", "add_bias treats a 1-D X of shape (n,) as one feature", 1)
def add_bias_vector(ctx):
    x = np.array([1.5, -2.0, 3.25, 0.0])
    found = as_array("add_bias(x) for x of shape (4,)", ctx.call("add_bias", x), (4, 2))
    expect_close("add_bias(x)", found, ref().add_bias(x), rtol=0, atol=0)


# -- LinearRegression ---------------------------------------------------------------------

def regression_data(seed: int, n: int = 60, d: int = 3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * [1.0, 10.0, 0.1][:d]
    y = 3.0 + X @ np.array([2.0, -0.5, 7.0])[:d] + rng.normal(scale=0.3, size=n)
    return X, y


def expect_weights(name: str, found, expected) -> None:
    expect_close(name, found, expected, rtol=1e-6, atol=1e-6 * float(np.max(np.abs(expected))))


@rubric.check("linear_regression.weights", "LinearRegression.fit solves the normal equation", 3)
def regression_weights(ctx):
    X, y = regression_data(3)
    result = ctx.probe("fit_weights", X, y, label="LinearRegression().fit(X, y)")
    expected = ref().LinearRegression().fit(X, y).weights
    weights = as_array("weights after fit (X of shape (60, 3))", result["weights"], expected.shape)
    if np.allclose(weights, np.roll(expected, -1), rtol=1e-6):
        raise CheckFailed("the bias is the last weight; weights[0] must be the bias "
                          "(add the column of ones in front).")
    expect_weights("weights", weights, expected)


@rubric.check("linear_regression.fit_returns_self", "LinearRegression.fit returns the model", 1)
def regression_fit_returns_self(ctx):
    X, y = regression_data(4)
    if not ctx.probe("fit_weights", X, y, label="LinearRegression().fit(X, y)")["returns_self"]:
        raise CheckFailed("fit must end with `return self`, so that model.fit(X, y).predict(X) works.")


@rubric.check("linear_regression.predict", "LinearRegression.predict returns add_bias(X) @ weights", 2)
def regression_predict(ctx):
    X, y = regression_data(5)
    X_new = regression_data(6, n=20)[0]
    found = ctx.probe("fit_predict", X, y, X_new, label="LinearRegression().fit(X, y).predict(X_new)")
    expected = ref().LinearRegression().fit(X, y).predict(X_new)
    as_array("predict(X_new) for X_new of shape (20, 3)", found, (20,))
    expect_close("predict(X_new)", found, expected, rtol=1e-6, atol=1e-6 * float(np.max(np.abs(expected))))


@rubric.check("linear_regression.predict_before_fit", "predict before fit raises RuntimeError", 1, hidden=True)
def regression_predict_before_fit(ctx):
    raised = ctx.probe("predict_unfitted", np.ones((3, 1)), label="LinearRegression().predict(X) before fit")
    if raised is None or "RuntimeError" not in raised:
        found = "no exception" if raised is None else raised[0]
        raise CheckFailed(f"predict before fit should raise RuntimeError, found {found}.")


# -- metrics ------------------------------------------------------------------------------

def metric_check(name: str, title: str):
    @rubric.check(f"metrics.{name}", title, 1)
    def run(ctx):
        rng = np.random.default_rng(7)
        y_true, y_pred = rng.normal(50, 20, size=200), rng.normal(50, 20, size=200)
        expected = getattr(ref(), name)(y_true, y_pred)
        expect_scalar(f"{name}(y_true, y_pred)", ctx.call(name, y_true, y_pred), expected, rtol=1e-9, atol=1e-12)
    return run


metric_check("mae", "mae is the mean absolute error")
metric_check("mse", "mse is the mean squared error")
metric_check("rmse", "rmse is the square root of the mean squared error")
metric_check("r2_score", "r2_score is 1 - residual sum of squares / total sum of squares")


# -- end to end on the real data ----------------------------------------------------------

@lru_cache(maxsize=4)
def beijing_split(data_dir):
    """The 12-station PM10 -> PM2.5 data, NaN rows dropped, split by the reference (seed 0)."""
    frame = ref().drop_missing(load_air_quality(data_dir, columns=["PM10", "PM2.5"]))
    X, y = frame[["PM10"]].to_numpy(), frame["PM2.5"].to_numpy()  # (n, 1), (n,)
    return ref().train_test_split(X, y, test_size=0.2, seed=0)


@rubric.check("end_to_end.r2", "On the 12 Beijing stations, the fitted weights give the reference's test R^2",
              3, hidden=True, timeout=60)
def end_to_end_r2(ctx):
    X_train, X_test, y_train, y_test = beijing_split(ctx.data_dir)
    result = ctx.probe("fit_weights", X_train, y_train, label="LinearRegression().fit(X_train, y_train)")
    weights = as_array("weights on the Beijing data", result["weights"], (2,))
    r2 = ref().r2_score(y_test, ref().add_bias(X_test) @ weights)  # our own forward pass
    expected = ref().r2_score(y_test, ref().LinearRegression().fit(X_train, y_train).predict(X_test))
    ctx.record("test_r2", float(r2))
    ctx.record("weights", [float(w) for w in weights])
    ctx.record("n_train", int(len(y_train)))
    ctx.record("n_test", int(len(y_test)))
    sample = np.random.default_rng(0).choice(len(y_test), size=min(400, len(y_test)), replace=False)
    ctx.record("test_sample", {"pm10": X_test[sample, 0].tolist(), "pm25": y_test[sample].tolist()})  # for the picture
    if not np.isfinite(r2) or abs(r2 - expected) > 1e-6:
        raise CheckFailed(f"test R^2 with your weights {np.round(weights, 6).tolist()} is {r2:.6f}; "
                          f"the reference reaches {expected:.6f}.")
    return f"test R^2 = {r2:.4f} on {len(y_test)} held-out hours"
