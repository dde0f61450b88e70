"""Notebooks as submissions: the student's code taken from a notebook, and `check` for cells.

A notebook's code is its code cells in order, less the cells that run checks (they hold
`CHECK_MARK`) and less IPython's `%magic` and `!shell` lines. In a running kernel, `check`
grades the cells as they were executed (IPython's input history), which is exactly the
notebook when nbgrader executes it top to bottom. A check cell's value is its points, so
nbgrader scores it as partial credit and no traceback is ever printed. Messages speak of
cells, never of the module the code was graded as: `NotebookCode.in_cells` turns
"linear_regression.py, line 13" into "assignment1.ipynb, cell 4, line 3" (cells counted from
the top, markdown ones included) or, in a kernel, "In [7], line 3".
"""
from __future__ import annotations

import atexit
import contextlib
import dataclasses
import hashlib
import json
import re
import sys
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path

CHECK_MARK = "# course-check"


def _kept_lines(source: str) -> list[tuple[int, str]]:
    """(line number in the cell, line) of the cell's code, less IPython's magic and shell lines."""
    return [(number, line) for number, line in enumerate(source.splitlines(), 1)
            if not line.lstrip().startswith(("%", "!"))]


@dataclass(frozen=True)
class NotebookCode:
    """The module graded for a notebook, and where each of its lines comes from."""
    code: str
    origins: tuple[tuple[str, int], ...]  # per module line: (the cell's label, line in the cell)
    name: str  # what the messages call the whole, e.g. "assignment1.ipynb"

    def in_cells(self, text: str, module: str) -> str:
        """`text` with each "<module>.py, line N" put as the cell and line it comes from, and
        every other mention of <module>.py as the notebook's name."""
        def place(match):
            number = int(match.group(1))
            if not 1 <= number <= len(self.origins):
                return match.group(0)
            label, line = self.origins[number - 1]
            return f"{label}, line {line}"
        text = re.sub(rf"\b{re.escape(module)}\.py, line (\d+)", place, text)
        return re.sub(rf"\b{re.escape(module)}\.py\b", self.name, text)


def cells_code(cells, name: str) -> NotebookCode:
    """The module made of `cells`, (label, source) pairs of code cells in order: check cells left
    out, magic lines dropped, cells joined by a blank line."""
    kept = [(label, _kept_lines(source)) for label, source in cells if CHECK_MARK not in source]
    joined = "\n\n".join("\n".join(line for _, line in lines) for _, lines in kept)
    origins = []
    for label, lines in kept:
        origins += [(label, number) for number, _ in lines] or [(label, 1)]
        origins.append((label, lines[-1][0] + 1 if lines else 1))  # the blank line after the cell
    code = joined.strip() + "\n"
    dropped = joined[:len(joined) - len(joined.lstrip())].count("\n")  # blank lines strip() removed
    return NotebookCode(code, tuple(origins[dropped:dropped + code.count("\n")]), name)


def code_of_cells(sources) -> str:
    """The module made of these code-cell sources."""
    return cells_code(((f"cell {n}", s) for n, s in enumerate(sources, 1)), "the notebook").code


def read_notebook(path: Path) -> dict:
    """The notebook at `path` as JSON (nbformat 4 only).

    Read as plain JSON: importing nbformat costs about a second per grading.
    """
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    if notebook.get("nbformat") != 4:
        raise ValueError(f"nbformat {notebook.get('nbformat')} notebooks are not supported; open and "
                         f"save it in a current Jupyter to convert it to version 4")
    return notebook


def _source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def notebook_module(path: Path) -> NotebookCode:
    """The student's code in the notebook file at `path` (nbgrader's test cells left out),
    with its cells labelled by their place in the notebook."""
    path = Path(path)
    cells = read_notebook(path)["cells"]
    return cells_code(((f"{path.name}, cell {number}", _source(cell)) for number, cell in enumerate(cells, 1)
                       if cell["cell_type"] == "code"
                       and not cell.get("metadata", {}).get("nbgrader", {}).get("grade", False)), path.name)


def notebook_code(path: Path) -> str:
    """The student's code in the notebook file at `path` (nbgrader's test cells left out)."""
    return notebook_module(path).code


def write_module(code: str, module: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{module}.py").write_text(code)
    return folder


# -- inside a kernel --------------------------------------------------------------------------

_sandboxes: dict = {}  # (assignment id, code digest) -> Sandbox, reused by the following checks


def check(assignment_id: str, check_id: str, data_dir=None) -> float:
    """Run one check on the code executed so far in this kernel; print the verdict, return points."""
    from IPython import get_ipython
    history = get_ipython().history_manager.input_hist_raw
    run = cells_code(((f"In [{n}]", source) for n, source in enumerate(history[1:], 1)), "the code you have run")
    with contextlib.redirect_stderr(sys.stdout), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_one(assignment_id, check_id, run.code, data_dir)
    result = dataclasses.replace(result, message=run.in_cells(result.message, _module_of(assignment_id)))
    if result.visibility == "hidden":
        print(f"{result.title}: {result.status}")
    else:
        print(f"{result.title}: {result.status} ({result.points:g}/{result.max_points:g})\n{result.message}")
    return result.points


def _module_of(assignment_id: str) -> str:
    from grader import assignments
    return assignments.get(assignment_id).module


def run_one(assignment_id: str, check_id: str, code: str, data_dir=None):
    from grader import assignments
    from grader.grade import resolve_device, run_check
    from grader.sandbox import Sandbox
    assignment = assignments.get(assignment_id)
    rubric_check = next((c for c in assignment.rubric.checks if c.id == check_id), None)
    if rubric_check is None:
        raise KeyError(f"{assignment_id} has no check {check_id}")
    key = (assignment_id, hashlib.sha256(code.encode()).hexdigest())
    if key not in _sandboxes:
        folder = write_module(code, assignment.module, Path(tempfile.mkdtemp(prefix="course-nb-")))
        _sandboxes[key] = Sandbox(folder, assignment.module, assignment.probes_file, assignment.preload)
    return run_check(rubric_check, _sandboxes[key], data_dir, device=resolve_device("auto", assignment))


@atexit.register
def _close_all() -> None:
    for sandbox in _sandboxes.values():
        sandbox.close()
