"""Assignment 2's numeric checks and recognisers run on plain functions (no sandbox, no training):
the textbook stabilisations pass, the catalogue's mistakes fail with their names."""
import numpy as np
import pytest

from grader import course
from grader.rubric import CheckFailed

a2 = course.get("assignment2").checks_module


class Direct:
    """A stand-in for the check context that calls `functions` in this process."""

    def __init__(self, **functions):
        self.functions = functions

    def call(self, target, *args, **kwargs):
        return self.functions[target](*args, **kwargs)


def outcome(check, **functions):
    """None when `check` passes, else the id of the mistake it names ("" for none)."""
    try:
        check(Direct(**functions))
    except CheckFailed as failure:
        return failure.mistake.id if failure.mistake else ""
    return None


CROSS_ENTROPIES = {
    "eps 1e-7": lambda p, Y: -np.sum(Y * np.log(p + 1e-7)) / len(Y),
    "eps 1e-10": lambda p, Y: -np.sum(Y * np.log(p + 1e-10)) / Y.shape[0],
    "eps 1e-12": lambda p, Y: float(-np.sum(Y * np.log(p + 1e-12)) / len(Y)),
    "clip": lambda p, Y: -np.sum(Y * np.log(np.clip(p, 1e-12, 1))) / len(Y),
    "clip to [1e-7, 1 - 1e-7]": lambda p, Y: -np.mean(np.sum(Y * np.log(np.clip(p, 1e-7, 1 - 1e-7)), axis=1)),
    "where": lambda p, Y: np.where(Y == 1, -np.log(np.clip(p, 1e-12, 1)), 0).sum() / len(Y),
    "true class by index": lambda p, Y: -np.mean(np.log(np.maximum(p[np.arange(len(Y)), Y.argmax(1)], 1e-10))),
}
CE_MISTAKES = {  # name -> (the loss, the mistake named by cross_entropy.values, by .zero_probability)
    "cross_entropy_summed": lambda p, Y: -np.sum(Y * np.log(p + 1e-7)),
    "cross_entropy_wrong_sign": lambda p, Y: np.sum(Y * np.log(p + 1e-7)) / len(Y),
    "cross_entropy_summed+cross_entropy_wrong_sign": lambda p, Y: np.sum(Y * np.log(np.maximum(p, 1e-12))),
}


@pytest.mark.parametrize("salt", [None, (1, 2, 3, 4, 5, 6, 7, 8)])
@pytest.mark.parametrize("name", sorted(CROSS_ENTROPIES))
def test_textbook_cross_entropies_pass(name, salt):
    from grader import inputs
    with inputs.drawn_with(salt):
        for check in (a2.cross_entropy_values, a2.cross_entropy_zero):
            assert outcome(check, cross_entropy=CROSS_ENTROPIES[name]) is None, check.__name__


@pytest.mark.parametrize("name", sorted(CE_MISTAKES))
def test_cross_entropy_mistakes_fail_named_alone_and_together(name):
    for check in (a2.cross_entropy_values, a2.cross_entropy_zero):
        assert outcome(check, cross_entropy=CE_MISTAKES[name]) == name, check.__name__


def test_unclipped_log_still_fails_named():
    with np.errstate(all="ignore"):
        assert outcome(a2.cross_entropy_zero, cross_entropy=lambda p, Y: -np.sum(Y * np.log(p)) / len(Y)) \
            == "cross_entropy_log_of_zero"


def test_weight_decay_is_recognised_for_any_lambda_and_not_without_it():
    rng = np.random.default_rng(0)
    W, expected = rng.normal(size=(5, 4)), rng.normal(size=(5, 4))
    for lam in (1e-4, 5e-4, 2e-3):
        [(mistake, wrong)] = a2.weight_decay(expected + lam * W, expected, W)
        assert mistake is a2.L2_IN_BACKWARD and np.allclose(wrong, expected + lam * W)
    assert a2.weight_decay(expected - 1e-3 * W, expected, W) == []
    with pytest.raises(CheckFailed) as failure:
        a2.fail_gradient("wrong", expected + 1e-3 * W, [], 1.0, "W2", "relu", expected, W)
    assert failure.value.mistake is a2.L2_IN_BACKWARD
    with pytest.raises(CheckFailed) as failure:
        a2.fail_gradient("wrong", expected + rng.normal(size=W.shape), [], 1.0, "W2", "relu", expected, W)
    assert failure.value.mistake is None


def test_training_that_diverged_says_so_plainly():
    W1 = np.full((784, 3), np.nan)
    params = {"W1": W1, "b1": np.zeros(3), "W2": np.zeros((3, 10)), "b2": np.zeros(10)}
    with pytest.raises(CheckFailed, match=r"training diverged: the parameters hold NaN \(2352 of 2352 entries"):
        a2.trained("train(X, Y)", (params, {"loss": [1.0]}))
