"""`course.toml`: what an instructor sets once per course.

    [assignments.hw1]
    due = 2026-12-01T23:59:00+09:00     # a TOML date-time with its offset
    late_penalty_per_day = 0.1          # fraction of the score lost per started day late
    late_days_max = 3                   # later than this: the score is 0
    [assignments.hw1.points]    # a check's points, overriding the rubric
    "linear_regression.weights" = 5
    [assignments.hw1.visibility]  # "visible" before the deadline, or "hidden"
    "train_test_split.shuffled" = "hidden"

The late penalty goes by a submission time the student does not control (`submission_time`):
the time a `--submitted-at` CSV from the LMS gives the student (columns `student` and
`submitted_at`, ISO 8601 with an offset), else nbgrader's own `timestamp.txt` where the
submission sits in nbgrader's layout `<submitted>/<student>/<assignment id>/` (written by
`nbgrader submit` and kept by `nbgrader collect`). A timestamp.txt or file times inside a plain
folder, a zip, a notebook or a .py are the student's own and never used: without a trusted
time nothing is deducted and the report says the time was not known, and how to give it.
"""
from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from course_lib.errors import CourseError


@dataclass(frozen=True)
class AssignmentSettings:
    due: dt.datetime | None = None
    late_penalty_per_day: float = 0.0
    late_days_max: int | None = None
    points: dict = field(default_factory=dict)
    visibility: dict = field(default_factory=dict)

    def checks(self, rubric_checks) -> list:
        """The rubric's checks with this course's points and visibility."""
        known = {c.id for c in rubric_checks}
        unknown = (set(self.points) | set(self.visibility)) - known
        if unknown:
            raise CourseError(f"course.toml names unknown check(s) {sorted(unknown)}; "
                              f"`course list` and the rubric give the ids.")
        return [dataclasses.replace(c, points=self.points.get(c.id, c.points),
                                    hidden=self.visibility.get(c.id, c.visibility) == "hidden")
                for c in rubric_checks]

    def late_penalty(self, submitted_at: dt.datetime | None) -> tuple[int, float]:
        """(started days late, fraction of the score lost)."""
        if self.due is None or submitted_at is None or submitted_at <= self.due:
            return 0, 0.0
        days = math.ceil((submitted_at - self.due).total_seconds() / 86400)
        if self.late_days_max is not None and days > self.late_days_max:
            return days, 1.0
        return days, min(1.0, days * self.late_penalty_per_day)


def load(path: Path | None) -> dict[str, AssignmentSettings]:
    if path is None:
        return {}
    try:
        data = tomllib.loads(Path(path).read_text())
    except FileNotFoundError:
        raise CourseError(f"course file {path} not found; create it or leave --course-file out.") from None
    except tomllib.TOMLDecodeError as err:
        raise CourseError(f"course file {path} is not valid TOML: {err}") from None
    settings = {}
    for assignment_id, table in data.get("assignments", {}).items():
        due = table.get("due")
        if due is not None and (not isinstance(due, dt.datetime) or due.tzinfo is None):
            raise CourseError(f"course file {path}: assignments.{assignment_id}.due must be a date-time "
                              f"with an offset, e.g. 2026-12-01T23:59:00+09:00")
        bad = {k: v for k, v in table.get("visibility", {}).items() if v not in ("visible", "hidden")}
        if bad:
            raise CourseError(f"course file {path}: visibility must be 'visible' or 'hidden', found {bad}")
        settings[assignment_id] = AssignmentSettings(
            due=due, late_penalty_per_day=float(table.get("late_penalty_per_day", 0.0)),
            late_days_max=table.get("late_days_max"), points=dict(table.get("points", {})),
            visibility=dict(table.get("visibility", {})))
    return settings


# -- when it was submitted ---------------------------------------------------------------
NBGRADER_STAMP = "timestamp.txt"
NBGRADER_EXAMPLE = "2026-12-02 16:00:00.000000 UTC"
HOW_TO_GIVE = ("give the time with --submitted-at (a CSV with columns student and submitted_at, ISO 8601 "
               "with an offset, e.g. from your LMS), or grade nbgrader's submitted/<student>/<id>/ folders")
TIMES_FILE_LIMIT = 16 << 20


@dataclass(frozen=True)
class SubmissionTime:
    """When a submission was made, from a source the student does not control; or, with `at`
    None, why that is not known (for the report's notes)."""
    at: dt.datetime | None
    source: str = ""  # e.g. "nbgrader's timestamp.txt", "--submitted-at times.csv"
    problem: str = ""


@dataclass(frozen=True)
class Times:
    """The submission times of a `--submitted-at` CSV: student id -> time."""
    source: str
    at: dict


def parse_time(text: str) -> dt.datetime | None:
    """An ISO 8601 time with its offset (2026-12-01T23:59:00+09:00, or ...Z), else None."""
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def load_times(path: Path) -> Times:
    """The CSV given to --submitted-at; CourseError naming the line and the fix for anything
    it cannot use (a wrong time must not cost or spare anyone silently)."""
    from grader.submission_files import BadSubmission, read_bytes
    path = Path(path)
    try:
        text = read_bytes(path, TIMES_FILE_LIMIT).decode("utf-8-sig")
    except (BadSubmission, UnicodeDecodeError) as err:
        raise CourseError(f"--submitted-at {path}: cannot read it as a UTF-8 CSV file ({err}).") from None
    rows = csv.DictReader(io.StringIO(text))
    if not {"student", "submitted_at"} <= set(rows.fieldnames or ()):
        raise CourseError(f"--submitted-at {path}: the first line must name the columns student and "
                          f"submitted_at (found {rows.fieldnames}); e.g. student,submitted_at")
    times = {}
    for row in rows:
        student, moment = (row["student"] or "").strip(), parse_time(row["submitted_at"] or "")
        where = f"--submitted-at {path}, line {rows.line_num}"
        if moment is None:
            raise CourseError(f"{where}: {row['submitted_at']!r} is not an ISO 8601 time with an offset; "
                              f"write e.g. 2026-12-01T23:59:00+09:00 or 2026-12-01T14:59:00Z")
        if student in times:
            raise CourseError(f"{where}: student {student!r} has a time already; keep one line per student")
        times[student] = moment
    return Times(f"--submitted-at {path.name}", times)


def in_nbgrader_layout(path: Path, assignment_id: str) -> bool:
    """Whether `path` is nbgrader's <submitted>/<student>/<assignment id>/ folder (a real one, not a link)."""
    path = Path(path)
    return path.name == assignment_id and path.parent.name not in ("", ".") and path.is_dir() \
        and not path.is_symlink()


def student_of(path: Path, assignment_id: str) -> str:
    """The student id of a submission, as grade-all names it: the folder or file name, the
    student's folder in nbgrader's layout."""
    path = Path(path)
    if in_nbgrader_layout(path, assignment_id):
        return path.parent.name
    return path.stem if path.suffix in (".zip", ".ipynb", ".py") else path.name


def submission_time(student: str, nbgrader_folder: Path | None = None, times: Times | None = None) -> SubmissionTime:
    """The time of `student`'s submission from the trusted sources, in order: `times` (the
    --submitted-at CSV), then nbgrader's timestamp.txt in `nbgrader_folder` (given only for a
    submission in nbgrader's layout); else unknown, with the reason."""
    if times is not None and student in times.at:
        return SubmissionTime(times.at[student], times.source)
    if nbgrader_folder is not None:
        return _nbgrader_time(Path(nbgrader_folder) / NBGRADER_STAMP)
    missing = f" and {student!r} is not in {times.source}" if times is not None else ""
    return SubmissionTime(None, problem=(
        f"The submission time is not known (it is not in nbgrader's layout{missing}), so no late penalty was "
        f"applied; times inside a submission (its own {NBGRADER_STAMP}, its file dates) are the student's "
        f"and are not used. To apply the deadline, {HOW_TO_GIVE}."))


def time_of(submission: Path, assignment_id: str, given=None) -> SubmissionTime:
    """The trusted time of one submission: `given` (a SubmissionTime, a datetime, an ISO time
    or the path of a --submitted-at CSV), else nbgrader's timestamp.txt in its layout."""
    if isinstance(given, SubmissionTime):
        return given
    if isinstance(given, dt.datetime):
        return SubmissionTime(given if given.tzinfo else given.replace(tzinfo=dt.timezone.utc), "the time given")
    student = student_of(submission, assignment_id)
    layout = Path(submission) if in_nbgrader_layout(submission, assignment_id) else None
    if given is None:
        return submission_time(student, layout)
    moment = parse_time(str(given))
    if moment is not None:
        return SubmissionTime(moment, "--submitted-at")
    if not Path(given).is_file():
        raise CourseError(f"--submitted-at {given}: neither an ISO 8601 time with an offset "
                          f"(e.g. 2026-12-01T23:59:00+09:00) nor a CSV file of student,submitted_at.")
    return submission_time(student, layout, load_times(Path(given)))


def _nbgrader_time(stamp: Path) -> SubmissionTime:
    """nbgrader's timestamp.txt: its default format, `%Y-%m-%d %H:%M:%S.%f %Z` in UTC (or with a
    numeric offset), or ISO 8601 (a naive one is UTC, as nbgrader reads it)."""
    from grader.submission_files import BadSubmission, read_bytes, shown
    fix = f"the late penalty was not applied. Fix the file (nbgrader submit writes it) or {HOW_TO_GIVE}."
    if not os.path.lexists(stamp):
        return SubmissionTime(None, problem=f"{shown(stamp)} is missing, so the submission time is not known: {fix}")
    try:
        text = read_bytes(stamp, 256).decode("utf-8").strip()
    except (BadSubmission, UnicodeDecodeError) as err:
        return SubmissionTime(None, problem=f"{shown(stamp)} cannot be read ({shown(err)}): {fix}")
    moment = _nbgrader_format(text)
    if moment is None:
        return SubmissionTime(None, problem=(f"{shown(stamp)} holds {shown(repr(text))}, not a time as nbgrader "
                                             f"writes it (e.g. {NBGRADER_EXAMPLE}): {fix}"))
    return SubmissionTime(moment, f"nbgrader's {NBGRADER_STAMP}")


def _nbgrader_format(text: str) -> dt.datetime | None:
    parts = text.split(" ")
    if len(parts) == 3:
        zone = {"UTC": "+0000", "GMT": "+0000", "Z": "+0000"}.get(parts[2], parts[2])
        for layout in ("%Y-%m-%d %H:%M:%S.%f %z", "%Y-%m-%d %H:%M:%S %z"):
            try:
                return dt.datetime.strptime(f"{parts[0]} {parts[1]} {zone}", layout)
            except ValueError:
                continue
        return None  # e.g. a zone name such as KST, which names no offset for sure
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
