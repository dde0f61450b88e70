"""`course nbgrader export`: an nbgrader course graded by this grader.

Writes `nbgrader_config.py` and `source/<id>/<id>.ipynb` (see `grader.notebooks.build`).
The real nbgrader then works as usual: generate_assignment, autograde, generate_feedback,
export. In a student's kernel the test cells call `grader.jupyter.check` for feedback; at
autograde nbgrader runs no cell at all: the config puts `SandboxedChecks` in place of its
Execute step (grader/nbgrader_sandbox.py), so every score comes from the sandboxed grader,
never from code in the student's kernel. Test cells show their points as their value
(nbgrader's partial credit), never a traceback, and `ClearHiddenTests` strips hidden sources.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from grader import course, notebooks
from grader.nbgrader_sandbox import AUTOGRADE_PREPROCESSORS

CONFIG = '''\
# Written by `course nbgrader export`; edit freely.
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = {root!r}
c.Execute.timeout = {timeout}  # seconds per cell, where a kernel runs (not in autograde, below)
# Autograde never runs the submission in a kernel: our sandboxed grader takes the place of
# nbgrader's Execute step and writes each test cell's points (grader/nbgrader_sandbox.py).
c.Autograde.autograde_preprocessors = {autograde}
c.SandboxedChecks.course_folder = {course_folder!r}  # the course-grader course (assignments/, solutions/)
# c.SandboxedChecks.data_dir = "/path/to/data"   # else $COURSE_DATA_DIR
# c.SandboxedChecks.time_scale = 2.0             # slow machines
# c.SandboxedChecks.allow_unisolated = True      # grade without bubblewrap (docs/threat-model.md)
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
'''


def main(*, assignment_id: str, course_dir: Path, course_id: str = "course", timeout: int = 600) -> Path:
    """Write (or refresh) the nbgrader course's config and the assignment's source notebook."""
    assignment = course.get(assignment_id)
    course_dir = Path(course_dir).resolve()
    source = course_dir / "source" / assignment.id / f"{assignment.id}.ipynb"
    source.parent.mkdir(parents=True, exist_ok=True)
    config = course_dir / "nbgrader_config.py"
    if not config.exists():
        config.write_text(CONFIG.format(course_id=course_id, root=str(course_dir), timeout=timeout,
                                        autograde=AUTOGRADE_PREPROCESSORS, course_folder=str(assignment.course_root)))
    elif AUTOGRADE_PREPROCESSORS[0] not in config.read_text():  # a course exported before: make it safe
        with open(config, "a") as f:
            f.write(f"\n# Added by `course nbgrader export`: autograde runs no submitted cell; our sandboxed\n"
                    f"# grader scores every test cell (grader/nbgrader_sandbox.py).\n"
                    f"c.Autograde.autograde_preprocessors = {AUTOGRADE_PREPROCESSORS}\n")
    if "SandboxedChecks.course_folder" not in config.read_text():
        with open(config, "a") as f:
            f.write(f"c.SandboxedChecks.course_folder = {str(assignment.course_root)!r}\n")
    nbformat.write(notebooks.build(assignment, for_nbgrader=True), str(source))
    return source


def _solved(source: str) -> str:
    return "\n".join(line for line in source.splitlines()
                     if "### BEGIN SOLUTION" not in line and "### END SOLUTION" not in line)


def fill_release(course_dir: Path, assignment_id: str, student: str, edits=None) -> Path:
    """Submit as `student` the released notebook, its solution cells left as released
    (`edits` None) or filled with the reference with textual `edits` (old, new) applied.
    Returns nbgrader's submitted/<student>/<id>/ folder. For trying a course end to end."""
    name = f"{assignment_id}.ipynb"
    release = nbformat.read(str(Path(course_dir) / "release" / assignment_id / name), as_version=4)
    source = nbformat.read(str(Path(course_dir) / "source" / assignment_id / name), as_version=4)
    answers = {c.metadata["nbgrader"]["grade_id"]: _solved(c.source) for c in source.cells
               if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in release.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if edits is not None and grade_id in answers:
            cell.source = answers[grade_id]
            for old, new in edits:
                cell.source = cell.source.replace(old, new)
    folder = Path(course_dir) / "submitted" / student / assignment_id
    folder.mkdir(parents=True, exist_ok=True)
    nbformat.write(release, str(folder / name))
    return folder
