"""`course release`: the student bundle of one assignment, and the audit that guards it.

The bundle is a course folder of its own, holding one assignment: its `assignments/<id>/`
(stub, README, notebook, assignment.toml), and in `checks/<id>/` the *visible* checks (hidden
ones cut out of `rubric.py`), the probes, the translations of what they say and a recording
of the reference's answers for them (see `grader.oracle`), with `course_lib` and the
grading engine, so `course check` runs there without any reference code. Before anything is written, `audit` searches every file of the
bundle for lines of the reference implementation and of the hidden checks; a leak stops
the release and is reported by file and line.
"""
from __future__ import annotations

import ast
import concurrent.futures
import importlib.metadata
import json
import multiprocessing
import re
import shutil
import re
import tempfile
import textwrap
from dataclasses import dataclass
from pathlib import Path

import course_lib
import grader
from course_lib.errors import CourseError
from grader import course, oracle
from grader.assignments import RECORDED

ENGINE_DIR = Path(grader.__file__).resolve().parent  # the engine as installed, whatever the course
LIBRARY_DIR = Path(course_lib.__file__).resolve().parent
ENGINE = ["__init__.py", "cli.py", "grade.py", "rubric.py", "compare.py", "report.py", "writers.py",
          "oracle.py", "inputs.py", "timing.py", "assignments.py", "course.py", "release.py", "jupyter.py",
          "notebook_code.py", "worked_file.py", "course_file.py", "i18n.py", "formats", "sandbox", "schemas", "locales",
          "submission_files.py", "similarity/__init__.py"]  # the last: the defaults `course --help` shows
SHIPPED_AS_IS = {"rubric.py", "probes.py", "notebook.py"}  # of solutions/<id>/: the visible rubric and
# the probes are shipped (the rubric cut), the notebook source only fills the student notebook
MIN_LINE = 12  # shorter lines ("return self", "else:") say nothing about a solution
ENGINE_NEEDS = ("numpy", "click", "rich", "platformdirs")  # what `course check` imports besides the assignment's own
NOTEBOOK_NEEDS = ("notebook>=7",)  # Jupyter, for the notebook and its check cells (an extra)


class LeakError(CourseError):
    """The bundle would reveal reference code or hidden checks."""


@dataclass(frozen=True)
class Leak:
    bundle_file: str
    line_number: int
    line: str
    origin: str  # where the line comes from, e.g. "solutions/<id>/<module>.py:12"

    def __str__(self):
        return f"{self.bundle_file}:{self.line_number}: {self.line!r} (from {self.origin})"


# -- cutting hidden checks out of a rubric ---------------------------------------------------

def _check_decorator(node: ast.stmt) -> ast.Call | None:
    for decorator in getattr(node, "decorator_list", []):
        if isinstance(decorator, ast.Call) and getattr(decorator.func, "attr", "") == "check":
            return decorator
    return None


def _is_hidden_check(node: ast.stmt) -> bool:
    decorator = _check_decorator(node)
    return decorator is not None and any(
        k.arg == "hidden" and isinstance(k.value, ast.Constant) and k.value.value for k in decorator.keywords)


def _defined_names(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return set()


def split_rubric(source: str) -> tuple[str, str]:
    """(the rubric without its hidden checks and the helpers only they use, the cut-out text)."""
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    removed = [n for n in tree.body if _is_hidden_check(n)]
    while True:  # drop definitions nothing kept refers to any more
        kept = [n for n in tree.body if n not in removed]
        used = {n.id for k in kept for n in ast.walk(k) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        used.add("rubric")
        unused = [n for n in kept if _defined_names(n) and not (_defined_names(n) & used)
                  and _check_decorator(n) is None]
        if not unused:
            break
        removed += unused
    spans = sorted((min([n.lineno] + [d.lineno for d in getattr(n, "decorator_list", [])]) - 1, n.end_lineno)
                   for n in removed)
    cut = "".join("".join(lines[a:b]) for a, b in spans)
    for a, b in reversed(spans):
        del lines[a:b]
    return "".join(lines), cut


# -- the audit --------------------------------------------------------------------------------

def _significant(line: str) -> str:
    line = line.strip()
    if len(line) < MIN_LINE or line.startswith(("#", "import ", "from ", '"""', "'''")):
        return ""
    return line


def _engine_files(suffix: str = ".py"):
    """The installed engine's files that a bundle ships, those ending in `suffix` ("": all)."""
    for name in ENGINE:
        path = ENGINE_DIR / name
        yield from [path] if path.is_file() else sorted(
            p for p in path.rglob(f"*{suffix}") if p.is_file() and "__pycache__" not in p.parts)


def secret_lines(assignment) -> dict[str, str]:
    """Significant lines of the reference, the mistakes, the corpus and every other file of
    solutions/<id>/ and of the hidden checks -> where each comes from, less those the students
    are given anyway (the stub, the engine, the visible checks, the probes)."""
    given = set()
    shipped = [*assignment.stub_dir.rglob("*.py"), *LIBRARY_DIR.rglob("*.py"), *_engine_files()]
    shipped += [assignment.probes_file] if assignment.probes_file else []  # the engine's own lines too
    for path in shipped:  # (boilerplate such as `except ...:`)
        given |= {_significant(x) for x in path.read_text().splitlines()}
    visible, hidden = split_rubric(assignment.rubric_file.read_text())
    given |= {_significant(x) for x in visible.splitlines()}
    secrets = {}
    for path in sorted(assignment.solution_dir.rglob("*.py")):
        if path.relative_to(assignment.solution_dir).as_posix() in SHIPPED_AS_IS:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            secrets.setdefault(_significant(line), f"{path.relative_to(assignment.course_root)}:{number}")
    for number, line in enumerate(hidden.splitlines(), 1):
        secrets.setdefault(_significant(line), f"hidden checks of {assignment.id}, cut line {number}")
    return {line: origin for line, origin in secrets.items() if line and line not in given}


def audit(bundle: Path, assignment) -> list[Leak]:
    """Every line of every text file in `bundle` that is a secret line (stripped, exact)."""
    secrets = secret_lines(assignment)
    leaks = []
    for path in sorted(p for p in bundle.rglob("*") if p.is_file()):
        try:
            text = path.read_text()
        except UnicodeDecodeError:
            continue  # .npz fixtures: numbers only
        for number, line in enumerate(text.splitlines(), 1):
            for candidate in _candidates(line):
                if candidate in secrets:
                    leaks.append(Leak(str(path.relative_to(bundle)), number, candidate, secrets[candidate]))
    return leaks


def _candidates(line: str):
    """The line itself, and the lines inside a notebook's JSON string ("...\\n")."""
    yield line.strip()
    if '"' in line:
        try:
            value = json.loads(line.strip().rstrip(","))
        except ValueError:
            return
        if isinstance(value, str):
            yield from (x.strip() for x in value.splitlines())


# -- writing the bundle -----------------------------------------------------------------------

def build(assignment, folder: Path) -> None:
    """Write the bundle's files into the empty `folder`."""
    for source in _engine_files(""):
        target = folder / "grader" / source.relative_to(ENGINE_DIR)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    shutil.copytree(LIBRARY_DIR, folder / "course_lib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(assignment.stub_dir, folder / "assignments" / assignment.id,
                    ignore=shutil.ignore_patterns("__pycache__"))
    checks = folder / "checks" / assignment.id
    checks.mkdir(parents=True)
    if assignment.probes_file:
        shutil.copy2(assignment.probes_file, checks / "probes.py")
    visible, _ = split_rubric(assignment.rubric_file.read_text())
    (checks / "rubric.py").write_text(visible)
    _write_locales(assignment, checks / "locales", visible)
    record_visible(assignment, checks)
    (folder / course.MARKER).write_text(f"# A student bundle of {assignment.id}: `course check {assignment.id}` "
                                        f"here.\nname = {json.dumps(course.open_course(assignment.course_root).name)}\n")
    (folder / "pyproject.toml").write_text(pyproject(assignment))
    (folder / "README.md").write_text(_readme(assignment))


def _write_locales(assignment, folder: Path, visible_rubric: str) -> None:
    """The assignment's translations, less the titles of hidden checks and the texts of the
    known mistakes that only hidden checks name."""
    rubric = assignment.rubric
    secret = {c.title for c in rubric.checks if c.hidden}
    secret |= {text for m in rubric.mistakes.values() if f'"{m.id}"' not in visible_rubric for text in (m.what, m.fix)}
    folder.mkdir(parents=True)
    for path in sorted(assignment.locales_dir.glob("*.json")):
        catalog = json.loads(path.read_text(encoding="utf-8"))
        catalog["phrases"] = {k: v for k, v in catalog.get("phrases", {}).items() if k not in secret}
        (folder / path.name).write_text(json.dumps(catalog, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def record_visible(assignment, folder: Path) -> None:
    """Record the reference's answers to the visible checks into `folder`.

    The recording runs in a fresh interpreter: a rubric may cache what it computed from the
    reference (lru_cache), and a cached answer would never reach the Recorder.
    """
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(1, mp_context=context) as pool:
        failed = pool.submit(_record, str(assignment.course_root), assignment.id, str(folder)).result()
    if failed:
        raise CourseError(f"the reference of {assignment.id} fails visible checks, so their answers "
                          f"cannot be recorded; fix this first:\n  " + "\n  ".join(failed))


def _record(course_root: str, assignment_id: str, folder: str) -> list[str]:
    from grader.grade import grade_submission
    assignment = course.use(Path(course_root)).get(assignment_id)
    with oracle.record({}) as store:
        report = grade_submission(assignment, assignment.solution_dir, visible_only=True, secret=None)  # fixed inputs
    oracle.save(store, Path(folder), RECORDED)
    return [f"{c.id}: {c.message}" for c in report.checks if not c.passed]


def requirements(assignment) -> list[str]:
    """The engine's requirements of what the bundle's code imports: the
    engine's, and the packages the assignment's code runs on (pandas, torch), no others."""
    needed = set(ENGINE_NEEDS) | set(assignment.preload)
    installed = [re.sub(r";.*", "", r).strip() for r in importlib.metadata.requires("course-grader") or []
                 if "extra ==" not in r]  # the engine's own, as installed: an installed engine has no pyproject.toml
    return [r for r in installed if re.match(r"[A-Za-z0-9_.-]+", r).group() in needed]


def pyproject(assignment) -> str:
    """The bundle's project: its assignment's requirements and the `course` command, nothing of
    the instructor's (no extras, no test settings)."""
    listed = "".join(f"    {json.dumps(r)},\n" for r in requirements(assignment))
    return ('[build-system]\nrequires = ["setuptools>=68"]\nbuild-backend = "setuptools.build_meta"\n\n'
            f'[project]\nname = "course-grader"\nversion = "{grader.__version__}"\n'
            f'description = {json.dumps(f"Student bundle: {assignment.title}")}\n'
            f'requires-python = ">=3.11"\ndependencies = [\n{listed}]\n\n'
            f'[project.optional-dependencies]\nnotebook = {json.dumps(list(NOTEBOOK_NEEDS))}\n\n'
            '[project.scripts]\ncourse = "grader.cli:cli"\n\n'
            '[tool.setuptools.packages.find]\ninclude = ["grader*", "course_lib*"]\n\n'
            '[tool.setuptools.package-data]\ngrader = ["schemas/*.json", "locales/*.json"]\n')


CHECKING = "Checking your work"
CHECKING_TEXT = """\
## Checking your work

Once, in this folder (Python 3.11 or later):

```bash
python3 -m venv .venv && . .venv/bin/activate   # Windows: .venv\\Scripts\\activate
pip install -e .{fetch}
```

Then, after each change (in a new terminal, activate `.venv` again first):

```bash
course check {id}
```

Work in `assignments/{id}/{module}.py` or in the notebook `assignments/{id}/{id}.ipynb`
(saved): `course check` grades the one you changed from the stub and says which. Changed
both? Name one: `course check {id} --file {id}.ipynb` (or `--file {module}.py`). It runs the
visible checks; the grade also uses hidden checks. `course check {id} --lang ko` says it all in
Korean.{extra}

For the notebook, Jupyter: `pip install -e '.[notebook]'`, then `jupyter notebook
assignments/{id}/{id}.ipynb`; its check cells run the same checks on the cells you have run.
"""
DATA_NOTE = """ `course data fetch` downloads the data once into your cache (or set
`COURSE_DATA_DIR` to a folder that has it)."""
TORCH_NOTE = """ pip installs PyTorch's default build (on Linux, the CUDA one, several GB);
for the CPU-only build, install `torch` first as pytorch.org describes."""


def _readme(assignment) -> str:
    """The assignment's README with the bundle's own section on checking (install step
    included) in place of the one the README may have: each section once."""
    own = assignment.stub_dir / "README.md"
    task = own.read_text() if own.exists() else f"# {assignment.title}\n"
    task = re.sub(rf"^## {CHECKING}\n.*?(?=^## |\Z)", "", task, flags=re.S | re.M).rstrip()
    extra = (DATA_NOTE if assignment.datasets else "") + (TORCH_NOTE if "torch" in assignment.preload else "")
    fetch = "".join(f"\ncourse data fetch {name}" for name in assignment.datasets)
    section = CHECKING_TEXT.format(id=assignment.id, module=assignment.module, fetch=fetch, extra=extra)
    return task + "\n\n" + "\n\n".join(
        block if "```" in block else textwrap.fill(" ".join(block.split()), 92, break_on_hyphens=False)
        for block in section.split("\n\n")) + "\n"


def main(*, assignment_id: str, out: Path) -> list[Path]:
    """Build the bundle in a temporary folder, audit it, and only then move it to `out`."""
    assignment = course.get(assignment_id)
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise CourseError(f"{out} exists and is not empty; choose a new folder for the release.")
    with tempfile.TemporaryDirectory(prefix="course-release-") as tmp:
        staging = Path(tmp) / "bundle"
        build(assignment, staging)
        leaks = audit(staging, assignment)
        if leaks:
            listing = "\n  ".join(str(leak) for leak in leaks[:20])
            raise LeakError(f"release of {assignment.id} refused: {len(leaks)} line(s) would reveal "
                            f"the reference or hidden checks:\n  {listing}")
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.exists():
            out.rmdir()
        shutil.move(str(staging), str(out))
    return sorted(p for p in out.rglob("*") if p.is_file())
