"""One warm worker serves many submissions (grader/sandbox/host.py): each submission's calls
start from nothing the previous submission did, and none sees another's files, under
bubblewrap and with resource limits only (where /tmp is the machine's: the files case is
bubblewrap's alone, as the report's note says)."""
import os
import time
from pathlib import Path

import numpy as np
import pytest

from grader.sandbox import Sandbox, StudentFault
from grader.sandbox.host import can_share
from grader.sandbox.isolation import BUBBLEWRAP, Limits, choose

SLEEPER = "61.75"  # the background process the first submission tries to leave running

FIRST = f'''
import os, subprocess, sys, numpy as np
def leave_traces(marker):
    for folder in ("/tmp", "/dev/shm"):
        with open(os.path.join(folder, "trace-" + marker), "w") as f:
            f.write(marker)
    if os.fork() == 0:  # a double fork: an orphan the worker inherits
        subprocess.Popen(["sleep", "{SLEEPER}"], start_new_session=True)
        os._exit(0)
    np.course_trace = marker           # state in a module every call shares (NumPy)
    sys.modules["numpy"].random.seed(7)  # a seeded global generator
    return float(np.random.rand())
'''

SECOND = '''
import glob, os, sys, numpy as np
def look():
    here = sorted(os.listdir("/submission")) if os.path.isdir("/submission") else []
    return {"files": sorted(glob.glob("/tmp/trace-*") + glob.glob("/dev/shm/trace-*")),
            "numpy_state": getattr(np, "course_trace", ""),
            "draw": float(np.random.rand()),
            "submission": here,
            "module_file": os.path.basename(sys.modules["student"].__file__)}
def read(path):
    with open(path) as f:
        return f.read()
def listing(path):
    return sorted(os.listdir(path))
'''


def kinds():
    found = ["rlimits"] + ([BUBBLEWRAP] if choose("auto")[0] == BUBBLEWRAP else [])
    return [k for k in found if can_share(choose(k)[0])]


def submission(root: Path, name: str, source: str) -> Path:
    folder = root / name
    folder.mkdir()
    (folder / "student.py").write_text(source)
    return folder


def running(argument: str) -> list[str]:
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f, open(f"/proc/{pid}/stat") as stat:
                if argument.encode() in f.read().split(b"\0") and stat.read().rsplit(")", 1)[1].split()[0] != "Z":
                    found.append(pid)
        except OSError:
            pass
    return found


def call(box, name, *args):
    return box.call("call", *args, target=name, label=name, timeout=20)["value"]


@pytest.mark.parametrize("kind", kinds())
def test_the_next_submission_starts_from_nothing_the_last_one_left(tmp_path, kind):
    limits = Limits(memory_bytes=1 << 30)
    first = submission(tmp_path, "first", FIRST)
    second = submission(tmp_path, "second", SECOND)
    with Sandbox(first, "student", isolation=kind, limits=limits) as box:
        seeded = call(box, "leave_traces", "kim")
        host, worker = box.host, box.worker.pid
    try:
        with Sandbox(second, "student", isolation=kind, limits=limits) as box:
            seen = call(box, "look")
            assert box.host is host and box.worker.pid == worker  # the same warm worker served both
        assert running(SLEEPER) == []  # processes: all the first one started are gone
        assert seen["numpy_state"] == ""  # module state: every call imports into a fresh fork
        assert seen["draw"] != seeded  # random state: fresh entropy, not the seed the first one set
        assert seen["module_file"] == "student.py"
        if kind == BUBBLEWRAP:
            assert seen["files"] == []  # files: each call's /tmp and /dev/shm are its own
            assert seen["submission"] == ["student.py"]
    finally:
        for path in [*Path("/tmp").glob("trace-kim"), *Path("/dev/shm").glob("trace-kim")]:
            path.unlink()  # only with resource limits, where /tmp is the machine's


@pytest.mark.skipif(BUBBLEWRAP not in kinds(), reason="bubblewrap cannot share a worker here (not root)")
def test_a_call_cannot_see_another_open_submission(tmp_path):
    """The reference clock grades the reference beside the student, in the same warm worker:
    the student's calls find neither its copy nor the folder copies are kept in."""
    limits = Limits(memory_bytes=1 << 30)
    other = submission(tmp_path, "other", "ANSWER = 42\ndef f(): return ANSWER\n")
    student = submission(tmp_path, "student", SECOND)
    with Sandbox(other, "student", isolation=BUBBLEWRAP, limits=limits) as open_box, \
            Sandbox(student, "student", isolation=BUBBLEWRAP, limits=limits) as box:
        assert call(open_box, "f") == 42  # its copy is in place while `box` runs
        assert box.host is open_box.host
        copies = box.host.copies
        seen = call(box, "listing", str(copies))
        assert len(os.listdir(copies)) == 2 and seen == []  # both copies are there, neither seen
        with pytest.raises(StudentFault, match="FileNotFoundError"):
            call(box, "read", str(copies / os.listdir(copies)[0] / "student.py"))
        with pytest.raises(StudentFault, match="PermissionError|FileNotFoundError"):
            call(box, "read", str(other / "student.py"))  # the original is not in the sandbox at all
        assert call(box, "listing", "/submission") == ["student.py"]
    assert os.listdir(copies) == []  # each copy goes with its sandbox; the worker stays warm


@pytest.mark.parametrize("kind", kinds())
def test_a_warm_worker_spares_the_start_up(tmp_path, kind):
    """A second submission's first call costs a call, not a worker start: the worker's pid and
    start time stay, and the preloads are not imported again."""
    limits = Limits(memory_bytes=1 << 30)
    boxes = [Sandbox(submission(tmp_path, f"s{i}", "def f(x): return x + 1\n"), "student",
                     preload=("numpy", "pandas"), isolation=kind, limits=limits) for i in range(3)]
    try:
        assert np.array_equal(call(boxes[0], "f", np.ones(2)), np.full(2, 2.0))
        worker = boxes[0].worker.pid
        for box in boxes[1:]:
            assert call(box, "f", 1) == 2 and box.worker.pid == worker
    finally:
        for box in boxes:
            box.close()


def test_a_sandbox_that_is_not_warm_closes_its_worker(tmp_path):
    box = Sandbox(submission(tmp_path, "cold", "def f(): return 1\n"), "student", warm=False,
                  isolation="rlimits")
    assert call(box, "f") == 1
    worker = box.worker
    box.close()
    assert worker.poll() is not None and not box.host.root.exists()


def children_of(pid: int) -> list[int]:
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{task}/children") as f:
            found += [int(p) for p in f.read().split()]
    return found


def waiting_child(worker: int) -> int:
    """The one child the worker holds between calls (forked just after it answered the last)."""
    deadline = time.monotonic() + 5
    while not (found := children_of(worker)) and time.monotonic() < deadline:
        time.sleep(0.01)
    found, = found
    return found


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_the_next_call_s_child_waits_with_nothing_and_ends_with_its_worker(tmp_path):
    """The worker forks each call's child ahead of its request (the fork overlaps the grader's
    own work): between calls exactly one such child waits, no call's process is left beside it,
    and closing the worker ends it too."""
    box = Sandbox(submission(tmp_path, "spare", FIRST), "student", warm=False, isolation="rlimits",
                  limits=Limits(memory_bytes=1 << 30))
    try:
        call(box, "leave_traces", "spare")
        worker = box.worker.pid
        waiting = waiting_child(worker)
        assert running(SLEEPER) == []  # besides the next call's child, nothing the call started is left
        call(box, "leave_traces", "spare-2")  # served by that child, which is then gone: a new one waits
        spare = waiting_child(worker)
        assert not alive(waiting) and spare != waiting
    finally:
        box.close()
        for path in [*Path("/tmp").glob("trace-spare*"), *Path("/dev/shm").glob("trace-spare*")]:
            path.unlink()
    deadline = time.monotonic() + 5
    while alive(spare) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(spare)


def test_threads_get_workers_of_their_own_and_a_busy_one_is_never_closed(tmp_path):
    """Dask grades in threads: two threads must never share one worker's pipe, and making room
    for more warm workers closes only idle ones."""
    import threading
    from grader.sandbox.host import Hosts
    registry = Hosts(kept=1)
    limits = Limits(memory_bytes=1 << 30)
    mine = registry.get("rlimits only", None, ("numpy",), limits, True)
    found = []
    thread = threading.Thread(target=lambda: found.append(registry.get("rlimits only", None, ("numpy",), limits, True)))
    thread.start()
    thread.join()
    try:
        assert found[0] is not mine
        assert mine.root.exists() and found[0].root.exists()  # both in use: neither closed, though kept=1
        registry.release(found[0])
        other = registry.get("rlimits only", None, ("numpy", "pandas"), limits, True)
        assert not found[0].root.exists() and mine.root.exists()  # the idle one made room
        registry.release(other)
    finally:
        registry.close()


def test_the_folders_of_killed_graders_are_removed_and_no_one_else_s(tmp_path, monkeypatch):
    import tempfile
    from grader.sandbox.host import ROOT_PREFIX, remove_stale_roots
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = tmp_path / f"{ROOT_PREFIX}{2**22 + 7}-abc"  # above the largest pid: no such process
    alive = tmp_path / f"{ROOT_PREFIX}{os.getpid()}-def"
    other = tmp_path / "course-sandbox-notapid-x"
    for folder in (gone, alive, other):
        (folder / "call-1").mkdir(parents=True)
    remove_stale_roots()
    assert not gone.exists() and alive.exists() and other.exists()


POISONER = '''
import os, numpy as np
def poison(X, folder):
    """Overwrite the file its large input came from, and plant one for data still to come."""
    found = []
    for path in [os.path.join(folder, n) for n in os.listdir(folder)] if os.access(folder, os.R_OK) else []:
        found.append(path)
    for path in found + [os.path.join(folder, "0" * 64 + ".npy")]:
        try:
            with open(path, "r+b" if os.path.exists(path) else "wb") as f:
                f.seek(200)
                f.write(b"\\xff" * 1000)
        except OSError as err:
            found.append(type(err).__name__)
    X[:] = -1  # its own private map
    return found
def total(X):
    return float(X.sum())
'''


@pytest.mark.skipif(BUBBLEWRAP not in kinds(), reason="bubblewrap cannot share a worker here (not root)")
def test_a_call_cannot_poison_the_large_inputs_the_next_submission_is_given(tmp_path, monkeypatch):
    """Large inputs cross by files of the warm worker's shared folder (wire.write): a call can
    neither list, change nor add to them, so the next submission gets the grader's data."""
    from grader.sandbox import wire
    monkeypatch.setattr(wire, "SHARED_BYTES", 1 << 16)
    data = np.arange(50_000, dtype=float)
    limits = Limits(memory_bytes=1 << 30)
    with Sandbox(submission(tmp_path, "poisoner", POISONER), "student", isolation=BUBBLEWRAP, limits=limits) as box:
        tried = call(box, "poison", data, str(box.host.shared))
        shared = box.host.shared
    assert tried == ["PermissionError"] and sorted(p.name for p in shared.iterdir()) != []
    assert not (shared / ("0" * 64 + ".npy")).exists()
    with Sandbox(submission(tmp_path, "next", POISONER), "student", isolation=BUBBLEWRAP, limits=limits) as box:
        assert box.host.shared == shared and call(box, "total", data) == data.sum()
