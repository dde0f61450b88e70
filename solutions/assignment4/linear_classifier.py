"""Reference solution for assignment 4: k-nearest neighbours and a softmax linear classifier."""
import math

import numpy as np


def l1_distances(A, B):
    D = np.empty((len(A), len(B)))  # (n, m)
    diff = np.empty(B.shape)  # (m, d), reused: one row of A at a time, never (n, m, d)
    for i, a in enumerate(A):
        np.subtract(B, a, out=diff)
        np.abs(diff, out=diff).sum(axis=1, out=D[i])
    return D


def l2_distances(A, B):
    squared = (A ** 2).sum(axis=1)[:, None] + (B ** 2).sum(axis=1) - 2 * A @ B.T  # (n, m)
    return np.sqrt(np.maximum(squared, 0))


class KNearestNeighbor:
    def __init__(self):
        self.X_train = self.y_train = None

    def train(self, X, y):
        self.X_train, self.y_train = X, np.asarray(y)
        return self

    def predict(self, X, k=1, metric="l2"):
        if self.X_train is None:
            raise RuntimeError("train the classifier before predict")
        if metric not in ("l1", "l2"):
            raise ValueError(f"unknown metric {metric!r}: use 'l1' or 'l2'")
        distances = (l1_distances if metric == "l1" else l2_distances)(X, self.X_train)  # (n, m)
        nearest = np.argsort(distances, axis=1, kind="stable")[:, :k]  # (n, k)
        return np.array([np.bincount(labels).argmax() for labels in self.y_train[nearest]])


def standardize(X_train, X_test):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    std = np.where(std < 1e-12, 1.0, std)
    return (X_train - mean) / std, (X_test - mean) / std


def softmax_loss(W, X, y, reg=0.0):
    N = len(X)
    scores = X @ W  # (N, C)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, C)
    loss = -log_probs[np.arange(N), y].mean() + reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[np.arange(N), y] -= 1
    return float(loss), X.T @ dscores / N + 2 * reg * W


def lr_at(schedule, base_lr, epoch, total_epochs, step_size=5, gamma=0.5):
    if schedule == "constant":
        return base_lr
    if schedule == "step":
        return base_lr * gamma ** (epoch // step_size)
    if schedule == "cosine":
        return base_lr * (1 + math.cos(math.pi * epoch / total_epochs)) / 2
    raise ValueError(f"unknown schedule {schedule!r}: use 'constant', 'step' or 'cosine'")


def train_sgd(X, y, num_classes=10, lr=0.5, reg=1e-4, epochs=10, batch_size=256, schedule="cosine", seed=0):
    rng = np.random.default_rng(seed)
    W = 0.001 * rng.standard_normal((X.shape[1], num_classes))
    history = {"loss": [], "lr": []}
    for epoch in range(epochs):
        lr_e = lr_at(schedule, lr, epoch, epochs)
        order = rng.permutation(len(X))
        total = 0.0
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            loss, dW = softmax_loss(W, X[batch], y[batch], reg)
            W -= lr_e * dW
            total += loss * len(batch)
        history["loss"].append(total / len(X))
        history["lr"].append(lr_e)
    return W, history
