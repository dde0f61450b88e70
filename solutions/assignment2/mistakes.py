"""Known mistakes of assignment 2, written out for the grader's recognisers.

Hidden from students like the reference: a release records the values these give on the
visible checks' inputs, never this code.
"""
import numpy as np


def softmax_without_max(z):
    with np.errstate(all="ignore"):
        e = np.exp(z)
        return e / e.sum(axis=-1, keepdims=True)


def softmax_global_max(z):
    with np.errstate(all="ignore"):
        e = np.exp(z - z.max())
        return e / e.sum(axis=-1, keepdims=True)


def softmax_over_columns(z):
    e = np.exp(z - z.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)


def cross_entropy_unclipped(y_prob, Y):
    with np.errstate(all="ignore"):
        return float(-np.sum(Y * np.log(y_prob)) / len(Y))


ACTIVATION_DERIVATIVES = {  # mistake -> the wrong derivative of the activation, from ff_dict
    "sigmoid_derivative_at_z": lambda ff: ff["z1"] * (1 - ff["z1"]),
    "sigmoid_derivative_of_a": lambda ff: _sigmoid(ff["a1"]) * (1 - _sigmoid(ff["a1"])),
    "relu_derivative_is_relu": lambda ff: np.maximum(ff["z1"], 0),
}


def _sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def backward_with(mistake, params, ff_dict, X, Y):
    """The gradients backpropagation gives with the activation derivative of `mistake`."""
    a1 = ff_dict["a1"]
    dl_dz2 = (ff_dict["y"] - Y) / len(X)
    dl_dz1 = (dl_dz2 @ params["W2"].T) * ACTIVATION_DERIVATIVES[mistake](ff_dict)
    return {"W1": X.T @ dl_dz1, "b1": dl_dz1.sum(axis=0), "W2": a1.T @ dl_dz2, "b2": dl_dz2.sum(axis=0)}
