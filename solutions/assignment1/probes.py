"""Child-side calls for assignment 1 that are more than one function call.

Loaded by the sandbox worker; each probe gets the student's module and plain inputs and
returns plain data. Probes hold no expectations: the parent judges what they return.
"""


def fit_weights(module, X, y):
    """The weights after `LinearRegression().fit(X, y)`, and whether fit returned the model."""
    model = module.LinearRegression()
    returned = model.fit(X, y)
    return {"weights": model.weights, "returns_self": returned is model}


def fit_predict(module, X, y, X_new):
    model = module.LinearRegression()
    model.fit(X, y)  # not chained: a fit without `return self` costs only its own check
    return model.predict(X_new)


def predict_unfitted(module, X):
    """The name of the exception `predict` raises before `fit`, or None when it raises none."""
    try:
        module.LinearRegression().predict(X)
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001 - which exception is the answer
        return [c.__name__ for c in type(err).__mro__]
    return None


def split_after_state(module, X, y, state, **kwargs):
    """`train_test_split(X, y, **kwargs)` with every global generator (NumPy's legacy state,
    `random`, torch when loaded) seeded from `state` first: two calls with other states give
    other splits unless the split is seeded by its own `seed` argument."""
    import random
    import sys

    import numpy as np
    random.seed(state)
    np.random.seed(state)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(state)
    return module.train_test_split(X, y, **kwargs)
