"""Assignment 1 rubric: linear regression with the normal equation (PM10 -> PM2.5).

Every check builds its inputs here, runs student code only through `ctx`, and judges the
plain data that comes back against the reference or a property. When a result is wrong, the
recognisers compare it with what each known mistake (the catalogue below) gives, and the
message names the one it matches.

Inputs come from `grader.inputs`: without a salt, the fixed ones a release records answers
for; with the salt of the instructor's grading, drawn from each input's seed and the salt, so
that no table of recorded answers can pass.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pandas as pd

from course_lib.datasets import load_air_quality
from grader import inputs
from grader.compare import as_array, describe, expect_close, expect_scalar, expect_tuple
from grader.rubric import CheckFailed, Rubric
from grader.sandbox import StudentFault

rubric = Rubric()


def ref():
    return rubric.reference()


def mistaken():
    return rubric.mistaken()


fixed_or_drawn = inputs.fixed_or_drawn


# -- the catalogue of known mistakes ------------------------------------------------------

M = rubric.mistake
DROPNA_INPLACE = M("dropna_inplace", "drop_missing removed the rows from the caller's frame (inplace=True)",
                   "return a new frame (dropna without inplace=True) and leave df as it was")
IGNORES_COLUMNS = M("drop_missing_ignores_columns", "drop_missing drops rows by PM10 and PM2.5 whatever "
                    "`columns` says", "pass subset=list(columns) to dropna")
TEST_SIZE_FLOOR = M("test_size_floor", "n_test is rounded down (floor or int())",
                    "use n_test = math.ceil(n * test_size)")
Y_SHUFFLED_APART = M("y_shuffled_apart", "X and y are shuffled with two different orders",
                     "draw one permutation and index both X and y with it")
NO_SHUFFLE = M("split_without_shuffle", "the split keeps the rows in their original order",
               "shuffle with order = np.random.default_rng(seed).permutation(n) before splitting")
SEED_IGNORED = M("split_ignores_seed", "the split shuffles the same way whatever the seed",
                 "seed the generator with the `seed` argument: np.random.default_rng(seed)")
SEED_TRUTHY = M("split_seeds_only_truthy", "the split seeds only when the seed is truthy (if seed:), so seed=0 "
                "is not reproducible", "seed whenever a seed is given (if seed is not None:), or draw from "
                "np.random.default_rng(seed)")
UNSEEDED = M("split_unseeded", "the split draws from NumPy's global generator without seeding it with `seed`, "
             "so the same seed gives another split on each call", "draw from np.random.default_rng(seed), "
             "or call np.random.seed(seed) before np.random.permutation")
BIAS_LAST = M("bias_column_last", "the column of ones is the last column, so the bias is the last weight",
              "put the ones in front, np.hstack([np.ones((n, 1)), X]), so that weights[0] is the bias")
NORMAL_EQUATION_SHAPES = M("normal_equation_transposed", "a transpose is in the wrong place in the normal "
                           "equation, so the matrix shapes do not line up",
                           "with Xb of shape (n, d + 1), w = (Xb^T Xb)^-1 Xb^T y: Xb.T @ Xb is (d + 1, d + 1) "
                           "and Xb.T @ y is (d + 1,)")
NO_RETURN_SELF = M("fit_without_return_self", "fit does not return the model",
                   "end fit with `return self`")
WRONG_EXCEPTION = M("predict_before_fit_wrong_exception", "predict before fit does not raise RuntimeError",
                    "check `if self.weights is None: raise RuntimeError(...)` at the top of predict")
MAE_SQUARED = M("mae_squared", "mae squares the errors (that is the MSE)", "take np.abs of the errors, not their square")
MAE_SIGNED = M("mae_without_abs", "mae averages the signed errors, so they cancel", "take np.abs of the errors")
MSE_SUMMED = M("mse_summed", "the squared errors are summed, not averaged", "use np.mean, not np.sum")
RMSE_NO_SQRT = M("rmse_without_sqrt", "rmse returns the MSE (no square root)", "take the square root of the MSE with math.sqrt")
R2_PREDICTION_MEAN = M("r2_around_prediction_mean", "R^2's total sum of squares is taken around the mean "
                       "of y_pred", "SS_tot = sum((y_true - mean(y_true)) ** 2)")
R2_UNCENTRED = M("r2_uncentred", "R^2's total sum of squares is sum(y_true ** 2), without subtracting the mean",
                 "SS_tot = sum((y_true - mean(y_true)) ** 2)")


# -- drop_missing -------------------------------------------------------------------------

def air_frame() -> pd.DataFrame:
    """12 rows like the station files, with NaN in PM2.5, PM10 and (kept) SO2: unsalted in
    rows 1, 5 / 5, 8 / 3, 8, 10; salted in the rows a drawn permutation maps those to (the same
    overlaps, so each column's NaN still drop other rows)."""
    rng = inputs.rng(11)
    frame = pd.DataFrame({
        "No": np.arange(1, 13), "PM2.5": rng.uniform(3, 300, 12).round(1),
        "PM10": rng.uniform(5, 400, 12).round(1), "SO2": rng.uniform(2, 50, 12).round(1),
        "station": ["Dongsi"] * 6 + ["Tiantan"] * 6})
    row = fixed_or_drawn(np.arange(12), 12, lambda r: r.permutation(12))
    frame.loc[row[[1, 5]], "PM2.5"] = np.nan
    frame.loc[row[[5, 8]], "PM10"] = np.nan
    frame.loc[row[[3, 8, 10]], "SO2"] = np.nan
    return frame


def frame_difference(name: str, found, expected: pd.DataFrame) -> str:
    """How `found` differs from `expected` (columns and rows in order; the index may differ),
    or "" when it does not."""
    if not isinstance(found, pd.DataFrame):
        return f"{name}: expected a pandas DataFrame, found {describe(found)}."
    if list(found.columns) != list(expected.columns):
        return f"{name}: expected the columns {list(expected.columns)}, found {list(found.columns)}."
    if len(found) != len(expected):
        return f"{name}: expected {len(expected)} rows, found {len(found)}."
    for column in expected.columns:
        want, got = expected[column].to_numpy(), found[column].to_numpy()
        same = (want == got) | (pd.isna(want) & pd.isna(got))
        if not np.all(same):
            row = int(np.argmin(same))
            return (f"{name}: row {row} (0-based, after dropping) of column '{column}' "
                    f"should be {want[row]!r}, found {got[row]!r}; are the rows in "
                    f"their original order, and only the right ones dropped?")
    return ""


def expect_frame(name: str, found, expected: pd.DataFrame, mistakes=()) -> None:
    """`found` is `expected` (see frame_difference); on failure, the first of `mistakes`
    ((Mistake, frame), ...) that `found` equals is named."""
    difference = frame_difference(name, found, expected)
    if difference:
        raise CheckFailed(difference, next((m for m, wrong in mistakes if not frame_difference("", found, wrong)),
                                           None))


@rubric.check("drop_missing.rows", "drop_missing removes the rows with NaN in PM10 or PM2.5", 2)
def drop_missing_rows(ctx):
    frame = air_frame()
    expect_frame("drop_missing(df)", ctx.call("drop_missing", frame), ref().drop_missing(frame))


@rubric.check("drop_missing.columns", "drop_missing looks only at the columns it is given", 1, hidden=True)
def drop_missing_columns(ctx):
    frame = air_frame()
    found = ctx.call("drop_missing", frame, columns=("SO2",))
    expect_frame("drop_missing(df, columns=('SO2',))", found, ref().drop_missing(frame, columns=("SO2",)),
                 [(IGNORES_COLUMNS, ref().drop_missing(frame))])


@rubric.check("drop_missing.input_unchanged", "drop_missing leaves its input frame unchanged", 1)
def drop_missing_input_unchanged(ctx):
    frame = air_frame()
    _, (after,) = ctx.call_keeping_args("drop_missing", frame)
    try:
        expect_frame("the input frame after drop_missing", after, frame, [(DROPNA_INPLACE, ref().drop_missing(frame))])
    except CheckFailed as failure:
        raise CheckFailed(f"{failure} drop_missing must return a new frame, not modify its input.",
                          failure.mistake) from None


# -- train_test_split ---------------------------------------------------------------------

def first_row_id() -> int:
    """The id of row 0 in `numbered_rows`: 0 unsalted, drawn when salted."""
    return inputs.integer(13, 0, 1_000_000)


def numbered_rows(n: int):
    """X (n, 2) and y (n,) whose values name their row (row i has id first_row_id() + i), so
    rows can be traced through a split."""
    ids = first_row_id() + np.arange(n, dtype=float)
    return np.column_stack([ids, 2 * ids + 0.5]), 3 * ids + 1


def split_seed() -> int:
    """The seed the split checks pass where any seed will do: 0 unsalted, drawn when salted."""
    return inputs.integer(14, 0, 2**31)


def split_of(ctx, n: int, **kwargs):
    X, y = numbered_rows(n)
    found = expect_tuple(f"train_test_split(X, y, {kwargs})", ctx.call("train_test_split", X, y, **kwargs), 4)
    return [as_array(f"train_test_split output {i}", part) for i, part in enumerate(found)]


def expect_input_rows(parts, n: int) -> None:
    """The four parts together hold the values of X and y of `numbered_rows(n)`, each once, in
    any order (whether each X keeps its y is the partition check's): zeros or constants of the
    right shapes are no split."""
    X, y = numbered_rows(n)
    X_train, X_test, y_train, y_test = parts
    if X_train.ndim != 2 or X_test.ndim != 2 or y_train.ndim != 1 or y_test.ndim != 1:
        raise CheckFailed(f"expected X_train and X_test of 2 dimensions and y_train and y_test of 1, found shapes "
                          f"{(X_train.shape, X_test.shape, y_train.shape, y_test.shape)}.")
    X_all, y_all = np.concatenate([X_train, X_test]), np.concatenate([y_train, y_test])
    if X_all.shape != X.shape or y_all.shape != y.shape \
            or not np.array_equal(np.sort(X_all, axis=0), X) or not np.array_equal(np.sort(y_all), y):
        raise CheckFailed(f"the parts do not hold the rows of X and y (n={n}): together they must be a permutation "
                          f"of the input rows, each row once.")


@rubric.check("train_test_split.sizes", "train_test_split puts ceil(n * test_size) rows in the test part", 1)
def split_sizes(ctx):
    for case, (n, test_size) in enumerate([(10, 0.25), (101, 0.2), (7, 0.5)]):
        n += round(1 / test_size) * inputs.integer(15 + case, 0, 20)  # n * test_size keeps its fraction
        n_test = math.ceil(n * test_size)
        X_train, X_test, y_train, y_test = split_of(ctx, n, test_size=test_size, seed=split_seed())
        shapes = (X_train.shape, X_test.shape, y_train.shape, y_test.shape)
        want = ((n - n_test, 2), (n_test, 2), (n - n_test,), (n_test,))
        if shapes != want:
            floor = math.floor(n * test_size)
            raise CheckFailed(f"with n={n}, test_size={test_size}: expected shapes {want} "
                              f"(n_test = ceil({n} * {test_size}) = {n_test}), found {shapes}.",
                              TEST_SIZE_FLOOR if X_test.shape[0] == floor else None)
        expect_input_rows((X_train, X_test, y_train, y_test), n)


@rubric.check("train_test_split.partition", "train_test_split keeps every row once and each X with its y", 2)
def split_partition(ctx):
    X_train, X_test, y_train, y_test = split_of(ctx, 100, test_size=0.2, seed=split_seed())
    X, y = np.concatenate([X_train, X_test]), np.concatenate([y_train, y_test])
    if X.shape != (100, 2) or y.shape != (100,):
        raise CheckFailed(f"the parts together should hold 100 rows, found X {X.shape} and y {y.shape}.")
    ids, first = X[:, 0], first_row_id()
    rows = ids - first  # 0-based row numbers
    if not np.array_equal(np.sort(rows), np.arange(100)):
        raise CheckFailed(f"every row must land in exactly one part; rows "
                          f"{sorted(set(range(100)) - set(rows.astype(int).tolist()))[:5]} are missing "
                          f"and some are repeated.")
    if not np.array_equal(X[:, 1], 2 * ids + 0.5):
        raise CheckFailed("the columns of X were shuffled separately; shuffle whole rows.")
    if not np.array_equal(y, 3 * ids + 1):
        row = int(np.argmax(y != 3 * ids + 1))
        raise CheckFailed(f"X and y were shuffled differently: X row {int(rows[row])} is paired with "
                          f"the y of row {int((y[row] - 1) // 3) - first}.", Y_SHUFFLED_APART)


def in_order(part: np.ndarray) -> bool:
    return bool(np.all(np.diff(part[:, 0]) > 0))


@rubric.check("train_test_split.shuffled", "train_test_split shuffles the rows", 1)
def split_shuffled(ctx):
    """The parts are a permutation of the input rows (expect_input_rows), not in their original order."""
    parts = split_of(ctx, 100, test_size=0.2, seed=split_seed())
    expect_input_rows(parts, 100)
    if in_order(parts[0]) and in_order(parts[1]):
        raise CheckFailed("the rows come out in their original order.", NO_SHUFFLE)


def split_after(ctx, state: int, **kwargs):
    """The student's split of numbered_rows(100) with every global generator of the child seeded
    from `state` first (probe split_after_state)."""
    X, y = numbered_rows(100)
    label = f"train_test_split(X, y, {kwargs})"
    found = expect_tuple(label, ctx.probe("split_after_state", X, y, state, label=label, **kwargs), 4)
    return [as_array(f"train_test_split output {i}", part) for i, part in enumerate(found)]


def same_split(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a, b))


@rubric.check("train_test_split.seeded", "train_test_split depends on its seed, and only on it", 1, hidden=True)
def split_seeded(ctx):
    """The same seed gives the same split whatever the global random state before the call
    (each call seeds NumPy's legacy generator, `random` and torch from another state first, so
    a split that ignores `seed`, or seeds only `if seed:`, gives two splits for seed=0); the
    defaults are test_size=0.2, seed=0; another seed gives other test rows. Accepted:
    np.random.default_rng(seed), np.random.RandomState(seed), random.Random(seed), and
    np.random.seed(seed) (0 included) before np.random.permutation or np.random.shuffle."""
    state = inputs.integer(22, 0, 2**31 - 1)  # the two global states differ: state and state + 1
    other_seed = inputs.integer(18, 1, 2**31)  # 1 unsalted; never 0, so truthy
    first = split_after(ctx, state, test_size=0.2, seed=0)  # 0: compared with the default seed
    expect_input_rows(first, 100)
    again = split_after(ctx, state + 1, test_size=0.2, seed=0)
    if not same_split(first, again):
        seeded_other = same_split(split_after(ctx, state, test_size=0.2, seed=other_seed),
                                  split_after(ctx, state + 1, test_size=0.2, seed=other_seed))
        raise CheckFailed("seed=0 gave two different splits in two calls (with other global random states "
                          "before them); the split must depend only on `seed`, seed=0 included.",
                          SEED_TRUTHY if seeded_other else UNSEEDED)
    default = split_after(ctx, state + 1)
    other = split_after(ctx, state, test_size=0.2, seed=other_seed)
    if not same_split(first, default):
        raise CheckFailed("the defaults (test_size=0.2, seed=0) gave another split than passing them.")
    if np.array_equal(first[1], other[1]):
        raise CheckFailed("seed=0 and seed=1 gave the same test rows; the split must depend on the seed.",
                          None if in_order(first[0]) else SEED_IGNORED)


# -- add_bias -----------------------------------------------------------------------------

@rubric.check("add_bias.matrix", "add_bias puts a column of ones in front of an (n, d) matrix", 1)
def add_bias_matrix(ctx):
    X = inputs.rng(2).normal(size=(5, 3))
    found = ctx.call("add_bias", X)
    expect_close("add_bias(X) for X of shape (5, 3)", found, ref().add_bias(X), rtol=0, atol=0,
                 mistakes=[(BIAS_LAST, np.hstack([X, np.ones((5, 1))]))])


@rubric.check("add_bias.vector", "add_bias treats a 1-D X of shape (n,) as one feature", 1)
def add_bias_vector(ctx):
    x = fixed_or_drawn(np.array([1.5, -2.0, 3.25, 0.0]), 19, lambda r: r.normal(scale=2.0, size=4).round(2))
    expect_close("add_bias(x) for x of shape (4,)", ctx.call("add_bias", x), ref().add_bias(x), rtol=0, atol=0,
                 mistakes=[(BIAS_LAST, np.column_stack([x, np.ones(4)]))])


# -- LinearRegression ---------------------------------------------------------------------

def regression_data(seed: int, n: int = 60, d: int = 3):
    rng = inputs.rng(seed)
    X = rng.normal(size=(n, d)) * [1.0, 10.0, 0.1][:d]
    y = 3.0 + X @ np.array([2.0, -0.5, 7.0])[:d] + rng.normal(scale=0.3, size=n)
    return X, y


def expect_weights(name: str, found, expected) -> None:
    """Weights as the reference's, or the bias last (BIAS_LAST)."""
    expect_close(name, found, expected, rtol=1e-6, atol=1e-6 * float(np.max(np.abs(expected))),
                 mistakes=[(BIAS_LAST, np.roll(expected, -1))])


def normal_equation_shape_errors(n: int, d: int) -> list[str]:
    """The errors NumPy raises for the normal equation of Xb (n, d + 1) with a transpose in
    the wrong place: the matrix products of the wrong shapes, with @ and with .dot."""
    errors = []
    for left in (np.ones((d + 1, d + 1)), np.ones((n, n))):
        for right in (np.ones((n, d + 1)), np.ones((d + 1, n))):
            for product in (np.matmul, np.dot):
                try:
                    product(left, right)
                except ValueError as err:
                    errors.append(str(err))
    return errors


def fitted(ctx, X, y) -> dict:
    """The probe's {"weights", "returns_self"}; a shape error of the normal equation is named."""
    try:
        return ctx.probe("fit_weights", X, y, label="LinearRegression().fit(X, y)")
    except StudentFault as fault:
        if any(error in str(fault) for error in normal_equation_shape_errors(*X.shape)):
            fault.mistake = NORMAL_EQUATION_SHAPES
        raise


@rubric.check("linear_regression.weights", "LinearRegression.fit solves the normal equation", 3)
def regression_weights(ctx):
    X, y = regression_data(3)
    expected = ref().LinearRegression().fit(X, y).weights
    weights = fitted(ctx, X, y)["weights"]
    record_fitted_values(ctx, X, y, weights)
    expect_weights("weights after fit (X of shape (60, 3))", weights, expected)


FITTED_VALUES_CAPTION = ("Your fitted values against the targets of the check linear_regression.weights "
                         "(60 rows, 3 features; on the diagonal: a perfect fit)")
FITTED_LINE_CAPTION = "Test data and your fitted line (x: PM10, y: PM2.5; a sample of 400 test hours)"


def record_fitted_values(ctx, X, y, weights) -> None:
    """This check's targets and the values the student's weights fit to them, for the feedback
    page's picture: a visible check's data, so it may be shown before grades are published."""
    if (isinstance(weights, np.ndarray) and weights.dtype.kind in "iuf" and weights.shape == (X.shape[1] + 1,)
            and np.all(np.isfinite(weights))):
        ctx.record("fitted_values", {"target": y.tolist(), "fitted": (weights[0] + X @ weights[1:]).tolist()})
        ctx.record("picture_texts", {"fitted_values": {"caption": FITTED_VALUES_CAPTION}})


@rubric.check("linear_regression.fit_returns_self", "LinearRegression.fit returns the model", 1)
def regression_fit_returns_self(ctx):
    X, y = regression_data(4)
    if not ctx.probe("fit_weights", X, y, label="LinearRegression().fit(X, y)")["returns_self"]:
        raise CheckFailed("fit must return the model, so that model.fit(X, y).predict(X) works.", NO_RETURN_SELF)


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
    X = fixed_or_drawn(np.ones((3, 1)), 20, lambda r: r.normal(size=(3, 1)))
    raised = ctx.probe("predict_unfitted", X, label="LinearRegression().predict(X) before fit")
    if raised is None or "RuntimeError" not in raised:
        found = "no exception" if raised is None else raised[0]
        raise CheckFailed(f"predict before fit should raise RuntimeError, found {found}.", WRONG_EXCEPTION)


# -- metrics ------------------------------------------------------------------------------

def metric_check(name: str, title: str, mistakes: dict):
    """A check of metric `name`; `mistakes` maps known mistakes to how to compute their result
    (a reference or mistaken function name, evaluated on the same data)."""
    @rubric.check(f"metrics.{name}", title, 1)
    def run(ctx):
        rng = inputs.rng(7)
        y_true, y_pred = rng.normal(50, 20, size=200), rng.normal(50, 20, size=200)
        expected = getattr(ref(), name)(y_true, y_pred)
        wrong = [(m, getattr(ref() if origin == "ref" else mistaken(), f)(y_true, y_pred))
                 for m, (origin, f) in mistakes.items()]
        expect_scalar(f"{name}(y_true, y_pred)", ctx.call(name, y_true, y_pred), expected, rtol=1e-9, atol=1e-12,
                      mistakes=wrong)
    return run


metric_check("mae", "mae is the mean absolute error",
             {MAE_SQUARED: ("ref", "mse"), MAE_SIGNED: ("mistaken", "mae_without_abs")})
metric_check("mse", "mse is the mean squared error", {MSE_SUMMED: ("mistaken", "mse_summed")})
metric_check("rmse", "rmse is the square root of the mean squared error",
             {RMSE_NO_SQRT: ("ref", "mse"), MSE_SUMMED: ("mistaken", "rmse_of_summed")})
metric_check("r2_score", "r2_score is 1 - residual sum of squares / total sum of squares",
             {R2_PREDICTION_MEAN: ("mistaken", "r2_around_prediction_mean"),
              R2_UNCENTRED: ("mistaken", "r2_uncentred")})


# -- end to end on the real data ----------------------------------------------------------

@lru_cache(maxsize=2)
def beijing_data(data_dir):
    """The 12-station PM10 -> PM2.5 data, NaN rows dropped: X (n, 1), y (n,)."""
    frame = ref().drop_missing(load_air_quality(data_dir, columns=["PM10", "PM2.5"]))
    return frame[["PM10"]].to_numpy(), frame["PM2.5"].to_numpy()


def beijing_seed() -> int:
    """The seed of the end-to-end split: 0 unsalted (the course's split), drawn when salted."""
    return inputs.integer(21, 0, 2**31)


@lru_cache(maxsize=4)
def beijing_split(data_dir, seed: int = 0):
    """The Beijing data split by the reference with `seed` (keyed on the seed, which is all
    of the salt that the split depends on)."""
    return ref().train_test_split(*beijing_data(data_dir), test_size=0.2, seed=seed)


@rubric.check("end_to_end.r2", "On the 12 Beijing stations, the fitted weights give the reference's test R^2",
              3, hidden=True, timeout=60)
def end_to_end_r2(ctx):
    X_train, X_test, y_train, y_test = beijing_split(ctx.data_dir, beijing_seed())
    result = ctx.probe("fit_weights", X_train, y_train, label="LinearRegression().fit(X_train, y_train)")
    weights = as_array("weights on the Beijing data", result["weights"], (2,))
    r2 = ref().r2_score(y_test, ref().add_bias(X_test) @ weights)  # our own forward pass
    reference = ref().LinearRegression().fit(X_train, y_train)
    expected = ref().r2_score(y_test, reference.predict(X_test))
    ctx.record("test_r2", float(r2))
    ctx.record("weights", [float(w) for w in weights])
    ctx.record("n_train", int(len(y_train)))
    ctx.record("n_test", int(len(y_test)))
    sample = np.random.default_rng(0).choice(len(y_test), size=min(400, len(y_test)), replace=False)
    ctx.record("test_sample", {"x": X_test[sample, 0].tolist(), "y": y_test[sample].tolist()})  # for the picture
    ctx.record("picture_texts", {"test_sample": {"caption": FITTED_LINE_CAPTION, "x": "PM10", "y": "PM2.5"}})
    if not np.isfinite(r2) or abs(r2 - expected) > 1e-6:
        bias_last = np.allclose(weights, np.roll(reference.weights, -1), rtol=1e-6)
        raise CheckFailed(f"test R^2 with your weights {np.round(weights, 6).tolist()} is {r2:.6f}; "
                          f"the reference reaches {expected:.6f}.", BIAS_LAST if bias_last else None)
    return f"test R^2 = {r2:.4f} on {len(y_test)} held-out hours"
