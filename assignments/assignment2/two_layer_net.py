"""Assignment 2: a two-layer network with hand-written backpropagation, trained on MNIST.

    Y_hat = softmax(act(X @ W1 + b1) @ W2 + b2),     act = relu or sigmoid

Shapes: N examples, D = 784 inputs (28x28 pixels in [0, 1]), H hidden units, C = 10 classes.
X (N, D), one-hot labels Y (N, C), W1 (D, H), b1 (H,), W2 (H, C), b2 (C,).

Fill in every function marked `TODO(student)`; each raises NotImplementedError until you do.
You may use NumPy and the standard library. `course_lib.gradcheck.check_gradient` compares
your gradients with centred finite differences. Check your work with
`course grade assignment2`; load the data with `course_lib.datasets.load_mnist()`.
"""
import numpy as np  # noqa: F401


def xavier_uniform(n_in, n_out, rng):
    """Xavier (Glorot) uniform initialisation: W ~ U(-l, l) with l = sqrt(6 / (n_in + n_out)).

    Draw from the generator you are given (`rng.uniform(...)`), so the same seed gives the
    same weights.

    rng: np.random.Generator  ->  W (n_in, n_out)
    """
    # TODO(student)
    raise NotImplementedError


def init_params(input_dim, num_hiddens, num_classes, seed=0):
    """Parameters of the network: Xavier-uniform weights, zero biases.

    Use one generator, `rng = np.random.default_rng(seed)`, for both weight matrices.

    returns {"W1": (D, H), "b1": (H,), "W2": (H, C), "b2": (C,)}
    """
    # TODO(student)
    raise NotImplementedError


def sigmoid(x):
    """sigmoid(x) = 1 / (1 + exp(-x)), elementwise, any shape.

    Must not overflow or warn for |x| up to 1e4: np.exp(-x) overflows for x = -1e4 (and
    np.where evaluates both of its branches). 0.5 * (1 + tanh(x / 2)) is the same function.
    """
    # TODO(student)
    raise NotImplementedError


def relu(x):
    """relu(x) = max(x, 0), elementwise, any shape."""
    # TODO(student)
    raise NotImplementedError


def softmax(z):
    """Row-wise softmax over the last axis: softmax(z)_j = exp(z_j) / sum_k exp(z_k).

    Subtract each row's maximum first (it does not change the result), so logits of 1e4 give
    finite probabilities that sum to 1.

    z (N, C)  ->  probabilities (N, C), each row summing to 1
    """
    # TODO(student)
    raise NotImplementedError


def cross_entropy(y_prob, Y):
    """Mean cross-entropy over the batch: L = -(1/N) sum_n sum_c Y[n, c] * log(y_prob[n, c]).

    Must stay finite when a probability is 0 (clip the probabilities, e.g. to [1e-12, 1],
    before the log).

    y_prob (N, C), Y (N, C) one-hot  ->  float
    """
    # TODO(student)
    raise NotImplementedError


def forward(params, X, activation="relu"):
    """The forward pass, keeping what backward needs.

        z1 = X @ W1 + b1      (N, H)
        a1 = act(z1)          (N, H)      act = relu or sigmoid, by name
        z2 = a1 @ W2 + b2     (N, C)      the logits
        y  = softmax(z2)      (N, C)      the probabilities

    returns {"z1": z1, "a1": a1, "z2": z2, "y": y}
    """
    # TODO(student)
    raise NotImplementedError


def backward(params, ff_dict, X, Y, activation="relu"):
    """Gradients of the mean cross-entropy with respect to every parameter.

    With y = ff_dict["y"], a1 = ff_dict["a1"], z1 = ff_dict["z1"] (the output of forward):

        dl_dz2 = (y - Y) / N               (N, C)   softmax and cross-entropy together
        dl_dW2 = a1.T @ dl_dz2             (H, C)
        dl_db2 = sum of dl_dz2 over N      (C,)
        dl_da1 = dl_dz2 @ W2.T             (N, H)
        dl_dz1 = dl_da1 * act'(z1)         (N, H)   relu': 1 where z1 > 0, else 0;
                                                    sigmoid': a1 * (1 - a1)
        dl_dW1 = X.T @ dl_dz1              (D, H)
        dl_db1 = sum of dl_dz1 over N      (H,)

    returns {"W1": dl_dW1, "b1": dl_db1, "W2": dl_dW2, "b2": dl_db2}, shapes as the parameters
    """
    # TODO(student)
    raise NotImplementedError


def train(X, Y, num_hiddens=128, epochs=10, batch_size=128, lr=0.1, activation="relu", seed=0):
    """Mini-batch stochastic gradient descent.

    params = init_params(D, num_hiddens, C, seed); then for each epoch: shuffle the rows
    (a new order every epoch, e.g. `order = rng.permutation(N)` with one generator
    `rng = np.random.default_rng(seed + 1)` made before the loop), and for each batch of
    `batch_size` rows (the last one may be smaller): forward, backward, and
    `params[k] -= lr * grads[k]` for every k.

    Keep the dtype of X: on float32 images, float32 parameters train about twice as fast.

    X (N, D), Y (N, C) one-hot  ->  (params, history) with history["loss"] a list holding,
    for each epoch, the mean training loss per example over that epoch's batches.
    """
    # TODO(student)
    raise NotImplementedError


def predict(params, X, activation="relu"):
    """The most probable class of each row: argmax over the classes of forward(...)["y"].

    X (N, D)  ->  labels (N,) of integers in 0..C-1
    """
    # TODO(student)
    raise NotImplementedError
