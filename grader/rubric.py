"""Checks are data plus a small function; a `Rubric` is an assignment's ordered list of them.

A check function takes a `Context`, runs student code only through it, and either returns
(optionally a message) to pass or raises `CheckFailed` with a message for the student.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grader.sandbox import TimedOut
from grader.timing import Measured


@dataclass(frozen=True)
class Mistake:
    """A known mistake of an assignment: what the student's numbers show, and the fix."""
    id: str
    what: str  # e.g. "the scores are divided by d_k instead of sqrt(d_k)"
    fix: str  # e.g. "divide q @ k^T by math.sqrt(d_k)"

    @property
    def text(self) -> str:
        """The sentence a report adds to the failing check's message."""
        return f"Likely mistake: {self.what}. Fix: {self.fix}."


class CheckFailed(Exception):
    """The student's result is wrong; the message says what was expected and what was found,
    and `mistake`, when a recogniser matched, which known mistake gives exactly that result."""

    def __init__(self, message: str, mistake: Mistake | None = None):
        super().__init__(message)
        self.mistake = mistake


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    points: float
    hidden: bool
    timeout_s: float  # the fixed limit; where `measured`, only where there is no reference to measure
    run: Callable[["Context"], str | None]
    measured: Measured | None = None  # a limit that scales with the machine (grader.timing)

    @property
    def visibility(self) -> str:
        return "hidden" if self.hidden else "visible"


class Rubric:
    """An ordered list of checks (`@rubric.check(...)` adds one) and the catalogue of known
    mistakes their recognisers name (`rubric.mistake(...)` adds one)."""

    def __init__(self):
        self.checks: list[Check] = []
        self.mistakes: dict[str, Mistake] = {}
        self.assignment = None  # bound by the engine when it loads the rubric (grader.assignments)

    def reference(self):
        """The assignment's reference solution, as checks use it (`Assignment.reference`)."""
        return self._bound().reference()

    def mistaken(self):
        """The assignment's known mistakes written out (`Assignment.mistaken`)."""
        return self._bound().mistaken()

    def _bound(self):
        if self.assignment is None:
            raise RuntimeError("this rubric was not loaded by the engine; load it with "
                               "grader.course.get(ID).rubric")
        return self.assignment

    def mistake(self, id: str, what: str, fix: str) -> Mistake:
        if id in self.mistakes:
            raise ValueError(f"duplicate mistake id {id}")
        self.mistakes[id] = Mistake(id, what, fix)
        return self.mistakes[id]

    def known(self, mistake: Mistake) -> Mistake:
        """Add a mistake made elsewhere (e.g. `grader.compare.both`, two mistakes together)."""
        if mistake.id in self.mistakes:
            raise ValueError(f"duplicate mistake id {mistake.id}")
        self.mistakes[mistake.id] = mistake
        return mistake

    def check(self, id: str, title: str, points: float, *, hidden: bool = False, timeout: float = 10.0,
              measured: Measured | None = None):
        def add(run):
            if any(c.id == id for c in self.checks):
                raise ValueError(f"duplicate check id {id}")
            self.checks.append(Check(id, title, points, hidden, timeout, run, measured))
            return run
        return add

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.checks)


class Context:
    """What a check may use: calls into the sandbox (sharing the check's time limit) and data."""

    def __init__(self, sandbox, timeout_s: float, data_dir: Path | None, device: str = "cpu",
                 limit_why: str = ""):
        self.sandbox = sandbox
        self.deadline = time.monotonic() + timeout_s
        self.timeout_s = timeout_s
        self.limit_why = limit_why  # how the limit was set, for the timeout message (grader.timing)
        self.data_dir = data_dir
        self.device = device  # where student tensors live: "cpu" or "cuda" (resolved by grade)
        self.diagnostics: dict = {}

    def _left(self) -> float:
        return max(0.05, self.deadline - time.monotonic())

    def call(self, target: str, *args, **kwargs):
        """The value `target(*args, **kwargs)` returned in the sandbox, as plain data."""
        return self._run("call", f"`{target}`", args, kwargs, target=target)["value"]

    def call_keeping_args(self, target: str, *args, **kwargs):
        """(value, args as they were after the call), to see whether the call modified them."""
        result = self._run("call", f"`{target}`", args, kwargs, target=target, return_args=True)
        return result["value"], result["args_after"]

    def probe(self, name: str, *args, label: str, **kwargs):
        """The value the assignment's probe `name` returned in the sandbox."""
        return self._run(name, label, args, kwargs)["value"]

    def _run(self, probe: str, label: str, args, kwargs, **how) -> dict:
        try:
            return self.sandbox.call(probe, *args, label=label, timeout=self._left(), limit=self.timeout_s,
                                     **how, **kwargs)
        except TimedOut:
            if not self.limit_why:
                raise
            raise TimedOut(f"{label} did not finish within the time limit of {self.timeout_s:.4g} s: "
                           f"{self.limit_why}. Make it faster, or look for a loop that never ends.") from None

    def record(self, key: str, value) -> None:
        """Keep plain data (numbers, lists, strings) in the report for this check."""
        self.diagnostics[key] = value
