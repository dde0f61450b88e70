"""Notebooks: generated from their sources, gradable as submissions."""
import ast

import nbformat
import pytest

from course_lib.errors import CourseError
from grader import course, notebooks
from grader.grade import grade_submission
from grader.notebook_code import CHECK_MARK, code_of_cells

IDS = sorted(course.current().assignments)


def test_committed_notebooks_are_up_to_date():
    stale = notebooks.write_student_notebooks(course.current().assignments.values(), check_only=True)
    assert stale == [], "run `course notebooks` and commit the result"


@pytest.mark.parametrize("assignment_id", IDS)
def test_student_notebook_has_the_stub_and_only_visible_checks(assignment_id):
    a = course.get(assignment_id)
    notebook = nbformat.read(str(notebooks.student_notebook_path(a)), as_version=4)
    text = "\n".join(c.source for c in notebook.cells)
    for check in a.rubric.checks:
        assert (f'"{check.id}"' in text) != check.hidden, check.id
    code = code_of_cells(c.source for c in notebook.cells if c.cell_type == "code")
    stub = (a.stub_dir / f"{a.module}.py").read_text()
    defined = {n.name for n in ast.parse(code).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    assert defined == {n.name for n in ast.parse(stub).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def filled_notebook(a, path):
    """The student notebook with each code cell's definition replaced by the reference's."""
    notebook = nbformat.read(str(notebooks.student_notebook_path(a)), as_version=4)
    ref = notebooks.Module(a.solution_dir / f"{a.module}.py")
    for cell in notebook.cells:
        if cell.cell_type != "code" or CHECK_MARK in cell.source:
            continue
        names = [n.name for n in ast.parse(cell.source).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
        if names:
            cell.source = "\n".join(line for n in names for line in ref.segment(ref.defs[n]))
        else:
            cell.source += "\n" + "\n".join(ref.imports())
        cell.source = "%matplotlib inline\n" + cell.source  # magics are dropped when grading
    nbformat.write(notebook, str(path))
    return path


@pytest.mark.parametrize("assignment_id", IDS)
def test_a_notebook_is_graded_like_the_module(assignment_id, tmp_path, data_dir):
    a = course.get(assignment_id)
    report = grade_submission(a, filled_notebook(a, tmp_path / f"{assignment_id}.ipynb"), data_dir=data_dir)
    assert report.score == report.max_score, [(c.id, c.message) for c in report.checks if not c.passed]
    assert report.submission.endswith(".ipynb")
    stub = grade_submission(a, notebooks.student_notebook_path(a), data_dir=data_dir)
    assert stub.score == 0 and {c.status for c in stub.checks} == {"not_implemented"}


def test_a_damaged_notebook_gets_a_clear_report(tmp_path):
    (tmp_path / "assignment1.ipynb").write_text("{ not json")
    report = grade_submission(course.get("assignment1"), tmp_path)
    assert report.score == 0 and "is not a readable notebook" in report.notes[0]
    assert all("save it again from Jupyter" in c.message for c in report.checks)


@pytest.mark.parametrize("assignment_id", IDS)
def test_every_reference_defines_only_the_stubs_names(assignment_id):
    notebooks.build(course.get(assignment_id), for_nbgrader=True)  # raises CourseError if not


def test_a_reference_helper_of_its_own_is_refused(tmp_path, monkeypatch):
    import dataclasses
    a = course.get("assignment1")
    (tmp_path / "linear_regression.py").write_text(
        (a.solution_dir / "linear_regression.py").read_text() + "\ndef helper():\n    return 1\n")
    monkeypatch.setattr(type(a), "solution_dir", property(lambda self: tmp_path))
    with pytest.raises(CourseError, match=r"defines \['helper'\], which the stub does not"):
        notebooks.build(dataclasses.replace(a), for_nbgrader=True)


@pytest.mark.parametrize("for_nbgrader", [False, True], ids=["student", "nbgrader release"])
@pytest.mark.parametrize("assignment_id", IDS)
def test_the_text_names_the_marker_the_cells_hold(assignment_id, for_nbgrader):
    """"Fill in every cell marked X": X is what the released cells say, `TODO(student)` in the
    student notebook, nbgrader's `# YOUR CODE HERE` once generate_assignment cleared the solutions."""
    notebook = notebooks.build(course.get(assignment_id), for_nbgrader=for_nbgrader)
    if for_nbgrader:
        clear = pytest.importorskip("nbgrader.preprocessors").ClearSolutions()  # generate_assignment's step
        notebook, _ = clear.preprocess(notebook, {"language": "python"})
    text = "\n".join(c.source for c in notebook.cells if c.cell_type == "markdown")
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    expected = "`# YOUR CODE HERE`" if for_nbgrader else "`TODO(student)`"
    assert [m for m in ("`TODO(student)`", "`# YOUR CODE HERE`") if m in text] == [expected]
    assert expected.strip("`") in code
