"""A Markdown report for a student: one table row per check, then the total.

Every text of the report goes through `escape.markdown` (ids through `escape.markdown_code`):
it renders as the text itself, never as HTML, a link, emphasis or another table cell.
"""
from __future__ import annotations

from grader.formats.escape import markdown, markdown_code
from grader.formats.view import remarks, rows, total
from grader.i18n import translate
from grader.report import Report


def page(report: Report, lang: str = "en", show_hidden: bool = False) -> str:
    t = lambda text: markdown(translate(text, lang))  # noqa: E731
    lines = [f"# {markdown(report.assignment)}: {t('Feedback')}", "",
             f"**{t('total')}: {total(report)}**", "",
             f"| {t('check')} | {t('points')} | {t('status')} | {t('message')} |", "|---|---:|---|---|"]
    for row in rows(report, lang, show_hidden):
        hidden = f" ({t('hidden')})" if row.hidden else ""
        lines.append(f"| {markdown(row.title)}{hidden}<br>{markdown_code(row.id)} | {markdown(row.points)} "
                     f"| {markdown(row.status_text)} | {markdown(row.message)} |")
    lines += [""] + [f"- **{t('note')}:** {markdown(r)}" for r in remarks(report, lang)]
    return "\n".join(lines).rstrip() + "\n"
