"""Submissions made from the reference solution by textual edits."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from grader import course


@dataclass(frozen=True)
class Mutant:
    """The reference with textual `edits` (old -> new, each old found exactly once) applied;
    `breaks` names exactly the checks the mistake must fail."""
    edits: tuple[tuple[str, str], ...]
    breaks: frozenset[str]
    files: dict = field(default_factory=dict)  # extra or replaced files: name -> text


def mutant_source(assignment_id: str, mutant: Mutant) -> str:
    """The reference's module source with the mutant's edits applied."""
    assignment = course.get(assignment_id)
    source = (assignment.solution_dir / f"{assignment.module}.py").read_text()
    for old, new in mutant.edits:
        if source.count(old) != 1:
            raise ValueError(f"edit target {old!r} must occur exactly once in the reference of {assignment_id}")
        source = source.replace(old, new)
    return source


def write_mutant(assignment_id: str, mutant: Mutant, folder: Path) -> Path:
    """Write the mutated module (and any extra files) into `folder`; the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{course.get(assignment_id).module}.py").write_text(mutant_source(assignment_id, mutant))
    for name, text in mutant.files.items():
        (folder / name).write_text(text)
    return folder
