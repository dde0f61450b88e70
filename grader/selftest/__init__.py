"""`course selftest`: the grader measures its own accuracy on each assignment's mutation corpus.

Every known mistake of a rubric's catalogue has a mutant in the assignment's corpus
(`solutions/<id>/corpus.py`: `MISTAKES`, `CORRECT`) named by the mistake's id. A mutant must lose points (it fails checks), be diagnosed (every
diagnosis in its report names its mistake, and at least one does) and fail exactly the
checks it declares; every correct variant, and the reference, must get full marks with no
diagnosis. Instructor-only: the corpus is built from the reference solution.
"""
from __future__ import annotations

import concurrent.futures as futures
import multiprocessing
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from grader import course, task
from grader.selftest.mutants import Mutant, write_mutant

REFERENCE = "reference"


def corpus(assignment_id: str) -> tuple[dict[str, Mutant], dict[str, Mutant]]:
    """(mistakes, correct variants) of an assignment, each by name."""
    module = course.get(assignment_id).corpus()
    return module.MISTAKES, module.CORRECT


@dataclass(frozen=True)
class Outcome:
    """What grading one corpus submission showed."""
    name: str
    mistake: bool  # a mutant (True) or a correct submission (False)
    breaks: frozenset  # the checks it should fail
    failing: frozenset  # the checks it failed
    diagnoses: frozenset  # the mistake ids its report named
    score: float
    max_score: float
    complete: bool

    @property
    def lost_points(self) -> bool:
        return self.score < self.max_score

    @property
    def diagnosed(self) -> bool:
        return self.diagnoses == {self.name}

    @property
    def exact(self) -> bool:
        return self.failing == self.breaks

    @property
    def full_marks(self) -> bool:
        return self.complete and self.score == self.max_score and not self.failing and not self.diagnoses

    def problem(self) -> str:
        """Why this outcome misses a target, or "" when it meets them all."""
        if not self.complete:
            return f"{self.name}: the grader failed on a check (incomplete report)"
        if not self.mistake:
            if self.full_marks:
                return ""
            return (f"{self.name} (correct): {self.score:g}/{self.max_score:g}, failed {sorted(self.failing)}"
                    + (f", diagnosed {sorted(self.diagnoses)}" if self.diagnoses else ""))
        problems = []
        if not self.lost_points:
            problems.append("lost no points")
        if not self.diagnosed:
            problems.append(f"diagnosed {sorted(self.diagnoses) or 'nothing'}")
        extra, missed = sorted(self.failing - self.breaks), sorted(self.breaks - self.failing)
        if extra:
            problems.append(f"failed {extra} beyond its declared checks")
        if missed:
            problems.append(f"passed {missed}, declared to fail")
        return f"{self.name}: " + "; ".join(problems) if problems else ""


def outcome(name: str, mutant: Mutant | None, is_mistake: bool, report: dict) -> Outcome:
    checks = report["checks"]
    return Outcome(
        name=name, mistake=is_mistake, breaks=mutant.breaks if mutant else frozenset(),
        failing=frozenset(c["id"] for c in checks if c["status"] != "passed"),
        diagnoses=frozenset(c["diagnosis"] for c in checks if c.get("diagnosis")),
        score=report["score"], max_score=report["max_score"], complete=report["complete"])


@dataclass(frozen=True)
class Result:
    assignment: str
    outcomes: tuple[Outcome, ...]
    seconds: float

    @property
    def mistakes(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.mistake]

    @property
    def correct(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.mistake]

    def counts(self) -> dict:
        return {"mistakes": len(self.mistakes), "lost_points": sum(o.lost_points for o in self.mistakes),
                "diagnosed": sum(o.diagnosed for o in self.mistakes), "exact": sum(o.exact for o in self.mistakes),
                "correct": len(self.correct), "full_marks": sum(o.full_marks for o in self.correct)}

    @property
    def ok(self) -> bool:
        return not any(o.problem() for o in self.outcomes)


def run(assignment_id: str, *, data_dir=None, workers: int = 1, grade=None) -> Result:
    """Grade the reference, every mutant and every correct variant of `assignment_id`.

    `grade(assignment_id, folder) -> report dict` replaces the grading (tests share theirs);
    otherwise `workers` processes grade in parallel, on the CPU.
    """
    assignment = course.get(assignment_id)
    mistakes, correct = corpus(assignment.id)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="course-selftest-") as tmp:
        cases = [(REFERENCE, None, False, assignment.solution_dir)]
        cases += [(name, m, name in mistakes, write_mutant(assignment.id, m, Path(tmp) / name))
                  for name, m in {**mistakes, **correct}.items()]
        folders = [folder for *_, folder in cases]
        options = {"data_dir": data_dir, "device": "cpu"}
        if grade is not None:
            reports = [grade(assignment.id, folder) for folder in folders]
        elif workers <= 1:
            reports = [task.grade_one(assignment.id, folder, options) for folder in folders]
        else:
            context = multiprocessing.get_context("spawn")
            with futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
                reports = list(pool.map(task.grade_one, [assignment.id] * len(folders), folders,
                                        [options] * len(folders)))
    outcomes = tuple(outcome(name, mutant, is_mistake, report)
                     for (name, mutant, is_mistake, _), report in zip(cases, reports))
    return Result(assignment.id, outcomes, time.perf_counter() - start)


def describe(results: list[Result]) -> tuple[list[str], list[str]]:
    """(a table row per assignment, a line per target missed)."""
    header = ("assignment   mistakes  lost points  diagnosed right  exact checks  "
              "correct  full marks, no diagnosis   time")
    rows = [header]
    for r in results:
        c = r.counts()
        rows.append(f"{r.assignment:<12} {c['mistakes']:>8}  {c['lost_points']:>11}  {c['diagnosed']:>15}  "
                    f"{c['exact']:>12}  {c['correct']:>7}  {c['full_marks']:>24}  {r.seconds:>5.1f} s")
    misses = [f"{r.assignment}: {o.problem()}" for r in results for o in r.outcomes if o.problem()]
    return rows, misses
