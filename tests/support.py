"""Helpers for tests that grade submissions: mutants of the reference and short-hand grading."""
from __future__ import annotations

import copyreg
import dataclasses
import hashlib
import os
import pickle
from pathlib import Path
from types import MappingProxyType

from filelock import FileLock

from grader import course
from grader.batch import content_sha256
from grader.grade import grade_submission
from grader.selftest.mutants import Mutant, write_mutant  # noqa: F401 - for the tests


_reports: dict = {}
SHARED: Path | None = None  # a folder every test process of this run shares (conftest sets it)


def _frozen(mapping: dict) -> MappingProxyType:
    return MappingProxyType(mapping)


copyreg.pickle(MappingProxyType, lambda proxy: (_frozen, (dict(proxy),)))  # a report's frozen mappings
IDS = sorted(course.current().assignments)  # the engine's tests run over whatever assignments the course has
RULES = course.current().rules  # and check what the course requires of each (course-grader.toml [rules])


def grade(assignment_id: str, folder: Path, data_dir=None, time_scale: float = 1.0):
    """The report of `folder`, graded once per test run for the same files and options: the
    grading, formats and translation tests share the (immutable) reports of the corpora, also
    across pytest-xdist's workers (one grades, under a lock; the others read its report)."""
    key = (assignment_id, content_sha256(Path(folder)) if Path(folder).exists() else str(folder),
           str(data_dir), time_scale, tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("COURSE_"))))
    if key not in _reports:
        _reports[key] = _shared(key, lambda: grade_submission(course.get(assignment_id), folder,
                                                              data_dir=data_dir, time_scale=time_scale))
    return dataclasses.replace(_reports[key], submission=str(folder))


def _shared(key: tuple, make):
    """`make()`, or what another test process of this run made for `key`: a pickle of our own
    report (trusted test data, never a student's), written and read under a lock."""
    if SHARED is None:
        return make()
    path = SHARED / f"{hashlib.sha256(repr(key).encode()).hexdigest()[:32]}.pickle"
    with FileLock(f"{path}.lock"):
        if path.exists():
            return pickle.loads(path.read_bytes())
        value = make()
        path.write_bytes(pickle.dumps(value))
        return value


def failing(report) -> set[str]:
    return {c.id for c in report.checks if not c.passed}


def assert_full_marks(report) -> None:
    assert failing(report) == set(), [c.message for c in report.checks if not c.passed]


def assert_mistake(report, name: str, breaks: frozenset) -> None:
    """`report` of the corpus mutant `name` fails exactly `breaks`, loses exactly their points,
    and every diagnosis in it names `name`, with the catalogue's text ending the message."""
    assert failing(report) == breaks, [c.message for c in report.checks if not c.passed]
    assert report.score == report.max_score - sum(c.max_points for c in report.checks if c.id in breaks)
    assert all(c.status in ("failed", "error") and c.message for c in report.checks if c.id in breaks)
    diagnosed = [c for c in report.checks if c.diagnosis]
    assert {c.diagnosis for c in diagnosed} == {name}, [(c.id, c.diagnosis, c.message) for c in report.checks]
    mistake = course.get(report.assignment).rubric.mistakes[name]
    assert all(c.message.endswith(mistake.text) for c in diagnosed)


def corpus_of(assignment_id: str, *names: str):
    """The named parts (MISTAKES, CORRECT, BROKEN, ...) of an assignment's corpus (solutions/<id>/corpus.py)."""
    module = course.get(assignment_id).corpus()
    return tuple(getattr(module, name) for name in names)
