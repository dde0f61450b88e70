"""Assignment 4: k-nearest neighbours and a softmax linear classifier, trained on MNIST.

Shapes: n, m rows, d = D = 784 pixels (28x28, in [0, 1]), C = 10 classes, N examples.
Labels are integers in 0..C-1. Distances, losses and gradients are computed in float64.

Fill in every function marked `TODO(student)`; each raises NotImplementedError until you do.
You may use NumPy, `math` and the standard library (no SciPy, no scikit-learn). Check your
work with `course grade assignment4`; load the data with `course_lib.datasets.load_mnist()`,
and check a gradient with `course_lib.gradcheck.check_gradient`.
"""
import math  # noqa: F401  (math.cos, math.pi)

import numpy as np  # noqa: F401


def l1_distances(A, B):
    """Manhattan distances between every row of A and every row of B.

        D[i, j] = sum_k |A[i, k] - B[j, k]|

    A (n, d), B (m, d)  ->  D (n, m)

    You may loop over the rows of A, one (m, d) difference at a time: a full broadcast
    A[:, None, :] - B[None, :, :] builds an (n, m, d) array, 500 x 2,000 x 784 floats =
    6 GB for the grader's inputs, and runs out of memory. The slow version, with two Python
    loops (the nearest neighbour of the course's first notebook), is what to improve on:

        D = np.zeros((len(A), len(B)))
        for i in range(len(A)):
            for j in range(len(B)):
                D[i, j] = np.sum(np.abs(A[i] - B[j]))
    """
    # TODO(student)
    raise NotImplementedError


def l2_distances(A, B):
    """Euclidean distances between every row of A and every row of B, without a Python loop.

        D[i, j] = sqrt(|A[i]|^2 + |B[j]|^2 - 2 A[i] . B[j])

    |A[i]|^2 is (n,), |B[j]|^2 is (m,), A @ B.T is (n, m): add them by broadcasting,
    (n, 1) + (m,) -> (n, m). Rounding can make the sum slightly negative where two rows are
    (nearly) identical: clip it at 0 before the square root (np.maximum), so that no distance
    is NaN. The grader times this on 1,000 x 5,000 MNIST rows: within 5x of its own
    solution's time on the same machine.

    A (n, d), B (m, d)  ->  D (n, m), never negative
    """
    # TODO(student)
    raise NotImplementedError


class KNearestNeighbor:
    """k-nearest neighbours: `train` only remembers the data; `predict` votes.

        model = KNearestNeighbor().train(X_train, y_train)
        y_pred = model.predict(X_test, k=3, metric="l2")
    """

    def __init__(self):
        self.X_train = self.y_train = None

    def train(self, X, y):
        """Remember X (m, d) and y (m,) integer labels; return self."""
        # TODO(student)
        raise NotImplementedError

    def predict(self, X, k=1, metric="l2"):
        """The most common label among the k nearest training rows of each row of X.

        metric "l1" or "l2" chooses l1_distances or l2_distances. Ties:
          - in distance, the lower training index comes first: sort each row of the
            (n, m) distances with np.argsort(..., kind="stable") (the default sort is not
            stable);
          - in the vote, the smallest label wins: np.bincount(labels).argmax() does that.
        Raises RuntimeError before `train`, ValueError for an unknown metric.

        X (n, d)  ->  labels (n,) of integers
        """
        # TODO(student)
        raise NotImplementedError


def standardize(X_train, X_test):
    """Scale both sets with the *training* set's per-feature mean and standard deviation.

        mu = mean of X_train over the rows (d,)     sigma = its std, ddof=0 (d,)
        X_s = (X - mu) / sigma                       for X_train and for X_test alike

    A deviation below 1e-12 (a pixel that is 0 in every training image) counts as 1, so
    nothing is divided by 0. The test set never contributes statistics: at test time there
    is one image at a time. Return new arrays; leave the inputs unchanged.

    X_train (N, d), X_test (M, d)  ->  (X_train_s (N, d), X_test_s (M, d))
    """
    # TODO(student)
    raise NotImplementedError


def softmax_loss(W, X, y, reg=0.0):
    """The mean softmax cross-entropy of a linear classifier, L2-regularised, and its gradient.

        S = X @ W                                     scores (N, C)
        P = softmax(S) over each row                  P[i, c] = exp(S[i, c]) / sum_c' exp(S[i, c'])
        loss = -(1/N) sum_i log P[i, y[i]] + reg * sum(W ** 2)
        dW = X.T @ (P - Y) / N + 2 * reg * W          Y: one-hot labels (N, C)

    Stability: subtract each row's maximum from S first (it changes nothing mathematically)
    and take log P as S - log(sum(exp(S))) (log-sum-exp), never log of a rounded P: scores of
    1e4 must give a finite loss, equal to the log-sum-exp value.

    W (D, C), X (N, D), y (N,)  ->  (loss: float, dW (D, C))
    """
    # TODO(student)
    raise NotImplementedError


def lr_at(schedule, base_lr, epoch, total_epochs, step_size=5, gamma=0.5):
    """The learning rate of epoch `epoch` (counted from 0) under a schedule:

        "constant":  base_lr
        "step":      base_lr * gamma ** (epoch // step_size)     (PyTorch's StepLR)
        "cosine":    base_lr * (1 + cos(pi * epoch / total_epochs)) / 2
                                                    (CosineAnnealingLR, T_max=total_epochs)

    Any other name raises ValueError.
    """
    # TODO(student)
    raise NotImplementedError


def train_sgd(X, y, num_classes=10, lr=0.5, reg=1e-4, epochs=10, batch_size=256, schedule="cosine", seed=0):
    """Mini-batch stochastic gradient descent on softmax_loss.

        rng = np.random.default_rng(seed)
        W = 0.001 * rng.standard_normal((D, num_classes))        the first draw
        for each epoch e = 0, 1, ...:
            lr_e = lr_at(schedule, lr, e, epochs)                 one rate per epoch
            order = rng.permutation(N)                            a new order every epoch
            for each consecutive slice b of `batch_size` entries of order
                    (the last one may be smaller):
                loss, dW = softmax_loss(W, X[b], y[b], reg)
                W -= lr_e * dW

    Call softmax_loss and lr_at by their names (the grader checks the loop with stand-ins of
    its own in their place). The same seed gives the same W.

    X (N, D), y (N,)  ->  (W (D, C), history) with history["loss"][e] the mean of epoch e's
    batch losses weighted by batch size, and history["lr"][e] = lr_e.
    """
    # TODO(student)
    raise NotImplementedError
