"""Assignment 1 graded end to end: reference, stub, every mistake both ways, broken code."""
import dataclasses
from pathlib import Path

import pytest

from grader import course
from grader.grade import grade_submission
from tests.support import assert_full_marks, assert_mistake, corpus_of, failing, grade, write_mutant

BROKEN, CORRECT, MISTAKES = corpus_of("assignment1", "BROKEN", "CORRECT", "MISTAKES")

A1 = course.get("assignment1")
HERE = Path(__file__).parent


def test_reference_gets_full_marks(data_dir):
    report = grade("assignment1", A1.solution_dir, data_dir)
    assert_full_marks(report)
    assert report.score == report.max_score == A1.rubric.max_score == 25
    r2 = next(c for c in report.checks if c.id == "end_to_end.r2").diagnostics["test_r2"]
    assert 0.76 < r2 < 0.80  # the course's "about 0.78"; a salted split moves it by about 0.004 (1 sd)


def test_stub_scores_zero_with_not_implemented_everywhere(data_dir):
    report = grade("assignment1", A1.stub_dir, data_dir)
    assert report.score == 0
    assert {c.status for c in report.checks} == {"not_implemented"}
    assert all("not implemented yet" in c.message for c in report.checks)


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_fails_exactly_the_checks_it_breaks(name, tmp_path, data_dir):
    mutant = MISTAKES[name]
    report = grade("assignment1", write_mutant("assignment1", mutant, tmp_path / name), data_dir)
    assert_mistake(report, name, mutant.breaks)


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_variant_gets_full_marks(name, tmp_path, data_dir):
    report = grade("assignment1", write_mutant("assignment1", CORRECT[name], tmp_path / name), data_dir)
    assert_full_marks(report)


def test_handwritten_correct_submission_gets_full_marks(data_dir):
    report = grade("assignment1", HERE / "submissions" / "handwritten", data_dir)
    assert_full_marks(report)


SPLIT_STUBS = {  # train_test_split returning parts of the right shapes that are no split of X and y
    "zeros": "np.zeros((n - n_test, X.shape[1])), np.zeros((n_test, X.shape[1])), np.zeros(n - n_test), "
             "np.zeros(n_test)",
    "constant": "np.full((n - n_test, X.shape[1]), 7.0), np.full((n_test, X.shape[1]), 7.0), "
                "np.full(n - n_test, 7.0), np.full(n_test, 7.0)",
    "first_row_repeated": "np.repeat(X[:1], n - n_test, 0), np.repeat(X[:1], n_test, 0), "
                          "np.repeat(y[:1], n - n_test), np.repeat(y[:1], n_test)",
}


@pytest.mark.parametrize("name", sorted(SPLIT_STUBS))
def test_split_stub_of_the_right_shapes_earns_nothing(name, tmp_path, data_dir):
    source = (A1.solution_dir / "linear_regression.py").read_text()
    body = ("    X, y = np.asarray(X), np.asarray(y)\n    n, n_test = len(X), math.ceil(len(X) * test_size)\n"
            f"    return {SPLIT_STUBS[name]}\n")
    start = source.index("    X, y = np.asarray(X), np.asarray(y)\n")
    end = source.index("    return X[train], X[test], y[train], y[test]\n")
    source = source[:start] + body + source[end + len("    return X[train], X[test], y[train], y[test]\n"):]
    (tmp_path / "linear_regression.py").write_text(source)
    report = grade("assignment1", tmp_path, data_dir)
    split_checks = {c.id for c in report.checks if c.id.startswith("train_test_split.")}
    assert failing(report) == split_checks == {"train_test_split.sizes", "train_test_split.partition",
                                               "train_test_split.shuffled", "train_test_split.seeded"}
    assert not any(c.diagnosis for c in report.checks), [(c.id, c.diagnosis) for c in report.checks]
    by_id = {c.id: c for c in report.checks}
    for check in ("train_test_split.sizes", "train_test_split.shuffled", "train_test_split.seeded"):
        assert "permutation of the input rows" in by_id[check].message, by_id[check].message


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_module_gets_a_complete_report(name, tmp_path, data_dir):
    source, status, words = BROKEN[name]
    (tmp_path / "linear_regression.py").write_text(source)
    report = grade("assignment1", tmp_path, data_dir, time_scale=0.1)
    assert len(report.checks) == len(A1.rubric.checks) and report.score == 0
    assert {c.status for c in report.checks} == {status}
    assert all(words in c.message for c in report.checks), report.checks[0].message


def test_endless_loop_in_one_function_costs_only_that_check(tmp_path, data_dir):
    source = (A1.solution_dir / "linear_regression.py").read_text()
    source = source.replace("def mae(y_true, y_pred):\n", "def mae(y_true, y_pred):\n    while True:\n        pass\n")
    (tmp_path / "linear_regression.py").write_text(source)
    report = grade("assignment1", tmp_path, data_dir, time_scale=0.1)
    assert failing(report) == {"metrics.mae"}
    mae = next(c for c in report.checks if c.id == "metrics.mae")
    assert mae.status == "timeout" and "did not finish within the time limit of 1 s" in mae.message


def test_exits_inside_functions_cost_only_their_checks(tmp_path, data_dir):
    source = (A1.solution_dir / "linear_regression.py").read_text()
    source = source.replace("def mae(y_true, y_pred):\n", "def mae(y_true, y_pred):\n    import sys; sys.exit(0)\n")
    source = source.replace("def mse(y_true, y_pred):\n", "def mse(y_true, y_pred):\n    import os; os._exit(0)\n")
    (tmp_path / "linear_regression.py").write_text(source)
    report = grade("assignment1", tmp_path, data_dir)
    # rmse calls mse in the reference, so it goes down with it
    assert failing(report) == {"metrics.mae", "metrics.mse", "metrics.rmse"}
    by_id = {c.id: c for c in report.checks}
    assert by_id["metrics.mae"].status == "error" and "sys.exit(0)" in by_id["metrics.mae"].message
    assert by_id["metrics.mse"].status == "crashed" and "without a result" in by_id["metrics.mse"].message


def test_missing_function_is_named(tmp_path, data_dir):
    source = (A1.solution_dir / "linear_regression.py").read_text().replace("def mae(", "def mean_abs(")
    (tmp_path / "linear_regression.py").write_text(source)
    report = grade("assignment1", tmp_path, data_dir)
    assert failing(report) == {"metrics.mae"}
    assert "has no `mae`" in next(c for c in report.checks if c.id == "metrics.mae").message


def test_missing_folder_and_misnamed_module_get_clear_reports(tmp_path, data_dir):
    report = grade("assignment1", tmp_path / "nobody", data_dir)
    assert report.score == 0 and "does not exist" in report.notes[0]
    assert all(c.status == "error" and "does not exist" in c.message for c in report.checks)
    (tmp_path / "linreg.py").write_text("x = 1\n")
    report = grade("assignment1", tmp_path, data_dir)
    assert "linear_regression.py not found" in report.notes[0] and "linreg.py" in report.notes[0]


def test_missing_dataset_marks_the_report_incomplete(isolated, tmp_path):
    report = grade("assignment1", A1.solution_dir, tmp_path / "nothing-here")
    e2e = next(c for c in report.checks if c.id == "end_to_end.r2")
    assert e2e.status == "grader_error" and "course data fetch air_quality" in e2e.message
    assert not report.complete and failing(report) == {"end_to_end.r2"}


def test_a_sandbox_that_cannot_start_is_the_graders_failure(data_dir):
    broken = dataclasses.replace(A1, preload=("numpy", "no_such_module_anywhere"))
    report = grade_submission(broken, A1.solution_dir, data_dir=data_dir)
    assert not report.complete and report.score == 0
    assert all(c.status == "grader_error" and "could not start its sandbox" in c.message for c in report.checks)
