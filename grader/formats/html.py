"""A self-contained HTML feedback page for one student: inline CSS, pictures as PNG data URIs,
no script and no external resource, so it opens anywhere and can be mailed as one file.

Every text and attribute value goes through `escape.html`: markup escaped, control characters
and bidi overrides shown visibly.
"""
from __future__ import annotations

from grader.formats import plots
from grader.formats.escape import html as escape
from grader.formats.view import header, remarks, rows, shown, total
from grader.i18n import translate
from grader.report import Report

CSS = """
body { font-family: "NanumGothic", "Noto Sans CJK KR", "Malgun Gothic", sans-serif; margin: 2em auto;
       max-width: 1100px; color: #222; line-height: 1.5; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } .total { font-size: 1.3em; font-weight: bold; }
.about { color: #555; margin: 0; } .about b { color: #222; font-weight: 600; }
table { border-collapse: collapse; width: 100%; margin: 1em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.4em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; white-space: nowrap; } td.points { text-align: right; white-space: nowrap; }
code { color: #666; font-size: 0.85em; } .message { font-size: 0.92em; word-break: break-word; }
.status { border-radius: 4px; padding: 0.1em 0.5em; color: white; white-space: nowrap; font-size: 0.9em; }
.passed { background: #2e7d32; } .failed, .error, .grader_error { background: #c62828; }
.not_implemented { background: #f9a825; color: #222; } .timeout, .crashed { background: #6a1b9a; }
.remark { background: #fff8e1; border-left: 4px solid #f9a825; padding: 0.5em 1em; margin: 0.5em 0; }
figure { display: inline-block; margin: 1em 1em 0 0; vertical-align: top; max-width: 600px; }
figure img { max-width: 100%; } figcaption { font-size: 0.9em; color: #444; }
"""


def page(report: Report, lang: str = "en", show_hidden: bool = False, student: str | None = None) -> str:
    """The page of `report`; `student`: the student id to name (hostile text, escaped)."""
    t = lambda text: escape(translate(text, lang))  # noqa: E731
    body = [f"<h1>{escape(report.assignment)}: {t('Feedback')}</h1>"]
    body += [f'<p class="about"><b>{escape(label)}:</b> {escape(value)}</p>'
             for label, value in header(report, lang, student)]
    body.append(f'<p class="total">{t("total")}: {total(report)}</p>')
    body += [f'<p class="remark">{escape(r)}</p>' for r in remarks(report, lang, show_hidden)]
    body.append(f"<table><tr><th>{t('check')}</th><th>{t('points')}</th><th>{t('status')}</th>"
                f"<th>{t('message')}</th></tr>")
    for row in rows(report, lang, show_hidden):
        hidden = f" ({t('hidden')})" if row.hidden else ""
        body.append(f"<tr><td>{escape(row.title)}{hidden}<br><code>{escape(row.id)}</code></td>"
                    f'<td class="points">{escape(row.points)}</td><td><span class="status {escape(row.status)}">'
                    f'{escape(row.status_text)}</span></td><td class="message">{escape(row.message)}</td></tr>')
    body.append("</table>")
    figures = plots.pictures([c for c in report.checks if shown(c, show_hidden)], lang)
    if figures:
        body.append(f"<h2>{t('Pictures')}</h2>")
        body += [f'<figure><img src="{escape(uri)}" alt="{t(caption)}"><figcaption>{t(caption)}</figcaption></figure>'
                 for caption, uri in figures]
    whose = escape(f" ({student})") if student else ""
    return (f'<!DOCTYPE html>\n<html lang="{escape(lang)}"><head><meta charset="utf-8">'
            f"<title>{escape(report.assignment)}: {t('Feedback')}{whose}</title><style>{CSS}</style></head>\n"
            f"<body>\n" + "\n".join(body) + "\n</body></html>\n")
