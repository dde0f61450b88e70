"""Assignment 1's mutation corpus, for `course selftest` and the tests: `MISTAKES`, one
submission per known mistake of the rubric's catalogue (named by the mistake's id; `breaks`
lists exactly the checks it must fail); `CORRECT` variants that must get full marks, each
an edit of the reference solution; `BROKEN` modules
that every check must reject."""

from grader.selftest.mutants import Mutant

SOLVE = "np.linalg.pinv(Xb.T @ Xb) @ Xb.T @ np.asarray(y, dtype=float)"
ORDER = "np.random.default_rng(seed).permutation(len(X))"
MAE = "np.mean(np.abs(np.asarray(y_true) - np.asarray(y_pred)))"
MSE = "float(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2))"
SS_TOT = "np.sum((y_true - y_true.mean()) ** 2)"
FITS = frozenset({"linear_regression.weights", "linear_regression.fit_returns_self", "linear_regression.predict",
                  "end_to_end.r2"})

NAMED_BY_FORMULA = "r2_around_prediction_mean"  # its recogniser needs mistakes.py: a bundle names it from the recording

MISTAKES = {
    "bias_column_last": Mutant(
        (("np.hstack([np.ones((len(X), 1)), X])", "np.hstack([X, np.ones((len(X), 1))])"),),
        frozenset({"add_bias.matrix", "add_bias.vector", "linear_regression.weights", "end_to_end.r2"})),
    "normal_equation_transposed": Mutant(
        ((SOLVE, "np.linalg.pinv(Xb.T @ Xb) @ Xb @ np.asarray(y, dtype=float)"),), FITS),
    "split_without_shuffle": Mutant(
        ((ORDER, "np.arange(len(X))"),),
        frozenset({"train_test_split.shuffled", "train_test_split.seeded"})),
    "split_ignores_seed": Mutant(
        ((ORDER, "np.random.default_rng(42).permutation(len(X))"),),
        frozenset({"train_test_split.seeded"})),
    "split_seeds_only_truthy": Mutant(  # as textbooks write it: seed=0 seeds nothing
        (("    order = " + ORDER, "    if seed:\n        np.random.seed(seed)\n    order = np.random.permutation(len(X))"),),
        frozenset({"train_test_split.seeded"})),
    "split_unseeded": Mutant(
        ((ORDER, "np.random.permutation(len(X))"),),
        frozenset({"train_test_split.seeded"})),
    "test_size_floor": Mutant(
        (("math.ceil(len(X) * test_size)", "math.floor(len(X) * test_size)"),),
        frozenset({"train_test_split.sizes"})),
    "y_shuffled_apart": Mutant(
        (("    return X[train], X[test], y[train], y[test]",
          "    y = y[np.random.default_rng(seed + 1).permutation(len(y))]\n"
          "    return X[train], X[test], y[train], y[test]"),),
        frozenset({"train_test_split.partition"})),
    "r2_uncentred": Mutant(((SS_TOT, "np.sum(y_true ** 2)"),), frozenset({"metrics.r2_score"})),
    "r2_around_prediction_mean": Mutant(
        ((SS_TOT, "np.sum((y_true - np.mean(y_pred)) ** 2)"),), frozenset({"metrics.r2_score"})),
    "rmse_without_sqrt": Mutant(
        (("math.sqrt(mse(y_true, y_pred))", "mse(y_true, y_pred)"),), frozenset({"metrics.rmse"})),
    "mse_summed": Mutant(((MSE, MSE.replace("np.mean", "np.sum")),), frozenset({"metrics.mse", "metrics.rmse"})),
    "mae_squared": Mutant(
        ((MAE, "np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2)"),), frozenset({"metrics.mae"})),
    "mae_without_abs": Mutant(
        ((MAE, "np.mean(np.asarray(y_true) - np.asarray(y_pred))"),), frozenset({"metrics.mae"})),
    "dropna_inplace": Mutant(
        (("    return df.dropna(subset=list(columns))",
          "    df.dropna(subset=list(columns), inplace=True)\n    return df"),),
        frozenset({"drop_missing.input_unchanged"})),
    "drop_missing_ignores_columns": Mutant(
        (("df.dropna(subset=list(columns))", "df.dropna(subset=['PM10', 'PM2.5'])"),),
        frozenset({"drop_missing.columns"})),
    "fit_without_return_self": Mutant(
        (("        return self\n", "\n"),),
        frozenset({"linear_regression.fit_returns_self"})),
    "predict_before_fit_wrong_exception": Mutant(
        (('raise RuntimeError("call fit before predict")', 'raise ValueError("call fit before predict")'),),
        frozenset({"linear_regression.predict_before_fit"})),
}

CORRECT = {
    "solve": Mutant(((SOLVE, "np.linalg.solve(Xb.T @ Xb, Xb.T @ np.asarray(y, dtype=float))"),), frozenset()),
    "lstsq": Mutant(((SOLVE, "np.linalg.lstsq(Xb, np.asarray(y, dtype=float), rcond=None)[0]"),), frozenset()),
    "inverse_and_int_free_split": Mutant((
        (SOLVE, "np.linalg.inv(Xb.T.dot(Xb)).dot(Xb.T.dot(np.asarray(y, dtype=float)))"),
        ("math.ceil(len(X) * test_size)", "-(-len(X) * test_size // 1)"),
        ("    test, train = order[:n_test], order[n_test:]",
         "    n_test = int(n_test)\n    test, train = order[:n_test], order[n_test:]")), frozenset()),
    "global_seed_and_permutation": Mutant(
        ((ORDER, "np.random.permutation(len(X))"), ("    X, y = np.asarray(X), np.asarray(y)\n",
                                                    "    X, y = np.asarray(X), np.asarray(y)\n    np.random.seed(seed)\n")),
        frozenset()),
    "global_seed_and_shuffle": Mutant(  # seeded by the argument, seed=0 included
        (("    order = " + ORDER, "    np.random.seed(seed)\n    order = np.arange(len(X))\n    np.random.shuffle(order)"),),
        frozenset()),
}


BROKEN = {  # name -> (module source, the status every check must get, words the message must hold)
    "syntax_error": ("def mae(y_true, y_pred)\n    return 0\n", "error", "SyntaxError"),
    "raises_at_import": ("raise ImportError('no such thing')\n", "error", "ImportError: no such thing"),
    "sys_exit_at_import": ("import sys\nsys.exit(1)\n", "error", "sys.exit"),
    "os_exit_at_import": ("import os\nos._exit(4)\n", "crashed", "exit code 4"),
    "loops_at_import": ("while True:\n    pass\n", "timeout", "did not finish"),
}
