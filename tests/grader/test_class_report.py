"""`course class-report` on a small class graded by grade-all: the JSON's counts against the
gradebook's own rows, the mistakes ranked with the catalogue's text, hidden checks labelled,
late penalties and an incomplete grading, links that open each student's feedback page, a
hostile student id escaped, the page in headless Chromium in English and Korean, and every
bad input a clear message or one line."""
import csv
import json
import re
import shutil
import sqlite3
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner
from matplotlib.image import imread

from grader import batch, course
from grader.cli import cli
from grader.formats import class_page
from grader.formats.escape import html as escape
from grader.i18n import translate, translation
from tests.grader.test_formats import CHROMIUM, screenshot
from tests.support import corpus_of, write_mutant

CORRECT, MISTAKES = corpus_of("assignment1", "CORRECT", "MISTAKES")
A1 = course.get("assignment1")
HOSTILE = "<img src=x onerror=alert(1)>"
CLASS = {"ann": "mae_squared", "bob": "mae_squared", HOSTILE: "mae_squared", "cho": "bias_column_last",
         "dan": "split_ignores_seed", "김민준": "r2_uncentred", "eve": None, "late": None}
COURSE_TOML = """[assignments.assignment1]
due = 2026-12-01T23:59:00+09:00
late_penalty_per_day = 0.1
"""
TIMES = "student,submitted_at\nlate,2026-12-03T10:00:00+09:00\nann,2026-12-01T20:00:00+09:00\n"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gradebook(tmp_path_factory, data_dir) -> Path:
    """CLASS graded by grade-all (one of them two days late), then in a second run `frank`
    with the dataset missing, so his grading is incomplete."""
    root = tmp_path_factory.mktemp("class-report")
    for student, mistake in CLASS.items():
        write_mutant("assignment1", MISTAKES[mistake] if mistake else CORRECT["solve"], root / "class" / student)
    (root / "course.toml").write_text(COURSE_TOML)
    (root / "times.csv").write_text(TIMES)
    book = root / "grades.sqlite"
    options = {"assignment_id": "assignment1", "gradebook": book, "workers": 2, "progress": False}
    batch.main(submissions=root / "class", data_dir=data_dir, course_file_path=root / "course.toml",
               submitted_at=root / "times.csv", **options)
    write_mutant("assignment1", CORRECT["solve"], root / "second" / "frank")
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("COURSE_DATA_DIR", raising=False)
        patch.setenv("COURSE_CACHE_DIR", str(root / "empty-cache"))
        batch.main(submissions=root / "second", data_dir=root / "no-data", **options)
    return book


def class_report(book: Path, out: Path, *options: str):
    return CliRunner().invoke(cli, ["class-report", "assignment1", "--gradebook", str(book), "--out", str(out),
                                    *options])


@pytest.fixture(scope="module")
def written(gradebook, tmp_path_factory) -> dict[str, Path]:
    """The class report in English and in Korean, with the feedback pages: lang -> its folder."""
    folders = {}
    for lang in ("en", "ko"):
        folders[lang] = tmp_path_factory.mktemp(f"report-{lang}")
        result = class_report(gradebook, folders[lang], "--lang", lang, "--with-feedback")
        assert result.exit_code == 0, result.output
    return folders


def data_of(folder: Path) -> dict:
    return json.loads((folder / "class-report.json").read_text(encoding="utf-8"))


def page_of(folder: Path) -> str:
    return (folder / "class-report.html").read_text(encoding="utf-8")


def newest_rows(book: Path) -> dict[str, dict]:
    """Each student's newest stored report, read straight from the gradebook's table."""
    with sqlite3.connect(book) as db:
        rows = db.execute("SELECT student, report FROM grades g WHERE run_id = (SELECT max(run_id) FROM grades "
                          "WHERE student = g.student AND assignment = 'assignment1')").fetchall()
    return {student: json.loads(report) for student, report in rows}


# -- the numbers -----------------------------------------------------------------------------

def test_the_json_counts_are_the_gradebook_s(gradebook, written):
    rows, data = newest_rows(gradebook), data_of(written["en"])
    assert set(rows) == set(CLASS) | {"frank"}
    assert data["summary"]["students"] == len(rows) == len(data["students"])
    percents = {s: 100 * r["score"] / r["max_score"] for s, r in rows.items()}
    assert data["summary"]["mean_percent"] == pytest.approx(sum(percents.values()) / len(percents), abs=0.01)
    bins = Counter(min(9, int(p // 10)) for p in percents.values())
    assert [b["students"] for b in data["histogram"]] == [bins[i] for i in range(10)]
    assert [(b["from"], b["to"]) for b in data["histogram"]] == [(i * 10, i * 10 + 10) for i in range(10)]
    for check in data["checks"]:
        results = [c for r in rows.values() for c in r["checks"] if c["id"] == check["id"]]
        assert (check["passed"], check["total"]) == (sum(c["status"] == "passed" for c in results), len(rows))
        assert check["hidden"] == (results[0]["visibility"] == "hidden")
    assert [c["id"] for c in data["checks"]] == [c.id for c in A1.rubric.checks]
    by_student = {row["student"]: row for row in data["students"]}
    assert {s: (row["score"], row["max_score"]) for s, row in by_student.items()} == \
        {s: (r["score"], r["max_score"]) for s, r in rows.items()}
    slowest = sorted(rows, key=lambda s: -sum(c["duration_s"] for c in rows[s]["checks"]))[:5]
    assert [row["student"] for row in data["slowest"]] == slowest


def test_known_mistakes_are_ranked_by_students_with_the_catalogue_s_text(gradebook, written):
    mistakes, rows = data_of(written["en"])["mistakes"], newest_rows(gradebook)
    made = Counter(m for m in CLASS.values() if m)
    assert [(m["id"], m["students"]) for m in mistakes] == sorted(made.items(), key=lambda m: (-m[1], m[0]))
    assert mistakes[0]["who"] == sorted(["ann", "bob", HOSTILE])
    assert all(m["text"] == A1.rubric.mistakes[m["id"]].text for m in mistakes)
    assert mistakes[0]["share"] == round(3 / (len(CLASS) + 1), 4)
    for m in mistakes:
        assert m["checks"] == sorted({c["id"] for r in rows.values() for c in r["checks"] if c["diagnosis"] == m["id"]})
    korean = data_of(written["ko"])["mistakes"]
    assert [m["text"] for m in korean] == [translate(A1.rubric.mistakes[m["id"]].text, "ko") for m in mistakes]
    assert all(m["text"] != e["text"] for m, e in zip(korean, mistakes))


def test_the_late_submission_and_its_penalty_and_the_incomplete_grading(gradebook, written):
    data, rows = data_of(written["en"]), newest_rows(gradebook)
    (late,) = data["late"]
    assert late["student"] == "late" and late["submitted_at"] == "2026-12-03T10:00:00+09:00"
    assert late["penalty"] == rows["late"]["adjustments"][0]["points"] == -0.2 * rows["late"]["checks_score"]
    assert "2 day(s) after the deadline" in late["reasons"][0]
    assert {r["student"]: r["penalty"] for r in data["students"]}["ann"] == 0  # on time: no penalty
    (incomplete,) = data["incomplete"]
    assert incomplete["student"] == "frank" and not rows["frank"]["complete"]
    assert [c["id"] for c in incomplete["checks"]] == \
        [c["id"] for c in rows["frank"]["checks"] if c["status"] == "grader_error"] != []
    assert "air_quality" in incomplete["checks"][0]["message"]
    assert data["summary"]["complete"] == len(rows) - 1


# -- the page --------------------------------------------------------------------------------

def test_the_page_is_self_contained_for_instructors_and_labels_hidden_checks(written):
    page, data = page_of(written["en"]), data_of(written["en"])
    assert "<script" not in page and not re.search(r'src="|@import|url\(', page)
    assert all(not re.match(r"[a-z]+:|//|/", href) for href in re.findall(r'href="([^"]*)"', page))
    assert escape(class_page.FOR_INSTRUCTORS) in page
    hidden = [c for c in A1.rubric.checks if c.hidden]
    assert page.count('class="status hidden-label">hidden</span>') == len(hidden) > 0
    for check in hidden:
        assert re.search(re.escape(escape(check.title)) + r' <span class="status hidden-label">hidden</span><br><code>'
                         + re.escape(check.id), page)
    assert all(escape(A1.rubric.mistakes[m["id"]].text) in page for m in data["mistakes"])


def test_every_student_links_to_their_own_feedback_page(gradebook, written, tmp_path):
    folder = written["en"]
    links = [unquote(href) for href in re.findall(r'<a href="([^"]+)"', page_of(folder))]
    assert len(links) == len(newest_rows(gradebook)) and all((folder / link).is_file() for link in links)
    result = CliRunner().invoke(cli, ["gradebook", "feedback", "--gradebook", str(gradebook), "--out",
                                      str(tmp_path / "pages")])
    assert result.exit_code == 0, result.output
    index = {row["student"]: f"feedback/{row['html']}" for row in
             csv.DictReader(open(tmp_path / "pages" / "index.csv", encoding="utf-8"))}
    assert {row["student"]: row["feedback"] for row in data_of(folder)["students"]} == index
    hostile = (folder / index[HOSTILE]).read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=alert(1)&gt;" in hostile and HOSTILE not in hostile


def test_a_hostile_student_id_is_escaped_everywhere_on_the_page(written):
    for lang, folder in written.items():
        page = page_of(folder)
        assert HOSTILE not in page and "<img" not in page
        assert page.count("&lt;img src=x onerror=alert(1)&gt;") >= 2  # its row, and who made mae_squared
    assert HOSTILE in {row["student"] for row in data_of(written["en"])["students"]}  # JSON keeps the id


def test_the_korean_page_has_every_word_of_its_own_in_korean(written):
    missing = [text for text in class_page.TEXTS if translation(text, "ko") in (None, text)]
    assert missing == []
    korean = page_of(written["ko"])
    assert escape(class_page.FOR_INSTRUCTORS) not in korean
    assert escape(translate(class_page.FOR_INSTRUCTORS, "ko")) in korean
    assert '<html lang="ko">' in korean and 'class="status hidden-label">비공개</span>' in korean
    assert all(escape(translate(c.title, "ko")) in korean for c in A1.rubric.checks)


@pytest.mark.skipif(not CHROMIUM, reason="headless Chromium is not installed (apt-get install chromium)")
def test_the_page_renders_in_headless_chromium_in_english_and_korean_without_console_errors(written, tmp_path):
    for lang, folder in written.items():
        png = tmp_path / f"class-report-{lang}.png"
        run = screenshot(folder / "class-report.html", png, tmp_path)
        assert run.returncode == 0, run.stderr[-2000:]
        assert "CONSOLE" not in run.stderr and "Uncaught" not in run.stderr, run.stderr[-2000:]
        image = imread(png)
        assert image.shape[:2] == (1600, 1200)
        blue = (abs(image[..., 0] - 0x4C / 255) < 0.02) & (abs(image[..., 2] - 0xB0 / 255) < 0.02)
        assert blue.sum() > 500, f"{png.name}: no bar of the histogram or the pass rates drawn"
    broken = tmp_path / "broken.html"  # the check above sees a console error where there is one
    broken.write_text('<html><body><script>console.error("boom")</script></body></html>')
    assert "CONSOLE" in screenshot(broken, tmp_path / "broken.png", tmp_path).stderr


# -- bad inputs --------------------------------------------------------------------------------

def test_a_stored_report_that_does_not_parse_is_one_line_and_the_rest_is_reported(gradebook, tmp_path):
    book = tmp_path / "damaged.sqlite"
    shutil.copy(gradebook, book)
    with sqlite3.connect(book) as db:
        db.execute("UPDATE grades SET report = '{not json' WHERE student = 'bob'")
        db.execute("""UPDATE grades SET report = '{"assignment": "assignment1"}' WHERE student = 'cho'""")
    result = class_report(book, tmp_path / "out", "--with-feedback")
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("left out:")]
    assert len(lines) == 2 and "of bob" in lines[0] and "of cho" in lines[1] and "--regrade" in lines[0]
    data = data_of(tmp_path / "out")
    assert [row["student"] for row in data["unreadable"]] == ["bob", "cho"]
    assert data["summary"]["students"] == len(CLASS) + 1 - 2
    assert "Stored reports that cannot be read" in page_of(tmp_path / "out")
    assert not (tmp_path / "out" / "feedback" / "bob.html").exists()
    assert (tmp_path / "out" / "feedback" / "ann.html").is_file()


def test_bad_inputs_each_get_a_clear_message(gradebook, tmp_path):
    (tmp_path / "garbage.sqlite").write_text("not a database at all " * 100)
    (tmp_path / "a-file").write_text("")
    cases = {
        "not found; give the file grade-all wrote": ("assignment1", tmp_path / "none.sqlite", tmp_path / "o1"),
        "is not a gradebook": ("assignment1", tmp_path / "garbage.sqlite", tmp_path / "o2"),
        "unknown assignment 'assignment9'": ("assignment9", gradebook, tmp_path / "o3"),
        "holds no grade of assignment2; it holds assignment1": ("assignment2", gradebook, tmp_path / "o4"),
        "a-file' is a file": ("assignment1", gradebook, tmp_path / "a-file"),
    }
    for expected, (aid, book, out) in cases.items():
        result = CliRunner().invoke(cli, ["class-report", aid, "--gradebook", str(book), "--out", str(out)])
        assert result.exit_code == 1 and expected in result.output and "Traceback" not in result.output, \
            (expected, result.output)
    assert not (tmp_path / "none.sqlite").exists() and not any((tmp_path / f"o{i}").exists() for i in range(1, 5))
    empty = tmp_path / "empty.sqlite"
    sqlite3.connect(empty).close()
    result = CliRunner().invoke(cli, ["class-report", "assignment1", "--gradebook", str(empty), "--out",
                                      str(tmp_path / "o5")])
    assert result.exit_code == 1 and "holds no grade yet" in result.output
