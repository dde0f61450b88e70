"""The real nbgrader, end to end: export, generate_assignment, autograde, generate_feedback.

For each assignment, three students: the reference code, the untouched release and a
known mistake. nbgrader's scores must equal what `course grade` gives the same notebook.
"""
import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from grader import course as courses, nbgrader_export
from grader.grade import grade_submission

BIN = Path(sys.executable).parent
IDS = sorted(courses.current().assignments)
pytestmark = pytest.mark.slow
DATA_DIR = Path(os.environ.get("COURSE_DATA_DIR") or Path(__file__).resolve().parents[3] / "shared" / "data").resolve()


def nbgrader(course: Path, *args):
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}", COURSE_DATA_DIR=str(DATA_DIR))
    result = subprocess.run([str(BIN / "nbgrader"), *args], cwd=course, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@pytest.fixture(scope="module", params=IDS)
def course(request, tmp_path_factory, data_dir):
    assignment_id = request.param
    assert Path(data_dir).resolve() == DATA_DIR
    course = tmp_path_factory.mktemp("nbgrader")
    nbgrader_export.main(assignment_id=assignment_id, course_dir=course)
    nbgrader(course, "generate_assignment", assignment_id)
    corpus = courses.get(assignment_id).corpus()
    mutants = {n: m[0] if isinstance(m, tuple) else m for n, m in corpus.MISTAKES.items()}
    name, mistake = next((n, m) for n, m in sorted(mutants.items()) if not m.files)
    fill = nbgrader_export.fill_release
    students = {"reference": fill(course, assignment_id, "reference", edits=()),
                "blank": fill(course, assignment_id, "blank"),
                name: fill(course, assignment_id, "mistaken", edits=mistake.edits),
                "patcher": patch_the_check(fill(course, assignment_id, "patcher"), assignment_id)}
    nbgrader(course, "autograde", assignment_id)
    nbgrader(course, "generate_feedback", assignment_id)
    return assignment_id, course, students, mistake


PATCH = ("import grader.jupyter\n"
         "grader.jupyter.check = lambda *args, **kwargs: 1e9  # every test cell: full points?\n")


def patch_the_check(submitted: Path, assignment_id: str) -> Path:
    """The untouched release, with a first solution cell that replaces the check function the
    test cells call (in nbgrader's one kernel, that used to give full marks)."""
    path = submitted / f"{assignment_id}.ipynb"
    notebook = json.loads(path.read_text())
    cell = next(c for c in notebook["cells"] if c.get("metadata", {}).get("nbgrader", {}).get("solution"))
    cell["source"] = PATCH + "".join(cell["source"])
    path.write_text(json.dumps(notebook))
    return submitted


def nbgrader_score(course: Path, assignment_id: str, student: str) -> float:
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", "course") as gradebook:
        return gradebook.find_submission(assignment_id, student).score


def test_nbgrader_scores_equal_course_grade(course):
    assignment_id, folder, students, mistake = course
    a = courses.get(assignment_id)
    scores = {}
    for name, submitted in students.items():
        ours = grade_submission(a, submitted)
        theirs = nbgrader_score(folder, assignment_id, submitted.parent.name)
        scores[name] = (theirs, ours.score)
        assert theirs == pytest.approx(ours.score), (name, [(c.id, c.message) for c in ours.checks if not c.passed])
    assert scores["reference"][0] == a.rubric.max_score
    assert scores["blank"][0] == 0
    assert scores.pop("patcher")[0] == 0  # the patch decides nothing: no cell ran in a kernel
    lost = sum(c.points for c in a.rubric.checks if c.id in mistake.breaks)
    assert [s for n, s in scores.items() if n not in ("reference", "blank")][0][0] == a.rubric.max_score - lost


def test_nbgrader_export_carries_the_sandboxed_scores(course):
    """`nbgrader export` (grades.csv) holds our scores: the patched check earns nothing there either."""
    assignment_id, folder, students, _ = course
    nbgrader(folder, "export")
    rows = {r["student_id"]: float(r["score"]) for r in csv.DictReader((folder / "grades.csv").open())
            if r["assignment"] == assignment_id}
    assert rows["patcher"] == 0 and rows["blank"] == 0
    assert rows["reference"] == courses.get(assignment_id).rubric.max_score


def test_feedback_shows_no_hidden_test_and_no_traceback(course):
    assignment_id, folder, students, _ = course
    hidden = [c.id for c in courses.get(assignment_id).rubric.checks if c.hidden]
    for student in ("reference", "blank", "mistaken"):
        html = (folder / "feedback" / student / assignment_id / f"{assignment_id}.html").read_text()
        assert "most recent call last" not in html and "HIDDEN TESTS" not in html
        for check_id in hidden:
            assert check_id not in html, check_id


def test_the_release_has_no_solution_and_no_hidden_test(course):
    assignment_id, folder, _, _ = course
    text = (folder / "release" / assignment_id / f"{assignment_id}.ipynb").read_text()
    cells = json.loads(text)["cells"]
    assert "BEGIN SOLUTION" not in text and "HIDDEN TESTS" not in text
    source = (folder / "source" / assignment_id / f"{assignment_id}.ipynb").read_text()
    assert sum("".join(c["source"]).count("raise NotImplementedError()") for c in cells) == \
        source.count("### BEGIN SOLUTION") > 0  # one per function of the stub the student writes
