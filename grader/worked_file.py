"""Which file of a folder to grade: the module, or the notebook beside it with the same stub.

A released assignment holds both, and the student works in one of them. The student notebook
records what both held when it was built (`metadata.course.stub`: a `fingerprint` of each
one's definitions), so the file the student changed shows by its content, never by file times
(the student's own, and reset by any copy). The rule:

- only one of the two is there, or the student names one (`--file`): that one;
- only the notebook differs from the stub: the notebook;
- otherwise the module; but where both differ, each in its own way (or the record is gone), a
  student's own working copy is not guessed at (`ask`): a CourseError names both and `--file`.

Where both are there, the note says which was graded and why. The record is the student's to
change, like both files: it decides only which of their own two files is graded, never a score.
"""
from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass
from pathlib import Path

from course_lib.errors import CourseError
from grader import notebook_code

DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def fingerprint(code: str) -> str:
    """SHA-256 of the code's top-level definitions, as parsed and in any order: blank lines,
    comments and code outside them (imports, trials in a notebook cell) leave it unchanged."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        return "unparsable " + hashlib.sha256(code.encode()).hexdigest()
    definitions = sorted(ast.dump(n) for n in tree.body if isinstance(n, DEFINITIONS))
    return hashlib.sha256("\n".join(definitions).encode()).hexdigest()


def stub_record(module_code: str, notebook_code: str, module: str, notebook_name: str) -> dict:
    """What the student notebook's metadata keeps: the fingerprints of the released stub."""
    return {"stub": {f"{module}.py": fingerprint(module_code), notebook_name: fingerprint(notebook_code)}}


@dataclass(frozen=True)
class Choice:
    notebook: Path | None  # the notebook to grade, or None: the folder's module
    note: str = ""  # which file was graded and why, where there was a choice


def choose(assignment, submission: Path, named: str | None = None, ask: bool = False) -> Choice:
    """What to grade in `submission` (a folder, or a notebook file) as the module says."""
    module_file = submission / f"{assignment.module}.py"
    if named is not None:
        return _named(assignment, submission, named)
    if submission.suffix == ".ipynb" and submission.is_file():
        return Choice(submission)
    if not submission.is_dir():
        return Choice(None)
    if not module_file.exists():
        candidates = [submission / f"{assignment.id}.ipynb"] + sorted(submission.glob("*.ipynb"))
        return Choice(next((c for c in candidates if c.is_file()), None))
    notebook = submission / f"{assignment.id}.ipynb"
    if not notebook.is_file():
        return Choice(None)
    return _between(assignment, module_file, notebook, ask)


def _named(assignment, submission: Path, named: str) -> Choice:
    module = f"{assignment.module}.py"
    if not submission.is_dir():
        raise CourseError(f"--file names a file in the submission folder, but {submission} is not a folder.")
    path = submission / Path(named).name
    if not path.is_file() or not (path.name == module or path.suffix == ".ipynb"):
        raise CourseError(f"--file {named}: {submission} has no such file to grade; name {module} or "
                          f"a notebook there (e.g. {assignment.id}.ipynb).")
    return Choice(path if path.suffix == ".ipynb" else None, f"graded {path.name}, as --file asked.")


def _between(assignment, module_file: Path, notebook: Path, ask: bool) -> Choice:
    """The module or the notebook, both in one folder: whichever the student changed."""
    module, book = module_file.name, notebook.name
    try:
        record = notebook_code.read_notebook(notebook).get("metadata", {}).get("course", {}).get("stub", {})
        in_notebook = fingerprint(notebook_code.notebook_code(notebook))
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError):
        return Choice(None, f"graded {module}; {book} beside it is not a readable notebook.")
    in_module = fingerprint(module_file.read_text(encoding="utf-8", errors="replace"))
    module_changed, notebook_changed = in_module != record.get(module), in_notebook != record.get(book)
    if in_module == in_notebook and (module_changed or not record):
        return Choice(None, f"graded {module}; {book} defines the same functions.")
    if not record or (module_changed and notebook_changed):
        why = ("both differ from the stub" if record else
               f"{book} no longer records the stub it was released with, so which you changed is not known")
        if ask:
            raise CourseError(f"{module_file.parent} holds {module} and {book}, and {why}. Name the one to "
                              f"grade: add --file {book} or --file {module} to the command.")
        return Choice(None, f"graded {module}, not {book}: {why}; a notebook is graded when it is "
                            f"submitted alone (or with an unchanged {module}).")
    if notebook_changed:
        return Choice(notebook, f"graded {book}, the notebook you changed ({module} is still the stub).")
    if module_changed:
        return Choice(None, f"graded {module}, the module you changed ({book} is still the stub).")
    return Choice(None, f"graded {module}; neither it nor {book} has been changed from the stub yet.")
