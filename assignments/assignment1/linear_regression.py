"""Assignment 1: predict PM2.5 from PM10 with linear regression solved by the normal equation.

Fill in every function marked `TODO(student)`; each raises NotImplementedError until you do.
You may use NumPy, pandas methods on the frame you are given, and the standard library.
Check your work with `course check assignment1` (or `course grade assignment1`).
"""
import math  # noqa: F401  (you will want math.ceil)

import numpy as np  # noqa: F401


def drop_missing(df, columns=("PM10", "PM2.5")):
    """Remove the rows that have a missing value (NaN) in any of `columns`.

    Other columns are kept, even when they have missing values; the row order is kept;
    the frame passed in must not be modified (return a new frame).

    df: pandas.DataFrame with n rows  ->  pandas.DataFrame with m <= n rows
    """
    # TODO(student)
    raise NotImplementedError


def train_test_split(X, y, test_size=0.2, seed=0):
    """Shuffle the rows, then put the first ceil(n * test_size) of them in the test part.

    Use a generator seeded by `seed`, e.g. `order = np.random.default_rng(seed).permutation(n)`,
    so the same seed gives the same split and another seed another one. Every row lands in
    exactly one part, and each row of X stays with its y.

    X: (n, d) or (n,),  y: (n,)
    returns X_train (n - n_test, ...), X_test (n_test, ...), y_train (n - n_test,), y_test (n_test,)
    with n_test = ceil(n * test_size)
    """
    # TODO(student)
    raise NotImplementedError


def add_bias(X):
    """Fold the bias into the weights: put a column of ones in front of X.

    X: (n, d) -> (n, d + 1) with column 0 all ones;  a 1-D X of shape (n,) is one feature: (n, 2).
    """
    # TODO(student)
    raise NotImplementedError


class LinearRegression:
    """Least squares by the normal equation.

    With Xb = add_bias(X) of shape (n, d + 1), the weights minimising ||Xb w - y||^2 solve

        (Xb^T Xb) w = Xb^T y        so  w = (Xb^T Xb)^{-1} Xb^T y        w: (d + 1,)

    (np.linalg.solve, lstsq or pinv all work). weights[0] is the bias, weights[1:] the slopes.
    """

    def __init__(self):
        self.weights = None  # (d + 1,) after fit

    def fit(self, X, y):
        """Solve the normal equation on add_bias(X); store the weights; return self."""
        # TODO(student)
        raise NotImplementedError

    def predict(self, X):
        """add_bias(X) @ weights, shape (n,). Raise RuntimeError if fit has not been called."""
        # TODO(student)
        raise NotImplementedError


def mae(y_true, y_pred):
    """Mean absolute error: mean(|y - y_hat|), a float."""
    # TODO(student)
    raise NotImplementedError


def mse(y_true, y_pred):
    """Mean squared error: mean((y - y_hat)^2), a float."""
    # TODO(student)
    raise NotImplementedError


def rmse(y_true, y_pred):
    """Root mean squared error: sqrt(mse), a float."""
    # TODO(student)
    raise NotImplementedError


def r2_score(y_true, y_pred):
    """Coefficient of determination: 1 - sum((y - y_hat)^2) / sum((y - mean(y))^2), a float."""
    # TODO(student)
    raise NotImplementedError
