"""`course nbgrader export`: an nbgrader course whose test cells call this grader.

Writes `nbgrader_config.py` and `source/<id>/<id>.ipynb` (see `grader.notebooks.build`).
The real nbgrader then works unchanged: generate_assignment, autograde, generate_feedback,
export. Our test cells evaluate to their points (nbgrader's partial credit) and never raise,
so no traceback reaches the feedback, and `ClearHiddenTests` strips hidden test sources.
"""
from __future__ import annotations

from pathlib import Path

import nbformat

from grader import assignments, notebooks

CONFIG = '''\
# Written by `course nbgrader export`; edit freely.
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = {course_id!r}
c.CourseDirectory.root = {root!r}
c.Execute.timeout = {timeout}  # seconds per cell; our checks keep their own, shorter limits
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
'''


def main(*, assignment_id: str, course_dir: Path, course_id: str = "course", timeout: int = 600) -> Path:
    """Write (or refresh) the nbgrader course's config and the assignment's source notebook."""
    assignment = assignments.get(assignment_id)
    course_dir = Path(course_dir).resolve()
    source = course_dir / "source" / assignment.id / f"{assignment.id}.ipynb"
    source.parent.mkdir(parents=True, exist_ok=True)
    config = course_dir / "nbgrader_config.py"
    if not config.exists():
        config.write_text(CONFIG.format(course_id=course_id, root=str(course_dir), timeout=timeout))
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
