"""The `course` command line, as users call it."""
import json
import shutil
import subprocess
import sys
from pathlib import Path

import click
import jsonschema
import pytest
from click.testing import CliRunner

from grader.cli import cli

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "grader" / "schemas" / "report.schema.json").read_text())


def run(*args, env=None):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def commands(group=cli, prefix=()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from commands(command, prefix + (name,))
        else:
            yield prefix + (name,), command


@pytest.mark.parametrize("path, command", list(commands()), ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_command_is_documented_with_an_example(path, command):
    assert command.help and "Example: course " + " ".join(path) in command.help


def test_grade_writes_a_json_report_that_matches_the_schema(tmp_path, data_dir):
    out = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "grader.cli", "grade", "assignment1", "--reference", "--format", "json",
         "--output", str(out), "--data-dir", str(data_dir)], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    jsonschema.validate(report, SCHEMA)
    assert report["score"] == report["max_score"] == 25 and report["complete"]
    assert "25 / 25" in result.stderr


def test_grade_defaults_to_the_students_working_copy(data_dir):
    result = run("grade", "assignment1", "--data-dir", str(data_dir))
    assert result.exit_code == 0
    assert "not implemented yet" in result.output and "total: 0 / 25" in result.output


def test_grade_shows_the_table_with_checks_and_total(tmp_path, data_dir):
    shutil.copy(ROOT / "solutions" / "assignment1" / "linear_regression.py", tmp_path)
    result = run("grade", "assignment1", "--submission", str(tmp_path), "--data-dir", str(data_dir))
    assert "metrics.r2_score" in result.output and "passed" in result.output
    assert "total: 25 / 25" in result.output


def test_an_incomplete_grade_exits_3_and_says_so(tmp_path):
    result = run("grade", "assignment1", "--reference", "--data-dir", str(tmp_path / "no-data"),
                 env={"COURSE_DATA_DIR": "", "COURSE_CACHE_DIR": str(tmp_path / "cache")})
    assert result.exit_code == 3 and "incomplete" in result.output


def test_unknown_assignment_suggests_the_right_one():
    result = run("grade", "assignmnet1")
    assert result.exit_code == 1
    assert "unknown assignment 'assignmnet1'" in result.output and "Did you mean assignment1?" in result.output
    assert "Traceback" not in result.output


def test_list_shows_points_and_checks():
    result = run("list")
    assert "assignment1  25 points  18 checks" in result.output


def test_data_verify_reports_ok_and_missing(tmp_path, data_dir):
    good = run("data", "verify", "air_quality", "--data-dir", str(data_dir))
    assert good.exit_code == 0 and good.output.count("OK") == 12
    bad = run("data", "verify", "air_quality", "--data-dir", str(tmp_path),
              env={"COURSE_DATA_DIR": "", "COURSE_CACHE_DIR": str(tmp_path / "cache")})
    assert bad.exit_code == 1 and bad.output.count("MISSING") == 12
    assert "course data fetch air_quality" in bad.output


def test_unknown_dataset_is_a_clear_error():
    result = run("data", "fetch", "cifar")
    assert result.exit_code == 1 and "unknown dataset(s) cifar" in result.output


def test_data_fetch_downloads_into_the_cache_and_verify_then_passes(isolated, server):
    env = {"COURSE_DATA_DIR": "", "COURSE_CACHE_DIR": str(isolated / "cache")}
    result = run("data", "fetch", "air_quality", "--source", f"{server}/good.zip", env=env)
    assert result.exit_code == 0 and "air_quality: 12 files verified" in result.output
    assert run("data", "verify", "air_quality", env=env).output.count("OK") == 12


def test_grade_reference_without_the_reference_says_so(tmp_path, monkeypatch):
    from grader.assignments import Assignment
    monkeypatch.setattr(Assignment, "solution_dir", property(lambda self: tmp_path / "solutions" / self.id))
    result = CliRunner().invoke(cli, ["grade", "assignment1", "--reference"])
    assert result.exit_code == 1
    assert "no reference solution of assignment1 here" in result.output and "0 / " not in result.output
