"""Parameters trained offline do not earn the training points: a `train` that ignores its data
and returns parameters trained beforehand on MNIST passes train.relu and train.sigmoid only
when the grading is unsalted (the fixed inputs of a student bundle); the instructor's salted
grading trains and scores on a secret disguise of MNIST (solutions/assignment2/rubric.py,
`Disguise`), which such parameters do not fit."""
from __future__ import annotations

import numpy as np
import pytest

from course_lib.datasets.mnist import load_mnist
from grader import course
from grader.grade import grade_submission
from grader.sandbox import Sandbox, isolation
from tests.support import grade

A2 = course.get("assignment2")
TRAINING = ("train.relu", "train.sigmoid")
pytestmark = pytest.mark.slow  # trains two networks offline

OFFLINE_TRAIN = '''

def train(X, Y, num_hiddens=128, epochs=10, batch_size=128, lr=0.1, activation="relu", seed=0):
    """Ignores X and Y: the parameters trained offline, shipped beside this file."""
    import os
    offline = np.load(os.path.join(os.path.dirname(os.path.abspath(__file__)), f"offline_{activation}.npz"))
    return {k: offline[k] for k in ("W1", "b1", "W2", "b2")}, {"loss": offline["loss"].tolist()}
'''


@pytest.fixture(scope="module")
def offline_submission(tmp_path_factory, data_dir):
    """The reference with `train` replaced by a loader of parameters the reference trained on
    the original MNIST, saved as .npz files inside the submission folder."""
    folder = tmp_path_factory.mktemp("offline") / "submission"
    folder.mkdir()
    data = load_mnist(data_dir)
    X = np.array(data["X_train"])
    Y = np.eye(10, dtype=X.dtype)[data["y_train"]]
    for activation in ("relu", "sigmoid"):
        params, history = A2.reference().train(X, Y, activation=activation)
        np.savez(folder / f"offline_{activation}.npz", loss=np.array(history["loss"]), **params)
    source = (A2.solution_dir / f"{A2.module}.py").read_text()
    (folder / f"{A2.module}.py").write_text(source + OFFLINE_TRAIN)
    return folder


def training_checks(report) -> dict:
    return {c.id: c for c in report.checks if c.id in TRAINING}


def test_unsalted_the_offline_parameters_would_pass_training(offline_submission, data_dir):
    report = grade_submission(A2, offline_submission, data_dir=data_dir, secret=None)
    assert report.environment["input_secret"] is None
    for check in training_checks(report).values():
        assert check.passed, check.message
        assert check.diagnostics["test_accuracy"] > 0.9


def test_salted_the_offline_parameters_earn_nothing_for_training(offline_submission, data_dir):
    report = grade("assignment2", offline_submission, data_dir)  # COURSE_SECRET, set by conftest
    assert report.environment["input_secret"]
    for check in training_checks(report).values():
        assert not check.passed and check.points == 0
        assert "is needed" in check.message and "measured by the grader" in check.message, check.message
        assert check.diagnostics["test_accuracy"] < 0.5


LOOKS_FOR_THE_DATA = f"""
import os
def where_is_mnist():
    return os.path.isdir({str(isolation._datasets())!r})
"""


@pytest.mark.parametrize("datasets", [True, False])
def test_with_secret_inputs_the_original_data_is_not_in_the_sandbox(datasets, tmp_path):
    """A salted grading hands `train` its disguised data itself: the decoded MNIST, from which
    the disguise could be undone, is not mounted (under bubblewrap)."""
    if isolation.choose("auto")[0] != isolation.BUBBLEWRAP:
        pytest.skip("bubblewrap is not available here")
    (tmp_path / "probe.py").write_text(LOOKS_FOR_THE_DATA)
    with Sandbox(tmp_path, "probe", isolation=isolation.BUBBLEWRAP, datasets=datasets) as sandbox:
        seen = sandbox.call("call", target="where_is_mnist", label="where_is_mnist", timeout=20)["value"]
    assert seen is datasets
