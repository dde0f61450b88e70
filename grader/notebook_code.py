"""A notebook as a submission: the student's code is its code cells in order, less the cells
that run checks (they hold `CHECK_MARK`), nbgrader's test cells and IPython's `%magic` and
`!shell` lines. Messages speak of cells, never of the module the code was graded as:
`NotebookCode.in_cells` turns "mean.py, line 13" into "hw1.ipynb, cell 4,
line 3" (cells counted from the top, markdown ones included) or, in a kernel, "In [7], line 3".
"""
from __future__ import annotations

import json
import re
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
    name: str  # what the messages call the whole, e.g. "hw1.ipynb"

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
    return parse_notebook(Path(path).read_text(encoding="utf-8"))


def parse_notebook(text: str | bytes) -> dict:
    """A notebook's JSON text as a dict (nbformat 4 only; ValueError otherwise)."""
    notebook = json.loads(text)
    if not isinstance(notebook, dict):
        raise ValueError("it is JSON but not a notebook (no object at its top)")
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
    return notebook_module_of(read_notebook(path), path.name)


def notebook_module_of(notebook: dict, name: str) -> NotebookCode:
    """The student's code in a parsed notebook called `name` (nbgrader's test cells left out)."""
    cells = notebook["cells"]
    return cells_code(((f"{name}, cell {number}", _source(cell)) for number, cell in enumerate(cells, 1)
                       if cell["cell_type"] == "code"
                       and not cell.get("metadata", {}).get("nbgrader", {}).get("grade", False)), name)


def notebook_code(path: Path) -> str:
    """The student's code in the notebook file at `path` (nbgrader's test cells left out)."""
    return notebook_module(path).code


def write_module(code: str, module: str, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{module}.py").write_text(code)
    return folder
