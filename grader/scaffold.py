"""`course init` and `course new`: a course folder, and a working skeleton of an assignment.

The skeleton is one function, `mean`, with its reference, a rubric of one visible and one
hidden check, one known mistake with its written-out formula and its mutant, a correct
variant, a notebook source, a README and the Korean texts. Straight away it grades the
reference at full marks and the stub at zero, releases and self-tests; the instructor then
replaces the function and its checks (docs/writing-an-assignment.md).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from course_lib.errors import CourseError
from grader import course

ID = re.compile(r"[a-z][a-z0-9_-]*")

MARKER_TEXT = """\
# The marker of a course folder: `course` finds the course here (or with --course-dir DIR /
# $COURSE_DIR). Assignments: assignments/<id>/ (given to students) and solutions/<id>/ (the
# instructor's). Term settings (points, due dates, late penalty) go in course.toml.
name = {name}

[rules]  # what every assignment of this course must meet; the engine's tests check them
min_mistakes = 1          # known mistakes in each rubric's catalogue, each with a mutant
min_correct_variants = 1  # correct variants in each corpus, besides the reference
hidden_checks = true      # each rubric holds at least one hidden check
languages = ["ko"]        # every check title and mistake has a text in each
"""

METADATA = """\
title = {title}
module = "{module}"   # the file students edit: {module}.py
preload = []          # modules the sandbox imports once before forking, e.g. ["numpy"]
datasets = []         # course datasets the rubric reads, e.g. ["mnist"]
"""

STUB = '''\
"""{id}: write `mean`.

Fill in every function marked `TODO(student)`; each raises NotImplementedError until you do.
Check your work with `course check {id}`.
"""


def mean(values):
    """The arithmetic mean of the non-empty list of numbers `values`, as a float."""
    # TODO(student)
    raise NotImplementedError
'''

REFERENCE = '''\
"""The reference solution of {id}: never given to students (the release audits for its lines)."""


def mean(values):
    """The arithmetic mean of the non-empty list of numbers `values`, as a float."""
    return sum(values) / len(values)
'''

MISTAKES = '''\
"""Known mistakes of {id}, written out for the rubric's recognisers (hidden like the reference)."""


def mean_over_n_minus_1(values):
    """The sum divided by one less than the number of values."""
    return sum(values) / (len(values) - 1)
'''

RUBRIC = '''\
"""The checks of {id}: one visible (`course check` runs it), one hidden (only the grade does),
and the catalogue of known mistakes their recognisers name."""
from grader import inputs
from grader.compare import expect_scalar
from grader.rubric import Rubric

rubric = Rubric()

OVER_N_MINUS_1 = rubric.mistake("mean_over_n_minus_1", "the sum is divided by len(values) - 1",
                                "divide the sum by len(values)")


def known_mistakes(values):
    """(mistake, the result it gives on `values`), for the recognisers."""
    return [(OVER_N_MINUS_1, rubric.mistaken().mean_over_n_minus_1(values))]


@rubric.check("mean.short_list", "mean of a short list", 1)
def mean_short_list(ctx):
    values = [1.0, 2.0, 6.0]
    expect_scalar("mean([1.0, 2.0, 6.0])", ctx.call("mean", values), rubric.reference().mean(values),
                  rtol=1e-12, mistakes=known_mistakes(values))


@rubric.check("mean.random_lists", "mean of random lists", 2, hidden=True)
def mean_random_lists(ctx):
    for seed in range(3):
        values = inputs.rng(seed).normal(10.0, 3.0, size=20 + seed).tolist()
        expect_scalar(f"mean(values of length {{len(values)}})", ctx.call("mean", values),
                      rubric.reference().mean(values), rtol=1e-9, mistakes=known_mistakes(values))
'''

CORPUS = '''\
"""The mutation corpus of {id} (`course selftest`): a mutant per known mistake, named by its id,
with exactly the checks it must fail, and correct variants that must get full marks; each an
edit (old -> new) of the reference."""
from grader.selftest.mutants import Mutant

MISTAKES = {{
    "mean_over_n_minus_1": Mutant(
        (("sum(values) / len(values)", "sum(values) / (len(values) - 1)"),),
        frozenset({{"mean.short_list", "mean.random_lists"}})),
}}

CORRECT = {{
    "mean_by_a_loop": Mutant(
        (("    return sum(values) / len(values)",
          "    total = 0.0\\n    for value in values:\\n        total += value\\n    return total / len(values)"),),
        frozenset()),
}}
'''

NOTEBOOK = '''\
# %% [markdown]
# # {id}
#
# Write `mean` below (it says `TODO(student)`), run its cell, then run the check cell under it.

# %%
# course: code mean

# %%
# course: check mean.short_list

# %%
# course: check mean.random_lists
'''

README = '''\
# {id}

Write `mean` in `{module}.py` (or in the notebook `{id}.ipynb`): the arithmetic mean of a
non-empty list of numbers. Then run `course check {id}`.
'''

KOREAN = {"phrases": {
    "mean of a short list": "짧은 리스트의 평균",
    "mean of random lists": "무작위 리스트의 평균",
    "the sum is divided by len(values) - 1": "합을 len(values) - 1로 나누었습니다",
    "divide the sum by len(values)": "합을 len(values)로 나누세요",
}, "templates": {}}


def init(folder: Path, name: str | None = None) -> Path:
    """Make `folder` a course folder (its marker); the marker's path."""
    folder = Path(folder)
    marker = folder / course.MARKER
    if marker.exists():
        raise CourseError(f"{folder} is a course folder already ({marker} exists).")
    folder.mkdir(parents=True, exist_ok=True)
    marker.write_text(MARKER_TEXT.format(name=json.dumps(name or folder.resolve().name)))
    return marker


def new(assignment_id: str, module: str | None = None, title: str | None = None) -> list[Path]:
    """Write the skeleton of `assignment_id` into the current course; the files written."""
    if not ID.fullmatch(assignment_id):
        raise CourseError(f"'{assignment_id}' cannot be an assignment id: use lower-case letters, digits, "
                          f"'_' and '-', starting with a letter (e.g. hw4).")
    module = module or assignment_id.replace("-", "_")
    if not module.isidentifier():
        raise CourseError(f"'{module}' cannot be a module name; give one with --module (e.g. --module mean).")
    root = course.current().root
    public, hidden = root / "assignments" / assignment_id, root / "solutions" / assignment_id
    for folder in (public, hidden):
        if folder.exists():
            raise CourseError(f"{folder} exists already; choose a new id, or remove it first.")
    fill = {"id": assignment_id, "module": module, "title": json.dumps(title or f"{assignment_id}: the mean")}
    files = {
        public / "assignment.toml": METADATA, public / f"{module}.py": STUB, public / "README.md": README,
        hidden / f"{module}.py": REFERENCE, hidden / "mistakes.py": MISTAKES, hidden / "rubric.py": RUBRIC,
        hidden / "corpus.py": CORPUS, hidden / "notebook.py": NOTEBOOK,
    }
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.format(**fill))
    (hidden / "locales").mkdir()
    korean = hidden / "locales" / "ko.json"
    korean.write_text(json.dumps(KOREAN, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    course.refresh()
    return sorted([*files, korean])


def write_notebook(assignment_id: str) -> Path | None:
    """The student notebook of a new assignment, where the instructor's tools (jupytext) are installed."""
    try:
        from grader import notebooks
    except ImportError:
        return None
    assignment = course.get(assignment_id)
    path = notebooks.student_notebook_path(assignment)
    path.write_text(notebooks.render(notebooks.build(assignment)))
    return path
