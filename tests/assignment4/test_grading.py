"""Assignment 4 graded end to end in the sandbox: reference, stub, every mistake, the correct
variants, and what the reference's report records for the feedback page's pictures."""
import numpy as np
import pytest

from grader import course
from tests.support import assert_full_marks, assert_mistake, corpus_of, grade, write_mutant

CORRECT, MISTAKES = corpus_of("assignment4", "CORRECT", "MISTAKES")
A4 = course.get("assignment4")
pytestmark = pytest.mark.slow  # every full grading trains a classifier on MNIST


def test_reference_gets_full_marks_and_records_its_pictures(data_dir):
    report = grade("assignment4", A4.solution_dir, data_dir)
    assert_full_marks(report)
    assert report.score == report.max_score == A4.rubric.max_score == 25
    by_id = {c.id: c.diagnostics for c in report.checks}
    trained = by_id["train_sgd.mnist"]
    assert 0.91 < trained["test_accuracy"] < 0.935
    assert len(trained["loss_history"]) == 10 and trained["loss_history"][-1] < trained["loss_history"][0]
    rates = trained["curves"]["learning rate"]
    assert rates[0] == 0.5 and len(rates) == 10 and rates == sorted(rates, reverse=True)
    speed = by_id["l2_distances.speed"]  # 5 x the reference's time for the same call, measured in this run
    assert speed["time_limit_s"] == pytest.approx(max(2.0, 5 * speed["reference_time_s"]), rel=1e-3)
    assert trained["time_limit_s"] == pytest.approx(max(60.0, 10 * trained["reference_time_s"]), rel=1e-3)
    grid = by_id["knn.mnist"]["image_grid"]
    assert np.asarray(grid["images"]).shape == (4, 6, 28, 28) and len(grid["labels"][0]) == 6
    assert 0.85 < by_id["knn.mnist"]["knn_accuracy"]["k=3, l2"] <= 1
    assert set(by_id["lr_at.schedules"]["curves"]) == {"step (yours)", "step (expected)", "cosine (yours)",
                                                       "cosine (expected)"}


def test_stub_scores_zero_with_not_implemented_everywhere(data_dir):
    report = grade("assignment4", A4.stub_dir, data_dir)
    assert report.score == 0 and len(report.checks) == len(A4.rubric.checks)
    assert {c.status for c in report.checks} == {"not_implemented"}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_fails_exactly_the_checks_it_breaks_and_is_named(name, tmp_path, data_dir):
    mutant = MISTAKES[name]
    report = grade("assignment4", write_mutant("assignment4", mutant, tmp_path / name), data_dir)
    assert_mistake(report, name, mutant.breaks)


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_variant_gets_full_marks(name, tmp_path, data_dir):
    report = grade("assignment4", write_mutant("assignment4", CORRECT[name], tmp_path / name), data_dir)
    assert_full_marks(report)


def test_the_fixed_mnist_subsets_have_no_tie_at_the_kth_neighbour_and_some_in_the_vote(data_dir):
    """Unsalted, k-NN is judged on the first 2,000 training and 100 test digits without screening
    them at run time (a bundle has no reference to screen with): no tie at the k-th neighbour,
    and ties in the vote that the tie rules decide differently."""
    X_train, y_train, X_test, _ = A4.checks_module.knn_digits(data_dir)
    clear, tied = A4.checks_module.screened(X_train, y_train, X_test)
    assert X_test.shape == (100, 784) and clear.all() and tied.sum() >= 5
