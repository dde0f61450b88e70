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
    assert run.stdout.split() and all(path.startswith(str(out)) for path in run.stdout.split())
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
