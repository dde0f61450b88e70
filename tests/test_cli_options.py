"""What the command line accepts: every option checked before any work, usage problems exit 1,
one rule for the files commands write, and every shape of submission grade-all takes."""
import json
import shutil
import zipfile
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from grader import course
from grader.cli import cli
from grader.gradebook import Gradebook
from tests.test_cli import commands

A1 = course.get("assignment1")
REFERENCE = A1.solution_dir / "linear_regression.py"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("path, command", list(commands()), ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_option_says_what_it_is_for(path, command):
    bare = [p.name for p in command.params if isinstance(p, click.Option) and not p.help]
    assert bare == [], f"course {' '.join(path)}: options without help"


TIMED = [("grade", "assignment1"), ("check", "assignment1"), ("grade-all", "assignment1", "SUBMISSIONS")]


@pytest.mark.parametrize("scale", ["0", "-1", "nan", "inf"])
@pytest.mark.parametrize("command", TIMED, ids=lambda c: c[0])
def test_a_time_scale_that_is_not_above_0_is_refused_before_any_grading(command, scale, tmp_path):
    args = [tmp_path if a == "SUBMISSIONS" else a for a in command]
    result = run(*args, "--time-scale", scale, *(["--gradebook", tmp_path / "gb.sqlite"] if "grade-all" in args else []))
    assert result.exit_code == 1, result.output
    assert "--time-scale" in result.output or "time scale" in result.output
    assert "total:" not in result.output and not (tmp_path / "gb.sqlite").exists()


@pytest.mark.parametrize("option", [("--workers", "0"), ("--workers", "-2"), ("--format", "yaml"),
                                    ("--device", "tpu"), ("--lang", "fr")])
def test_a_bad_option_exits_1_as_the_readme_says(option):
    command = ["grade-all", "assignment1", "."] if option[0] == "--workers" else ["grade", "assignment1"]
    result = run(*command, *option)
    assert result.exit_code == 1 and f"Invalid value for '{option[0]}'" in result.output


def test_an_unknown_option_exits_1_too():
    result = run("grade", "assignment1", "--timescale", "2")
    assert result.exit_code == 1 and "No such option '--timescale'" in result.output


@pytest.mark.parametrize("command", ["grade", "check"])
@pytest.mark.parametrize("name", ["erin.zip", "dave.py", "kim"])
def test_a_submission_that_does_not_exist_exits_1_naming_it(command, name, tmp_path):
    result = run(command, "assignment1", "--submission", tmp_path / name)
    assert result.exit_code == 1 and f"{tmp_path / name}' does not exist" in result.output
    assert "total:" not in result.output


def test_course_grade_takes_a_zip_and_a_lone_py_as_grade_all_does(tmp_path, data_dir):
    with zipfile.ZipFile(tmp_path / "erin.zip", "w") as z:
        z.writestr("work/linear_regression.py", REFERENCE.read_text())
    shutil.copy(REFERENCE, tmp_path / "dave.py")
    for name in ("erin.zip", "dave.py"):
        result = run("grade", "assignment1", "--submission", tmp_path / name, "--format", "json",
                     "--data-dir", data_dir, "--time-scale", "0.5")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["score"] == 25 and report["submission"] == str(tmp_path / name)


def test_course_grade_names_what_it_cannot_read_in_a_zip(tmp_path):
    (tmp_path / "erin.zip").write_text("not a zip")
    result = run("grade", "assignment1", "--submission", tmp_path / "erin.zip")
    assert result.exit_code == 1 and "erin.zip is not a zip file; make it again" in result.output


def blocked(tmp_path: Path) -> Path:
    """A path whose folder cannot be made: a file stands where the folder should be."""
    (tmp_path / "taken").write_text("a file, not a folder")
    return tmp_path / "taken" / "sub" / "out.file"


def test_every_output_file_gets_its_folder_made_before_any_work(tmp_path, data_dir):
    report = tmp_path / "new" / "reports" / "ref.json"
    graded = run("grade", "assignment1", "--reference", "--format", "json", "--output", report, "--data-dir", data_dir)
    assert graded.exit_code == 0, graded.output
    assert json.loads(report.read_text())["score"] == 25
    book = tmp_path / "gb.sqlite"
    Gradebook(book).close()
    grades = tmp_path / "also" / "new" / "grades.csv"
    exported = run("gradebook", "export", "--gradebook", book, "--out", grades)
    assert exported.exit_code == 0, exported.output
    assert grades.read_text().startswith("student,assignment,score")


@pytest.mark.parametrize("command", [
    ("grade", "assignment1", "--reference", "--output", "BLOCKED"),
    ("gradebook", "export", "--gradebook", "BOOK", "--out", "BLOCKED"),
    ("grade-all", "assignment1", "CLASS", "--gradebook", "BLOCKED"),
], ids=lambda c: c[0] + " " + c[-2])
def test_an_output_file_whose_folder_cannot_be_made_stops_before_any_work(command, tmp_path, data_dir):
    book, klass = tmp_path / "gb.sqlite", tmp_path / "class"
    Gradebook(book).close()
    shutil.copytree(A1.solution_dir, klass / "ann")
    places = {"BLOCKED": blocked(tmp_path), "BOOK": book, "CLASS": klass}
    result = run(*[places.get(a, a) for a in command], "--data-dir", data_dir) if command[0] != "gradebook" \
        else run(*[places.get(a, a) for a in command])
    assert result.exit_code == 1, result.output
    assert "cannot create the folder" in result.output and "taken" in result.output
    assert "total:" not in result.output and "graded" not in result.output
    with Gradebook(book) as gb:
        assert gb.assignments() == []
