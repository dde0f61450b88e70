"""Gradescope's `results.json` (schema: grader/schemas/gradescope.schema.json).

Hidden checks get the visibility `after_published`: Gradescope shows them, message included,
once the instructor publishes the grades. Every output is plain text (`output_format` "text",
never Markdown or HTML) with control characters shown visibly (`escape.visible`), and the
file is strict JSON.
"""
from __future__ import annotations

import json

from grader.formats.escape import visible
from grader.formats.view import remarks, total
from grader.report import Report

VISIBILITY = {"visible": "visible", "hidden": "after_published"}


def results(report: Report, lang: str = "en") -> dict:
    """The results of `report` (already localized to `lang`)."""
    tests = [{"name": visible(c.title), "number": str(i), "score": c.points, "max_score": c.max_points,
              "status": "passed" if c.passed else "failed", "output": visible(c.message),
              "output_format": "text", "tags": [c.id, c.status], "visibility": VISIBILITY[c.visibility]}
             for i, c in enumerate(report.checks, 1)]
    return {"score": report.score, "execution_time": round(sum(c.duration_s for c in report.checks), 3),
            "output": visible("\n".join([f"{report.assignment}: {total(report)}", *remarks(report, lang)])),
            "output_format": "text",
            "visibility": "visible", "stdout_visibility": "hidden", "tests": tests,
            "extra_data": {"assignment": report.assignment, "max_score": report.max_score,
                           "complete": report.complete, "grader_version": report.grader_version,
                           "created_at": report.created_at, "submission_sha256": report.submission_sha256}}


def to_json(report: Report, lang: str = "en") -> str:
    return json.dumps(results(report, lang), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
