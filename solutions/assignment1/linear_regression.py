"""Reference solution for assignment 1: linear regression with the normal equation."""
import math

import numpy as np


def drop_missing(df, columns=("PM10", "PM2.5")):
    return df.dropna(subset=list(columns))


def train_test_split(X, y, test_size=0.2, seed=0):
    X, y = np.asarray(X), np.asarray(y)
    order = np.random.default_rng(seed).permutation(len(X))
    n_test = math.ceil(len(X) * test_size)
    test, train = order[:n_test], order[n_test:]
    return X[train], X[test], y[train], y[test]


def add_bias(X):
    X = np.asarray(X, dtype=float)
    X = X.reshape(-1, 1) if X.ndim == 1 else X  # (n,) is one feature
    return np.hstack([np.ones((len(X), 1)), X])  # (n, d + 1)


class LinearRegression:
    def __init__(self):
        self.weights = None

    def fit(self, X, y):
        Xb = add_bias(X)  # (n, d + 1)
        self.weights = np.linalg.pinv(Xb.T @ Xb) @ Xb.T @ np.asarray(y, dtype=float)  # (d + 1,)
        return self

    def predict(self, X):
        if self.weights is None:
            raise RuntimeError("call fit before predict")
        return add_bias(X) @ self.weights  # (n,)


def mae(y_true, y_pred):
    return float(np.mean(np.abs(np.asarray(y_true) - np.asarray(y_pred))))


def mse(y_true, y_pred):
    return float(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2))


def rmse(y_true, y_pred):
    return math.sqrt(mse(y_true, y_pred))


def r2_score(y_true, y_pred):
    y_true = np.asarray(y_true, dtype=float)
    residual = np.sum((y_true - np.asarray(y_pred)) ** 2)
    total = np.sum((y_true - y_true.mean()) ** 2)
    return float(1.0 - residual / total)
