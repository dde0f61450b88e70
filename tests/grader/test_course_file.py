"""course.toml: points, visibility, deadlines and the late policy."""
import datetime as dt
import os
import re

import pytest

from course_lib.errors import CourseError
from grader import course, course_file
from grader.grade import grade_submission

A1 = course.get("assignment1")

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


def nbgrader_submission(root, student: str, stamp: str | None):
    """nbgrader's submitted/<student>/assignment1/ with the reference and `stamp` as its timestamp.txt."""
    folder = root / "submitted" / student / "assignment1"
    folder.mkdir(parents=True)
    (folder / "linear_regression.py").write_text((A1.solution_dir / "linear_regression.py").read_text())
    if stamp is not None:
        (folder / "timestamp.txt").write_text(stamp)
    return folder


def test_a_late_submission_loses_its_share_and_says_why(settings, tmp_path, data_dir):
    folder = nbgrader_submission(tmp_path, "kim", "2026-12-02 16:00:00.000000 UTC")  # 01:00 on the 3rd in Seoul
    report = grade_submission(A1, folder, data_dir=data_dir, settings=settings)
    assert report.checks_score == 27 and report.max_score == 27
    assert report.score == pytest.approx(27 * 0.8)
    assert "2 day(s) after the deadline" in report.adjustments[0].reason
    assert report.submitted_at.startswith("2026-12-02T16:00:00")


def test_without_a_trusted_time_nothing_is_deducted_and_the_report_says_how_to_give_it(settings, tmp_path,
                                                                                        data_dir):
    folder = tmp_path / "lee"
    folder.mkdir()
    module = folder / "linear_regression.py"
    module.write_text((A1.solution_dir / "linear_regression.py").read_text())
    late = settings.due + dt.timedelta(days=2)
    os.utime(module, (late.timestamp(), late.timestamp()))  # file times are the student's: never used
    report = grade_submission(A1, folder, data_dir=data_dir, settings=settings)
    assert report.adjustments == () and report.score == 27 and report.submitted_at == ""
    note, = [n for n in report.notes if "submission time is not known" in n]
    assert "--submitted-at" in note and "no late penalty was applied" in note


@pytest.mark.parametrize("text, moment", [
    ("2026-12-02 16:00:00.000000 UTC", "2026-12-02T16:00:00+00:00"),  # nbgrader's default
    ("2026-12-03 01:00:00.000000 +0900", "2026-12-03T01:00:00+09:00"),  # its timestamp_format with %z
    ("2026-12-02 16:00:00 GMT", "2026-12-02T16:00:00+00:00"),
    ("2026-12-02T16:00:00", "2026-12-02T16:00:00+00:00"),  # older nbgrader: naive ISO, in UTC
    ("2026-12-03T01:00:00+09:00", "2026-12-03T01:00:00+09:00"),
])
def test_nbgrader_timestamps_are_read_as_nbgrader_writes_them(tmp_path, text, moment):
    folder = nbgrader_submission(tmp_path, "kim", text + "\n")
    assert course_file.in_nbgrader_layout(folder, "assignment1")
    assert course_file.student_of(folder, "assignment1") == "kim"
    assert course_file.time_of(folder, "assignment1").at.isoformat() == moment


@pytest.mark.parametrize("stamp, words", [
    ("yesterday", "holds 'yesterday', not a time as nbgrader writes it"),
    ("2026-12-02 16:00:00.000000 KST", "not a time as nbgrader writes it"),  # a zone name: no offset for sure
    ("x" * 1000, "holds more than 256 bytes"),
    (None, "timestamp.txt is missing"),
])
def test_a_bad_nbgrader_timestamp_is_a_note_never_an_abort(tmp_path, stamp, words):
    time = course_file.time_of(nbgrader_submission(tmp_path, "kim", stamp), "assignment1")
    assert time.at is None and words in time.problem and "--submitted-at" in time.problem


def test_a_times_csv_gives_each_student_a_time_and_names_any_line_it_cannot_use(tmp_path):
    good = tmp_path / "times.csv"
    good.write_text("\ufeffstudent,submitted_at,extra\nkim,2026-12-02T16:00:00Z,x\nlee,2026-12-01T23:00:00+09:00,\n")
    times = course_file.load_times(good)
    assert times.at["kim"].isoformat() == "2026-12-02T16:00:00+00:00" and times.source == "--submitted-at times.csv"
    assert course_file.submission_time("kim", None, times).at == times.at["kim"]
    assert "'ann' is not in --submitted-at times.csv" in course_file.submission_time("ann", None, times).problem
    for text, words in (("name,time\nkim,2026-12-02T16:00:00Z\n", "must name the columns student and submitted_at"),
                        ("student,submitted_at\nkim,2026-12-02 16:00\n", "line 2: '2026-12-02 16:00' is not an ISO"),
                        ("student,submitted_at\nkim,2026-12-02T16:00:00Z\nkim,2026-12-03T16:00:00Z\n",
                         "line 3: student 'kim' has a time already")):
        bad = tmp_path / "bad.csv"
        bad.write_text(text)
        with pytest.raises(CourseError, match=re.escape(words)):
            course_file.load_times(bad)


def test_course_grade_takes_an_iso_time_or_the_csv(settings, tmp_path, data_dir):
    folder = tmp_path / "kim"
    folder.mkdir()
    (folder / "linear_regression.py").write_text((A1.solution_dir / "linear_regression.py").read_text())
    (tmp_path / "times.csv").write_text("student,submitted_at\nkim,2026-12-02T16:00:00Z\n")
    for given in ("2026-12-02T16:00:00+00:00", str(tmp_path / "times.csv")):
        time = course_file.time_of(folder, "assignment1", given)
        assert time.at == dt.datetime(2026, 12, 2, 16, tzinfo=dt.timezone.utc), given
    with pytest.raises(CourseError, match="neither an ISO 8601 time with an offset"):
        course_file.time_of(folder, "assignment1", "last tuesday")


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
