"""The late penalty goes only by times the student does not control: the --submitted-at CSV,
else nbgrader's timestamp.txt in nbgrader's layout. A timestamp.txt or old file times inside a
folder or a zip (even one laid out like nbgrader's) neither spare nor cost anything: without
a trusted time the submission is graded in full, with a note saying how to give the time."""
from __future__ import annotations

import datetime as dt
import json
import os
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import batch, course
from grader.cli import cli

A1 = course.get("assignment1")
FULL = A1.rubric.max_score
DUE = dt.datetime(2026, 12, 1, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=9)))
COURSE = "[assignments.assignment1]\ndue = 2026-12-01T23:59:00+09:00\nlate_penalty_per_day = 0.1\n"
EARLY, LATE = DUE - dt.timedelta(days=3), DUE + dt.timedelta(days=1, hours=1)  # LATE: 2 started days
NBGRADER_LATE = "2026-12-02 16:00:00.000000 UTC"  # 01:00 on the 3rd in Seoul: 2 started days


def stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")


def module_in(folder: Path, mtime: dt.datetime | None = EARLY) -> Path:
    folder.mkdir(parents=True)
    module = folder / "linear_regression.py"
    module.write_text((A1.solution_dir / "linear_regression.py").read_text())
    if mtime is not None:
        os.utime(module, (mtime.timestamp(), mtime.timestamp()))
    return folder


@pytest.fixture(scope="module")
def graded(tmp_path_factory, data_dir):
    """A class of tricks, graded once with a times CSV from the LMS: student -> report."""
    root = tmp_path_factory.mktemp("times")
    folder = root / "class"
    # claims to be early by its own timestamp.txt and file times; the LMS says late
    (module_in(folder / "own_stamp") / "timestamp.txt").write_text(stamp(EARLY))
    # the same inside a zip, whose members keep their old times
    work = module_in(root / "work")
    (work / "timestamp.txt").write_text(stamp(EARLY))
    with zipfile.ZipFile(folder / "zipped.zip", "w") as z:
        for path in work.iterdir():
            z.write(path, f"work/{path.name}")
    # a zip laid out like nbgrader's folder, with a late timestamp.txt, and not in the CSV
    with zipfile.ZipFile(folder / "nb_lookalike.zip", "w") as z:
        z.write(work / "linear_regression.py", "assignment1/linear_regression.py")
        z.writestr("assignment1/timestamp.txt", NBGRADER_LATE)
    # says late by its own timestamp.txt, not in the CSV: its own files cost it nothing either
    (module_in(folder / "own_late", mtime=LATE) / "timestamp.txt").write_text(stamp(LATE))
    # nbgrader's layout: nbgrader's timestamp.txt counts, old file times do not
    (module_in(folder / "kim" / "assignment1") / "timestamp.txt").write_text(NBGRADER_LATE)
    # nbgrader's layout, but the CSV says on time: the CSV comes first
    (module_in(folder / "lee" / "assignment1") / "timestamp.txt").write_text(NBGRADER_LATE)
    (root / "times.csv").write_text("student,submitted_at\n"
                                    f"own_stamp,{LATE.isoformat()}\nzipped,{LATE.isoformat()}\n"
                                    f"lee,{EARLY.isoformat()}\n")
    (root / "course.toml").write_text(COURSE)
    summary = batch.main(assignment_id="assignment1", submissions=folder, gradebook=root / "gb.sqlite",
                         workers=2, data_dir=data_dir, time_scale=0.1, progress=False,
                         course_file_path=root / "course.toml", submitted_at=root / "times.csv")
    assert summary.finished and not summary.failed and not summary.refused
    return {s: r for s, r, _ in summary.graded}


def penalty(report) -> float:
    return sum(a["points"] for a in report["adjustments"])


@pytest.mark.parametrize("student", ["own_stamp", "zipped", "kim"])
def test_a_trusted_late_time_costs_the_penalty_whatever_the_files_say(graded, student):
    report = graded[student]
    assert report["checks_score"] == FULL and penalty(report) == pytest.approx(-0.2 * FULL)
    assert "2 day(s) after the deadline" in report["adjustments"][0]["reason"]
    assert report["submitted_at"] != "" and not any("not known" in n for n in report["notes"])


@pytest.mark.parametrize("student", ["own_late", "nb_lookalike"])
def test_without_a_trusted_time_the_files_own_time_costs_nothing_and_a_note_says_so(graded, student):
    report = graded[student]
    assert report["score"] == FULL and report["adjustments"] == [] and report["submitted_at"] == ""
    note, = [n for n in report["notes"] if "submission time is not known" in n]
    assert f"'{student}' is not in --submitted-at times.csv" in note and "--submitted-at" in note


def test_the_csv_comes_before_nbgrader(graded):
    assert graded["lee"]["score"] == FULL and graded["lee"]["adjustments"] == []
    assert graded["lee"]["submitted_at"] == EARLY.isoformat(timespec="seconds")


def test_course_grade_takes_the_time_on_its_command_line(tmp_path, data_dir):
    folder = module_in(tmp_path / "kim")
    (folder / "timestamp.txt").write_text(stamp(EARLY))
    (tmp_path / "course.toml").write_text(COURSE)
    common = ["grade", "assignment1", "--submission", str(folder), "--course-file", str(tmp_path / "course.toml"),
              "--data-dir", str(data_dir), "--time-scale", "0.1", "--format", "json"]
    late = CliRunner().invoke(cli, [*common, "--submitted-at", LATE.isoformat()])
    assert late.exit_code == 0, late.output
    report = json.loads(late.stdout)
    assert penalty(report) == pytest.approx(-0.2 * FULL) and report["submitted_at"] == LATE.isoformat()
    wrong = CliRunner().invoke(cli, [*common, "--submitted-at", "yesterday"])
    assert wrong.exit_code == 1 and "neither an ISO 8601 time with an offset" in wrong.output
