"""Notebooks as submissions: the student's code taken from a notebook, and `check` for cells.

A notebook's code is its code cells in order, less the cells that run checks (they hold
`CHECK_MARK`) and less IPython's `%magic` and `!shell` lines. In a running kernel, `check`
grades the cells as they were executed (IPython's input history), which is exactly the
notebook when nbgrader executes it top to bottom. A check cell's value is its points, so
nbgrader scores it as partial credit and no traceback is ever printed.
"""
from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import sys
import tempfile
import warnings
from pathlib import Path

CHECK_MARK = "# course-check"


def code_of_cells(sources) -> str:
    """The module made of these code-cell sources."""
    kept = []
    for source in sources:
        if CHECK_MARK in source:
            continue
        kept.append("\n".join(line for line in source.splitlines()
                              if not line.lstrip().startswith(("%", "!"))))
    return "\n\n".join(kept).strip() + "\n"


def notebook_code(path: Path) -> str:
    """The student's code in the notebook file at `path` (nbgrader's test cells left out).

    Read as plain JSON (nbformat 4): importing nbformat costs about a second per grading.
    """
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    if notebook.get("nbformat") != 4:
        raise ValueError(f"nbformat {notebook.get('nbformat')} notebooks are not supported; open and "
                         f"save it in a current Jupyter to convert it to version 4")
    return code_of_cells(
        "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for cell in notebook["cells"]
        if cell["cell_type"] == "code" and not cell.get("metadata", {}).get("nbgrader", {}).get("grade", False))


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
    code = code_of_cells(history[1:])
    with contextlib.redirect_stderr(sys.stdout), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = run_one(assignment_id, check_id, code, data_dir)
    if result.visibility == "hidden":
        print(f"{result.title}: {result.status}")
    else:
        print(f"{result.title}: {result.status} ({result.points:g}/{result.max_points:g})\n{result.message}")
    return result.points


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
