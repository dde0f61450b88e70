"""Assignment 2's mutation corpus, for `course selftest` and the tests: `MISTAKES`, one
submission per known mistake of the rubric's catalogue (named by the mistake's id; `breaks`
lists exactly the checks it must fail); `CORRECT` variants that must get full marks, each
an edit of the reference solution; `UNNAMED` mistakes
the grader catches without naming them."""

from grader.selftest.mutants import Mutant

SOFTMAX = "    e = np.exp(z - z.max(axis=-1, keepdims=True))\n    return e / e.sum(axis=-1, keepdims=True)\n"
CROSS_ENTROPY = "    return float(-np.sum(Y * np.log(np.maximum(y_prob, 1e-12))) / len(Y))\n"
SIGMOID = "    return 0.5 * (1.0 + np.tanh(0.5 * x))  # = 1 / (1 + exp(-x)) without overflow\n"
TRAINING = frozenset({"train.relu", "train.sigmoid"})
INIT_RNG = "    rng = np.random.default_rng(seed)\n    return {"

NAMED_BY_FORMULA = "sigmoid_derivative_at_z"  # its recogniser needs mistakes.py: a bundle names it from the recording

MISTAKES = {
    "softmax_over_columns": Mutant(
        ((SOFTMAX, "    e = np.exp(z - z.max(axis=0, keepdims=True))\n    return e / e.sum(axis=0, keepdims=True)\n"),),
        frozenset({"softmax.values", "softmax.stable", "forward.values", "predict.labels", "train.history"}) | TRAINING),
    "cross_entropy_wrong_sign": Mutant(
        ((CROSS_ENTROPY, "    return float(np.sum(Y * np.log(np.maximum(y_prob, 1e-12))) / len(Y))\n"),),
        frozenset({"cross_entropy.values", "cross_entropy.zero_probability", "train.history"})),
    "forward_ignores_activation": Mutant(
        (('a1 = relu(z1) if activation == "relu" else sigmoid(z1)', "a1 = relu(z1)"),),
        frozenset({"forward.values", "predict.labels", "train.sigmoid"})),
    "sigmoid_derivative_at_z": Mutant(
        (("a1 * (1 - a1)", 'ff_dict["z1"] * (1 - ff_dict["z1"])'),),
        frozenset({"backward.finite_differences", "backward.reference", "train.sigmoid"})),  # diverges
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
    "sigmoid_derivative_of_a": Mutant(
        (("a1 * (1 - a1)", "sigmoid(a1) * (1 - sigmoid(a1))"),),
        frozenset({"backward.finite_differences", "backward.reference"})),
    "relu_derivative_is_relu": Mutant(
        (('(ff_dict["z1"] > 0)', 'relu(ff_dict["z1"])'),),
        frozenset({"backward.finite_differences", "backward.reference"})),
    "bias_gradient_over_units": Mutant(
        (('"b2": dl_dz2.sum(axis=0)', '"b2": dl_dz2.sum(axis=1)'),),
        frozenset({"backward.finite_differences", "backward.reference", "train.history"}) | TRAINING),
    "train_ignores_epochs": Mutant(
        (("for _ in range(epochs):", "for _ in range(10):"),),
        frozenset({"train.history"})),
    "softmax_global_max": Mutant(  # seen in real code: one maximum for the whole batch
        ((SOFTMAX, "    e = np.exp(z - np.max(z))\n    return e / e.sum(axis=-1, keepdims=True)\n"),),
        frozenset({"softmax.stable"})),
    "backward_adds_weight_decay": Mutant(  # seen in real code: dW += reg * W inside backward
        (('    return {"W1": X.T @ dl_dz1,', '    reg = 1e-3  # L2 weight decay\n'
                                           '    return {"W1": X.T @ dl_dz1 + reg * params["W1"],'),
         ('"W2": a1.T @ dl_dz2,', '"W2": a1.T @ dl_dz2 + reg * params["W2"],')),
        frozenset({"backward.finite_differences", "backward.reference"})),
    "init_params_seeds_only_a_truthy_seed": Mutant(  # `if seed:` skips seed=0, the default
        ((INIT_RNG, "    if seed:\n        np.random.seed(seed)\n    rng = np.random  # the global generator\n"
                    "    return {"),),
        frozenset({"init_params.seeded"})),
    "init_params_ignores_seed": Mutant(
        ((INIT_RNG, "    rng = np.random.default_rng()\n    return {"),),
        frozenset({"init_params.seeded"})),
    "cross_entropy_summed+cross_entropy_wrong_sign": Mutant(  # two mistakes in one line, both named
        ((CROSS_ENTROPY, "    return float(np.sum(Y * np.log(np.maximum(y_prob, 1e-12))))\n"),),
        frozenset({"cross_entropy.values", "cross_entropy.zero_probability", "train.history"})),
    "predict_over_the_batch": Mutant(
        (('["y"].argmax(axis=1)', '["y"].argmax(axis=0)'),),
        frozenset({"predict.labels"})),
}

CORRECT = {  # the textbook stabilisations of real submissions among them
    "cross_entropy_plus_eps_1e-7_and_clipped_sigmoid": Mutant(
        ((CROSS_ENTROPY, "    return float(-np.sum(Y * np.log(y_prob + 1e-7)) / len(Y))\n"),
         (SIGMOID, "    return 1 / (1 + np.exp(-np.clip(x, -500, 500)))\n")),
        frozenset()),
    "cross_entropy_plus_eps_1e-10": Mutant(
        ((CROSS_ENTROPY, "    N = Y.shape[0]\n    return -np.sum(Y * np.log(y_prob + 1e-10)) / N\n"),),
        frozenset()),
    "cross_entropy_where_true_class_eps_1e-12": Mutant(
        ((CROSS_ENTROPY, "    losses = np.where(Y == 1, -np.log(y_prob + 1e-12), 0.0)\n"
                         "    return float(losses.sum() / len(Y))\n"),),
        frozenset()),
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


UNNAMED = {  # mistakes the grader catches without a diagnosis
    "train_learning_rate_too_small": Mutant(
        (("lr=0.1, activation", "lr=0.002, activation"),),
        TRAINING),
}
