"""What a student sees of a report: the shared part of the student formats.

Writers get a report already `localized` to `lang`; `lang` translates their own words.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from grader.i18n import translate
from grader.report import POINTS_DECIMALS, CheckResult, Report, shown_points

HIDDEN_NOTICE = "hidden check: the details are shown once the grades are published."
INCOMPLETE = "incomplete: the grader failed on some checks; this is not a final grade."
EVERY_CHECK = "every check"  # a message said once for all checks, e.g. the module's SyntaxError
SEE_ABOVE = "see above"
STUDENT, GRADED, GRADER = "student", "graded on", "grader version"


@dataclass(frozen=True)
class Row:
    id: str
    title: str
    status: str  # the status key, for styling
    status_text: str
    points: str  # "2/3"
    message: str
    hidden: bool


def amount(points: float, sign: bool = False) -> str:
    """`points` as every format shows them: `shown_points`, no trailing zeros ("2", "-2.3")."""
    text = f"{shown_points(points):{'+' if sign else ''}.{POINTS_DECIMALS}f}"
    return text.rstrip("0").rstrip(".")


def shown(check: CheckResult, show_hidden: bool) -> bool:
    """Whether a student may see this check's message and pictures."""
    return show_hidden or check.visibility != "hidden"


def common_message(report: Report, show_hidden: bool = True) -> str:
    """The one message every check of `report` gives when none passed (a module that cannot be
    imported, a missing file), to be said once; "" when the checks say different things, or
    when only hidden checks, not shown, say it."""
    messages = {c.message for c in report.checks}
    if len(report.checks) < 2 or len(messages) != 1 or any(c.passed for c in report.checks):
        return ""
    return messages.pop() if any(shown(c, show_hidden) for c in report.checks) else ""


def rows(report: Report, lang: str, show_hidden: bool) -> list[Row]:
    """One row per check; when every check says the same (`common_message`), `remarks` says it
    once and each row only its status and "see above"."""
    said_once = common_message(report, show_hidden)
    return [Row(c.id, c.title, c.status, translate(c.status, lang), f"{amount(c.points)}/{amount(c.max_points)}",
                translate(SEE_ABOVE, lang) if said_once else
                c.message if shown(c, show_hidden) else translate(HIDDEN_NOTICE, lang),
                c.visibility == "hidden") for c in report.checks]


def remarks(report: Report, lang: str, show_hidden: bool = False) -> list[str]:
    """What the whole report says besides the checks: the message every check gives (unless a
    note says it already), notes, adjustments, an incomplete grade."""
    said_once = common_message(report, show_hidden)
    common = [f"{translate(EVERY_CHECK, lang)}: {said_once}"] if said_once and said_once not in report.notes else []
    said = common + list(report.notes) + [f"{a.reason} ({amount(a.points, sign=True)})" for a in report.adjustments]
    return said + ([translate(INCOMPLETE, lang)] if not report.complete else [])


def header(report: Report, lang: str, student: str | None = None) -> list[tuple[str, str]]:
    """(label, value) pairs that open a page: whose it is (when known), when it was graded, by
    which grader. Labels in `lang`; the student id is the student's own text, to escape."""
    pairs = [(translate(STUDENT, lang), student)] if student else []
    return pairs + [(translate(GRADED, lang), when(report.created_at)),
                    (translate(GRADER, lang), f"course-grader {report.grader_version}")]


def when(created_at: str) -> str:
    """An ISO 8601 time as "2026-12-01 14:59 UTC"; as it is when it is not one."""
    try:
        return dt.datetime.fromisoformat(created_at).astimezone(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    except (TypeError, ValueError):
        return created_at


def total(report: Report) -> str:
    return f"{amount(report.score)} / {amount(report.max_score)}"
