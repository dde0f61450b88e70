"""A folder with the module and the notebook: the one the student changed is graded, and the
report says which; messages about a notebook speak of its cells."""
import json
import os
import shutil

import nbformat
import pytest

from course_lib.errors import CourseError
from grader import course, notebook_code, notebooks, worked_file
from grader.grade import grade_submission
from tests.grader.test_notebooks import filled_notebook

A1 = course.get("assignment1")
VISIBLE = sum(c.points for c in A1.rubric.checks if not c.hidden)
MODULE, NOTEBOOK = f"{A1.module}.py", f"{A1.id}.ipynb"


@pytest.fixture
def working_copy(tmp_path):
    """The assignment's folder as released: the stub module and the student notebook."""
    folder = tmp_path / A1.id
    shutil.copytree(A1.stub_dir, folder)
    return folder


def check(folder, **kwargs):
    return grade_submission(A1, folder, visible_only=True, **kwargs)


def fill_module(folder):
    shutil.copy(A1.solution_dir / MODULE, folder / MODULE)


def edit_module(folder):
    with open(folder / MODULE, "a") as f:
        f.write("\n\ndef helper():\n    return 1\n")


def test_the_untouched_stubs_grade_the_module_and_say_so(working_copy):
    report = check(working_copy, ask=True)
    assert report.score == 0 and report.submission == str(working_copy)
    assert report.notes[0] == f"graded {MODULE}; neither it nor {NOTEBOOK} has been changed from the stub yet."


def test_work_in_the_notebook_is_graded(working_copy):
    filled_notebook(A1, working_copy / NOTEBOOK)
    report = check(working_copy, ask=True)
    assert report.score == VISIBLE, [(c.id, c.message) for c in report.checks if not c.passed]
    assert report.submission == str(working_copy / NOTEBOOK)
    assert report.notes[0] == f"graded {NOTEBOOK}, the notebook you changed ({MODULE} is still the stub)."


def test_work_in_the_module_is_graded(working_copy):
    fill_module(working_copy)
    report = check(working_copy, ask=True)
    assert report.score == VISIBLE and report.submission == str(working_copy)
    assert report.notes[0] == f"graded {MODULE}, the module you changed ({NOTEBOOK} is still the stub)."


def test_the_choice_goes_by_content_never_by_file_times(working_copy):
    filled_notebook(A1, working_copy / NOTEBOOK)
    os.utime(working_copy / MODULE, (2_000_000_000, 2_000_000_000))  # the module "newer"
    os.utime(working_copy / NOTEBOOK, (1_000_000_000, 1_000_000_000))
    assert worked_file.choose(A1, working_copy).notebook == working_copy / NOTEBOOK


def test_running_and_saving_the_notebook_is_no_change(working_copy):
    path = working_copy / NOTEBOOK
    notebook = nbformat.read(str(path), as_version=4)
    for count, cell in enumerate((c for c in notebook.cells if c.cell_type == "code"), 1):
        cell.execution_count = count
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ran\n")]
        cell.source += "\n# tried it"
    notebook.cells.append(nbformat.v4.new_code_cell("df = 1  # a trial of my own"))
    nbformat.write(notebook, str(path))
    fill_module(working_copy)
    assert worked_file.choose(A1, working_copy, ask=True).notebook is None


def test_both_changed_asks_the_student_and_names_both(working_copy):
    filled_notebook(A1, working_copy / NOTEBOOK)
    edit_module(working_copy)
    with pytest.raises(CourseError, match=rf"holds {MODULE} and {NOTEBOOK}, and both differ from the stub.*"
                                          rf"--file {NOTEBOOK} or --file {MODULE}"):
        check(working_copy, ask=True)
    named = check(working_copy, file=NOTEBOOK, ask=True)
    assert named.score == VISIBLE and named.notes[0] == f"graded {NOTEBOOK}, as --file asked."
    assert check(working_copy, file=MODULE, ask=True).score == 0


def test_both_changed_in_a_submission_grades_the_module_with_a_note(working_copy):
    """The instructor's grading never refuses a student: the module, and a note saying why."""
    filled_notebook(A1, working_copy / NOTEBOOK)
    edit_module(working_copy)
    report = check(working_copy)
    assert report.submission == str(working_copy)
    assert report.notes[0].startswith(f"graded {MODULE}, not {NOTEBOOK}: both differ from the stub")


def test_the_same_code_in_both_needs_no_choice(working_copy):
    filled_notebook(A1, working_copy / NOTEBOOK)
    module = "\n\n".join(c.source.replace("%matplotlib inline\n", "") for c in
                         nbformat.read(str(working_copy / NOTEBOOK), as_version=4).cells
                         if c.cell_type == "code" and notebook_code.CHECK_MARK not in c.source)
    (working_copy / MODULE).write_text(module)
    report = check(working_copy, ask=True)
    assert report.score == VISIBLE and report.notes[0] == f"graded {MODULE}; {NOTEBOOK} defines the same functions."


def test_a_notebook_without_its_record_is_not_guessed_at(working_copy):
    path = filled_notebook(A1, working_copy / NOTEBOOK)
    notebook = json.loads(path.read_text())
    del notebook["metadata"]["course"]
    path.write_text(json.dumps(notebook))
    with pytest.raises(CourseError, match="no longer records the stub"):
        check(working_copy, ask=True)


def test_a_file_that_is_not_there_is_named_with_the_fix(working_copy):
    with pytest.raises(CourseError, match=rf"--file nothere.py: .* no such file to grade; name {MODULE}"):
        check(working_copy, file="nothere.py")


def test_the_student_notebook_records_the_stub_it_was_built_from():
    for a in course.current().assignments.values():
        path = notebooks.student_notebook_path(a)
        record = json.loads(path.read_text())["metadata"]["course"]["stub"]
        assert record == {f"{a.module}.py": worked_file.fingerprint((a.stub_dir / f"{a.module}.py").read_text()),
                          path.name: worked_file.fingerprint(notebook_code.notebook_code(path))}


# -- messages speak of cells ---------------------------------------------------------------------

def _code_cells(path):
    notebook = nbformat.read(str(path), as_version=4)
    return notebook, [(n, c) for n, c in enumerate(notebook.cells, 1) if c.cell_type == "code"]


def test_an_error_in_a_notebook_names_its_cell_and_line(tmp_path):
    path = filled_notebook(A1, tmp_path / NOTEBOOK)
    notebook, cells = _code_cells(path)
    number, cell = next((n, c) for n, c in cells if "def mae(" in c.source)
    lines = cell.source.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("def mae(")) + 1
    cell.source = "\n".join(lines[:at] + ["    undefined_name"] + lines[at:])
    nbformat.write(notebook, str(path))
    mae = next(c for c in check(path).checks if c.id == "metrics.mae")
    assert f"at {NOTEBOOK}, cell {number}, line {at + 1}, in mae" in mae.message, mae.message
    assert MODULE not in mae.message


def test_a_syntax_error_in_a_notebook_names_its_cell(tmp_path):
    path = filled_notebook(A1, tmp_path / NOTEBOOK)
    notebook, cells = _code_cells(path)
    number, cell = next((n, c) for n, c in cells if "def add_bias(" in c.source)
    cell.source += "\nreturn = 3"
    nbformat.write(notebook, str(path))
    report = check(path)
    line = len(cell.source.splitlines())
    assert all(f"({NOTEBOOK}, cell {number}, line {line})" in c.message and MODULE not in c.message
               for c in report.checks), report.checks[0].message


def test_lines_of_the_module_map_to_cells_past_magics_and_check_cells():
    code = notebook_code.cells_code([("A", "%matplotlib inline\n\nimport math"), ("B", "# course-check\ncheck()"),
                               ("C", "def f():\n    !ls\n    return g()")], "the notebook")
    lines = code.code.splitlines()
    assert lines[code.origins.index(("C", 3))] == "    return g()"
    assert code.in_cells("at m.py, line 4, in f; m.py has no h", "m") == \
        "at C, line 3, in f; the notebook has no h"
    assert code.code == notebook_code.code_of_cells(["%matplotlib inline\n\nimport math", "# course-check\ncheck()",
                                               "def f():\n    !ls\n    return g()"])


def test_a_check_cell_in_the_kernel_names_the_input_it_ran(monkeypatch, data_dir):
    import IPython

    class History:
        input_hist_raw = ["", "import numpy as np", "def mae(y_true, y_pred):\n    return missing_name",
                          "# course-check\nfrom grader.jupyter import check\ncheck('assignment1', 'metrics.mae')"]

    class Shell:
        history_manager = History()
    monkeypatch.setattr(IPython, "get_ipython", lambda: Shell())
    printed = []
    monkeypatch.setattr("builtins.print", lambda *args, **kwargs: printed.append(" ".join(map(str, args))))
    from grader import jupyter
    assert jupyter.check("assignment1", "metrics.mae", data_dir) == 0
    assert "at In [2], line 2, in mae" in printed[0] and MODULE not in printed[0], printed
