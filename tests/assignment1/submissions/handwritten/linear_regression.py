"""A correct submission written differently from the reference: masks, loops, lstsq-free solve."""
import math
import random

import numpy as np


def drop_missing(df, columns=("PM10", "PM2.5")):
    keep = ~df[list(columns)].isna().any(axis=1)
    return df.loc[keep].reset_index(drop=True).copy()


def train_test_split(X, y, test_size=0.2, seed=0):
    rng = np.random.default_rng(seed)
    index = np.arange(len(y))
    rng.shuffle(index)
    n_test = int(math.ceil(test_size * len(y)))
    X, y = np.array(X), np.array(y)
    return X[index[n_test:]], X[index[:n_test]], y[index[n_test:]], y[index[:n_test]]


def add_bias(X):
    X = np.array(X, dtype=np.float64)
    if X.ndim == 1:
        X = X[:, None]
    return np.c_[np.ones(X.shape[0]), X]


class LinearRegression:
    def __init__(self):
        self.weights = None

    def fit(self, X, y):
        A = add_bias(X)
        gram = np.einsum("ni,nj->ij", A, A)
        self.weights = np.linalg.inv(gram) @ np.einsum("ni,n->i", A, np.asarray(y, dtype=np.float64))
        return self

    def predict(self, X):
        if self.weights is None:
            raise RuntimeError("not fitted")
        return np.einsum("ni,i->n", add_bias(X), self.weights)


def mae(y_true, y_pred):
    total = 0.0
    for a, b in zip(y_true, y_pred):
        total += abs(a - b)
    return total / len(y_true)


def mse(y_true, y_pred):
    diff = np.subtract(y_true, y_pred)
    return float(diff @ diff / diff.size)


def rmse(y_true, y_pred):
    return mse(y_true, y_pred) ** 0.5


def r2_score(y_true, y_pred):
    y_true = np.asarray(y_true, dtype=float)
    return 1 - np.sum(np.square(y_true - y_pred)) / np.sum(np.square(y_true - np.mean(y_true)))
