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
