"""The class report (grader/class_report.py) as one self-contained HTML page for instructors:
the feedback pages' styling, bars drawn in CSS, no script and no external resource, so it
opens from a file. It shows hidden checks, labelled so, and says it is not for students.

Every value on it goes through `escape.html`, student ids above all; links are the relative
file names of the students' feedback pages.
"""
from __future__ import annotations

from urllib.parse import quote

from grader.formats.escape import html as escape
from grader.formats.html import CSS as PAGE_CSS
from grader.formats.view import GRADER, amount, when
from grader.i18n import translate

CLASS_REPORT, MADE = "Class report", "made on"
FOR_INSTRUCTORS = ("For instructors only: this page shows the hidden checks and every student's grade. "
                   "Do not send it to students; each student's own page is linked below.")
STUDENTS, MEAN, MEDIAN, COMPLETE = "students", "mean", "median", "complete"
SCORES, CHECKS, KNOWN_MISTAKES = "Scores", "Checks", "Known mistakes: what to teach again"
MISTAKES_ABOUT = "Most students first; each made the mistake in at least one check."
NO_MISTAKE = "The grader recognised no known mistake."
LATE, NO_LATE = "Late submissions", "No submission lost points for being late."
SLOWEST, INCOMPLETE = "Slowest gradings", "Incomplete gradings"
INCOMPLETE_ABOUT = ("The grader failed on these checks, so these scores are not final grades; "
                    "grade-all grades them again.")
ALL_COMPLETE = "Every grading is complete."
ROWS = "Every student"
LINKS_ABOUT = ("Each student id opens that student's feedback page in the folder feedback beside this page "
               "(written by class-report --with-feedback, or by gradebook feedback --out into that folder).")
UNREADABLE = "Stored reports that cannot be read"
RANGE, SCORE, PERCENT, PASS_RATE, NOT_PASSED = "range", "score", "percent", "pass rate", "not passed"
MISTAKE, WHO = "mistake", "who"
SUBMITTED_AT, PENALTY, REASON, SECONDS = "submitted at", "penalty", "reason", "seconds"
NOT_IN_CATALOGUE = "not in the assignment's catalogue of known mistakes"
YES, NO = "yes", "no"
TEXTS = (CLASS_REPORT, MADE, FOR_INSTRUCTORS, STUDENTS, MEAN, MEDIAN, COMPLETE, SCORES, CHECKS, KNOWN_MISTAKES,
         MISTAKES_ABOUT, NO_MISTAKE, LATE, NO_LATE, SLOWEST, INCOMPLETE, INCOMPLETE_ABOUT, ALL_COMPLETE, ROWS,
         LINKS_ABOUT, UNREADABLE, RANGE, SCORE, PERCENT, PASS_RATE, NOT_PASSED, MISTAKE, WHO, SUBMITTED_AT,
         PENALTY, REASON, SECONDS, NOT_IN_CATALOGUE, YES, NO)  # the page's own words: each has a translation

CSS = PAGE_CSS + """
.instructors { background: #fdecea; border-left: 4px solid #c62828; padding: 0.5em 1em; font-weight: 600; }
.bar { display: inline-block; height: 0.9em; background: #4c72b0; vertical-align: middle; margin-right: 0.5em; }
.hidden-label { background: #555; }
.bars { white-space: nowrap; } .who { font-size: 0.85em; color: #444; }
"""


def page(data: dict, lang: str = "en") -> str:
    """The page of `summarise`'s `data` (its texts already in `lang`; `lang` translates the page's own words)."""
    t = lambda text: escape(translate(text, lang))  # noqa: E731
    sections = (_summary, _scores, _checks, _mistakes, _late, _slowest, _incomplete, _students, _unreadable)
    body = [html for section in sections for html in section(data, t, lang)]
    return (f'<!DOCTYPE html>\n<html lang="{escape(lang)}"><head><meta charset="utf-8">'
            f"<title>{escape(data['assignment'])}: {t(CLASS_REPORT)}</title><style>{CSS}</style></head>\n"
            f"<body>\n" + "\n".join(body) + "\n</body></html>\n")


def _summary(data, t, lang):
    s = data["summary"]
    about = [(STUDENTS, str(s["students"])), (MEAN, _percent(s["mean_percent"])),
             (MEDIAN, _percent(s["median_percent"])), (COMPLETE, f"{s['complete']}/{s['students']}"),
             (MADE, when(data["created_at"])), (GRADER, f"course-grader {data['grader_version']}")]
    return [f"<h1>{escape(data['assignment'])}: {t(CLASS_REPORT)}</h1>",
            f'<p class="about">{escape(data["title"])}</p>',
            f'<p class="instructors">{t(FOR_INSTRUCTORS)}</p>',
            *(f'<p class="about"><b>{t(label)}:</b> {escape(value)}</p>' for label, value in about)]


def _scores(data, t, lang):
    top = max([b["students"] for b in data["histogram"]] + [1])
    return [f"<h2>{t(SCORES)}</h2>", _table((t(RANGE), t(STUDENTS)), [
        (f"{b['from']}-{b['to']}%", _bar(b["students"] / top, str(b["students"]))) for b in data["histogram"]])]


def _checks(data, t, lang):
    return [f"<h2>{t(CHECKS)}</h2>", _table((t("check"), t(PASS_RATE), t(NOT_PASSED)), [
        (_titled(c["title"], c["id"], t("hidden") if c["hidden"] else ""),
         _bar(c["pass_rate"], f"{c['passed']}/{c['total']}"),
         escape(", ".join(f"{translate(status, lang)} {n}" for status, n in c["statuses"].items())))
        for c in data["checks"]])]


def _mistakes(data, t, lang):
    if not data["mistakes"]:
        return [f"<h2>{t(KNOWN_MISTAKES)}</h2>", f"<p>{t(NO_MISTAKE)}</p>"]
    return [f"<h2>{t(KNOWN_MISTAKES)}</h2>", f"<p>{t(MISTAKES_ABOUT)}</p>",
            _table((t(MISTAKE), t(STUDENTS), t("check"), t(WHO)), [
                (_titled(m["text"] or translate(NOT_IN_CATALOGUE, lang), m["id"]),
                 _bar(m["share"], f"{m['students']} ({m['share']:.0%})"), escape(", ".join(m["checks"])),
                 f'<span class="who">{escape(", ".join(m["who"]))}</span>') for m in data["mistakes"]])]


def _late(data, t, lang):
    if not data["late"]:
        return [f"<h2>{t(LATE)}</h2>", f"<p>{t(NO_LATE)}</p>"]
    return [f"<h2>{t(LATE)}</h2>", _table((t("student"), t(SUBMITTED_AT), t(PENALTY), t(REASON)), [
        (escape(row["student"]), escape(row["submitted_at"]), escape(amount(row["penalty"], sign=True)),
         escape("; ".join(row["reasons"]))) for row in data["late"]])]


def _slowest(data, t, lang):
    return [f"<h2>{t(SLOWEST)}</h2>", _table((t("student"), t(SECONDS)), [
        (escape(row["student"]), f"{row['seconds']:.2f}") for row in data["slowest"]])]


def _incomplete(data, t, lang):
    if not data["incomplete"]:
        return [f"<h2>{t(INCOMPLETE)}</h2>", f"<p>{t(ALL_COMPLETE)}</p>"]
    return [f"<h2>{t(INCOMPLETE)}</h2>", f"<p>{t(INCOMPLETE_ABOUT)}</p>",
            _table((t("student"), t("check"), t("message")), [
                (escape(row["student"]), escape(c["id"]), f'<span class="message">{escape(c["message"])}</span>')
                for row in data["incomplete"] for c in row["checks"]])]


def _students(data, t, lang):
    return [f"<h2>{t(ROWS)}</h2>", f"<p>{t(LINKS_ABOUT)}</p>", _table(
        (t("student"), t(SCORE), t(PERCENT), t(COMPLETE), t(PENALTY), t(MISTAKE)),
        [(f'<a href="{escape(quote(row["feedback"]))}">{escape(row["student"])}</a>',
          escape(f"{amount(row['score'])}/{amount(row['max_score'])}"), _percent(row["percent"]),
          t(YES if row["complete"] else NO), escape(amount(row["penalty"], sign=True)) if row["penalty"] else "",
          escape(", ".join(row["mistakes"]))) for row in data["students"]])]


def _unreadable(data, t, lang):
    if not data["unreadable"]:
        return []
    return [f"<h2>{t(UNREADABLE)}</h2>", "<ul>", *(f"<li>{escape(row['problem'])}</li>" for row in data["unreadable"]),
            "</ul>"]


def _table(headings, rows) -> str:
    """A table of `rows` whose cells are HTML already (each escaped where it was made)."""
    head = "".join(f"<th>{h}</th>" for h in headings)
    cells = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>\n" for row in rows)
    return f"<table><tr>{head}</tr>\n{cells}</table>"


def _titled(title: str, id: str, label: str = "") -> str:
    """A title above its id in code, with a label (already HTML, e.g. "hidden") when given."""
    tag = f' <span class="status hidden-label">{label}</span>' if label else ""
    return f"{escape(title)}{tag}<br><code>{escape(id)}</code>"


def _bar(share: float, text: str) -> str:
    """A bar `share` (0 to 1) of 12em wide, then `text`."""
    width = max(0.0, min(1.0, share)) * 12
    return f'<span class="bars"><span class="bar" style="width: {width:.2f}em"></span>{escape(text)}</span>'


def _percent(value) -> str:
    return "-" if value is None else f"{value:.1f}%"
