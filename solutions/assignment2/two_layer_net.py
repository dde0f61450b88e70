"""Reference solution for assignment 2: a two-layer network with hand-written backpropagation."""
import numpy as np


def xavier_uniform(n_in, n_out, rng):
    limit = np.sqrt(6.0 / (n_in + n_out))
    return rng.uniform(-limit, limit, size=(n_in, n_out))


def init_params(input_dim, num_hiddens, num_classes, seed=0):
    rng = np.random.default_rng(seed)
    return {"W1": xavier_uniform(input_dim, num_hiddens, rng), "b1": np.zeros(num_hiddens),
            "W2": xavier_uniform(num_hiddens, num_classes, rng), "b2": np.zeros(num_classes)}


def sigmoid(x):
    return 0.5 * (1.0 + np.tanh(0.5 * x))  # = 1 / (1 + exp(-x)) without overflow


def relu(x):
    return np.maximum(x, 0)


def softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def cross_entropy(y_prob, Y):
    return float(-np.sum(Y * np.log(np.maximum(y_prob, 1e-12))) / len(Y))


def forward(params, X, activation="relu"):
    z1 = X @ params["W1"] + params["b1"]  # (N, H)
    a1 = relu(z1) if activation == "relu" else sigmoid(z1)  # (N, H)
    z2 = a1 @ params["W2"] + params["b2"]  # (N, C)
    return {"z1": z1, "a1": a1, "z2": z2, "y": softmax(z2)}


def backward(params, ff_dict, X, Y, activation="relu"):
    a1 = ff_dict["a1"]
    dl_dz2 = (ff_dict["y"] - Y) / len(X)  # (N, C)
    dl_da1 = dl_dz2 @ params["W2"].T  # (N, H)
    act_grad = (ff_dict["z1"] > 0) if activation == "relu" else a1 * (1 - a1)
    dl_dz1 = dl_da1 * act_grad  # (N, H)
    return {"W1": X.T @ dl_dz1, "b1": dl_dz1.sum(axis=0),
            "W2": a1.T @ dl_dz2, "b2": dl_dz2.sum(axis=0)}


def train(X, Y, num_hiddens=128, epochs=10, batch_size=128, lr=0.1, activation="relu", seed=0):
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    params = {k: v.astype(dtype) for k, v in init_params(X.shape[1], num_hiddens, Y.shape[1], seed).items()}
    rng = np.random.default_rng(seed + 1)  # shuffling; init_params uses default_rng(seed)
    history = {"loss": []}
    for _ in range(epochs):
        order = rng.permutation(len(X))
        total = 0.0
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            xb, yb = X[batch], Y[batch]  # (B, D), (B, C)
            ff = forward(params, xb, activation)
            total += cross_entropy(ff["y"], yb) * len(batch)
            for k, g in backward(params, ff, xb, yb, activation).items():
                params[k] -= lr * g
        history["loss"].append(total / len(X))
    return params, history


def predict(params, X, activation="relu"):
    return forward(params, X, activation)["y"].argmax(axis=1)
