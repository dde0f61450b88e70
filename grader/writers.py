"""Report writers: a terminal table (rich) and JSON, and the progress of a grading on a terminal.

Everything of the report's that the table shows (ids, the submission path, messages, notes,
adjustments) goes through `escape.terminal` into a `rich.text.Text`: no escape sequence reaches
the terminal and nothing is read as rich markup. Nothing is cut either: a message wraps, and a
path, URL or formula longer than its column folds onto the next line.
"""
from __future__ import annotations

from contextlib import contextmanager

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from grader.formats.escape import terminal
from grader.formats.view import INCOMPLETE, SEE_ABOVE, amount, common_message, total
from grader.i18n import translate
from grader.report import Report

STYLE = {"passed": "green", "failed": "red", "not_implemented": "yellow", "error": "red",
         "timeout": "magenta", "crashed": "magenta", "grader_error": "bold red"}


def _text(text: str, style: str = "") -> Text:
    """Report text for the terminal: shown as it is, never as markup or an escape sequence."""
    return Text(terminal(text), style=style)


def table(report: Report, console: Console | None = None, lang: str = "en") -> None:
    """`report` (already `localized` to `lang`) as one row per check, one per adjustment (a late
    penalty: its points and reason), then the total; the table's own words in `lang` too."""
    t = lambda text: translate(text, lang)  # noqa: E731
    if console is None:
        console = Console()
        if not console.is_terminal:  # a pipe or a log: wider than rich's 80 columns
            console.width = max(console.width, 120)
    grid = Table(title=_text(f"{report.assignment}: {report.submission}"), box=box.SIMPLE_HEAD,
                 show_lines=False, expand=True)
    grid.add_column(t("check"), overflow="fold")
    grid.add_column(t("points"), justify="right", no_wrap=True)
    grid.add_column(t("status"), no_wrap=True)
    grid.add_column(t("message"), ratio=1, overflow="fold")
    said_once = common_message(report)  # e.g. a SyntaxError: said once, not in every row
    for c in report.checks:
        hidden = f" ({t('hidden')})" if c.visibility == "hidden" else ""
        grid.add_row(_text(c.id + hidden), f"{amount(c.points)}/{amount(c.max_points)}",
                     Text(t(c.status), style=STYLE[c.status]), _text(t(SEE_ABOVE) if said_once else c.message))
    if report.adjustments:
        grid.add_section()
    for a in report.adjustments:
        grid.add_row(Text(t("adjustment"), style="yellow"), amount(a.points, sign=True), "", _text(a.reason))
    if said_once:
        console.print(Text(f"{t('every check')}: ", style="bold red") + _text(said_once))
    console.print(grid)
    for note in report.notes:
        if note != said_once:
            console.print(Text(f"{t('note')}: ", style="yellow") + _text(note))
    console.print(Text(f"{t('total')}: {total(report)}", style="bold"))
    if not report.complete:
        console.print(Text(t(INCOMPLETE), style="bold red"))
        for c in report.checks:
            if c.instructor_detail:  # grader code only: safe to show, needed to report the bug
                console.print(_text(f"grader error in {c.id}:\n{c.instructor_detail}", style="dim"))


def to_json(report: Report) -> str:
    return report.to_json() + "\n"


@contextmanager
def progress_per_check(title: str, console: Console | None = None):
    """A `progress(check_id, done, total)` callback for `grade.main` that shows which check runs
    and how many are done on `console` (default: stderr), gone when the grading ends; None when
    that is no terminal, so that nothing reaches a pipe or a file (a JSON report stays clean)."""
    console = console or Console(stderr=True)
    if not console.is_terminal:
        yield None
        return
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("{task.fields[check]}"))
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task(escape(title), total=None, check="importing the module")

        def show(check_id: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, check=escape(check_id))
        yield show
