"""The course's assignments: where each one's stub, reference, probes and rubric live."""
from __future__ import annotations

import difflib
import importlib
import importlib.util
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from course_lib.errors import CourseError, UnknownAssignment
from grader import inputs, oracle

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Assignment:
    id: str
    title: str
    module: str  # the file students edit, without .py
    preload: tuple[str, ...]  # imported once by the sandbox worker before forking
    datasets: tuple[str, ...] = ()  # the course datasets its rubric reads

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

    @property
    def fixtures_dir(self) -> Path:
        return Path(__file__).parent / "fixtures"

    def course_secret(self) -> bytes | None:
        """The secret that salts this assignment's inputs (`grader.inputs`): the course's where
        its reference is at hand, none in a student bundle (whose recording answers fixed inputs)."""
        if not (self.solution_dir / f"{self.module}.py").exists():
            return None
        return inputs.course_secret(ROOT)

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
            loaded = _load(f"_{path}_{self.id}", module_file)
            return loaded if oracle.recording is None else oracle.Recorder(loaded, oracle.recording, path)
        if (self.fixtures_dir / f"{self.id}.json").exists():
            return oracle.Replay(_replay_store(self.fixtures_dir, self.id), path)
        raise CourseError(f"no reference for {self.id}: neither {module_file} nor recorded "
                          f"fixtures in {self.fixtures_dir}; reinstall the course package.")


@lru_cache(maxsize=None)
def _replay_store(folder: Path, stem: str) -> dict:
    return oracle.load(folder, stem)


@lru_cache(maxsize=None)
def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ASSIGNMENTS = {a.id: a for a in (
    Assignment("assignment1", "Linear regression with the normal equation (PM10 -> PM2.5)",
               "linear_regression", ("numpy", "pandas"), ("air_quality",)),
    Assignment("assignment2", "A two-layer network with hand-written backpropagation (NumPy, MNIST)",
               "two_layer_net", ("numpy",), ("mnist",)),
    Assignment("assignment3", "Multi-head self-attention in PyTorch", "attention", ("numpy", "torch")),
)}


ASSIGNMENTS_ALL = ASSIGNMENTS  # the course's, even in a bundle that keeps one
_BUNDLE = Path(__file__).parent / "bundle.json"
IN_BUNDLE = _BUNDLE.exists()  # a student bundle (`course release`), not the instructor's copy
if IN_BUNDLE:  # a student bundle holds one assignment
    ASSIGNMENTS = {k: ASSIGNMENTS[k] for k in json.loads(_BUNDLE.read_text())["assignments"]}


def get(assignment_id: str) -> Assignment:
    try:
        return ASSIGNMENTS[assignment_id]
    except KeyError:
        close = difflib.get_close_matches(assignment_id, ASSIGNMENTS, n=1)
        hint = f" Did you mean {close[0]}?" if close else ""
        raise UnknownAssignment(f"unknown assignment '{assignment_id}'; the course has "
                                f"{', '.join(ASSIGNMENTS)}.{hint}") from None
