"""`check` for notebook cells: in a running kernel, grade the cells as they were executed.

The code is IPython's input history, made a module as `grader.notebook_code` makes one of a
notebook file, which is exactly the notebook when nbgrader executes it top to bottom. A
check cell's value is its points, so nbgrader scores it as partial credit and no traceback is
ever printed; messages name the cells ("In [7], line 3").
"""
from __future__ import annotations

import atexit
import contextlib
import dataclasses
import hashlib
import sys
import tempfile
import warnings
from pathlib import Path

from grader import course
from grader.grade import resolve_device, run_check
from grader.notebook_code import cells_code, write_module
from grader.sandbox import Sandbox

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
    return course.get(assignment_id).module


def run_one(assignment_id: str, check_id: str, code: str, data_dir=None):
    assignment = course.get(assignment_id)
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
