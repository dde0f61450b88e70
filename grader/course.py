"""A course: the folder the engine is pointed at, and the assignments found in it.

    course-grader.toml     the marker: the course's name and its rules ([rules], `Rules`)
    assignments/<id>/      what students get: assignment.toml (title, module, preload,
                           datasets), the stub <module>.py, README.md, the notebook
    solutions/<id>/        the instructor's side, never given as it is: the reference
                           <module>.py, mistakes.py, rubric.py, probes.py, corpus.py,
                           notebook.py (the notebook source), locales/<lang>.json
    checks/<id>/           in a student bundle, in place of solutions/<id>/: the visible part
                           of rubric.py, probes.py, locales/ and the reference's recorded answers

The course is `course --course-dir DIR`, else $COURSE_DIR, else the current folder or the
nearest folder above it holding course-grader.toml. Term settings (points, due dates) are
course.toml's (`grader.course_file`), a separate file.
"""
from __future__ import annotations

import contextlib
import difflib
import os
import tomllib
from dataclasses import dataclass, fields
from functools import lru_cache
from pathlib import Path

from course_lib.errors import CourseError, UnknownAssignment
from grader.assignments import Assignment

MARKER = "course-grader.toml"
generation = 0  # bumped by `refresh`: what is cached of a course's folders is from this generation
METADATA = "assignment.toml"
COURSE_DIR_ENV = "COURSE_DIR"


@dataclass(frozen=True)
class Rules:
    """What every assignment of the course must meet; the engine's tests check each one."""
    min_mistakes: int = 0  # known mistakes in each catalogue (each with its mutant)
    min_correct_variants: int = 0  # correct variants in each corpus, besides the reference
    hidden_checks: bool = False  # each rubric holds a hidden check
    languages: tuple[str, ...] = ()  # every title, message and mistake has a text in each


@dataclass(frozen=True)
class Course:
    root: Path
    name: str
    rules: Rules

    @property
    def assignments(self) -> dict[str, Assignment]:
        """Every assignment of the course, by id, in order of id."""
        return _assignments(self.root)

    @property
    def is_bundle(self) -> bool:
        """A student bundle (`course release`): checks/ in place of solutions/."""
        return (self.root / "checks").is_dir() and not (self.root / "solutions").is_dir()

    def get(self, assignment_id: str) -> Assignment:
        found = self.assignments
        if assignment_id in found:
            return found[assignment_id]
        close = difflib.get_close_matches(assignment_id, found, n=1)
        hint = f" Did you mean {close[0]}?" if close else ""
        have = ", ".join(found) or "no assignment yet (`course new ID` writes one)"
        raise UnknownAssignment(f"unknown assignment '{assignment_id}'; the course {self.root} has "
                                f"{have}.{hint}")


def find(start: Path | None = None) -> Path:
    """The course folder: $COURSE_DIR, else `start` (the current folder) or the nearest folder above it
    holding the marker."""
    given = os.environ.get(COURSE_DIR_ENV)
    if given:
        root = Path(given).expanduser().resolve()
        if not (root / MARKER).is_file():
            raise CourseError(f"{COURSE_DIR_ENV}={given} is not a course folder: it has no {MARKER}; "
                              f"point it at the folder holding {MARKER} (or `course init` one there).")
        return root
    start = Path(start or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        if (folder / MARKER).is_file():
            return folder
    raise CourseError(f"no course here: neither {start} nor a folder above it holds {MARKER}; run in the "
                      f"course folder, or give it with --course-dir DIR or {COURSE_DIR_ENV}=DIR.")


def current() -> Course:
    """The course the engine is pointed at now."""
    return open_course(find())


def in_bundle() -> bool:
    """Whether the engine is pointed at a student bundle (False where it finds no course)."""
    try:
        return current().is_bundle
    except CourseError:
        return False


def get(assignment_id: str) -> Assignment:
    """The assignment `assignment_id` of the current course (UnknownAssignment when it has none)."""
    return current().get(assignment_id)


def use(root: Path) -> Course:
    """Point the engine, and every process it starts, at the course in `root`."""
    root = Path(root).expanduser().resolve()
    if not (root / MARKER).is_file():
        raise CourseError(f"{root} is not a course folder: it has no {MARKER}; give the folder that holds "
                          f"it, or make one with `course init {root}`.")
    os.environ[COURSE_DIR_ENV] = str(root)
    return open_course(root)


@contextlib.contextmanager
def using(root: Path):
    """Within this block the engine is pointed at the course in `root`; then as it was."""
    before = os.environ.get(COURSE_DIR_ENV)
    try:
        yield use(root)
    finally:
        if before is None:
            os.environ.pop(COURSE_DIR_ENV, None)
        else:
            os.environ[COURSE_DIR_ENV] = before


def refresh() -> None:
    """Forget what was read of every course's folders (after writing an assignment)."""
    global generation
    generation += 1
    open_course.cache_clear()
    _assignments.cache_clear()


@lru_cache(maxsize=None)
def open_course(root: Path) -> Course:
    path = root / MARKER
    data = _toml(path)
    rules = data.get("rules", {})
    known = {f.name for f in fields(Rules)}
    if not isinstance(rules, dict) or set(rules) - known:
        raise CourseError(f"{path}: [rules] may set {', '.join(sorted(known))}; it sets "
                          f"{', '.join(sorted(set(rules) - known)) if isinstance(rules, dict) else rules!r}.")
    if "languages" in rules:
        rules["languages"] = tuple(rules["languages"])
    return Course(root, str(data.get("name", root.name)), Rules(**rules))


@lru_cache(maxsize=None)
def _assignments(root: Path) -> dict[str, Assignment]:
    folder = root / "assignments"
    found = {}
    for path in sorted(folder.iterdir()) if folder.is_dir() else ():
        if path.is_dir() and not path.name.startswith((".", "_")):
            found[path.name] = read_metadata(root, path.name)
    return found


def read_metadata(root: Path, assignment_id: str) -> Assignment:
    """The Assignment that `assignments/<id>/assignment.toml` describes."""
    path = root / "assignments" / assignment_id / METADATA
    if not path.is_file():
        raise CourseError(f"the assignment folder {path.parent} has no {METADATA}; write one there "
                          f"(title, module, preload, datasets: see docs/writing-an-assignment.md), or move "
                          f"the folder out of assignments/.")
    data = _toml(path)
    allowed = {"title": str, "module": str, "preload": list, "datasets": list}
    for key, value in data.items():
        if key not in allowed:
            raise CourseError(f"{path}: unknown key '{key}'; an assignment has {', '.join(allowed)}.")
        if not isinstance(value, allowed[key]):
            raise CourseError(f"{path}: '{key}' must be a {allowed[key].__name__}, not {value!r}.")
    if not str(data.get("module", "")).isidentifier():
        raise CourseError(f"{path}: 'module' must name the file students edit, without .py "
                          f"(e.g. module = \"linear_regression\"); it is {data.get('module')!r}.")
    return Assignment(assignment_id, data.get("title", assignment_id), data["module"],
                      tuple(data.get("preload", ())), tuple(data.get("datasets", ())), root)


def _toml(path: Path) -> dict:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as err:
        raise CourseError(f"{path} is not valid TOML ({err}); fix it.") from None
