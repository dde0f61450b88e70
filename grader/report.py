"""Immutable score records. Totals are derived, never stored; `to_dict` is the JSON schema.

The JSON form is versioned by `SCHEMA_VERSION` and described by `schemas/report.schema.json`
(documented in docs/report.md). It is strict JSON: a NaN or an infinity (a diverged loss, the
R^2 of NaN weights) is written as null, since JSON has no such numbers. Its sums of points and
its adjustments are `shown_points` (a late penalty of 10% of 23 points is -2.3, not
-2.3000000000000003), so the score it shows is checks_score plus the adjustments it shows.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

SCHEMA_VERSION = "1.2"  # 1.1 added submitted_at and adjustments; 1.2 diagnosis
STATUSES = ("passed", "failed", "not_implemented", "error", "timeout", "crashed", "grader_error")
POINTS_DECIMALS = 4  # as reports show a sum or share of points: free of float noise (-2.3000000000000003)


def shown_points(points: float) -> float:
    """`points` as a report shows them, rounded to POINTS_DECIMALS; a Report's own sums stay exact."""
    return round(points, POINTS_DECIMALS) + 0.0  # + 0.0: never a "-0"


def _frozen(mapping) -> Mapping:
    return MappingProxyType(dict(mapping or {}))


def _json_data(value):
    """`value` (plain data) with every NaN and infinity, at any depth, replaced by None."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {key: _json_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_data(item) for item in value]
    return value


@dataclass(frozen=True)
class CheckResult:
    id: str
    title: str
    points: float
    max_points: float
    status: str  # one of STATUSES
    message: str  # for the student
    visibility: str  # "visible" | "hidden"
    duration_s: float
    diagnostics: Mapping = field(default_factory=dict)  # plain data, e.g. loss histories
    instructor_detail: str = ""  # a grader traceback; never shown to students
    diagnosis: str = ""  # the id of the known mistake the result matches (see Rubric.mistakes)

    def __post_init__(self):
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")
        if not 0 <= self.points <= self.max_points:
            raise ValueError(f"points {self.points} outside 0..{self.max_points}")
        object.__setattr__(self, "diagnostics", _frozen(self.diagnostics))

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "points": self.points,
                "max_points": self.max_points, "status": self.status, "message": self.message,
                "visibility": self.visibility, "duration_s": round(self.duration_s, 4),
                "diagnostics": _json_data(self.diagnostics), "instructor_detail": self.instructor_detail,
                "diagnosis": self.diagnosis or None}

    @classmethod
    def from_dict(cls, data: Mapping) -> "CheckResult":
        """The check of `to_dict`'s form (of any 1.x schema); a diagnostic written as null stays None."""
        return cls(id=data["id"], title=data["title"], points=data["points"], max_points=data["max_points"],
                   status=data["status"], message=data["message"], visibility=data["visibility"],
                   duration_s=data["duration_s"], diagnostics=data.get("diagnostics") or {},
                   instructor_detail=data.get("instructor_detail", ""), diagnosis=data.get("diagnosis") or "")


@dataclass(frozen=True)
class Adjustment:
    reason: str  # for the student, e.g. "2 days late: -20%"
    points: float  # added to the score (negative for a penalty)


@dataclass(frozen=True)
class Report:
    assignment: str
    submission: str
    checks: tuple[CheckResult, ...]
    created_at: str  # ISO 8601, UTC
    grader_version: str
    environment: Mapping  # python, numpy, platform, ... versions
    submission_sha256: str = ""
    notes: tuple[str, ...] = ()  # things the whole report should say (e.g. a missing folder)
    submitted_at: str = ""  # ISO 8601, when known
    adjustments: tuple[Adjustment, ...] = ()  # e.g. a late penalty, applied after the checks

    def __post_init__(self):
        object.__setattr__(self, "checks", tuple(self.checks))
        object.__setattr__(self, "notes", tuple(self.notes))
        object.__setattr__(self, "adjustments", tuple(self.adjustments))
        object.__setattr__(self, "environment", _frozen(self.environment))

    @property
    def checks_score(self) -> float:
        return sum(c.points for c in self.checks)

    @property
    def score(self) -> float:
        """The checks' points plus the adjustments, never below 0."""
        return max(0.0, self.checks_score + sum(a.points for a in self.adjustments))

    @property
    def max_score(self) -> float:
        return sum(c.max_points for c in self.checks)

    @property
    def complete(self) -> bool:
        """False when the grader itself failed on a check, so the score is not a real grade."""
        return all(c.status != "grader_error" for c in self.checks)

    def to_dict(self) -> dict:
        return {"schema_version": SCHEMA_VERSION, "assignment": self.assignment,
                "submission": self.submission, "submission_sha256": self.submission_sha256,
                "score": shown_points(self.score), "max_score": shown_points(self.max_score), "complete": self.complete,
                "created_at": self.created_at, "grader_version": self.grader_version,
                "environment": dict(self.environment), "notes": list(self.notes),
                "checks_score": shown_points(self.checks_score), "submitted_at": self.submitted_at,
                "adjustments": [{"reason": a.reason, "points": shown_points(a.points)} for a in self.adjustments],
                "checks": [c.to_dict() for c in self.checks]}

    @classmethod
    def from_dict(cls, data: Mapping) -> "Report":
        """The report of `to_dict`'s form (of any 1.x schema), e.g. one stored in the gradebook.
        ValueError when its stored score is not what its checks and adjustments give."""
        report = cls(assignment=data["assignment"], submission=data["submission"],
                     checks=tuple(CheckResult.from_dict(c) for c in data["checks"]),
                     created_at=data["created_at"], grader_version=data["grader_version"],
                     environment=data.get("environment") or {}, submission_sha256=data.get("submission_sha256", ""),
                     notes=tuple(data.get("notes", ())), submitted_at=data.get("submitted_at", ""),
                     adjustments=tuple(Adjustment(a["reason"], a["points"]) for a in data.get("adjustments", ())))
        if not math.isclose(report.score, data["score"], abs_tol=1e-9) or report.max_score != data["max_score"]:
            raise ValueError(f"the report of {data['submission']} says {data['score']:g}/{data['max_score']:g}, "
                             f"but its checks give {report.score:g}/{report.max_score:g}")
        return report

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)
