"""The fingerprints that say nothing about copying, removed from every submission's before any
two are compared.

- The stub: every k-gram of what every student received, the stub module(s) and the
  notebook(s) in `assignments/<id>/` (their docstrings are dropped as tokens anyway).
- What every correct solution must share: every k-gram of the reference that is also in each
  of the corpus's correct variants (`solutions/<id>/corpus.py`, CORRECT). A k-gram that even
  one correct solution does without is not forced by the task, so it stays, and stays
  evidence. (Not "most of" the variants: they are small edits of the reference, so a k-gram
  kept by most of them is nearly the whole reference; with that rule nothing of assignment 3's
  reference was left, and a copied reference could not be told from an independent one.)
  Without a reference, or without correct variants, nothing is removed this way.
- Code common to the class (`index.common_limit`): decided once the class is read.

All k-grams, not only the winnowed ones, since a k-gram winnowed in a student's stream need
not be winnowed in the stub's.
"""
from __future__ import annotations

from dataclasses import dataclass

from grader import notebook_code
from grader.selftest.mutants import mutant_source
from grader.similarity.fingerprints import every_kgram
from grader.similarity.tokens import Code, stream


@dataclass(frozen=True)
class Excluded:
    stub: frozenset[int]
    solutions: frozenset[int]
    notes: tuple[str, ...] = ()  # why a part could not be worked out

    @property
    def hashes(self) -> frozenset[int]:
        return self.stub | self.solutions


def for_assignment(assignment) -> Excluded:
    """What `assignment`'s stub and solutions exclude (trusted files of the course, read directly)."""
    stub = frozenset().union(*(_kgrams(code) for code in stub_codes(assignment)))
    solutions, note = _solutions(assignment)
    return Excluded(stub, solutions, (note,) if note else ())


def stub_codes(assignment) -> list[Code]:
    """The code every student received: each .py and each notebook's code in assignments/<id>/."""
    folder = assignment.stub_dir
    codes = [Code(path.name, path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.py"))]
    return codes + [Code(path.name, notebook_code.notebook_code(path)) for path in sorted(folder.glob("*.ipynb"))]


def _solutions(assignment) -> tuple[frozenset[int], str]:
    if not assignment.has_reference:
        return frozenset(), f"{assignment.id} has no reference here, so no code every solution shares is excluded"
    reference = (assignment.solution_dir / f"{assignment.module}.py").read_text(encoding="utf-8")
    correct = getattr(assignment.corpus(), "CORRECT", {}) if (assignment.solution_dir / "corpus.py").is_file() else {}
    if not correct:
        return frozenset(), (f"{assignment.id} has no correct variants in solutions/{assignment.id}/corpus.py, so no "
                             f"code every solution shares is excluded")
    shared = set(_kgrams(Code("reference", reference)))
    for mutant in correct.values():
        shared &= _kgrams(Code("variant", mutant_source(assignment.id, mutant)))
    return frozenset(shared), ""


def _kgrams(code: Code) -> set[int]:
    return every_kgram(stream([code]))
