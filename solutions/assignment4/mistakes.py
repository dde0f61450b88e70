"""Known mistakes of assignment 4, written out for the grader's recognisers.

Hidden from students like the reference: a release records the values these give on the
visible checks' inputs, never this code.
"""
import numpy as np

EPSILONS = (1e-15, 1e-12, 1e-10, 1e-9, 1e-8, 1e-7, 1e-6)  # what students add to or clip a probability at


def l1_abs_of_sum(A, B):
    return np.abs(A.sum(axis=1)[:, None] - B.sum(axis=1))


def l2_unclipped(A, B):
    with np.errstate(invalid="ignore"):
        return np.sqrt((A ** 2).sum(axis=1)[:, None] + (B ** 2).sum(axis=1) - 2 * A @ B.T)


def knn_votes(X_train, y_train, X_test, ks, metric):
    """{"largest": [...], "nearest": [...]}: for each k, the predictions of a k-NN whose vote
    ties go to the largest label, or to the label met first among the nearest."""
    if metric == "l1":
        D = np.array([np.abs(X_train - x).sum(axis=1) for x in X_test])
    else:
        D = np.sqrt(np.maximum((X_test ** 2).sum(1)[:, None] + (X_train ** 2).sum(1) - 2 * X_test @ X_train.T, 0))
    nearest = np.asarray(y_train)[np.argsort(D, axis=1, kind="stable")]  # (n, m) labels, nearest first
    votes = {"largest": lambda labels: len(np.bincount(labels)) - 1 - np.bincount(labels)[::-1].argmax(),
             "nearest": lambda labels: max(dict.fromkeys(labels.tolist()), key=labels.tolist().count)}
    return {rule: [np.array([vote(row[:k]) for row in nearest]) for k in ks] for rule, vote in votes.items()}


def standardize_test_with_own_statistics(X_train, X_test):
    def scaled(X):
        std = X.std(axis=0)
        return (X - X.mean(axis=0)) / np.where(std < 1e-12, 1.0, std)
    return scaled(X_train), scaled(X_test)


def standardize_unguarded(X_train, X_test):
    mean, std = X_train.mean(axis=0), X_train.std(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return (X_train - mean) / std, (X_test - mean) / std


def softmax_loss_summed(W, X, y, reg=0.0):
    scores = X @ W
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    dscores = np.exp(log_probs)
    dscores[np.arange(len(X)), y] -= 1
    return float(-log_probs[np.arange(len(X)), y].sum() + reg * np.sum(W * W)), X.T @ dscores + 2 * reg * W


def softmax_losses_of_clipped_logs(W, X, y, reg=0.0):
    """The losses of -log(P + eps) and of -log(max(P, eps)) for every usual eps."""
    scores = X @ W
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    true = (e / e.sum(axis=1, keepdims=True))[np.arange(len(X)), y]
    penalty = reg * np.sum(W * W)
    return [float(-np.log(f(true, eps)).mean() + penalty) for eps in EPSILONS for f in (np.add, np.maximum)]


def lr_step_off_by_one(base_lr, epochs, step_size, gamma):
    """The step schedule over `epochs` epochs, decaying one epoch early and one epoch late."""
    return [[base_lr * gamma ** ((e + shift) // step_size) for e in range(epochs)] for shift in (1, -1)]
