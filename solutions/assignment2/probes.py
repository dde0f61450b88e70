"""Child-side calls for assignment 2 that are more than one function call.

Loaded by the sandbox worker; each probe gets the student's module and plain inputs and
returns plain data. Probes hold no expectations: the parent judges what they return.
"""
import warnings

import numpy as np


def xavier_draws(module, n_in, n_out, seed):
    """Two draws from one generator seeded `seed`, and a first draw from a fresh one."""
    generator = np.random.default_rng(seed)
    first = module.xavier_uniform(n_in, n_out, generator)
    second = module.xavier_uniform(n_in, n_out, generator)
    again = module.xavier_uniform(n_in, n_out, np.random.default_rng(seed))
    return {"first": first, "second": second, "again": again}


def call_watching_warnings(module, name, *args):
    """`name(*args)` with NumPy overflow, invalid values and division by zero recorded as
    warnings (underflow to 0 is no problem: exp(-1e4) is 0)."""
    with warnings.catch_warnings(record=True) as caught, \
            np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"):
        warnings.simplefilter("always")
        value = getattr(module, name)(*args)
    return {"value": value, "warnings": [f"{w.category.__name__}: {w.message}" for w in caught]}


def train_on_files(module, X_file, y_file, activation, epochs=None):
    """`train(X, Y, activation=activation)` at its defaults (or for `epochs`, to time the
    reference on a share of the work) on the arrays saved in the files (labels one-hot,
    float32 like X); returns what `train` returned, under "result"."""
    X = np.load(X_file, mmap_mode="c").view(np.ndarray)  # (N, 784) float32, writable, private
    labels = np.load(y_file)  # (N,)
    Y = np.eye(10, dtype=X.dtype)[labels]  # (N, 10)
    more = {} if epochs is None else {"epochs": epochs}
    return {"result": module.train(X, Y, activation=activation, **more)}


def train_on_arrays(module, X, Y, activation):
    """`train(X, Y, activation=activation)` at its defaults on the arrays themselves (the
    grader's secretly disguised MNIST); returns what `train` returned, under "result"."""
    return {"result": module.train(X, Y, activation=activation)}
