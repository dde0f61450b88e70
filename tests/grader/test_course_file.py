"""course.toml: points, visibility, deadlines and the late policy."""
import datetime as dt
import os
import re

import pytest

from course_lib.errors import CourseError
from grader import assignments, course_file
from grader.grade import grade_submission

A1 = assignments.get("assignment1")

COURSE = """
[assignments.assignment1]
due = 2026-12-01T23:59:00+09:00
late_penalty_per_day = 0.1
late_days_max = 3
[assignments.assignment1.points]
"end_to_end.r2" = 5
[assignments.assignment1.visibility]
"train_test_split.seeded" = "visible"
"""


@pytest.fixture
def settings(tmp_path):
    (tmp_path / "course.toml").write_text(COURSE)
    return course_file.load(tmp_path / "course.toml")["assignment1"]


def test_points_and_visibility_override_the_rubric(settings):
    checks = {c.id: c for c in settings.checks(A1.rubric.checks)}
    assert checks["end_to_end.r2"].points == 5 and not checks["train_test_split.seeded"].hidden
    assert sum(c.points for c in checks.values()) == A1.rubric.max_score + 2


@pytest.mark.parametrize("late, days, fraction", [
    (dt.timedelta(minutes=-1), 0, 0.0), (dt.timedelta(minutes=1), 1, 0.1),
    (dt.timedelta(days=2, hours=1), 3, 0.3), (dt.timedelta(days=3, hours=1), 4, 1.0)])
def test_the_late_penalty_counts_started_days(settings, late, days, fraction):
    assert settings.late_penalty(settings.due + late) == (days, pytest.approx(fraction))


def test_a_late_submission_loses_its_share_and_says_why(settings, tmp_path, data_dir):
    folder = tmp_path / "kim"
    folder.mkdir()
    (folder / "linear_regression.py").write_text((A1.solution_dir / "linear_regression.py").read_text())
    (folder / "timestamp.txt").write_text("2026-12-02 16:00:00.000000 UTC")  # 01:00 on the 3rd in Seoul
    report = grade_submission(A1, folder, data_dir=data_dir, settings=settings)
    assert report.checks_score == 27 and report.max_score == 27
    assert report.score == pytest.approx(27 * 0.8)
    assert "2 day(s) after the deadline" in report.adjustments[0].reason
    assert report.submitted_at.startswith("2026-12-02T16:00:00")


def test_the_file_time_is_used_without_a_timestamp(settings, tmp_path, data_dir):
    folder = tmp_path / "lee"
    folder.mkdir()
    module = folder / "linear_regression.py"
    module.write_text((A1.solution_dir / "linear_regression.py").read_text())
    early = settings.due - dt.timedelta(hours=1)
    os.utime(module, (early.timestamp(), early.timestamp()))
    report = grade_submission(A1, folder, data_dir=data_dir, settings=settings)
    assert report.adjustments == () and report.score == 27


@pytest.mark.parametrize("text, words", [
    ("[assignments.assignment1.points]\n\"no.such\" = 1\n", "unknown check(s) ['no.such']"),
    ("[assignments.assignment1]\ndue = 2026-12-01T23:59:00\n", "with an offset"),
    ("[assignments.assignment1.visibility]\n\"add_bias.matrix\" = \"secret\"\n", "'visible' or 'hidden'"),
    ("this is = not toml =\n", "not valid TOML")])
def test_mistakes_in_the_course_file_are_named(tmp_path, text, words):
    (tmp_path / "course.toml").write_text(text)
    with pytest.raises(CourseError, match=re.escape(words)):
        settings = course_file.load(tmp_path / "course.toml")["assignment1"]
        settings.checks(A1.rubric.checks)
