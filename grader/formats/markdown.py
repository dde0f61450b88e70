"""A Markdown report for a student: whose it is, when and by which grader it was graded, the
total and the notes, then one table row per check.

Every text of the report goes through `escape.markdown` (ids through `escape.markdown_code`):
it renders as the text itself, never as HTML, a link, emphasis or another table cell.
"""
from __future__ import annotations

from grader.formats.escape import markdown, markdown_code
from grader.formats.view import header, remarks, rows, total
from grader.i18n import translate
from grader.report import Report


def page(report: Report, lang: str = "en", show_hidden: bool = False, student: str | None = None) -> str:
    """The page of `report`; `student`: the student id to name (hostile text, escaped)."""
    t = lambda text: markdown(translate(text, lang))  # noqa: E731
    lines = [f"# {markdown(report.assignment)}: {t('Feedback')}", ""]
    lines += [f"{markdown(label)}: {markdown(value)}  " for label, value in header(report, lang, student)]
    lines += ["", f"**{t('total')}: {total(report)}**", ""]
    notes = [f"- **{t('note')}:** {markdown(r)}" for r in remarks(report, lang, show_hidden)]
    lines += notes + ([""] if notes else [])
    lines += [f"| {t('check')} | {t('points')} | {t('status')} | {t('message')} |", "|---|---:|---|---|"]
    for row in rows(report, lang, show_hidden):
        hidden = f" ({t('hidden')})" if row.hidden else ""
        lines.append(f"| {markdown(row.title)}{hidden}<br>{markdown_code(row.id)} | {markdown(row.points)} "
                     f"| {markdown(row.status_text)} | {markdown(row.message)} |")
    return "\n".join(lines) + "\n"
