"""nbgrader's autograde step, with the student's code run only in our sandbox.

nbgrader's own `Execute` step runs the student's cells and the test cells in one kernel, on
the instructor's machine, unsandboxed: a solution cell that replaces `grader.jupyter.check`
(or writes `gradebook.db`) would decide its own score. `course nbgrader export` therefore
configures `Autograde.autograde_preprocessors` with `SandboxedChecks` in place of `Execute`:
no cell of the submission is executed by nbgrader at all. `SandboxedChecks` grades the
submitted notebook with `grade_submission` (the student's code in the sandbox, the scores
computed here from plain data) and writes into each test cell the outputs nbgrader reads:
the verdict as text and the check's points as the cell's value (nbgrader's partial credit).
nbgrader's `SaveAutoGrades` then stores exactly our points, so its gradebook, feedback and
`nbgrader export` carry the sandboxed grader's scores.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Float, Unicode

from grader import course
from grader.notebook_code import CHECK_MARK
from grader.sandbox import isolation


def grade_id(check_id: str) -> str:
    """The nbgrader grade_id of a check's test cell (see notebooks.build)."""
    return check_id.replace(".", "_")


class SandboxedChecks(NbGraderPreprocessor):
    """Replaces nbgrader's Execute: every test cell's output is our grader's verdict."""

    data_dir = Unicode("", help="Folder holding the datasets (default: $COURSE_DATA_DIR).").tag(config=True)
    time_scale = Float(1.0, help="Multiply every check's time limit.").tag(config=True)
    course_folder = Unicode("", help="The course-grader course folder (default: $COURSE_DIR, else the "
                                     "nearest folder holding course-grader.toml).").tag(config=True)
    allow_unisolated = Bool(False, help="Grade even without bubblewrap (docs/threat-model.md).").tag(config=True)

    def preprocess(self, nb, resources):
        graded = course.use(Path(self.course_folder)) if self.course_folder else course.current()
        assignment = graded.get(resources["nbgrader"]["assignment"])
        isolation.require_isolation(self.allow_unisolated)
        report = self._grade(assignment, nb)
        verdicts = {grade_id(c.id): c for c in report.checks}
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "code" and meta.get("grade") and not meta.get("solution"):
                cell.outputs = self._outputs(verdicts.get(meta.get("grade_id")), report)
                cell.execution_count = None
        resources.setdefault("course_grader", {})["report"] = report.to_dict()
        return nb, resources

    def _grade(self, assignment, nb):
        from grader.grade import grade_submission
        with tempfile.TemporaryDirectory(prefix="course-nbgrader-") as tmp:
            path = Path(tmp) / f"{assignment.id}.ipynb"
            nbformat.write(nb, str(path))
            data_dir = self.data_dir or os.environ.get("COURSE_DATA_DIR") or None
            return grade_submission(assignment, path, data_dir=data_dir, time_scale=self.time_scale)

    @staticmethod
    def _outputs(result, report) -> list:
        """The outputs nbgrader scores: text (never on stderr) and the points as the value."""
        if result is None:  # a test cell that is none of our checks: no points from us
            text, points = f"{CHECK_MARK}: this cell is not a check of {report.assignment}; it scores 0.", 0.0
        elif result.visibility == "hidden":
            text, points = f"{result.title}: {result.status}", result.points
        else:
            text = f"{result.title}: {result.status} ({result.points:g}/{result.max_points:g})\n{result.message}"
            points = result.points
        return [nbformat.v4.new_output("stream", name="stdout", text=text + "\n"),
                nbformat.v4.new_output("execute_result", data={"text/plain": repr(float(points))},
                                       execution_count=None)]


# nbgrader's default autograde steps (nbgrader 0.9), with ours in place of Execute.
AUTOGRADE_PREPROCESSORS = [
    "grader.nbgrader_sandbox.SandboxedChecks",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
