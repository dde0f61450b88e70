"""The JSON of a report: shown points free of float noise, the score their sum."""
import json

from grader import writers
from grader.report import Adjustment, CheckResult, Report

DUE = "2026-12-01T23:59:00+09:00"


def check(id="metrics.mae", points=2.0, max_points=2.0, status="passed", message="correct", visibility="visible"):
    return CheckResult(id=id, title="mae is the mean absolute error", points=points, max_points=max_points,
                       status=status, message=message, visibility=visibility, duration_s=0.1)


def report(*checks, late_fraction=0.0):
    """A report of `checks`, less `late_fraction` of their points for one day late."""
    scored = sum(c.points for c in checks)
    adjustments = (Adjustment(f"submitted 1 day(s) after the deadline {DUE}: -{late_fraction:.0%}",
                              -late_fraction * scored),) if late_fraction else ()
    return Report(assignment="assignment1", submission="submissions/kim", checks=checks,
                  created_at="2026-12-02T00:00:00+00:00", grader_version="0", environment={},
                  adjustments=adjustments)


def test_the_json_shows_adjustments_rounded_and_its_score_is_their_sum_with_the_checks():
    late = report(check(points=5.0, max_points=5.0), check("metrics.mse", 2.0, 2.0), late_fraction=1 / 3)
    document = json.loads(writers.to_json(late))
    assert document["adjustments"][0]["points"] == -2.3333 and document["score"] == 4.6667
    assert document["score"] == round(document["checks_score"] + document["adjustments"][0]["points"], 4)
    assert late.score == 7 + late.adjustments[0].points != 4.6667  # the grade itself is never rounded


def test_no_negative_zero_is_shown():
    document = json.loads(report(check(), late_fraction=1e-7).to_json())
    assert str(document["adjustments"][0]["points"]) == "0.0"
