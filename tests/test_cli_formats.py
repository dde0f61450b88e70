"""`course grade --format gradescope|markdown|html --lang en|ko` and `course check --lang`, as users call them."""
import json
import re
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from grader.cli import cli

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
    assert re.search(r"테스트 R\^2 = 0\.(7[6-9]|80)\d\d", page) and page.count("data:image/png;base64,") == 1


def test_table_and_json_speak_korean_too(tmp_path, data_dir):
    table = run("--reference", "--lang", "ko", "--data-dir", str(data_dir))
    assert "정답입니다." in table.output and "총점: 25 / 25" in table.output and "통과" in table.output
    assert not {"total", "passed", "check", "message"} & set(table.output.split())
    out = tmp_path / "report.json"
    run("--reference", "--format", "json", "--lang", "ko", "--output", str(out), "--data-dir", str(data_dir))
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["score"] == 25 and report["checks"][0]["title"].startswith("drop_missing은")


def test_check_speaks_korean_too(data_dir):
    result = CliRunner().invoke(cli, ["check", "assignment1", "--lang", "ko", "--data-dir", str(data_dir)],
                                catch_exceptions=False)
    assert result.exit_code == 0
    assert "총점: 0 / " in result.output and "미구현" in result.output and "아직 구현되지 않았습니다" in result.output
    assert "공개 검사 항목만 실행한 결과입니다." in result.output and "visible checks only" not in result.output
