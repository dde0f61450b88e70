"""The terminal table and the JSON of a report: nothing cut, every adjustment with its reason,
the table's own words in the report's language, shown points free of float noise."""
import io
import json
import re

from rich.console import Console

from grader import writers
from grader.i18n import localized
from grader.report import Adjustment, CheckResult, Report

LONG = ("linear_regression.py not found in /home/student/submissions/2026-fall/kim_minji/assignment1/"
        "unzipped/final. See https://course.example.org/deep-learning/2026/assignments/assignment1/"
        "README.md#how-to-submit-your-work and check that w = (Xb^T Xb)^-1 Xb^T y.")
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


def shown(report, lang="en", width=80) -> str:
    console = Console(file=io.StringIO(), width=width)
    writers.table(localized(report, lang), console, lang)
    return console.file.getvalue()


def test_a_long_message_wraps_at_80_columns_and_keeps_every_character():
    table = shown(report(check("end_to_end.r2", 0.0, 5.0, "failed", LONG), check()))
    assert max(len(line) for line in table.splitlines()) <= 80
    assert "…" not in table
    assert re.sub(r"\s", "", LONG) in re.sub(r"\s", "", table)  # folded over lines, every character kept


def test_each_adjustment_is_its_own_row_with_its_reason_and_points():
    late = report(check(points=20.0, max_points=20.0), check("metrics.mse", 3.0, 5.0), late_fraction=0.1)
    assert late.adjustments[0].points != -2.3  # 10% of 23 is -2.3000000000000003 in floating point
    rows = [line.split() for line in shown(late, width=200).splitlines()]
    assert ["adjustment", "-2.3", "submitted", "1", "day(s)", "after", "the", "deadline", f"{DUE}:", "-10%"] in rows
    assert ["total:", "20.7", "/", "25"] in rows  # 20 + 3 - 2.3: the sum of what the table shows


def test_the_table_speaks_korean_headers_statuses_adjustments_and_total():
    late = report(check(points=20.0, max_points=20.0), check("metrics.mse", 0.0, 5.0, "failed", "m",
                                                             visibility="hidden"), late_fraction=0.1)
    table = shown(late, "ko", width=200)
    for korean in ("검사 항목", "점수", "상태", "피드백", "통과", "실패", "metrics.mse (비공개)", "점수 조정",
                   f"마감({DUE})보다 1일 늦게 제출: -10%", "총점: 18 / 25"):
        assert korean in table, korean
    assert not re.search(r"\b(check|points|status|message|passed|failed|hidden|adjustment|total)\b", table)


def test_the_json_shows_adjustments_rounded_and_its_score_is_their_sum_with_the_checks():
    late = report(check(points=5.0, max_points=5.0), check("metrics.mse", 2.0, 2.0), late_fraction=1 / 3)
    document = json.loads(writers.to_json(late))
    assert document["adjustments"][0]["points"] == -2.3333 and document["score"] == 4.6667
    assert document["score"] == round(document["checks_score"] + document["adjustments"][0]["points"], 4)
    assert late.score == 7 + late.adjustments[0].points != 4.6667  # the grade itself is never rounded


def test_no_negative_zero_is_shown():
    document = json.loads(report(check(), late_fraction=1e-7).to_json())
    assert str(document["adjustments"][0]["points"]) == "0.0"
