"""Student text injected into what instructors and students read (issue 13, item 8).

A real submission of assignment 1 raises, prints and names files with HTML, forged Markdown,
terminal escape sequences, rich markup and spreadsheet formulas; another sits in a folder
whose name is such a text. Each format that shows their reports must show the text as text
(terminal table, Markdown, HTML, Gradescope JSON, the gradebook's CSV export, the JSON
report), and the grade must be what the checks decided.
"""
from __future__ import annotations

import csv
import html
import io
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from markdown_it import MarkdownIt
from rich.console import Console

from grader import writers
from grader.formats import render
from grader.formats.escape import CONTROLS, CUT, csv_cell, markdown, markdown_code, visible
from grader.formats.view import SEE_ABOVE, common_message
from grader.gradebook import Gradebook
from grader.i18n import localized
from grader.report import CheckResult, Report
from grader.sandbox import isolation
from grader.sandbox.isolation import BUBBLEWRAP
from tests.hostile.corpus import A1
from tests.support import failing, grade

SCHEMAS = Path(__file__).resolve().parents[2] / "grader" / "schemas"
CLIPBOARD = "\x1b]52;c;SGVsbG8=\x07"  # OSC 52: write "Hello" to the instructor's clipboard
ERASE_LINE = "\x1b[2K"
FORMULA = '=HYPERLINK("http://x","y")'
ATTACKS = ["<img src=x onerror=alert(1)>", "\r**total: 25 / 25**", CLIPBOARD, ERASE_LINE,
           "[link](javascript:alert(1))", FORMULA, "\u202e", "[bold red]rich[/]"]
PAYLOAD = "".join(ATTACKS[:5]) + "\n" + "".join(ATTACKS[5:])
WHERE_FILE = f"w{ERASE_LINE}<b>.py"  # the file the exception is raised from: `where` is the student's too
FOLDER = f'=HYPERLINK("evil.example","y") [blink]x {ERASE_LINE}\x07 <img src=x onerror=alert(1)>'  # no "/"
LOST = {"metrics.mae": "error", "metrics.r2_score": "crashed", "end_to_end.r2": "failed"}
INJECTING = f'''
import os as _os
import sys as _sys

_PAYLOAD = {PAYLOAD!r}


def mae(y_true, y_pred):
    here = _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), {WHERE_FILE!r})
    exec(compile("raise ValueError(_PAYLOAD)", here, "exec"), {{"_PAYLOAD": _PAYLOAD}})


def r2_score(y_true, y_pred):
    _sys.stdout.write(_PAYLOAD)
    _sys.stdout.flush()
    _os._exit(1)


_fit = LinearRegression.fit


def _diverging_fit(self, X, y):  # NaN weights on the Beijing data only: a NaN test R^2
    _fit(self, X, y)
    if len(X) > 10000:
        self.weights = self.weights * float("nan")
    return self


LinearRegression.fit = _diverging_fit
'''
SGR = re.compile(r"\x1b\[[0-9;]*m")  # rich's own colours, on a terminal
NUMBER = re.compile(r"[-+]?\d+(\.\d+)?([eE][-+]?\d+)?")
RAW = [chr(c) for c in sorted(CONTROLS)]


def raw_controls(text: str) -> list[str]:
    return [c for c in RAW if c in text]


# -- the escaping functions -------------------------------------------------------------

def test_visible_shows_controls_and_keeps_honest_text():
    honest = "정답입니다.\n\tX의 shape (3, 2), R^2 = 0.77 — [1, 2] <= 3 & 4"
    assert visible(honest) == honest
    assert visible("a\x1b[2Kb\rc\x07d\x08e\x7ff\x85g\u2028h\u202ei\u2066j\x00") == \
        "a\\x1b[2Kb\\rc\\x07d\\x08e\\x7ff\\x85g\\u2028h\\u202ei\\u2066j\\x00"
    assert raw_controls(visible("".join(RAW))) == []
    assert {c for c in range(0x20) if chr(c) not in "\t\n"} | {0x7F, 0x85, 0x202E} <= CONTROLS
    assert not {ord("\t"), ord("\n"), ord(" "), ord("정")} & CONTROLS


def test_visible_bounds_the_length_without_cutting_an_escape():
    assert visible("x" * 10, 10) == "x" * 10
    assert visible("x" * 11, 10) == "x" * 9 + CUT
    shown = visible("\x1b" * 1000, 10)
    assert shown == "\\x1b\\x1b" + CUT and len(shown) <= 10
    assert visible("abc" + "\x07" * 5 + "end", 8, end=True) == CUT + "\\x07end"


def md_inline(text: str) -> str:
    """What a Markdown renderer shows of `text` written into a table cell: the cell's text."""
    page = MARKDOWN.render(f"| a |\n|---|\n| {text} |\n")
    table = Cells()
    table.feed(page)
    assert len(table.rows) == 2 and len(table.rows[1]) == 1, page
    return table.rows[1][0]


@pytest.mark.parametrize("text", [PAYLOAD, FOLDER, "a|b\\|c `code` *em* _em_ ~~s~~ # h <br> &amp; ![i](x)",
                                  "정답입니다. R^2 = 0.77; expected shape (3, 2), found (2, 3)",
                                  "importing linear_regression.py raised NameError: x at f.py, line 1, in <module>."])
def test_markdown_text_renders_as_the_text_itself(text):
    assert md_inline(markdown(text)) == visible(text).strip()


def test_a_code_span_only_for_identifiers():
    assert markdown_code("metrics.r2_score") == "`metrics.r2_score`"
    assert md_inline(markdown_code("a` | <b>")) == "a` | <b>"


def test_csv_cells_are_never_formulas_but_numbers_stay_numbers():
    assert [csv_cell(v) for v in ('=HYPERLINK("http://x","y")', "+1", "-1+2", "@SUM(A1)", "\tx", "\rx")] == \
        ["'=HYPERLINK(\"http://x\",\"y\")", "'+1", "'-1+2", "'@SUM(A1)", "'\tx", "\\rx"]
    assert [csv_cell(v) for v in (-5.0, -2, 0.0, 25)] == [-5.0, -2, 0.0, 25]
    assert [csv_cell(v) for v in ("kim", "2026-01-01T00:00:00+00:00", "assignment1")] == \
        ["kim", "2026-01-01T00:00:00+00:00", "assignment1"]


def test_the_json_report_is_strict_and_keeps_finite_numbers():
    check = CheckResult(id="a.b", title="t", points=1.0, max_points=1.0, status="passed", message="m",
                        visibility="visible", duration_s=0.1,
                        diagnostics={"r2": float("nan"), "losses": [1.5, float("inf"), -float("inf")],
                                     "nested": {"x": (0.25, float("nan"))}, "n": 3, "name": "NaN"})
    report = Report(assignment="assignment1", submission="s", checks=[check],
                    created_at="2026-01-01T00:00:00+00:00", grader_version="0", environment={})
    document = strict_json(report.to_json())
    assert document["checks"][0]["diagnostics"] == {"r2": None, "losses": [1.5, None, None],
                                                    "nested": {"x": [0.25, None]}, "n": 3, "name": "NaN"}
    jsonschema.validate(document, json.loads((SCHEMAS / "report.schema.json").read_text()))


# -- real gradings ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def graded(tmp_path_factory, data_dir):
    """(the injecting submission's report, the hostile folder's report), graded under
    bubblewrap where it works (else with resource limits only) at a small time scale."""
    kind = BUBBLEWRAP if isolation.choose("auto")[0] == BUBBLEWRAP else "rlimits"
    root = tmp_path_factory.mktemp("injection")
    injecting = root / "kim"
    injecting.mkdir()
    source = (A1.solution_dir / "linear_regression.py").read_text()
    (injecting / "linear_regression.py").write_text(source + INJECTING)
    folder = root / FOLDER  # no module inside, only a file named like the attack
    folder.mkdir()
    (folder / "<img src=x onerror=alert(1)>.py").write_text("")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_SANDBOX", kind)
        return grade("assignment1", injecting, data_dir, time_scale=0.3), grade("assignment1", folder, data_dir)


@pytest.fixture(scope="module")
def reports(graded):
    """Both reports, in English and in Korean."""
    return [localized(report, lang) for report in graded for lang in ("en", "ko")]


def test_the_grade_is_what_the_checks_decided(graded):
    injecting, folder = graded
    assert failing(injecting) == set(LOST), [(c.id, c.message) for c in injecting.checks if not c.passed]
    assert {c.id: c.status for c in injecting.checks if not c.passed} == LOST and injecting.complete
    assert injecting.score == A1.rubric.max_score - sum(c.max_points for c in injecting.checks if c.id in LOST)
    assert folder.score == 0 and {c.status for c in folder.checks} == {"error"}
    assert FOLDER in folder.notes[0] and "<img src=x onerror=alert(1)>.py" in folder.notes[0]


def test_fault_messages_show_the_students_text_visibly(graded):
    checks = {c.id: c for c in graded[0].checks}
    assert checks["metrics.mae"].message == (f"`mae` raised ValueError: {visible(PAYLOAD)} at "
                                             f"{visible(WHERE_FILE)}, line 1, in <module>.")
    assert checks["metrics.r2_score"].message.endswith(f" Last output: {visible(PAYLOAD)}")
    assert all(raw_controls(c.message) == [] for c in graded[0].checks)


def test_the_terminal_table_holds_no_escape_sequence_and_no_markup(reports):
    for report in reports:
        for console in (Console(file=io.StringIO(), width=1000),
                        Console(file=io.StringIO(), width=1000, force_terminal=True, color_system="truecolor")):
            writers.table(report, console)
            shown = SGR.sub("", console.file.getvalue())
            assert raw_controls(shown) == [], repr(shown)
            assert f"{report.assignment}: {visible(report.submission)}" in shown  # the title, markup and all
            if report.submission.endswith("kim"):
                assert "[bold red]rich[/]" in shown
            assert f"total: {report.score:g} / {report.max_score:g}" in shown


def test_the_markdown_report_renders_no_html_link_or_forged_structure(reports):
    for report in reports:
        page = render(report, "markdown", "en", show_hidden=True)
        assert [attack for attack in ATTACKS if attack in page] in ([], [FORMULA]), page  # text in Markdown
        assert raw_controls(page) == []
        assert_only_text(MARKDOWN.render(page), report, pictures=0)


def test_the_html_report_shows_the_text_as_text(reports):
    for report in reports:
        page = render(report, "html", "en", show_hidden=True)
        assert "<img src=x" not in page and raw_controls(page) == []
        assert_only_text(page, report, pictures=2 if report.submission.endswith("kim") else 0)


def test_gradescope_results_are_strict_json_and_plain_text(reports):
    schema = json.loads((SCHEMAS / "gradescope.schema.json").read_text())
    for report in reports:
        results = strict_json(render(report, "gradescope", "en"))
        jsonschema.validate(results, schema)
        assert {results["output_format"]} | {t["output_format"] for t in results["tests"]} == {"text"}
        assert [t["score"] for t in results["tests"]] == [c.points for c in report.checks]
        assert [t["output"] for t in results["tests"]] == [visible(c.message) for c in report.checks]
        assert all(raw_controls(text) == [] for text in strings(results))


def test_the_json_report_is_strict_json_with_a_nan_diagnostic(graded):
    injecting = graded[0]
    r2 = next(c for c in injecting.checks if c.id == "end_to_end.r2")
    assert r2.diagnostics["test_r2"] != r2.diagnostics["test_r2"]  # NaN: what the check recorded
    for report in graded:
        text = writers.to_json(report)
        document = strict_json(text)
        jsonschema.validate(document, json.loads((SCHEMAS / "report.schema.json").read_text()))
        assert raw_controls(text) == []  # the encoder escapes what is left
        assert document["submission"] == report.submission and document["score"] == report.score
    r2_json = next(c for c in strict_json(injecting.to_json())["checks"] if c["id"] == "end_to_end.r2")
    assert r2_json["diagnostics"]["test_r2"] is None and r2_json["diagnostics"]["weights"] == [None, None]


def test_the_csv_export_holds_no_formula(graded, tmp_path):
    with Gradebook(tmp_path / "grades.sqlite") as book:
        run = book.start_run("assignment1", "0")
        for student, report in zip(("kim", FOLDER), graded):
            book.record(run, student, report.submission_sha256 or "0" * 64, report.to_dict())
        assert book.export_csv(tmp_path / "grades.csv", ["assignment1"]) == 2
    with open(tmp_path / "grades.csv", newline="") as f:
        header, *rows = list(csv.reader(f))
    cells = [cell for row in rows for cell in row]
    assert [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r")) and not NUMBER.fullmatch(c)] == []
    by_student = {row[0]: dict(zip(header, row)) for row in rows}
    assert set(by_student) == {"kim", "'" + visible(FOLDER)}
    assert float(by_student["kim"]["score"]) == graded[0].score
    assert float(by_student["'" + visible(FOLDER)]["score"]) == 0


# -- helpers ----------------------------------------------------------------------------

MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


class Cells(HTMLParser):
    """Tags, attributes and the text of every table cell (`<br>` as a newline) of a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags, self.rows, self.bold = [], [], []  # bold: <strong> and <p class="total"> texts
        self.cell = self.emphasis = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self.cell = []
        elif tag == "br" and self.cell is not None:
            self.cell.append("\n")
        elif tag == "strong" or attrs.get("class") == "total":
            self.emphasis = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag in ("strong", "p") and self.emphasis is not None:
            self.bold.append("".join(self.emphasis))
            self.emphasis = None

    def handle_data(self, data):
        for parts in (self.cell, self.emphasis):
            if parts is not None:
                parts.append(data)


def assert_only_text(page: str, report: Report, pictures: int) -> None:
    """The rendered `page` of `report`: no link, script, handler or foreign picture, one row of
    four cells per check whose message cell shows exactly the message, and one total."""
    parsed = Cells()
    parsed.feed(page)
    tags = [tag for tag, _ in parsed.tags]
    assert "a" not in tags and "script" not in tags and tags.count("img") == pictures, tags
    assert all(not name.startswith("on") for _, attrs in parsed.tags for name in attrs)
    assert all(attrs["src"].startswith("data:image/png;base64,") for tag, attrs in parsed.tags if tag == "img")
    assert [len(row) for row in parsed.rows] == [4] * (len(report.checks) + 1)
    said_once = common_message(report)  # a message every check gives is said once, above the checks
    assert [row[3] for row in parsed.rows[1:]] == [SEE_ABOVE if said_once else visible(c.message).strip()
                                                   for c in report.checks]
    if said_once:
        text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())
        assert " ".join(visible(said_once).split()) in text
    totals = [text for text in parsed.bold if "total" in text]
    assert totals == [f"total: {report.score:g} / {report.max_score:g}"], parsed.bold


def strict_json(text: str):
    """`text` parsed as strict JSON: NaN and Infinity are refused."""
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")
    return json.loads(text, parse_constant=refuse)


def strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings(item)]
    return []
