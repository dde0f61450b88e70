"""`course grade --format gradescope|markdown|html --lang en|ko` and `course check --lang`, as users call them."""
import json
import re
import shutil
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from grader import course
from grader.cli import cli
from grader.grade import main as grading

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "grader" / "schemas" / "gradescope.schema.json").read_text())


def run(*args):
    return CliRunner().invoke(cli, ["grade", "assignment1", *args], catch_exceptions=False)


def test_gradescope_results_go_to_the_output_file(tmp_path, data_dir):
    out = tmp_path / "results.json"
    result = run("--reference", "--format", "gradescope", "--output", str(out), "--data-dir", str(data_dir))
    assert result.exit_code == 0 and "25 / 25" in result.output
    found = json.loads(out.read_text())
    jsonschema.validate(found, SCHEMA)
    assert found["score"] == 25 and len(found["tests"]) == 18


def test_markdown_in_korean_on_the_terminal(data_dir):
    result = run("--format", "markdown", "--lang", "ko", "--data-dir", str(data_dir))
    assert result.exit_code == 0
    assert "**총점: 0 / 25**" in result.output and "아직 구현되지 않았습니다" in result.output
    assert "비공개 검사 항목입니다" in result.output


def test_html_page_with_hidden_checks_shown(tmp_path, data_dir):
    out = tmp_path / "kim.html"
    result = run("--reference", "--format", "html", "--lang", "ko", "--show-hidden", "--output", str(out),
                 "--data-dir", str(data_dir))
    assert result.exit_code == 0
    page = out.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and '<html lang="ko">' in page
    # the split is drawn with the course secret: the reference's test R^2 is 0.76-0.80
    # the fitted values of the visible linear_regression.weights, and with the hidden shown the Beijing test hours
    assert re.search(r"테스트 R\^2 = 0\.(7[6-9]|80)\d\d", page) and page.count("data:image/png;base64,") == 2


def test_table_and_json_speak_korean_too(tmp_path, data_dir):
    table = run("--reference", "--lang", "ko", "--data-dir", str(data_dir))
    assert "정답입니다." in table.output and "총점: 25 / 25" in table.output and "통과" in table.output
    assert not {"total", "passed", "check", "message"} & set(table.output.split())
    out = tmp_path / "report.json"
    run("--reference", "--format", "json", "--lang", "ko", "--output", str(out), "--data-dir", str(data_dir))
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["score"] == 25 and report["checks"][0]["title"].startswith("drop_missing은")


def test_the_page_names_the_student_of_the_submission_and_shows_a_visible_picture(tmp_path, data_dir):
    kim = tmp_path / "submitted" / "kim" / "assignment1"  # nbgrader's layout: the student is kim
    shutil.copytree(course.get("assignment1").solution_dir, kim)
    out = tmp_path / "kim.html"
    result = run("--submission", str(kim), "--format", "html", "--output", str(out), "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert '<p class="about"><b>student:</b> kim</p>' in page and "graded on:" in page and "course-grader " in page
    assert page.count("data:image/png;base64,") == 1  # before the grades are published: a visible check's picture


def test_progress_is_announced_per_check_and_json_on_a_pipe_stays_clean(data_dir):
    announced = []
    report = grading(assignment_id="assignment1", reference=True, data_dir=data_dir,
                     progress=lambda check_id, done, total: announced.append((check_id, done, total)))
    assert announced == [(c.id, i, len(report.checks)) for i, c in enumerate(report.checks)]
    result = CliRunner().invoke(cli, ["grade", "assignment1", "--reference", "--format", "json",
                                      "--data-dir", str(data_dir)])
    assert json.loads(result.stdout)["score"] == 25 and result.stderr == ""


def test_check_speaks_korean_too(data_dir):
    result = CliRunner().invoke(cli, ["check", "assignment1", "--lang", "ko", "--data-dir", str(data_dir)],
                                catch_exceptions=False)
    assert result.exit_code == 0
    assert "총점: 0 / " in result.output and "미구현" in result.output and "아직 구현되지 않았습니다" in result.output
    assert "공개 검사 항목만 실행한 결과입니다." in result.output and "visible checks only" not in result.output
