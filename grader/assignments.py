"""The course's assignments: where each one's stub, reference, probes and rubric live."""
from __future__ import annotations

import difflib
import importlib
import importlib.util
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from course_lib.errors import UnknownAssignment

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    module: str  # the file students edit, without .py
    preload: tuple[str, ...]  # imported once by the sandbox worker before forking

    @property
    def stub_dir(self) -> Path:
        return ROOT / "assignments" / self.id

    @property
    def solution_dir(self) -> Path:
        return ROOT / "solutions" / self.id

    @property
    def probes_file(self) -> Path | None:
        path = Path(__file__).parent / "probes" / f"{self.id}.py"
        return path if path.exists() else None

    @property
    def rubric(self):
        return importlib.import_module(f"grader.checks.{self.id}").rubric

    def reference(self):
        """The reference module, imported in this (trusted) process to compute expectations."""
        return _load(f"_reference_{self.id}", self.solution_dir / f"{self.module}.py")


@lru_cache(maxsize=None)
def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ASSIGNMENTS = {a.id: a for a in (
    Assignment("assignment1", "Linear regression with the normal equation (PM10 -> PM2.5)",
               "linear_regression", ("numpy", "pandas")),
)}


def get(assignment_id: str) -> Assignment:
    try:
        return ASSIGNMENTS[assignment_id]
    except KeyError:
        close = difflib.get_close_matches(assignment_id, ASSIGNMENTS, n=1)
        hint = f" Did you mean {close[0]}?" if close else ""
        raise UnknownAssignment(f"unknown assignment '{assignment_id}'; the course has "
                                f"{', '.join(ASSIGNMENTS)}.{hint}") from None
