"""The feedback page and the reports kept in the gradebook, on reports built by hand (fast):
the page names student, date and grader; one message for every check is said once; the
pictures before publication come from visible checks only and have axis labels; stored
reports come back unchanged, and each student's page gets a safe file name."""
import csv
import io
import json
import sqlite3

import pytest
from click.testing import CliRunner
from rich.console import Console

from grader import feedback, writers
from grader.cli import cli
from grader.formats import plots, render
from grader.gradebook import Gradebook
from grader.report import Adjustment, CheckResult, Report

HOSTILE = '<img src=x onerror=alert(1)>\x1b[31m|**x**'
SYNTAX = "linear_regression.py has a SyntaxError: invalid syntax (linear_regression.py, line 1). Fix it and grade again."


def check(id, status="passed", message="correct", visibility="visible", points=1.0, **diagnostics):
    return CheckResult(id=id, title=f"title of {id}", points=points if status == "passed" else 0.0,
                       max_points=points, status=status, message=message, visibility=visibility,
                       duration_s=0.5, diagnostics=diagnostics)


def report(*checks, assignment="assignment1", **kw):
    return Report(assignment=assignment, submission="/somewhere/kim", checks=checks,
                  created_at="2026-11-30T15:04:05+00:00", grader_version="9.8.7", environment={"python": "3"}, **kw)


FITTED = {"target": [1.0, 2.0, 3.0], "fitted": [1.1, 1.9, 3.2]}
BEIJING = {"test_sample": {"x": [10.0, 50.0], "y": [5.0, 30.0]}, "weights": [1.0, 0.5],
           "picture_texts": {"test_sample": {"caption": "Test hours and your line", "x": "PM10", "y": "PM2.5"}}}
DIGITS = {"confusion_matrix": {"caption": "Confusion on the test digits", "x": "predicted digit", "y": "true digit"}}
LOSSES = [2.0, 1.0, 0.5]
A1 = report(check("linear_regression.weights", fitted_values=FITTED),
            check("end_to_end.r2", "failed", "test R^2 = 0.1", "hidden", **BEIJING))
A2 = report(check("train.history", loss_history=LOSSES[:2]),
            check("train.relu", loss_history=LOSSES, confusion_matrix=[[5, 1], [0, 4]], picture_texts=DIGITS),
            check("train.sigmoid", "failed", "accuracy 0.5", "hidden", loss_history=[3.0, None, 2.0],
                  confusion_matrix=[[1, 5], [4, 0]]), assignment="assignment2")
A3 = report(check("mhsa.no_mask", attention_head=[[0.5, 0.5], [0.2, 0.8]]),
            check("mhsa.causal_mask", "failed", "probs wrong", "hidden", attention_head=[[1.0, 0.0], [0.9, 0.1]]),
            assignment="assignment3")


# -- the page's header ---------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_the_page_names_the_student_escaped_the_grading_date_and_the_grader_version(fmt):
    page = render(A1, fmt, "en", student=HOSTILE)
    assert "2026-11-30 15:04 UTC" in page and "course-grader 9.8.7" in page
    assert "<img src=x" not in page and "\x1b" not in page
    assert ("&lt;img src=x onerror=alert(1)&gt;\\x1b[31m|**x**" if fmt == "html" else
            "&lt;img src=x onerror=alert(1)&gt;\\\\x1b\\[31m\\|\\*\\*x\\*\\*") in page
    korean = render(A1, fmt, "ko", student="kim")
    assert "학생" in korean and "채점 일시" in korean and "채점기 버전" in korean


def test_a_page_without_a_student_names_none():
    assert "student" not in render(A1, "markdown", "en").split("**total")[0]


# -- one message for every check -----------------------------------------------------------

BROKEN = report(*(check(f"c{i}", "error", SYNTAX, "hidden" if i == 2 else "visible") for i in range(18)))


@pytest.mark.parametrize("fmt", ["html", "markdown"])
def test_a_message_every_check_gives_is_said_once_on_the_page(fmt):
    for lang in ("en", "ko"):
        page = render(BROKEN, fmt, lang, show_hidden=False)
        assert page.count("SyntaxError") == 1
        assert page.count({"en": "see above", "ko": "위 참고"}[lang]) == 18
        assert page.count({"en": "error", "ko": "오류"}[lang]) >= 18  # each check keeps its status


def test_the_terminal_table_says_it_once_and_json_keeps_every_check_s_message():
    out = io.StringIO()
    writers.table(BROKEN, Console(file=out, width=200))
    assert out.getvalue().count("SyntaxError") == 1 and out.getvalue().count("see above") == 18
    assert [c["message"] for c in json.loads(writers.to_json(BROKEN))["checks"]] == [SYNTAX] * 18


def test_a_missing_module_s_note_is_not_said_twice():
    missing = report(*(check(f"c{i}", "error", "linear_regression.py not found in kim.") for i in range(3)),
                     notes=("linear_regression.py not found in kim.",))
    assert render(missing, "markdown").count("not found in kim") == 1
    out = io.StringIO()
    writers.table(missing, Console(file=out, width=200))
    assert out.getvalue().count("not found in kim") == 1


def test_different_messages_stay_in_their_rows():
    mixed = report(check("a", "error", "one"), check("b", "error", "two"))
    page = render(mixed, "markdown")
    assert "see above" not in page and "| one |" in page and "| two |" in page


# -- pictures ------------------------------------------------------------------------------

def images(page: str) -> int:
    return page.count('src="data:image/png;base64,')


def test_each_assignment_has_a_picture_before_the_grades_are_published():
    for graded, before, after in ((A1, 1, 2), (A2, 2, 2), (A3, 1, 1)):
        assert images(render(graded, "html", "en")) == before, graded.assignment
        assert images(render(graded, "html", "en", show_hidden=True)) == after, graded.assignment


def test_pictures_before_publication_draw_no_hidden_check_s_data(monkeypatch):
    drawn = []
    monkeypatch.setattr(plots, "_png", lambda fig: drawn.append(fig) or "data:image/png;base64,")
    for graded in (A1, A2, A3):
        render(graded, "html", "en")
    curves = [list(line.get_ydata()) for fig in drawn for ax in fig.axes for line in ax.lines]
    assert LOSSES[:2] in curves and LOSSES in curves and not any(curve[0] == 3.0 for curve in curves)
    matrices = [image.get_array().tolist() for fig in drawn for ax in fig.axes for image in ax.images]
    assert matrices == [[[5, 1], [0, 4]], [[0.5, 0.5], [0.2, 0.8]]]  # the visible checks' only
    assert len(drawn[0].axes[0].collections[0].get_offsets()) == len(FITTED["target"])  # not the Beijing hours


def test_every_picture_has_labels_on_both_axes(monkeypatch):
    drawn = []
    monkeypatch.setattr(plots, "_png", lambda fig: drawn.append(fig) or "data:image/png;base64,")
    for graded in (A1, A2, A3):
        render(graded, "html", "en", show_hidden=True)
    labels = [(ax.get_xlabel(), ax.get_ylabel()) for fig in drawn for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert len(labels) == 5 and all(x and y for x, y in labels), labels
    assert ("epoch", "mean training loss") in labels and ("predicted digit", "true digit") in labels


def test_axis_labels_speak_the_page_s_language_where_a_font_writes_it(monkeypatch):
    drawn = []
    monkeypatch.setattr(plots, "_png", lambda fig: drawn.append(fig) or "data:image/png;base64,")
    render(A2, "html", "ko")
    expected = ("에포크", "평균 학습 손실") if plots._fonts("ko") else ("epoch", "mean training loss")
    assert (drawn[0].axes[0].get_xlabel(), drawn[0].axes[0].get_ylabel()) == expected


def test_a_loss_history_that_is_not_numbers_draws_nothing():
    odd = report(check("train.history", loss_history=["a", "b"]), assignment="assignment2")
    assert images(render(odd, "html")) == 0


# -- stored reports and their files --------------------------------------------------------

def test_a_stored_report_comes_back_as_it_was_and_a_forged_score_is_refused():
    late = report(check("a"), check("b", "failed", "no"), adjustments=(Adjustment("1 day late: -10%", -0.1),),
                  submitted_at="2026-12-02T10:00:00+09:00")
    for original in (late, BROKEN, A2):
        data = json.loads(original.to_json())
        assert Report.from_dict(data).to_dict() == data
    forged = json.loads(late.to_json()) | {"score": 25}
    with pytest.raises(ValueError, match="says 25/2"):
        Report.from_dict(forged)


@pytest.mark.parametrize("student", ["../../etc/passwd", "-rf", ".bashrc", "CON", "nul.txt", "a/b", "", "x" * 300,
                                     HOSTILE, "kim\u202egpj.exe", "a b"])
def test_a_hostile_student_id_gets_a_safe_file_name_of_its_own(student):
    stem = feedback.file_stem(student, set())
    assert stem and len(stem) <= 80 and all(c.isalnum() or c in "._-" for c in stem)
    assert not stem.startswith((".", "-")) and stem.split(".")[0].lower() not in feedback.RESERVED
    assert stem != feedback.file_stem(student + "!", set())


def test_plain_ids_keep_their_name_and_ids_differing_in_case_get_two_files():
    taken = set()
    assert [feedback.file_stem(s, taken) for s in ("kim", "김철수", "lee.2")] == ["kim", "김철수", "lee.2"]
    first, second = feedback.file_stem("Bob", taken), feedback.file_stem("bob", taken)
    assert first == "Bob" and second.startswith("bob-") and second.lower() != first.lower()


def gradebook_of(path, grades: dict) -> None:
    with Gradebook(path) as book:
        run = book.start_run("assignment1", "9.8.7")
        for student, graded in grades.items():
            book.record(run, student, "sha", graded.to_dict())
        book.finish_run(run)


def test_feedback_writes_every_student_s_pages_and_an_index(tmp_path):
    gradebook_of(tmp_path / "gb.sqlite", {"kim": A1, HOSTILE: BROKEN, "=cmd|' /C calc'!A0": A1})
    result = CliRunner().invoke(cli, ["gradebook", "feedback", "--gradebook", str(tmp_path / "gb.sqlite"),
                                      "--out", str(tmp_path / "pages")])
    assert result.exit_code == 0, result.output
    assert "3 feedback page(s) written" in result.output
    rows = list(csv.DictReader(open(tmp_path / "pages" / "index.csv", encoding="utf-8")))
    assert sorted(r["student"] for r in rows) == sorted(["kim", HOSTILE.replace("\x1b", "\\x1b"), "'=cmd|' /C calc'!A0"])
    for row in rows:
        html = (tmp_path / "pages" / row["html"]).read_text(encoding="utf-8")
        markdown = (tmp_path / "pages" / row["markdown"]).read_text(encoding="utf-8")
        assert "<img" not in html.split("<h2>")[0] and "course-grader 9.8.7" in html and "9.8.7" in markdown
    assert "kim.html" in {r["html"] for r in rows}
    kim = (tmp_path / "pages" / "kim.html").read_text(encoding="utf-8")
    assert "kim" in kim and "test R^2 = 0.1" not in kim and images(kim) == 1  # hidden details stay hidden


def test_a_stored_report_that_does_not_parse_gets_a_line_and_no_page_and_the_others_theirs(tmp_path):
    gradebook_of(tmp_path / "gb.sqlite", {"kim": A1, "lee": A1, "park": A1})
    with sqlite3.connect(tmp_path / "gb.sqlite") as db:
        db.execute("UPDATE grades SET report = '{not json' WHERE student = 'lee'")
        db.execute("""UPDATE grades SET report = '{"checks": []}' WHERE student = 'park'""")
    result = CliRunner().invoke(cli, ["gradebook", "feedback", "--gradebook", str(tmp_path / "gb.sqlite"),
                                      "--out", str(tmp_path / "pages")])
    assert result.exit_code == 0, result.output
    assert "1 feedback page(s) written" in result.stdout and (tmp_path / "pages" / "kim.html").is_file()
    lines = result.stderr.splitlines()
    assert len(lines) == 2 and lines[0].startswith("no page: the stored report of lee (run 1) cannot be read")
    assert "park" in lines[1] and "--regrade" in lines[1] and not (tmp_path / "pages" / "lee.html").exists()


def test_a_file_that_is_no_gradebook_is_named_as_such(tmp_path):
    (tmp_path / "notes.sqlite").write_text("these are my notes, not a database " * 50)
    result = CliRunner().invoke(cli, ["gradebook", "show", "kim", "--gradebook", str(tmp_path / "notes.sqlite")])
    assert result.exit_code == 1 and "notes.sqlite is not a gradebook (file is not a database)" in result.output


def test_show_prints_a_stored_report_and_names_the_students_when_the_id_is_unknown(tmp_path):
    gradebook_of(tmp_path / "gb.sqlite", {"kim": A1, "lee": BROKEN})
    def run(*args):
        return CliRunner().invoke(cli, ["gradebook", "show", *args, "--gradebook", str(tmp_path / "gb.sqlite")])
    shown = run("kim", "--format", "json")
    assert shown.exit_code == 0 and json.loads(shown.output) == A1.to_dict()
    assert "student: lee" in run("lee", "--format", "markdown").output
    unknown = run("park")
    assert unknown.exit_code == 1 and "no grade of park for assignment1" in unknown.output
    assert "kim, lee" in unknown.output
    missing = CliRunner().invoke(cli, ["gradebook", "show", "kim", "--gradebook", str(tmp_path / "none.sqlite")])
    assert missing.exit_code == 1 and "none.sqlite not found" in missing.output
    assert not (tmp_path / "none.sqlite").exists()


def test_with_two_assignments_in_the_gradebook_show_asks_which(tmp_path):
    gradebook_of(tmp_path / "gb.sqlite", {"kim": A1})
    with Gradebook(tmp_path / "gb.sqlite") as book:
        book.record(book.start_run("assignment2", "9.8.7"), "kim", "sha", A2.to_dict())
    result = CliRunner().invoke(cli, ["gradebook", "show", "kim", "--gradebook", str(tmp_path / "gb.sqlite")])
    assert result.exit_code == 1 and "assignment1, assignment2; say which with --assignment" in result.output
    result = CliRunner().invoke(cli, ["gradebook", "show", "kim", "--gradebook", str(tmp_path / "gb.sqlite"),
                                      "--assignment", "assignment2", "--format", "json"])
    assert json.loads(result.output)["assignment"] == "assignment2"


# -- progress per check --------------------------------------------------------------------

def test_progress_shows_on_a_terminal_and_nowhere_else():
    with writers.progress_per_check("assignment2", Console(file=io.StringIO())) as progress:
        assert progress is None
    screen = io.StringIO()
    with writers.progress_per_check("assignment2", Console(file=screen, force_terminal=True, width=100)) as progress:
        progress("train.relu", 3, 18)
    assert "assignment2" in screen.getvalue() and "train.relu" in screen.getvalue()


def test_curves_and_an_image_grid_are_drawn_from_their_own_checks_data(monkeypatch):
    """Named series against 0, 1, ... (one picture per check), and rows of grey-level images
    captioned one by one (one picture per check with a grid to draw); data that is neither is left out."""
    drawn = []
    monkeypatch.setattr(plots, "_png", lambda fig: drawn.append(fig) or "data:image/png;base64,")
    digit = [[0, 255], [128, 0]]
    rates = {"step (yours)": [0.1, 0.1, 0.05], "step (expected)": [0.1, 0.05, 0.05]}
    graded = report(check("broken", curves={"a": "text"}, image_grid={"images": [["x"]]}),
                    check("lr_at", curves=rates,
                          picture_texts={"curves": {"caption": "Your rates", "x": "epoch", "y": "learning rate"}}),
                    check("knn", image_grid={"images": [[digit] * 3, [digit]], "labels": [["4 → 9", "4", "9"], ["1"]]}),
                    check("train", curves={"learning rate": [0.5, None, 0.25]}),
                    check("encoding", image_grid={"images": [[[[0.5, -0.5]], [[1, 0]]]], "labels": [["yours"]]},
                          picture_texts={"image_grid": {"caption": "Your encoding"}}), assignment="assignment4")
    page = render(graded, "html", "en")
    assert images(page) == 4 and "Your encoding" in page and "Your rates" in page and "Values per epoch" in page and "Images" in page
    lines = drawn[0].axes[0].lines
    assert [line.get_label() for line in lines] == list(rates) and list(lines[0].get_xdata()) == [0, 1, 2]
    assert [list(line.get_ydata()) for line in lines] == list(rates.values())
    assert (drawn[0].axes[0].get_xlabel(), drawn[0].axes[0].get_ylabel()) == ("epoch", "learning rate")
    grid = drawn[2]
    assert [ax.get_title() for ax in grid.axes] == ["4 → 9", "4", "9", "1", "", ""]
    assert [ax.images[0].get_array().tolist() for ax in grid.axes if ax.images] == [digit] * 4
    assert [ax.get_title() for ax in drawn[3].axes] == ["yours", ""]
    assert [ax.images[0].get_array().tolist() for ax in drawn[3].axes] == [[[0.5, -0.5]], [[1, 0]]]
    assert "이미지" in render(graded, "html", "ko")


def test_a_picture_has_the_check_s_own_texts_else_its_kind_s_generic_ones(monkeypatch):
    """The engine knows kinds of pictures, not assignments: a check names its picture's caption
    and axes (translated by its assignment's locales); one that does not gets generic texts."""
    drawn = []
    monkeypatch.setattr(plots, "_png", lambda fig: drawn.append(fig) or "data:image/png;base64,")
    page = render(A2, "html", "en")
    assert "Confusion on the test digits" in page
    axes = [(ax.get_xlabel(), ax.get_ylabel()) for fig in drawn for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert ("predicted digit", "true digit") in axes
    plain = report(check("train.relu", confusion_matrix=[[5, 1], [0, 4]],
                         picture_texts={"confusion_matrix": {"caption": 3, "x": None}}), assignment="assignment2")
    drawn.clear()
    page = render(plain, "html", "en")  # texts that are not strings are not used
    assert "Confusion matrix (rows: true class, columns: predicted class)" in page
    assert (drawn[0].axes[0].get_xlabel(), drawn[0].axes[0].get_ylabel()) == ("predicted class", "true class")
