"""Report formats beyond the terminal table and JSON of `grader.writers`.

Every writer only presents an immutable Report: `render(report, fmt, lang)` returns the text
of `fmt` in `lang` ("en" or "ko"); grades never depend on either.
"""
from __future__ import annotations

from grader.i18n import localized
from grader.report import Report

FORMATS = ("gradescope", "markdown", "html")


def render(report: Report, fmt: str, lang: str = "en", show_hidden: bool = False, student: str | None = None) -> str:
    """`report` as `fmt`. Student pages (markdown, html) show hidden checks' title and status
    only, unless `show_hidden` (the grades are published), and name `student` when given;
    Gradescope hides hidden checks itself."""
    from grader.formats import gradescope, html, markdown
    report = localized(report, lang)
    if fmt == "gradescope":
        return gradescope.to_json(report, lang)
    return {"markdown": markdown.page, "html": html.page}[fmt](report, lang, show_hidden, student)
