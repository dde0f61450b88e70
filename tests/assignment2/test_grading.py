"""Assignment 2 graded end to end: reference, stub, every mistake both ways, correct variants."""
from pathlib import Path

import pytest

from grader import assignments
from tests.assignment2.corpus import CORRECT, HINTS, MISTAKES
from tests.support import assert_full_marks, failing, grade, write_mutant

A2 = assignments.get("assignment2")
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
def test_mistake_fails_exactly_the_checks_it_breaks(name, tmp_path, data_dir):
    mutant = MISTAKES[name]
    report = grade("assignment2", write_mutant("assignment2", mutant, tmp_path / name), data_dir)
    assert failing(report) == mutant.breaks, [c.message for c in report.checks if not c.passed]
    assert report.score == report.max_score - sum(c.max_points for c in report.checks if c.id in mutant.breaks)
    # a wrong value fails; a train that crashes on a wrong gradient shape is an error
    assert all(c.status in ("failed", "error") and c.message for c in report.checks if c.id in mutant.breaks)
    if name in HINTS:  # the message names the mistake, not only that something is off
        check_id, words = HINTS[name]
        assert words in next(c for c in report.checks if c.id == check_id).message


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_variant_gets_full_marks(name, tmp_path, data_dir):
    report = grade("assignment2", write_mutant("assignment2", CORRECT[name], tmp_path / name), data_dir)
    assert_full_marks(report)


def test_handwritten_correct_submission_gets_full_marks(data_dir):
    report = grade("assignment2", HERE / "submissions" / "handwritten", data_dir)
    assert_full_marks(report)
