"""What a student sees of a report: the shared part of the student formats.

Writers get a report already `localized` to `lang`; `lang` translates their own words.
"""
from __future__ import annotations

from dataclasses import dataclass

from grader.i18n import translate
from grader.report import POINTS_DECIMALS, CheckResult, Report, shown_points

HIDDEN_NOTICE = "hidden check: the details are shown once the grades are published."
INCOMPLETE = "incomplete: the grader failed on some checks; this is not a final grade."


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


def rows(report: Report, lang: str, show_hidden: bool) -> list[Row]:
    return [Row(c.id, c.title, c.status, translate(c.status, lang), f"{amount(c.points)}/{amount(c.max_points)}",
                c.message if shown(c, show_hidden) else translate(HIDDEN_NOTICE, lang),
                c.visibility == "hidden") for c in report.checks]


def remarks(report: Report, lang: str) -> list[str]:
    """What the whole report says besides the checks: notes, adjustments, an incomplete grade."""
    said = list(report.notes) + [f"{a.reason} ({amount(a.points, sign=True)})" for a in report.adjustments]
    return said + ([translate(INCOMPLETE, lang)] if not report.complete else [])


def total(report: Report) -> str:
    return f"{amount(report.score)} / {amount(report.max_score)}"
