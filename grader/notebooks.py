"""Notebooks built from one source per assignment, so nothing is maintained twice.

`solutions/<id>/notebook.py` (jupytext percent format) holds the explanations and placeholders:
``# course: code NAME`` (a definition of the stub, or ``imports``) and
``# course: check ID``. From it come
- the student notebook `assignments/<id>/<id>.ipynb`: the stub's code, the visible checks;
- the nbgrader source notebook: each TODO body replaced by the reference between
  ``### BEGIN SOLUTION`` / ``### END SOLUTION``, every check as an autograder test cell with
  our points, hidden checks inside ``### BEGIN HIDDEN TESTS`` / ``### END HIDDEN TESTS``;
  its text names nbgrader's ``# YOUR CODE HERE`` where the student's says ``TODO(student)``.
"""
from __future__ import annotations

import ast
import textwrap

import jupytext
import nbformat

from course_lib.errors import CourseError
from grader import notebook_code, worked_file
from grader.notebook_code import CHECK_MARK

KERNEL = {"name": "python3", "display_name": "Python 3", "language": "python"}
STUB_MARK = "`TODO(student)`"  # how the text names the student's parts: the stub's comment
NBGRADER_MARK = "`# YOUR CODE HERE`"  # what nbgrader's release puts there instead (ClearSolutions)


def source_cells(assignment):
    path = assignment.notebook_source
    if not path.exists():
        raise CourseError(f"{assignment.id} has no notebook source {path}; write it in jupytext's "
                          f"percent format with `# course: code NAME` and `# course: check ID` cells.")
    return jupytext.read(path, fmt="py:percent").cells


def _placeholder(cell) -> tuple[str, str] | None:
    first = cell.source.strip()
    if cell.cell_type == "code" and first.startswith("# course: "):
        kind, _, name = first[len("# course: "):].partition(" ")
        return kind, name.strip()
    return None


# -- pieces of the stub and the reference -----------------------------------------------------

class Module:
    """A Python file's top-level definitions, as source lines."""

    def __init__(self, path):
        self.text = path.read_text()
        self.lines = self.text.splitlines()
        self.tree = ast.parse(self.text)
        self.defs = {n.name: n for n in self.tree.body
                     if isinstance(n, (ast.FunctionDef, ast.ClassDef))}

    def segment(self, node) -> list[str]:
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        return self.lines[start - 1:node.end_lineno]

    def imports(self) -> list[str]:
        return [line for n in self.tree.body if isinstance(n, (ast.Import, ast.ImportFrom))
                for line in self.segment(n)]

    def imports_beyond(self, other: "Module") -> list[str]:
        """This file's import statements that `other` does not have (compared as code)."""
        theirs = {ast.unparse(n) for n in other.tree.body if isinstance(n, (ast.Import, ast.ImportFrom))}
        return [line for n in self.tree.body if isinstance(n, (ast.Import, ast.ImportFrom))
                and ast.unparse(n) not in theirs for line in self.segment(n)]

    def head(self, node) -> list[str]:
        """The def/class line(s) and the docstring."""
        body = node.body
        has_doc = isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant)
        end = body[0].end_lineno if has_doc else body[0].lineno - 1
        start = min([node.lineno] + [d.lineno for d in node.decorator_list])
        return self.lines[start - 1:end]

    def body(self, node) -> list[str]:
        """The statements after the docstring, dedented."""
        body = node.body[1:] if isinstance(node.body[0], ast.Expr) and isinstance(
            getattr(node.body[0], "value", None), ast.Constant) else node.body
        return textwrap.dedent("\n".join(self.lines[body[0].lineno - 1:body[-1].end_lineno])).splitlines()


def _is_todo(node) -> bool:
    return any(isinstance(n, ast.Raise) and "NotImplementedError" in ast.unparse(n.exc or n) for n in ast.walk(node))


def _indent_of(line: str) -> str:
    return line[:len(line) - len(line.lstrip())]


def _with_solution(stub: Module, ref: Module, stub_node, ref_node) -> list[str]:
    """The stub's head, then the reference's body between solution markers."""
    head = stub.head(stub_node)
    indent = _indent_of(head[0]) + "    "
    body = [indent + line if line.strip() else "" for line in ref.body(ref_node)]
    return head + [f"{indent}### BEGIN SOLUTION"] + body + [f"{indent}### END SOLUTION"]


def _solution_of(stub: Module, ref: Module, name: str) -> list[str]:
    stub_node, ref_node = stub.defs[name], ref.defs[name]
    if isinstance(stub_node, ast.FunctionDef):
        return _with_solution(stub, ref, stub_node, ref_node) if _is_todo(stub_node) else stub.segment(stub_node)
    lines = stub.head(stub_node)
    ref_methods = {n.name: n for n in ref_node.body if isinstance(n, ast.FunctionDef)}
    for method in (n for n in stub_node.body if isinstance(n, ast.FunctionDef)):
        lines.append("")
        lines += (_with_solution(stub, ref, method, ref_methods[method.name]) if _is_todo(method)
                  else stub.segment(method))
    return lines


# -- the two notebooks ----------------------------------------------------------------------------

def _check_cell_source(assignment_id: str, check_id: str, hidden: bool) -> str:
    call = f'check("{assignment_id}", "{check_id}")'
    if hidden:
        call = f"### BEGIN HIDDEN TESTS\n{call}\n### END HIDDEN TESTS"
    return f"{CHECK_MARK}\nfrom grader.jupyter import check\n{call}"


def _new_notebook(cells, course=None):
    notebook = nbformat.v4.new_notebook(cells=cells)
    notebook.metadata = {"kernelspec": KERNEL, "language_info": {"name": "python"}}
    if course:
        notebook.metadata["course"] = course
    return notebook


def _stub_record(assignment, stub: Module, cells) -> dict:
    """The released stub's fingerprints (`grader.worked_file`), so grading can tell which of the
    module and the notebook the student changed."""
    code = notebook_code.cells_code(((str(n), c.source) for n, c in enumerate(cells) if c.cell_type == "code"), "").code
    return worked_file.stub_record(stub.text, code, assignment.module, f"{assignment.id}.ipynb")


def _same_names(stub: Module, ref: Module, assignment_id: str) -> None:
    """A released solution cell can only stand where the stub has a definition: a reference
    helper of its own would be released as a top-level `raise NotImplementedError()`."""
    extra = set(ref.defs) - set(stub.defs)
    extra |= {t.id for n in ref.tree.body if isinstance(n, ast.Assign) for t in n.targets
              if isinstance(t, ast.Name)} - {t.id for n in stub.tree.body if isinstance(n, ast.Assign)
                                              for t in n.targets if isinstance(t, ast.Name)}
    for name in set(ref.defs) & set(stub.defs):
        methods = lambda m: {n.name for n in m.defs[name].body if isinstance(n, ast.FunctionDef)}  # noqa: E731
        if isinstance(ref.defs[name], ast.ClassDef):
            extra |= {f"{name}.{n}" for n in methods(ref) - methods(stub)}
    if extra:
        raise CourseError(f"the reference of {assignment_id} defines {sorted(extra)}, which the stub "
                          f"does not; define only the stub's functions, methods and constants.")


def build(assignment, for_nbgrader: bool = False):
    """The student notebook, or (for_nbgrader) the nbgrader source notebook."""
    stub = Module(assignment.stub_dir / f"{assignment.module}.py")
    ref = Module(assignment.solution_dir / f"{assignment.module}.py") if for_nbgrader else None
    if ref:
        _same_names(stub, ref, assignment.id)
    checks = {c.id: c for c in assignment.rubric.checks}
    placed, cells = set(), []
    for number, cell in enumerate(source_cells(assignment)):
        spot = _placeholder(cell)
        if spot is None:
            text = cell.source.replace(STUB_MARK, NBGRADER_MARK) if for_nbgrader else cell.source
            new = (nbformat.v4.new_markdown_cell(text) if cell.cell_type == "markdown"
                   else nbformat.v4.new_code_cell(text))
            meta = {"grade": False, "solution": False, "locked": True, "grade_id": f"text_{number}"}
        elif spot[0] == "code" and spot[1] == "imports":
            lines = stub.imports() + (ref.imports_beyond(stub) if ref else [])
            new = nbformat.v4.new_code_cell("\n".join(lines))
            meta = {"grade": False, "solution": False, "locked": True, "grade_id": "imports"}
        elif spot[0] == "code":
            if spot[1] not in stub.defs:
                raise CourseError(f"{assignment.notebook_source} names {spot[1]}, which the stub does not define")
            placed.add(spot[1])
            lines = _solution_of(stub, ref, spot[1]) if ref else stub.segment(stub.defs[spot[1]])
            new = nbformat.v4.new_code_cell("\n".join(lines))
            meta = {"grade": False, "solution": True, "locked": False, "grade_id": f"{spot[1]}_solution"}
        elif spot[0] == "check":
            check = checks.pop(spot[1], None)
            if check is None:
                raise CourseError(f"{assignment.notebook_source} names check {spot[1]}, which the rubric lacks")
            if check.hidden and not for_nbgrader:
                continue
            new = nbformat.v4.new_code_cell(_check_cell_source(assignment.id, check.id, check.hidden))
            meta = {"grade": True, "solution": False, "locked": True, "points": check.points,
                    "grade_id": check.id.replace(".", "_")}
        else:
            raise CourseError(f"{assignment.notebook_source}: unknown placeholder {cell.source.strip()!r}")
        if for_nbgrader:
            new.metadata["nbgrader"] = {**meta, "schema_version": 3}
        new.id = f"{assignment.id}-{len(cells)}"  # stable ids: rebuilt notebooks compare equal
        cells.append(new)
    missing = set(stub.defs) - placed
    if missing or checks:
        raise CourseError(f"{assignment.notebook_source} leaves out {sorted(missing | set(checks))}")
    return _new_notebook(cells, None if for_nbgrader else _stub_record(assignment, stub, cells))


def student_notebook_path(assignment):
    return assignment.stub_dir / f"{assignment.id}.ipynb"


def render(notebook) -> str:
    return nbformat.writes(notebook) + "\n"


def write_student_notebooks(assignments_, check_only: bool = False) -> list[str]:
    """Write (or with check_only, compare) every student notebook; the names that were stale."""
    stale = []
    for assignment in assignments_:
        path = student_notebook_path(assignment)
        text = render(build(assignment))
        if not path.exists() or path.read_text() != text:
            stale.append(str(path.relative_to(assignment.course_root)))
            if not check_only:
                path.write_text(text)
    return stale
