"""Student bundles: no reference code, no hidden checks, and `course check` works inside."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from course_lib.errors import CourseError
from grader import course, release
from grader.assignments import RECORDED
from tests.support import corpus_of, write_mutant

ROOT = Path(__file__).resolve().parents[2]
IDS = sorted(course.current().assignments)


@pytest.fixture(scope="module", params=IDS)
def bundle(request, tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / request.param
    release.main(assignment_id=request.param, out=out)
    return request.param, out


def bundle_text(folder: Path) -> str:
    return "\n".join(p.read_text(errors="ignore") for p in folder.rglob("*") if p.is_file())


def test_no_reference_line_is_in_the_bundle(bundle):
    """Searched independently of the audit: every line of 20+ characters of the reference, the
    mistakes, the corpus and the hidden checks that the stub or the visible checks do not also
    give must be absent from every file, as a substring."""
    assignment_id, out = bundle
    a = course.get(assignment_id)
    text = bundle_text(out)
    stub = bundle_text(a.stub_dir)
    visible, hidden = release.split_rubric(a.rubric_file.read_text())
    stub += visible + "".join(path.read_text() for path in release._engine_files())  # the engine's own lines
    secret = {path.name: path.read_text() for path in a.solution_dir.rglob("*.py") if path.name not in release.SHIPPED_AS_IS}
    for name, source in {**secret, "hidden checks": hidden}.items():
        for line in source.splitlines():
            line = line.strip()
            if len(line) >= 20 and line not in stub and not line.startswith(("#", "import", "from")):
                assert line not in text, f"{name}: {line!r} is in the bundle"
    assert not (out / "solutions").exists()


def test_no_hidden_check_is_in_the_bundle(bundle):
    assignment_id, out = bundle
    text = bundle_text(out)
    hidden = [c.id for c in course.get(assignment_id).rubric.checks if c.hidden]
    assert hidden, "every assignment has hidden checks"
    for check_id in hidden:
        assert f'"{check_id}"' not in text


# Runs Python with only the bundle's own `grader`: the editable install of the repository
# would otherwise supply any module the bundle lacks.
BUNDLE_ONLY = ("import runpy, sys; sys.meta_path[:] = [f for f in sys.meta_path if '__editable__' not in "
               "type(f).__module__]; sys.argv[0] = 'course'; ")


def in_bundle(out: Path, data_dir, code: str, *args) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != course.COURSE_DIR_ENV}  # the bundle is the course
    env.update(COURSE_DATA_DIR=str(Path(data_dir).resolve()), PYTHONPATH=str(out))
    return subprocess.run([sys.executable, "-c", BUNDLE_ONLY + code, *args], cwd=out, env=env,
                          capture_output=True, text=True)


def course_check(out: Path, assignment_id: str, data_dir) -> subprocess.CompletedProcess:
    result = in_bundle(out, data_dir, "runpy.run_module('grader.cli', run_name='__main__')", "check", assignment_id)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_course_check_runs_inside_the_bundle(bundle, data_dir):
    assignment_id, out = bundle
    a = course.get(assignment_id)
    visible = sum(c.points for c in a.rubric.checks if not c.hidden)
    stub = course_check(out, assignment_id, data_dir)
    assert stub.returncode == 0 and f"total: 0 / {visible:g}" in stub.stdout
    shutil.copy(a.solution_dir / f"{a.module}.py", out / "assignments" / assignment_id)
    done = course_check(out, assignment_id, data_dir)
    assert f"total: {visible:g} / {visible:g}" in done.stdout, done.stdout


def test_the_bundle_runs_its_own_grader(bundle, data_dir):
    assignment_id, out = bundle
    modules = ("import grader.cli, grader.grade, grader.formats, grader.i18n, grader.course_file; "
               "print('\\n'.join(m.__file__ for n, m in sys.modules.items() if n.startswith('grader')))")
    run = in_bundle(out, data_dir, modules)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() and [p for p in run.stdout.split() if not p.startswith(str(out))] == []
    assert (out / course.MARKER).is_file() and (out / "checks" / assignment_id / "rubric.py").is_file()
    assert [p.name for p in (out / "assignments").iterdir()] == [assignment_id]  # a course of one assignment


def test_a_mistake_fails_the_same_visible_checks_in_the_bundle(tmp_path, data_dir):
    out = tmp_path / "bundle"
    release.main(assignment_id="assignment1", out=out)
    MISTAKES, = corpus_of("assignment1", "MISTAKES")
    write_mutant("assignment1", MISTAKES["bias_column_last"], out / "assignments" / "assignment1")
    result = course_check(out, "assignment1", data_dir)
    failed = {line.split()[0] for line in result.stdout.splitlines() if " failed " in line}
    assert failed == {"add_bias.matrix", "add_bias.vector", "linear_regression.weights"}


def test_the_audit_names_a_planted_leak(tmp_path):
    a = course.get("assignment1")
    release.build(a, tmp_path)
    assert release.audit(tmp_path, a) == []
    secret = "order = np.random.default_rng(seed).permutation(len(X))"
    with open(tmp_path / "course_lib" / "errors.py", "a") as f:
        f.write(f"\n# {secret}\n    {secret}\n")
    leaks = release.audit(tmp_path, a)
    assert [(x.bundle_file, x.line) for x in leaks] == [("course_lib/errors.py", secret)]
    assert "solutions/assignment1/linear_regression.py:13" in str(leaks[0])


def test_a_leaking_release_is_refused_and_writes_nothing(tmp_path, monkeypatch):
    real_build = release.build

    def leaky_build(assignment, folder):
        real_build(assignment, folder)
        shutil.copy(assignment.solution_dir / f"{assignment.module}.py", folder / "oops.py")
    monkeypatch.setattr(release, "build", leaky_build)
    with pytest.raises(release.LeakError, match="oops.py"):
        release.main(assignment_id="assignment1", out=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_release_refuses_a_folder_that_is_not_empty(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(CourseError, match="not empty"):
        release.main(assignment_id="assignment1", out=tmp_path)


def test_recorded_answers_are_snapshots_that_checks_cannot_alter():
    from grader import oracle
    import numpy as np

    class Reference:
        @staticmethod
        def params():
            return {"b": np.zeros(2)}
    store = {}
    recorded = oracle.Recorder(Reference, store).params()
    recorded["b"][:] = 7  # a check that modifies what the reference gave it
    replay = oracle.Replay(store)
    first = replay.params()
    first["b"][:] = 9
    assert replay.params()["b"].tolist() == [0.0, 0.0]


def test_recording_reaches_the_reference_even_when_a_rubric_cached_its_answers(tmp_path, data_dir, monkeypatch):
    """assignment 2 caches its gradient-check network (lru_cache); a recording made in this
    process would miss the reference calls behind it, so it is made in a fresh one."""
    from grader import oracle
    assignment2 = course.get("assignment2").checks_module
    monkeypatch.setenv("COURSE_DATA_DIR", str(data_dir))
    assignment2.gradcheck_network()  # warm the cache with the real reference
    release.record_visible(course.get("assignment2"), tmp_path)
    store = oracle.load(tmp_path, RECORDED)
    assert oracle.key("ref.init_params", (6, 5, 4), {"seed": 0}) in store  # gradcheck_network's first try


def mistake_to_name_in_the_bundle(assignment) -> str:
    """The corpus's NAMED_BY_FORMULA (a mistake whose recogniser needs mistakes.py), else the
    first mistake that fails a visible check."""
    corpus = assignment.corpus()
    visible = {c.id for c in assignment.rubric.checks if not c.hidden}
    return getattr(corpus, "NAMED_BY_FORMULA", None) or next(
        name for name, mutant in corpus.MISTAKES.items() if mutant.breaks & visible)


def test_the_bundle_names_a_mistake_as_the_instructor_grader_does(bundle, tmp_path, data_dir):
    """The written-out mistakes stay out of the bundle; their recorded values name the mistake."""
    from grader import selftest
    assignment_id, out = bundle
    name = mistake_to_name_in_the_bundle(course.get(assignment_id))
    folder = write_mutant(assignment_id, selftest.corpus(assignment_id)[0][name], tmp_path / name)
    script = ("import json; from grader import course; from grader.grade import grade_submission; "
              "r = grade_submission(course.get(sys.argv[1]), sys.argv[2], visible_only=True); "
              "print(json.dumps({c.id: c.diagnosis for c in r.checks}))")
    run = in_bundle(out, data_dir, script, assignment_id, str(folder))
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout)
    here = support_grade(assignment_id, folder, data_dir)
    assert found == {c.id: c.diagnosis for c in here.checks if c.visibility == "visible"}
    assert name in found.values()
    assert not (out / "grader" / "selftest").exists() and not (out / "solutions").exists()


def support_grade(assignment_id, folder, data_dir):
    from tests.support import grade
    return grade(assignment_id, folder, data_dir)


# -- what a bundle installs ---------------------------------------------------------------------

def bundle_project(out: Path) -> dict:
    import tomllib
    return tomllib.loads((out / "pyproject.toml").read_text())


def requirement_names(requirements) -> set[str]:
    import re
    return {re.match(r"[A-Za-z0-9_.-]+", r).group().lower() for r in requirements}


def test_the_bundle_declares_only_what_its_assignment_needs(bundle):
    assignment_id, out = bundle
    project = bundle_project(out)
    names = requirement_names(project["project"]["dependencies"])
    assert {"numpy", "click", "rich"} <= names
    preload = course.get(assignment_id).preload  # what the assignment's code runs on
    assert ("torch" in names) == ("torch" in preload)
    assert ("pandas" in names) == ("pandas" in preload)
    assert not {"nbgrader", "jupytext", "dask", "pytest", "matplotlib", "nbformat"} & names
    assert set(project["project"].get("optional-dependencies", {})) <= {"notebook"}
    assert "pytest" not in project.get("tool", {}), "a bundle has no tests for pytest to look for"
    assert project["project"]["scripts"] == {"course": "grader.cli:cli"}


def _distributions_needed(requirements) -> set[str]:
    """The declared distributions and, transitively, what they require (no extras)."""
    from importlib import metadata
    todo, seen = list(requirement_names(requirements)), set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            todo += [r for r in metadata.requires(name) or [] if "extra ==" not in r]
            todo = list(requirement_names(todo))
        except metadata.PackageNotFoundError:
            pass
    return {n.replace("_", "-") for n in seen}


def test_what_course_check_imports_in_the_bundle_is_declared(bundle, data_dir):
    """Every third-party module that `course check` loads (engine, rubric, the assignment's
    sandbox preload, the datasets) comes from a declared requirement or one of theirs."""
    assignment_id, out = bundle
    a = course.get(assignment_id)
    script = ("before = set(sys.modules); import importlib, grader.cli, grader.grade, grader.writers, course_lib.datasets; "
              f"from grader import course; course.get('{assignment_id}').rubric; "
              f"[importlib.import_module(m) for m in {list(a.preload)!r}]; "
              "print(' '.join(sorted({n.split('.')[0] for n in set(sys.modules) - before})))")
    run = in_bundle(out, data_dir, script)
    assert run.returncode == 0, run.stderr
    from importlib import metadata
    owners = metadata.packages_distributions()
    allowed = _distributions_needed(bundle_project(out)["project"]["dependencies"])
    foreign = {module: owners[module] for module in run.stdout.split()
               if module in owners and module not in sys.stdlib_module_names
               and module not in ("grader", "course_lib")
               and not {d.lower().replace("_", "-") for d in owners[module]} & allowed}
    assert foreign == {}, f"{assignment_id}'s bundle imports packages it does not declare"


def test_the_bundle_readme_has_each_section_once_with_the_install_step(bundle):
    assignment_id, out = bundle
    readme = (out / "README.md").read_text()
    headings = [line for line in readme.splitlines() if line.startswith("#")]
    assert len(headings) == len(set(headings)), headings
    assert "pip install -e ." in readme and f"course check {assignment_id}" in readme
    assert readme.count("pip install -e .\n") == 1


# -- the instructor's commands inside a bundle --------------------------------------------------

def course_in_bundle(out: Path, data_dir, *args) -> subprocess.CompletedProcess:
    return in_bundle(out, data_dir, "runpy.run_module('grader.cli', run_name='__main__')", *args)


def test_the_bundle_lists_only_the_students_commands(bundle, data_dir):
    _, out = bundle
    listed = course_in_bundle(out, data_dir, "--help")
    assert listed.returncode == 0, listed.stderr
    commands = listed.stdout.split("Commands:")[1].split()
    assert [word for word in commands if word in ("check", "data", "list", "grade", "release", "notebooks",
                                                  "nbgrader", "grade-all", "gradebook", "selftest")] \
        == ["check", "data", "list"]


@pytest.mark.parametrize("args", [("release", "{id}", "--out", "x"), ("notebooks",), ("notebooks", "--check"),
                                  ("nbgrader", "export", "{id}", "--course-dir", "x"), ("grade-all", "{id}", "."),
                                  ("grade", "{id}", "--reference"), ("grade", "{id}"), ("selftest",),
                                  ("gradebook", "export"), ("release", "--help")])
def test_an_instructor_command_in_the_bundle_says_whose_it_is(bundle, data_dir, args):
    assignment_id, out = bundle
    run = course_in_bundle(out, data_dir, *(a.format(id=assignment_id) for a in args))
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert run.stderr.strip().splitlines() == [
        f"Error: `course {args[0]}` is for the instructor's copy of the course; this student bundle of "
        f"{assignment_id} runs `course check {assignment_id}`, `course list` and `course data`."]
    assert not (out / "x").exists()


def test_course_list_in_the_bundle_counts_visible_checks(bundle, data_dir):
    assignment_id, out = bundle
    listed = course_in_bundle(out, data_dir, "list")
    assert listed.returncode == 0, listed.stderr
    assert "visible checks (the grade adds hidden ones)" in listed.stdout and "0 hidden" not in listed.stdout


def test_course_check_in_the_bundle_grades_the_notebook_the_student_worked_in(tmp_path, data_dir):
    from tests.grader.test_notebooks import filled_notebook
    out = tmp_path / "bundle"
    release.main(assignment_id="assignment1", out=out)
    filled_notebook(course.get("assignment1"), out / "assignments" / "assignment1" / "assignment1.ipynb")
    result = course_check(out, "assignment1", data_dir)
    assert result.returncode == 0 and "total: 19 / 19" in result.stdout, result.stdout + result.stderr
    assert "graded assignment1.ipynb, the notebook you changed" in " ".join(result.stdout.split())
