"""Child-side calls for assignment 4 that are more than one function call.

Loaded by the sandbox worker; each probe gets the student's module and plain inputs and
returns plain data. Probes hold no expectations: the parent judges what they return.
"""
import numpy as np


def raised(call) -> list[str] | None:
    """The class names (most derived first) of the exception `call()` raises, or None."""
    try:
        call()
    except NotImplementedError:
        raise
    except Exception as err:  # noqa: BLE001 - which exception is the answer
        return [c.__name__ for c in type(err).__mro__]
    return None


def knn_misuse(module, X, y):
    """What KNearestNeighbor does when used wrongly: predict before train, an unknown metric."""
    model = module.KNearestNeighbor()
    untrained = raised(lambda: model.predict(X))
    returned = model.train(X, y)
    return {"untrained": untrained, "returns_self": returned is model,
            "unknown_metric": raised(lambda: model.predict(X, metric="cosine"))}


def knn_predictions(module, X_train, y_train, X_test, ks, metrics):
    """[[predict(X_test, k=k, metric=metric) for k in ks] for metric in metrics], one model."""
    model = module.KNearestNeighbor()
    model.train(X_train, y_train)  # not chained: a train without `return self` costs only its own check
    return [[model.predict(X_test, k=k, metric=metric) for k in ks] for metric in metrics]


def lr_values(module, schedules, base_lr, total_epochs, **kwargs):
    """[[lr_at(schedule, base_lr, e, total_epochs, **kwargs) for e in range(total_epochs)] for each schedule]."""
    return np.array([[float(module.lr_at(s, base_lr, e, total_epochs, **kwargs)) for e in range(total_epochs)]
                     for s in schedules])


def unknown_schedule(module, *args):
    return raised(lambda: module.lr_at(*args))


def standin_loss(W, X, y, reg=0.0):
    """The grader's stand-in for softmax_loss while it checks train_sgd's loop alone: a squared
    error of the scores against one-hot labels (any loss with a gradient would do)."""
    error = X @ W - np.eye(W.shape[1])[y]  # (N, C)
    return float(0.5 * np.mean(np.sum(error ** 2, axis=1))), X.T @ error / len(X)


def standin_lr(schedule, base_lr, epoch, total_epochs, step_size=5, gamma=0.5):
    """The grader's stand-in for lr_at: a rate that falls with every epoch, whatever the schedule."""
    return base_lr / (1 + epoch)


def train_with_standins(module, X, y, **kwargs):
    """`train_sgd(X, y, **kwargs)` with the stand-ins in place of the module's softmax_loss and
    lr_at; returns what it returned (under "result") and, for every loss call, the W it was handed (a copy), the
    rows of X in its batch (their indices in X; -1 for a row that is not one of X's), its reg
    and the loss it got back."""
    index = {row.tobytes(): i for i, row in enumerate(np.asarray(X, dtype=float))}
    calls = []

    def loss(W, Xb, yb, reg=0.0):
        value, dW = standin_loss(W, Xb, yb, reg)
        rows = [index.get(row.tobytes(), -1) for row in np.asarray(Xb, dtype=float)]
        calls.append({"W": np.array(W, dtype=float), "rows": rows, "reg": float(reg), "loss": value})
        return value, dW

    module.softmax_loss, module.lr_at = loss, standin_lr
    return {"result": module.train_sgd(X, y, **kwargs), "calls": calls}
