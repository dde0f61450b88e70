"""One assignment of a course: its folders, and what the engine loads from them by path.

`assignments/<id>/` holds what students get, `solutions/<id>/` the instructor's side (the
reference, mistakes, rubric, probes, corpus, notebook source, translations); a student bundle
has `checks/<id>/` instead, with only what `course check` needs there (see `grader.course`).
"""
from __future__ import annotations

import hashlib
import importlib.util
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from course_lib.errors import CourseError
from grader import inputs, oracle

RECORDED = "recorded"  # the stem of the reference's recorded answers in a bundle's checks/<id>/


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    module: str  # the file students edit, without .py
    preload: tuple[str, ...]  # imported once by the sandbox worker before forking
    datasets: tuple[str, ...] = ()  # the course datasets its rubric reads
    course_root: Path = Path(".")  # the course folder it belongs to

    @property
    def stub_dir(self) -> Path:
        return self.course_root / "assignments" / self.id

    @property
    def solution_dir(self) -> Path:
        return self.course_root / "solutions" / self.id

    @property
    def grading_dir(self) -> Path:
        """Where its rubric, probes and translations are: solutions/<id>/ in the instructor's
        course, checks/<id>/ in a student bundle."""
        if (self.solution_dir / "rubric.py").is_file():
            return self.solution_dir
        return self.course_root / "checks" / self.id

    @property
    def rubric_file(self) -> Path:
        return self.grading_dir / "rubric.py"

    @property
    def probes_file(self) -> Path | None:
        path = self.grading_dir / "probes.py"
        return path if path.is_file() else None

    @property
    def locales_dir(self) -> Path:
        return self.grading_dir / "locales"

    @property
    def notebook_source(self) -> Path:
        return self.solution_dir / "notebook.py"

    @property
    def has_reference(self) -> bool:
        return (self.solution_dir / f"{self.module}.py").is_file()

    @property
    def checks_module(self):
        """The rubric's module (`rubric.py`, loaded by path), its `rubric` bound to this assignment."""
        if not self.rubric_file.is_file():
            raise CourseError(f"{self.id} has no rubric: neither {self.solution_dir / 'rubric.py'} nor "
                              f"{self.rubric_file} exists; write its checks there (`course new` writes a start).")
        module = load(self.rubric_file, f"rubric_{self.id}")
        if not hasattr(module, "rubric"):
            raise CourseError(f"{self.rubric_file} defines no `rubric`; add `rubric = Rubric()` and its checks.")
        module.rubric.assignment = self
        return module

    @property
    def rubric(self):
        return self.checks_module.rubric

    def corpus(self):
        """The mutation corpus (solutions/<id>/corpus.py): MISTAKES, CORRECT and what else it names."""
        path = self.solution_dir / "corpus.py"
        if not path.is_file():
            raise CourseError(f"{self.id} has no mutation corpus {path}; write one (a Mutant per known mistake "
                              f"in MISTAKES, correct variants in CORRECT) to self-test its rubric.")
        return load(path, f"corpus_{self.id}")

    def course_secret(self) -> bytes | None:
        """The secret that salts this assignment's inputs (`grader.inputs`): the course's where
        its reference is at hand, none in a student bundle (whose recording answers fixed inputs)."""
        return inputs.course_secret(self.course_root) if self.has_reference else None

    def reference(self):
        """The reference as the checks use it, in this (trusted) process: the module itself,
        a Recorder of it while a release records, or, in a student bundle that has no
        solutions, a Replay of what was recorded."""
        return self._trusted(self.module, "ref")

    def mistaken(self):
        """The known mistakes written out (solutions/<id>/mistakes.py), for the recognisers;
        hidden from students like the reference, recorded and replayed the same way."""
        return self._trusted("mistakes", "mistakes")

    def _trusted(self, module: str, path: str):
        module_file = self.solution_dir / f"{module}.py"
        if module_file.exists():
            loaded = load(module_file, f"{path}_{self.id}")
            return loaded if oracle.recording is None else oracle.Recorder(loaded, oracle.recording, path)
        if (self.grading_dir / f"{RECORDED}.json").exists():
            return oracle.Replay(_replay_store(self.grading_dir), path)
        raise CourseError(f"no reference for {self.id}: neither {module_file} nor recorded answers in "
                          f"{self.grading_dir}; run in the instructor's course, or release the assignment again.")


@lru_cache(maxsize=None)
def _replay_store(folder: Path) -> dict:
    return oracle.load(folder, RECORDED)


@lru_cache(maxsize=None)
def load(path: Path, name: str):
    """The Python file at `path` as a module, once per path (registered in sys.modules under a
    name unique to the path, so that dataclasses and pickling inside it work)."""
    unique = f"_course_{name}_{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:10]}"
    spec = importlib.util.spec_from_file_location(unique, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[unique] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[unique]
        raise
    return module
