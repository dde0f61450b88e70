"""One grading as a worker process runs it: plain arguments in, the report as plain JSON out.

`grade-all`'s process pool (`grader.batch`), its Dask workers (`grader.cluster`) and
`course selftest` hand this to other processes; it finds the assignment in the course those
processes are pointed at ($COURSE_DIR, which `grader.course.use` sets for them).
"""
from __future__ import annotations

import json
from pathlib import Path

from grader import course
from grader.grade import grade_given


def grade_one(assignment_id: str, submission: Path, options: dict) -> dict:
    """Grade in a worker process; the report as plain JSON data. The submission is graded from
    a private copy read safely (`grade.grade_given`: BadSubmission when it cannot be);
    `options["submitted_at"]` is its trusted time, else it is worked out from `submission` itself."""
    options = {k: v for k, v in options.items() if k != "allow_unisolated"}  # checked before grading
    report = grade_given(course.get(assignment_id), submission, **options).to_dict()
    report["submission"] = str(submission)
    return report


def renamed(report: dict, copy: Path, origin) -> dict:
    """`report` with the path of the copy that was graded replaced by the submission's own in
    every message, so that they name what the student gave."""
    text = json.dumps(report).replace(json.dumps(str(copy))[1:-1], json.dumps(str(origin))[1:-1])
    return json.loads(text)
