"""Time limits that scale with the machine: a stated multiple of the reference's own time for
the same work, measured on this machine just before the student's code runs.

A fixed limit fails correct code on a lab server at a deadline (load 7-10 on two cores made a
correct training take 130-300 s where it takes 15 s idle). So a check whose limit guards heavy
work declares `measured=Measured(sample, share)`: `sample(ctx)` does `share` of the check's
work against the reference, in a sandbox like the student's (same probes, same environment,
same limits), and the check's limit is `multiple` x (sample time / share), between `floor_s`
and `ceiling_s` (so an endless loop still ends within a bounded time). Where there is no
reference (a student bundle) the check's fixed `timeout` holds.

One process reuses a measurement of the same sample for `REUSE_S` seconds, unless the machine's
load has risen since (a batch worker measures once every two minutes, not once per student);
the rule the report records says how long before the student's run it was measured.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from typing import Callable

from grader.sandbox import Sandbox


REUSE_S = 120.0  # how long one process reuses a measurement of the same check's sample
_recent: dict[tuple, tuple[float, float, float]] = {}  # key -> (time.monotonic(), load then, seconds)


def _load() -> float:
    """The machine's load average over the last minute (0 where the system does not say)."""
    try:
        return os.getloadavg()[0]
    except OSError:
        return 0.0


def _still_valid(measured_at: float, load_then: float) -> bool:
    """Whether a measurement is recent, and the machine not busier than it was then."""
    return time.monotonic() - measured_at < REUSE_S and _load() <= 1.25 * load_then + 0.5


@dataclass(frozen=True)
class Measured:
    """`multiple` x the reference's time for a check's work, estimated from `sample`, which
    does `share` of that work (e.g. one epoch of ten: share=0.1)."""
    sample: Callable  # (Context) -> anything; runs the reference through ctx.call / ctx.probe
    share: float = 1.0
    multiple: float = 8.0
    floor_s: float = 60.0
    ceiling_s: float = 1800.0

    def limit(self, reference_s: float) -> float:
        return min(max(self.floor_s, self.multiple * reference_s), self.ceiling_s)


@dataclass(frozen=True)
class Limit:
    """A check's time limit in seconds and, when measured, what it was measured from."""
    seconds: float
    reference_s: float | None = None  # the reference's estimated time for the same work
    why: str = ""  # said in the timeout message and the report

    def diagnostics(self) -> dict:
        """What the report records of a limit that was measured, or meant to be."""
        if not self.why:
            return {}
        shown = {"time_limit_s": round(self.seconds, 3), "time_limit_rule": self.why}
        if self.reference_s is not None:
            shown["reference_time_s"] = round(self.reference_s, 3)
        return shown


class ReferenceClock:
    """Measures the reference on the checks' samples, in one sandbox of the reference opened on
    first use and closed with the clock. Only trusted code (the reference) runs in it."""

    def __init__(self, assignment, data_dir, device: str, time_scale: float = 1.0):
        self.assignment, self.data_dir, self.device, self.time_scale = assignment, data_dir, device, time_scale
        self.sandbox: Sandbox | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.sandbox is not None:
            self.sandbox.close()

    def limit(self, check) -> Limit:
        """`check`'s limit: measured where it declares `measured` and the reference is at hand,
        else its fixed timeout (with the reason when measuring failed)."""
        fixed = Limit(check.timeout_s * self.time_scale)
        rule = check.measured
        if rule is None:
            return fixed
        if not (self.assignment.solution_dir / f"{self.assignment.module}.py").exists():
            return Limit(fixed.seconds, why="the fixed limit (no reference solution here to measure)")
        key = (str(self.assignment.solution_dir), check.id, rule, self.device, str(self.data_dir))
        try:
            reference_s, age_s = self._reused(key) or (self._seconds(key, rule), 0.0)
        except Exception as err:  # noqa: BLE001 - the reference failed (a missing dataset?): the fixed limit holds
            return Limit(fixed.seconds, why=f"the fixed limit (measuring the reference failed: {err})")
        scale = self.time_scale  # the instructor's --time-scale multiplies the whole rule
        seconds = rule.limit(reference_s) * scale
        when = "just before" if age_s < 1 else f"{age_s:.0f} s before"
        why = (f"{rule.multiple * scale:g} times the {reference_s:.3g} s the reference solution takes for the "
               f"same work on this machine, measured {when}; at least {rule.floor_s * scale:g} s, "
               f"at most {rule.ceiling_s * scale:g} s")
        return Limit(seconds, reference_s, why)

    @staticmethod
    def _reused(key: tuple) -> tuple[float, float] | None:
        """(seconds, age in seconds) of this process's last measurement of `key`, while valid."""
        if (found := _recent.get(key)) and _still_valid(found[0], found[1]):
            return found[2], time.monotonic() - found[0]
        return None

    def _seconds(self, key: tuple, rule: Measured) -> float:
        """The reference's time for the whole work: the sample's time / its share (kept for reuse)."""
        from grader.rubric import Context  # the rubric imports this module
        if self.sandbox is None:
            a = self.assignment
            self.sandbox = Sandbox(a.solution_dir, a.module, a.probes_file, a.preload)
            self.sandbox.call("import", label=f"importing the reference {a.module}.py", timeout=60)
        ctx = Context(self.sandbox, rule.ceiling_s * rule.share, self.data_dir, self.device)
        start = time.perf_counter()
        rule.sample(ctx)
        seconds = float(f"{(time.perf_counter() - start) / rule.share:.3g}")  # one figure for limit and report
        _recent[key] = (time.monotonic(), _load(), seconds)
        return seconds
