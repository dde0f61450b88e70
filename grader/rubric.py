"""Checks are data plus a small function; a `Rubric` is an assignment's ordered list of them.

A check function takes a `Context`, runs student code only through it, and either returns
(optionally a message) to pass or raises `CheckFailed` with a message for the student.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable


class CheckFailed(Exception):
    """The student's result is wrong; the message says what was expected and what was found."""


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    points: float
    hidden: bool
    timeout_s: float
    run: Callable[["Context"], str | None]

    @property
    def visibility(self) -> str:
        return "hidden" if self.hidden else "visible"


class Rubric:
    """An ordered list of checks; `@rubric.check(...)` adds one."""

    def __init__(self):
        self.checks: list[Check] = []

    def check(self, id: str, title: str, points: float, *, hidden: bool = False, timeout: float = 10.0):
        def add(run):
            if any(c.id == id for c in self.checks):
                raise ValueError(f"duplicate check id {id}")
            self.checks.append(Check(id, title, points, hidden, timeout, run))
            return run
        return add

    @property
    def max_score(self) -> float:
        return sum(c.points for c in self.checks)


class Context:
    """What a check may use: calls into the sandbox (sharing the check's time limit) and data."""

    def __init__(self, sandbox, timeout_s: float, data_dir: Path | None, device: str = "cpu"):
        self.sandbox = sandbox
        self.deadline = time.monotonic() + timeout_s
        self.timeout_s = timeout_s
        self.data_dir = data_dir
        self.device = device  # where student tensors live: "cpu" or "cuda" (resolved by grade)
        self.diagnostics: dict = {}

    def _left(self) -> float:
        return max(0.05, self.deadline - time.monotonic())

    def call(self, target: str, *args, **kwargs):
        """The value `target(*args, **kwargs)` returned in the sandbox, as plain data."""
        return self.sandbox.call("call", *args, target=target, label=f"`{target}`",
                                 timeout=self._left(), limit=self.timeout_s, **kwargs)["value"]

    def call_keeping_args(self, target: str, *args, **kwargs):
        """(value, args as they were after the call), to see whether the call modified them."""
        result = self.sandbox.call("call", *args, target=target, label=f"`{target}`",
                                   timeout=self._left(), limit=self.timeout_s,
                                   return_args=True, **kwargs)
        return result["value"], result["args_after"]

    def probe(self, name: str, *args, label: str, **kwargs):
        """The value the assignment's probe `name` returned in the sandbox."""
        return self.sandbox.call(name, *args, label=label, timeout=self._left(), limit=self.timeout_s, **kwargs)["value"]

    def record(self, key: str, value) -> None:
        """Keep plain data (numbers, lists, strings) in the report for this check."""
        self.diagnostics[key] = value
