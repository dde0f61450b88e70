"""Assignment 3 submissions: the selftest corpus."""
from grader.selftest.assignment3 import CORRECT, MISTAKES  # noqa: F401
