"""Assignment 2 graded end to end: reference, stub, every mistake both ways, correct variants."""
from pathlib import Path

import pytest

from grader import course
from tests.support import assert_full_marks, assert_mistake, corpus_of, failing, grade, write_mutant

CORRECT, MISTAKES, UNNAMED = corpus_of("assignment2", "CORRECT", "MISTAKES", "UNNAMED")

A2 = course.get("assignment2")
HERE = Path(__file__).parent
pytestmark = pytest.mark.slow  # every full grading trains two networks on MNIST


def test_reference_gets_full_marks_and_reports_training(data_dir):
    report = grade("assignment2", A2.solution_dir, data_dir)
    assert_full_marks(report)
    assert report.score == report.max_score == A2.rubric.max_score == 31
    by_id = {c.id: c for c in report.checks}
    relu, sigmoid = by_id["train.relu"].diagnostics, by_id["train.sigmoid"].diagnostics
    assert 0.965 < relu["test_accuracy"] < 0.975 and 0.925 < sigmoid["test_accuracy"] < 0.935
    for run in (relu, sigmoid):
        assert len(run["loss_history"]) == 10 and run["loss_history"][-1] < run["loss_history"][0]
    assert len(by_id["train.history"].diagnostics["loss_history"]) == 2


def test_stub_scores_zero_with_not_implemented_everywhere(data_dir):
    report = grade("assignment2", A2.stub_dir, data_dir)
    assert report.score == 0 and len(report.checks) == len(A2.rubric.checks)
    assert {c.status for c in report.checks} == {"not_implemented"}
    assert all("not implemented yet" in c.message for c in report.checks)


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_fails_exactly_the_checks_it_breaks_and_is_named(name, tmp_path, data_dir):
    mutant = MISTAKES[name]
    report = grade("assignment2", write_mutant("assignment2", mutant, tmp_path / name), data_dir)
    assert_mistake(report, name, mutant.breaks)


def test_a_mistake_no_recogniser_knows_fails_its_checks_without_a_diagnosis(tmp_path, data_dir):
    mutant = UNNAMED["train_learning_rate_too_small"]
    report = grade("assignment2", write_mutant("assignment2", mutant, tmp_path / "lr"), data_dir)
    assert failing(report) == mutant.breaks
    assert "at least 0.95 is needed" in next(c.message for c in report.checks if c.id == "train.relu")
    assert not any(c.diagnosis for c in report.checks)


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_variant_gets_full_marks(name, tmp_path, data_dir):
    report = grade("assignment2", write_mutant("assignment2", CORRECT[name], tmp_path / name), data_dir)
    assert_full_marks(report)


def test_handwritten_correct_submission_gets_full_marks(data_dir):
    report = grade("assignment2", HERE / "submissions" / "handwritten", data_dir)
    assert_full_marks(report)
