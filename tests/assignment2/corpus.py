"""Assignment 2 submissions: the selftest corpus, and a mistake no recogniser can name."""
from grader.selftest.assignment2 import CORRECT, MISTAKES, TRAINING  # noqa: F401
from tests.support import Mutant

UNNAMED = {  # mistakes the grader catches without a diagnosis
    "train_learning_rate_too_small": Mutant(
        (("lr=0.1, activation", "lr=0.002, activation"),),
        TRAINING),
}
