"""A notebook as a submission: the student's code is its code cells in order, less the cells
that run checks (they hold `CHECK_MARK`), nbgrader's test cells and IPython's `%magic` and
`!shell` lines."""
from __future__ import annotations

import json
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
