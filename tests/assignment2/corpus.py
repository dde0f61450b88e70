"""Assignment 2 submissions: realistic mistakes (each breaking exactly the named checks) and
differently written correct variants, as edits of the reference."""
from tests.support import Mutant

SOFTMAX = "    e = np.exp(z - z.max(axis=-1, keepdims=True))\n    return e / e.sum(axis=-1, keepdims=True)\n"
CROSS_ENTROPY = "    return float(-np.sum(Y * np.log(np.maximum(y_prob, 1e-12))) / len(Y))\n"
SIGMOID = "    return 0.5 * (1.0 + np.tanh(0.5 * x))  # = 1 / (1 + exp(-x)) without overflow\n"
TRAINING = frozenset({"train.relu", "train.sigmoid"})

MISTAKES = {
    "softmax_without_max": Mutant(
        ((SOFTMAX, "    e = np.exp(z)\n    return e / e.sum(axis=-1, keepdims=True)\n"),),
        frozenset({"softmax.stable"})),
    "xavier_limit_without_sqrt": Mutant(
        (("np.sqrt(6.0 / (n_in + n_out))", "6.0 / (n_in + n_out)"),),
        frozenset({"xavier_uniform.spread", "init_params.shapes"})),
    "xavier_ignores_generator": Mutant(
        (("rng.uniform(-limit, limit, size=(n_in, n_out))", "np.random.uniform(-limit, limit, size=(n_in, n_out))"),),
        frozenset({"xavier_uniform.generator", "init_params.seeded"})),
    "sigmoid_overflows": Mutant(
        ((SIGMOID, "    return 1 / (1 + np.exp(-x))\n"),),
        frozenset({"sigmoid.stable"})),
    "cross_entropy_summed": Mutant(
        ((CROSS_ENTROPY, "    return float(-np.sum(Y * np.log(np.maximum(y_prob, 1e-12))))\n"),),
        frozenset({"cross_entropy.values", "cross_entropy.zero_probability", "train.history"})),
    "cross_entropy_log_of_zero": Mutant(
        ((CROSS_ENTROPY, "    return float(-np.sum(Y * np.log(y_prob)) / len(Y))\n"),),
        frozenset({"cross_entropy.zero_probability"})),
    "forward_returns_logits": Mutant(
        (('"y": softmax(z2)}', '"y": z2}'),),
        frozenset({"forward.values"})),  # argmax(z2) = argmax(softmax(z2)): training still works
    "backward_without_division_by_n": Mutant(
        (('(ff_dict["y"] - Y) / len(X)', '(ff_dict["y"] - Y)'),),
        frozenset({"backward.finite_differences", "backward.reference", "train.relu"})),  # sigmoid copes
    "sigmoid_derivative_applies_sigmoid_again": Mutant(
        (("a1 * (1 - a1)", "sigmoid(a1) * (1 - sigmoid(a1))"),),
        frozenset({"backward.finite_differences", "backward.reference"})),
    "relu_derivative_is_relu": Mutant(
        (('(ff_dict["z1"] > 0)', 'relu(ff_dict["z1"])'),),
        frozenset({"backward.finite_differences", "backward.reference"})),
    "bias_gradient_summed_over_units": Mutant(
        (('"b2": dl_dz2.sum(axis=0)', '"b2": dl_dz2.sum(axis=1)'),),
        frozenset({"backward.finite_differences", "backward.reference", "train.history"}) | TRAINING),
    "train_learning_rate_too_small": Mutant(
        (("lr=0.1, activation", "lr=0.002, activation"),),
        TRAINING),
    "train_ignores_epochs": Mutant(
        (("for _ in range(epochs):", "for _ in range(10):"),),
        frozenset({"train.history"})),
    "predict_over_the_batch": Mutant(
        (('["y"].argmax(axis=1)', '["y"].argmax(axis=0)'),),
        frozenset({"predict.labels"})),
}

HINTS = {  # mistake -> (check, words its message must hold)
    "softmax_without_max": ("softmax.stable", "subtract the row maximum before exp"),
    "xavier_limit_without_sqrt": ("xavier_uniform.spread", "it is sqrt(6 / (n_in + n_out))"),
    "sigmoid_overflows": ("sigmoid.stable", "overflow"),
    "cross_entropy_summed": ("cross_entropy.values", "summed over the batch instead of averaged"),
    "cross_entropy_log_of_zero": ("cross_entropy.zero_probability", "0 * log(0) = nan"),
    "forward_returns_logits": ("forward.values", "holds the logits z2"),
    "backward_without_division_by_n": ("backward.finite_differences", "N = 8 times too large"),
    "sigmoid_derivative_applies_sigmoid_again": ("backward.finite_differences", "a1 * (1 - a1)"),
    "relu_derivative_is_relu": ("backward.finite_differences", "1 where z1 > 0"),
    "bias_gradient_summed_over_units": ("backward.reference", "over the batch (axis 0)"),
    "train_learning_rate_too_small": ("train.relu", "at least 0.95 is needed"),
    "predict_over_the_batch": ("predict.labels", "argmax over the classes"),
}

CORRECT = {
    "float64_training": Mutant(
        (("dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64", "dtype = np.float64"),),
        frozenset()),
    "log_sum_exp_softmax_and_true_class_loss": Mutant(
        ((SOFTMAX, "    m = np.max(z, axis=-1, keepdims=True)\n"
                   "    log_norm = m + np.log(np.sum(np.exp(z - m), axis=-1, keepdims=True))\n"
                   "    return np.exp(z - log_norm)\n"),
         (CROSS_ENTROPY, "    labels = np.argmax(Y, axis=1)  # one-hot -> class index\n"
                         "    picked = y_prob[np.arange(len(labels)), labels]\n"
                         "    return float(-np.mean(np.log(np.clip(picked, 1e-12, 1.0))))\n")),
        frozenset()),
    "masked_sigmoid_and_looped_softmax": Mutant(
        ((SIGMOID, "    x = np.asarray(x, dtype=float)\n    out = np.empty_like(x)\n    pos = x >= 0\n"
                   "    out[pos] = 1 / (1 + np.exp(-x[pos]))\n    e = np.exp(x[~pos])\n"
                   "    out[~pos] = e / (1 + e)\n    return out\n"),
         (SOFTMAX, "    out = np.empty_like(z)\n    for i, row in enumerate(z):\n"
                   "        e = np.exp(row - row.max())\n        out[i] = e / e.sum()\n    return out\n")),
        frozenset()),
}
