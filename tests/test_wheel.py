"""The engine as a wheel: it holds no part of any course, and installed into a fresh virtual
environment it grades, checks, releases, self-tests and exports a course folder outside it,
one made with `course new` included, without any engine file changing."""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from grader import course, release
from tests.support import corpus_of, grade, write_mutant

ROOT = Path(__file__).resolve().parent.parent
COURSE_PARTS = ("assignments", "solutions", course.MARKER)
SECRET_FILES = ("rubric.py", "mistakes.py", "corpus.py", "probes.py")  # besides each reference
RUBRIC_API = "grader/rubric.py"  # the engine's module of that name: Rubric, check, Context


def build_wheel(out: Path) -> Path:
    """The wheel of this working tree, built from a clean copy (no build/ left from before)."""
    source = out / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".course-secret"))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(out / "wheel"), str(source)], check=True, capture_output=True, text=True)
    wheel, = (out / "wheel").glob("course_grader-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


def wheel_files(wheel: Path) -> dict[str, str]:
    with zipfile.ZipFile(wheel) as z:
        return {name: z.read(name).decode("utf-8", errors="ignore") for name in z.namelist()}


def course_lines() -> dict[str, str]:
    """Every significant line of every reference, rubric, mistake formula, probe and corpus of the
    course -> where it is from, less the lines the engine's own source has too."""
    engine = {release._significant(line) for path in [*release.ENGINE_DIR.rglob("*.py"), *release.LIBRARY_DIR.rglob("*.py")]
              for line in path.read_text().splitlines()}
    lines = {}
    for a in course.current().assignments.values():
        for name in (f"{a.module}.py", *SECRET_FILES):
            path = a.solution_dir / name
            for number, line in enumerate(path.read_text().splitlines() if path.exists() else [], 1):
                line = release._significant(line)
                if line and line not in engine:
                    lines.setdefault(line, f"{path.relative_to(ROOT)}:{number}")
    return lines


def course_parts_in(files: dict[str, str]) -> list:
    """(file, line, origin) for each line of `files` that is a line of the course; the course's own files."""
    secrets = course_lines()
    found = [(name, line.strip(), secrets[line.strip()]) for name, text in files.items()
             for line in text.splitlines() if line.strip() in secrets]
    return found + [(name, "", "a course file") for name in files
                    if name.startswith(COURSE_PARTS) or (Path(name).name in SECRET_FILES and name != RUBRIC_API)]


def test_the_wheel_holds_the_engine_and_nothing_of_the_course(wheel):
    files = wheel_files(wheel)
    assert "grader/locales/ko.json" in files and "grader/schemas/report.schema.json" in files
    assert "grader/course.py" in files and "course_lib/datasets/store.py" in files
    assert len(course_lines()) > 1000  # the scan has something to find
    assert course_parts_in(files) == []


def test_the_scan_finds_a_planted_line_or_file(wheel):
    """The scan above can fail: one mutant line in an engine file, or a rubric shipped, is caught."""
    a = course.get(sorted(course.current().assignments)[0])
    line = next(x for x in (a.solution_dir / "corpus.py").read_text().splitlines()
                if release._significant(x) in course_lines())
    files = wheel_files(wheel)
    files["grader/compare.py"] += f"\n{line}\n"
    files["grader/extra/rubric.py"] = "pass\n"
    found = course_parts_in(files)
    assert [(name, text) for name, text, _ in found] == [("grader/compare.py", line.strip()),
                                                          ("grader/extra/rubric.py", "")]


# -- installed into a fresh virtual environment ----------------------------------------------------

def sha256_tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel (and its instructor extra) installed."""
    folder = tmp_path_factory.mktemp("venv") / "v"
    subprocess.run([sys.executable, "-m", "venv", str(folder)], check=True)
    pip = [str(folder / "bin" / "python"), "-m", "pip", "install", "-q"]
    import torch
    subprocess.run(pip + [f"torch=={torch.__version__.split('+')[0]}"], check=True, capture_output=True)  # as here
    subprocess.run(pip + [f"{wheel}[instructor]"], check=True, capture_output=True)
    return folder


def outside(env=None) -> dict:
    """The environment with nothing of this repository importable and no course chosen."""
    environment = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", course.COURSE_DIR_ENV)}
    return {**environment, **(env or {})}


def run_course(venv: Path, cwd: Path, *args, env=None) -> subprocess.CompletedProcess:
    """`course ARGS` of the installed wheel, in `cwd`."""
    return subprocess.run([str(venv / "bin" / "course"), *args], cwd=cwd, env=outside(env),
                          capture_output=True, text=True, timeout=900)


def installed_engine(venv: Path) -> Path:
    found = subprocess.run([str(venv / "bin" / "python"), "-c", "import grader; print(grader.__file__)"],
                           capture_output=True, text=True, check=True, cwd="/", env=outside())
    return Path(found.stdout.strip()).parent


@pytest.mark.slow
def test_the_installed_wheel_grades_this_course_from_outside_as_the_repository_does(venv, tmp_path, data_dir):
    here = tmp_path / "course"
    here.mkdir()
    for part in COURSE_PARTS:
        (shutil.copytree if (ROOT / part).is_dir() else shutil.copy)(ROOT / part, here / part)
    engine = installed_engine(venv)
    assert not engine.is_relative_to(ROOT), engine
    before = sha256_tree(engine)
    env = {"COURSE_DATA_DIR": str(data_dir), "COURSE_SECRET": "same-secret-both-sides"}
    a1 = course.get("assignment1")
    MISTAKES, = corpus_of("assignment1", "MISTAKES")
    mutant = write_mutant("assignment1", MISTAKES["bias_column_last"], tmp_path / "bias_column_last")
    for submission in (a1.solution_dir, a1.stub_dir, mutant):
        given = here / "assignments" / "assignment1" if submission == a1.stub_dir else submission
        run = run_course(venv, here, "grade", "assignment1", "--submission", str(given), "--format", "json",
                         "--allow-unisolated", env=env)
        assert run.returncode == 0, run.stderr
        installed = json.loads(run.stdout)
        os.environ["COURSE_SECRET"], saved = env["COURSE_SECRET"], os.environ.get("COURSE_SECRET")
        try:
            ours = grade("assignment1", submission, data_dir)
        finally:
            os.environ.pop("COURSE_SECRET") if saved is None else os.environ.update(COURSE_SECRET=saved)
        assert [(c["id"], c["status"], c["points"]) for c in installed["checks"]] == \
            [(c.id, c.status, c.points) for c in ours.checks]
    check = run_course(venv, here, "check", "assignment1", env=env)
    assert check.returncode == 0 and "total: 0 / " in check.stdout, check.stdout + check.stderr
    korean = run_course(venv, here, "grade", "assignment3", "--reference", "--lang", "ko", env=env)
    assert korean.returncode == 0 and "총점: 29 / 29" in korean.stdout, korean.stdout + korean.stderr
    released = run_course(venv, here, "release", "assignment1", "--out", str(tmp_path / "release"), env=env)
    assert released.returncode == 0 and "leak audit passed" in released.stdout, released.stderr
    exported = run_course(venv, here, "nbgrader", "export", "assignment1", "--course-dir", str(tmp_path / "nb"), env=env)
    assert exported.returncode == 0, exported.stderr
    assert "### BEGIN SOLUTION" in (tmp_path / "nb" / "source" / "assignment1" / "assignment1.ipynb").read_text()
    assert str(here) in (tmp_path / "nb" / "nbgrader_config.py").read_text()
    assert sha256_tree(engine) == before


DOT = {  # an instructor's own assignment, written over `course new`'s skeleton
    "assignments/hw9/hw9.py": '''"""hw9: write `dot`."""


def dot(a, b):
    """The dot product of two lists of numbers of one length."""
    # TODO(student)
    raise NotImplementedError
''',
    "solutions/hw9/hw9.py": '''"""The reference of hw9."""


def dot(a, b):
    """The dot product of two lists of numbers of one length."""
    return float(sum(x * y for x, y in zip(a, b)))
''',
    "solutions/hw9/mistakes.py": '''def dot_without_products(a, b):
    return float(sum(a) * sum(b))
''',
    "solutions/hw9/rubric.py": '''from grader import inputs
from grader.compare import expect_scalar
from grader.rubric import Rubric

rubric = Rubric()
SUMS = rubric.mistake("dot_without_products", "the sums are multiplied, not the entries", "sum a[i] * b[i]")


def mistakes(a, b):
    return [(SUMS, rubric.mistaken().dot_without_products(a, b))]


@rubric.check("dot.small", "dot of two short lists", 1)
def dot_small(ctx):
    a, b = [1.0, 2.0], [3.0, 4.0]
    expect_scalar("dot(a, b)", ctx.call("dot", a, b), rubric.reference().dot(a, b), rtol=1e-12, mistakes=mistakes(a, b))


@rubric.check("dot.random", "dot of random lists", 2, hidden=True)
def dot_random(ctx):
    a, b = inputs.rng(5).normal(size=(2, 30)).tolist()
    expect_scalar("dot(a, b) of length 30", ctx.call("dot", a, b), rubric.reference().dot(a, b), rtol=1e-9,
                  mistakes=mistakes(a, b))
''',
    "solutions/hw9/corpus.py": '''from grader.selftest.mutants import Mutant

MISTAKES = {"dot_without_products": Mutant(
    (("sum(x * y for x, y in zip(a, b))", "sum(a) * sum(b)"),), frozenset({"dot.small", "dot.random"}))}
CORRECT = {"indexed": Mutant(
    (("sum(x * y for x, y in zip(a, b))", "sum(a[i] * b[i] for i in range(len(a)))"),), frozenset())}
''',
    "solutions/hw9/notebook.py": "# %%\n# course: code dot\n\n# %%\n# course: check dot.small\n\n"
                                 "# %%\n# course: check dot.random\n",
    "solutions/hw9/locales/ko.json": json.dumps({"phrases": {
        "dot of two short lists": "짧은 두 리스트의 내적", "dot of random lists": "무작위 리스트의 내적",
        "the sums are multiplied, not the entries": "원소가 아니라 합끼리 곱했습니다",
        "sum a[i] * b[i]": "a[i] * b[i]를 더하세요"}, "templates": {}}, ensure_ascii=False),
}


@pytest.mark.slow
def test_an_assignment_made_with_course_new_grades_releases_and_self_tests_from_the_wheel(venv, tmp_path):
    engine = installed_engine(venv)
    before = sha256_tree(engine)
    here = tmp_path / "my-course"
    assert run_course(venv, tmp_path, "init", str(here)).returncode == 0
    made = run_course(venv, here, "new", "hw9")
    assert made.returncode == 0, made.stderr
    for name, text in DOT.items():
        (here / name).write_text(text)
    assert "dot" in (here / "solutions" / "hw9" / "rubric.py").read_text()  # the skeleton is replaced
    assert run_course(venv, here, "notebooks").returncode == 0
    reference = run_course(venv, here, "grade", "hw9", "--reference")
    assert reference.returncode == 0 and "total: 3 / 3" in reference.stdout, reference.stdout + reference.stderr
    stub = run_course(venv, here / "solutions", "grade", "hw9")  # from a folder below the course's root
    assert stub.returncode == 0 and "total: 0 / 3" in stub.stdout, stub.stdout + stub.stderr
    selftest = run_course(venv, here, "selftest", "hw9", "--workers", "1")
    assert selftest.returncode == 0 and "every mistake lost points and was named" in selftest.stdout, \
        selftest.stdout + selftest.stderr
    released = run_course(venv, here, "release", "hw9", "--out", str(tmp_path / "bundle"))
    assert released.returncode == 0 and "leak audit passed" in released.stdout, released.stderr
    bundle = tmp_path / "bundle"
    assert "zip(a, b)" not in "".join(p.read_text(errors="ignore") for p in bundle.rglob("*") if p.is_file())
    shutil.copy(here / "solutions" / "hw9" / "hw9.py", bundle / "assignments" / "hw9")
    checked = run_course(venv, bundle, "check", "hw9", "--lang", "ko")
    assert checked.returncode == 0 and "총점: 1 / 1" in checked.stdout, checked.stdout + checked.stderr
    elsewhere = run_course(venv, tmp_path, "grade", "hw9")
    assert elsewhere.returncode == 1 and "course-grader.toml" in elsewhere.stderr, elsewhere.stderr
    assert sha256_tree(engine) == before
