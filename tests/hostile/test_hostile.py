"""The hostile corpus, graded under bubblewrap and with resource limits only: every submission
loses what it attacks with a clear message, the batch goes on, and afterwards no process of
the corpus is left and no file outside the sandbox's temporary folder changed."""
from __future__ import annotations

import hashlib
import os
import socket
import tempfile
import threading
from pathlib import Path

import pytest

from grader import course
from grader.sandbox import cgroup, isolation
from grader.sandbox.isolation import BUBBLEWRAP
from tests.hostile.corpus import A1, ALL, CORPUS, write
from tests.support import failing, grade

REPO = Path(__file__).resolve().parents[2]
MARK = "PWNED-by-the-hostile-corpus"
SLEEPER = b"sleep\x001234.5\x00"
WATCHED = [REPO / "solutions" / "assignment1", REPO / "grader" / "checks" / "assignment1.py",
           REPO / "grader" / "probes", REPO / "grader" / "sandbox", REPO / "tests" / "hostile"]
KINDS = [BUBBLEWRAP, "rlimits"]


def _cgroup_here() -> tuple[bool, str]:
    group, why = cgroup.create(f"course-{os.getpid()}-probe")
    if group is not None:
        group.close()
    return group is not None, why


HAS_CGROUP, WHY_NO_CGROUP = _cgroup_here()


class Listener:
    """A TCP listener on 127.0.0.1 that counts who reached it."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.heard = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.heard += 1
            connection.close()


@pytest.fixture(scope="module")
def arena(tmp_path_factory):
    """Where the corpus is graded, what it aims at, and the state of the world before."""
    root = tmp_path_factory.mktemp("hostile")
    outside = root / "outside"
    (outside / "gradebook").mkdir(parents=True)
    (outside / "gradebook" / "grades.csv").write_text("student,score\nkim,25\n")
    (outside / "reports").mkdir()
    (outside / "reports" / "kim.json").write_text("{}\n")
    arena = {"root": root, "submissions": root / "submissions", "sandboxes": root / "sandboxes",
             "outside": outside, "listener": Listener()}
    arena["sandboxes"].mkdir()
    arena["fill"] = {"SOLUTION": str(A1.solution_dir / "linear_regression.py"), "REPO": str(REPO),
                     "GRADEBOOK": str(outside / "gradebook" / "grades.csv"),
                     "REPORT": str(outside / "reports" / "kim.json"),
                     "PORT": str(arena["listener"].port), "MARK": MARK}
    arena["before"] = snapshot(WATCHED + [outside])
    return arena


@pytest.fixture
def kind(request, monkeypatch, arena):
    """Grade with `request.param` isolation, 512 MiB of memory, sandboxes inside the arena."""
    if request.param == BUBBLEWRAP and isolation.choose("auto")[0] != BUBBLEWRAP:
        pytest.skip("bubblewrap is not available here")
    monkeypatch.setenv("COURSE_SANDBOX", request.param)
    monkeypatch.setenv("COURSE_SANDBOX_MEMORY_MB", "512")
    monkeypatch.setattr(tempfile, "tempdir", str(arena["sandboxes"]))
    return request.param


@pytest.mark.parametrize("kind", KINDS, indirect=True)
@pytest.mark.parametrize("name", sorted(CORPUS))
def test_hostile_submission_loses_what_it_attacks(name, kind, arena, data_dir):
    hostile = CORPUS[name]
    if kind != BUBBLEWRAP and hostile.isolation:
        pytest.skip("only bubblewrap stops this attack")
    if kind != BUBBLEWRAP and hostile.forks and os.geteuid() == 0 and not HAS_CGROUP:
        pytest.skip("RLIMIT_NPROC does not bind root; as root only bubblewrap or a pids cgroup bounds processes")
    if hostile.cgroup and not HAS_CGROUP:
        pytest.skip(f"no memory cgroup can be created here ({WHY_NO_CGROUP}); RLIMIT_DATA does not count this")
    folder = write(name, arena["submissions"] / f"{kind}-{name}", arena["fill"])
    report = grade(hostile.assignment, folder, data_dir, time_scale=hostile.time_scale)
    lost = {c.id for c in report.checks} if hostile.loses == ALL else hostile.loses
    assert failing(report) == lost, [(c.id, c.message) for c in report.checks if not c.passed]
    assert len(report.checks) == len(course.get(hostile.assignment).rubric.checks) and report.complete
    lost_checks = [c for c in report.checks if c.id in lost]
    assert all(c.points == 0 and c.message for c in lost_checks)
    assert hostile.words in lost_checks[0].message, lost_checks[0].message
    assert report.environment["sandbox"] == ("bubblewrap" if kind == BUBBLEWRAP else "rlimits only")


@pytest.mark.parametrize("kind", KINDS, indirect=True)
def test_the_reference_still_gets_full_marks(kind, arena, data_dir):
    report = grade("assignment1", A1.solution_dir, data_dir)
    assert failing(report) == set() and report.score == course.get("assignment1").rubric.max_score
    assert bool(report.notes) == (kind != BUBBLEWRAP)


def test_after_the_corpus_nothing_escaped(arena):
    """Runs last (pytest keeps the order of a module): no process, file or packet got out."""
    assert stray_processes(arena["sandboxes"]) == []
    assert snapshot(WATCHED + [arena["outside"]]) == arena["before"]
    assert list(REPO.glob("**/PWNED*")) == []
    assert [p for p in Path(tempfile.gettempdir()).iterdir() if MARK in p.name] == []
    for module in filter(Path.is_file, arena["submissions"].glob("*/*.py")):
        assert not module.read_text(errors="replace").endswith(f"# {MARK}"), module
    assert arena["listener"].heard == 0


def snapshot(paths: list[Path]) -> dict[str, str]:
    """SHA-256 of every file under `paths`."""
    found = {}
    for top in paths:
        for path in [top] if top.is_file() else sorted(top.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                found[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def stray_processes(sandboxes: Path) -> list[str]:
    """Processes the corpus left: working in its sandboxes, or the sleeper it tried to leave."""
    stray = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command = f.read()
        except OSError:
            continue
        if cwd.startswith(str(sandboxes)) or command == SLEEPER:
            stray.append(f"{pid}: {command!r} in {cwd}")
    return stray
