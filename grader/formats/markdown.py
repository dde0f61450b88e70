"""A Markdown report for a student: one table row per check, then the total."""
from __future__ import annotations

from grader.formats.view import remarks, rows, total
from grader.i18n import translate
from grader.report import Report


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def page(report: Report, lang: str = "en", show_hidden: bool = False) -> str:
    t = lambda text: translate(text, lang)  # noqa: E731
    lines = [f"# {report.assignment}: {t('Feedback')}", "",
             f"**{t('total')}: {total(report)}**", "",
             f"| {t('check')} | {t('points')} | {t('status')} | {t('message')} |", "|---|---:|---|---|"]
    for row in rows(report, lang, show_hidden):
        hidden = f" ({t('hidden')})" if row.hidden else ""
        lines.append(f"| {_cell(row.title)}{hidden}<br>`{row.id}` | {row.points} | {row.status_text} "
                     f"| {_cell(row.message)} |")
    lines += [""] + [f"- **{t('note')}:** {r}" for r in remarks(report, lang)]
    return "\n".join(lines).rstrip() + "\n"
