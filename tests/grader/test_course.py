"""A course is a folder the engine is pointed at; what is wrong with one is said with the fix,
and the engine itself names none of the course's assignments."""
import io
import tokenize
from pathlib import Path

import pytest
from click.testing import CliRunner

from course_lib.errors import CourseError, UnknownAssignment
from grader import course
from grader.cli import cli

ROOT = Path(__file__).resolve().parents[2]


def make_course(folder: Path, assignments: dict[str, str | None]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / course.MARKER).write_text('name = "test"\n')
    for assignment_id, metadata in assignments.items():
        (folder / "assignments" / assignment_id).mkdir(parents=True)
        if metadata is not None:
            (folder / "assignments" / assignment_id / course.METADATA).write_text(metadata)
    return folder


@pytest.fixture
def nowhere(monkeypatch, tmp_path):
    """No course chosen, and a current folder that is none."""
    monkeypatch.delenv(course.COURSE_DIR_ENV, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_course_is_found_from_a_folder_below_it(nowhere, monkeypatch):
    root = make_course(nowhere / "c", {"hw1": 'module = "hw1"\n'})
    (root / "solutions" / "hw1").mkdir(parents=True)
    monkeypatch.chdir(root / "solutions" / "hw1")
    assert course.current().root == root.resolve() and list(course.current().assignments) == ["hw1"]


def test_no_course_here_says_where_it_looked_and_how_to_give_one(nowhere):
    with pytest.raises(CourseError, match=f"{course.MARKER}.*--course-dir DIR or {course.COURSE_DIR_ENV}=DIR"):
        course.current()


def test_a_course_dir_that_is_no_course_is_named(nowhere, monkeypatch):
    monkeypatch.setenv(course.COURSE_DIR_ENV, str(nowhere))
    with pytest.raises(CourseError, match=f"{course.COURSE_DIR_ENV}={nowhere} is not a course folder"):
        course.current()
    result = CliRunner().invoke(cli, ["--course-dir", str(nowhere / "missing"), "list"])
    assert result.exit_code == 1 and "is not a course folder" in result.output


def test_an_assignment_folder_without_its_metadata_is_named_with_the_fix(nowhere):
    make_course(nowhere, {"hw1": None})
    with pytest.raises(CourseError, match=r"assignments/hw1 has no assignment.toml; write one there"):
        course.get("hw1")


@pytest.mark.parametrize("metadata, words", [
    ('module = "hw1"\nauthor = "me"\n', "unknown key 'author'"),
    ('module = "hw 1"\n', "'module' must name the file students edit"),
    ('module = "hw1"\npreload = "numpy"\n', "'preload' must be a list"),
    ('module = "hw1\n', "is not valid TOML"),
])
def test_bad_metadata_is_named(nowhere, metadata, words):
    make_course(nowhere, {"hw1": metadata})
    with pytest.raises(CourseError, match=words):
        course.get("hw1")


def test_an_unknown_id_lists_the_course_and_a_close_one(nowhere):
    make_course(nowhere, {"hw1": 'module = "hw1"\n', "hw2": 'module = "hw2"\n'})
    with pytest.raises(UnknownAssignment, match="has hw1, hw2. Did you mean hw1"):
        course.get("hw11")


def test_unknown_rules_are_named(nowhere):
    make_course(nowhere, {})
    (nowhere / course.MARKER).write_text("[rules]\nmin_mistake = 3\n")
    with pytest.raises(CourseError, match="may set hidden_checks, languages, min_correct_variants, min_mistakes"):
        course.current()


def test_an_assignment_without_a_rubric_says_where_to_write_it(nowhere):
    make_course(nowhere, {"hw1": 'module = "hw1"\n'})
    with pytest.raises(CourseError, match="hw1 has no rubric.*course new"):
        course.get("hw1").rubric


def code_of(path: Path) -> str:
    """The file without its comments (Python), or as it is."""
    if path.suffix != ".py":
        return path.read_text(encoding="utf-8")
    tokens = tokenize.generate_tokens(io.StringIO(path.read_text()).readline)
    return " ".join(t.string for t in tokens if t.type != tokenize.COMMENT)


def test_the_engine_names_no_assignment_of_the_course():
    ids = list(course.current().assignments)
    assert ids  # the reference course's
    files = [p for folder in ("grader", "course_lib") for p in (ROOT / folder).rglob("*")
             if p.suffix in (".py", ".json", ".toml") and "__pycache__" not in p.parts]
    named = [(str(p.relative_to(ROOT)), i) for p in files for i in ids if i in code_of(p)]
    assert named == []
    assert "hw1" in code_of(ROOT / "grader" / "cli.py")  # the scan reads the code: its examples say hw1
