import dataclasses
import json
from pathlib import Path

import jsonschema
import pytest

from grader.report import CheckResult, Report

SCHEMA = json.loads((Path(__file__).parents[2] / "grader" / "schemas" / "report.schema.json").read_text())


def result(status="passed", points=2.0, max_points=2.0, **kw):
    return CheckResult(id="a.b", title="t", points=points, max_points=max_points, status=status,
                       message="m", visibility="visible", duration_s=0.1, **kw)


def report(*checks):
    return Report(assignment="assignment1", submission="s", checks=checks, created_at="2026-01-01T00:00:00+00:00",
                  grader_version="0", environment={"python": "3"})


def test_records_are_immutable():
    r = result(diagnostics={"x": 1})
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.points = 0
    with pytest.raises(TypeError):
        r.diagnostics["x"] = 2


def test_totals_are_derived_from_the_checks():
    rep = report(result(), result("failed", 0.0, 3.0))
    assert (rep.score, rep.max_score, rep.complete) == (2.0, 5.0, True)
    assert not report(result("grader_error", 0.0)).complete


def test_impossible_records_are_refused():
    with pytest.raises(ValueError):
        result(status="great")
    with pytest.raises(ValueError):
        result(points=3.0)


def test_json_matches_the_published_schema():
    document = json.loads(report(result(), result("timeout", 0.0)).to_json())
    jsonschema.validate(document, SCHEMA)
    document["checks"][0]["status"] = "excellent"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, SCHEMA)
