"""`course.toml`: what an instructor sets once per course.

    [assignments.assignment1]
    due = 2026-12-01T23:59:00+09:00     # a TOML date-time with its offset
    late_penalty_per_day = 0.1          # fraction of the score lost per started day late
    late_days_max = 3                   # later than this: the score is 0
    [assignments.assignment1.points]    # a check's points, overriding the rubric
    "linear_regression.weights" = 5
    [assignments.assignment1.visibility]  # "visible" before the deadline, or "hidden"
    "train_test_split.shuffled" = "hidden"

The submission time is nbgrader's `timestamp.txt` when the submission has one, else the
newest modification time of its files.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
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


def submitted_at(path: Path) -> dt.datetime | None:
    """nbgrader's timestamp.txt, else the newest modification time of the submission's files."""
    path = Path(path)
    stamp = path / "timestamp.txt" if path.is_dir() else None
    if stamp is not None and stamp.is_file():
        text = stamp.read_text().strip()
        for parse in (dt.datetime.fromisoformat, lambda t: dt.datetime.strptime(t, "%Y-%m-%d %H:%M:%S.%f %Z")):
            try:
                moment = parse(text.replace(" UTC", "+00:00") if parse is dt.datetime.fromisoformat else text)
                return moment if moment.tzinfo else moment.replace(tzinfo=dt.timezone.utc)
            except ValueError:
                continue
        raise CourseError(f"{stamp} holds {text!r}, not a time nbgrader writes (YYYY-MM-DD HH:MM:SS.ffffff UTC)")
    files = [p for p in path.rglob("*") if p.is_file()] if path.is_dir() else [path]
    if not files:
        return None
    return dt.datetime.fromtimestamp(max(p.stat().st_mtime for p in files), dt.timezone.utc)
