"""Helpers for tests that grade submissions: mutants of the reference and short-hand grading."""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

from grader import assignments
from grader.batch import content_sha256
from grader.grade import grade_submission


@dataclass(frozen=True)
class Mutant:
    """The reference with textual `edits` (old -> new, each old found exactly once) applied;
    `breaks` names exactly the checks the mistake must fail."""
    edits: tuple[tuple[str, str], ...]
    breaks: frozenset[str]
    files: dict = field(default_factory=dict)  # extra or replaced files: name -> text


def write_mutant(assignment_id: str, mutant: Mutant, folder: Path) -> Path:
    assignment = assignments.get(assignment_id)
    source = (assignment.solution_dir / f"{assignment.module}.py").read_text()
    for old, new in mutant.edits:
        assert source.count(old) == 1, f"edit target {old!r} must occur exactly once in the reference"
        source = source.replace(old, new)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{assignment.module}.py").write_text(source)
    for name, text in mutant.files.items():
        (folder / name).write_text(text)
    return folder


_reports: dict = {}


def grade(assignment_id: str, folder: Path, data_dir=None, time_scale: float = 1.0):
    """The report of `folder`, graded once per test session for the same files and options:
    the grading, formats and translation tests share the (immutable) reports of the corpora."""
    key = (assignment_id, content_sha256(Path(folder)) if Path(folder).exists() else str(folder),
           str(data_dir), time_scale, tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("COURSE_"))))
    if key not in _reports:
        _reports[key] = grade_submission(assignments.get(assignment_id), folder, data_dir=data_dir,
                                         time_scale=time_scale)
    return dataclasses.replace(_reports[key], submission=str(folder))


def failing(report) -> set[str]:
    return {c.id for c in report.checks if not c.passed}


def assert_full_marks(report) -> None:
    assert failing(report) == set(), [c.message for c in report.checks if not c.passed]
