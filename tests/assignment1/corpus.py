"""Assignment 1 submissions: realistic mistakes (each breaking exactly the named checks),
correct variants, and broken or hostile ones."""
from tests.support import Mutant

SOLVE = "np.linalg.pinv(Xb.T @ Xb) @ Xb.T @ np.asarray(y, dtype=float)"

MISTAKES = {
    "bias_column_last": Mutant(
        (("np.hstack([np.ones((len(X), 1)), X])", "np.hstack([X, np.ones((len(X), 1))])"),),
        frozenset({"add_bias.matrix", "add_bias.vector", "linear_regression.weights", "end_to_end.r2"})),
    "split_without_shuffle": Mutant(
        (("np.random.default_rng(seed).permutation(len(X))", "np.arange(len(X))"),),
        frozenset({"train_test_split.shuffled", "train_test_split.seeded"})),
    "test_size_floor": Mutant(
        (("math.ceil(len(X) * test_size)", "math.floor(len(X) * test_size)"),),
        frozenset({"train_test_split.sizes"})),
    "y_shuffled_apart_from_X": Mutant(
        (("    return X[train], X[test], y[train], y[test]",
          "    y = y[np.random.default_rng(seed + 1).permutation(len(y))]\n"
          "    return X[train], X[test], y[train], y[test]"),),
        frozenset({"train_test_split.partition"})),
    "r2_wrong_denominator": Mutant(
        (("np.sum((y_true - y_true.mean()) ** 2)", "np.sum(y_true ** 2)"),),
        frozenset({"metrics.r2_score"})),
    "rmse_without_sqrt": Mutant(
        (("math.sqrt(mse(y_true, y_pred))", "mse(y_true, y_pred)"),),
        frozenset({"metrics.rmse"})),
    "mse_summed": Mutant(
        (("float(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2))",
          "float(np.sum((np.asarray(y_true) - np.asarray(y_pred)) ** 2))"),),
        frozenset({"metrics.mse", "metrics.rmse"})),
    "mae_squared": Mutant(
        (("np.mean(np.abs(np.asarray(y_true) - np.asarray(y_pred)))",
          "np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2)"),),
        frozenset({"metrics.mae"})),
    "drop_missing_mutates_input": Mutant(
        (("    return df.dropna(subset=list(columns))",
          "    df.dropna(subset=list(columns), inplace=True)\n    return df"),),
        frozenset({"drop_missing.input_unchanged"})),
    "drop_missing_ignores_columns": Mutant(
        (("df.dropna(subset=list(columns))", "df.dropna(subset=['PM10', 'PM2.5'])"),),
        frozenset({"drop_missing.columns"})),
    "fit_forgets_return_self": Mutant(
        (("        return self\n", "\n"),),
        frozenset({"linear_regression.fit_returns_self"})),
    "predict_before_fit_value_error": Mutant(
        (('raise RuntimeError("call fit before predict")', 'raise ValueError("call fit before predict")'),),
        frozenset({"linear_regression.predict_before_fit"})),
}

CORRECT = {
    "solve": Mutant(((SOLVE, "np.linalg.solve(Xb.T @ Xb, Xb.T @ np.asarray(y, dtype=float))"),), frozenset()),
    "lstsq": Mutant(((SOLVE, "np.linalg.lstsq(Xb, np.asarray(y, dtype=float), rcond=None)[0]"),), frozenset()),
}

BROKEN = {  # name -> (module source, the status every check must get, words the message must hold)
    "syntax_error": ("def mae(y_true, y_pred)\n    return 0\n", "error", "SyntaxError"),
    "raises_at_import": ("raise ImportError('no such thing')\n", "error", "ImportError: no such thing"),
    "sys_exit_at_import": ("import sys\nsys.exit(1)\n", "error", "sys.exit"),
    "os_exit_at_import": ("import os\nos._exit(4)\n", "crashed", "exit code 4"),
    "loops_at_import": ("while True:\n    pass\n", "timeout", "did not finish"),
}
