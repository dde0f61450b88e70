"""The trust boundary on its own: every way a child can fail becomes a StudentFault, under
bubblewrap and with resource limits only."""
import hashlib
import os
import time

import numpy as np
import pytest

from grader.sandbox import Crashed, NotImplementedYet, Sandbox, StudentFault, TimedOut, isolation
from grader.sandbox.isolation import BUBBLEWRAP, RLIMITS, Limits

MODULE = """
import numpy as np
def add(a, b): return a + b
def boom(): raise ValueError("bad input")
def todo(): raise NotImplementedError
def spin():
    while True: pass
def leave(): import os; os._exit(3)
def segfault(): import ctypes; ctypes.string_at(0)
def opaque(): return object()
def quit(): import sys; sys.exit(2)
def shout(): print("x" * 100_000); return 1
def spawn():
    import subprocess; return subprocess.Popen(["sleep", "61.25"]).pid
def mutate(a): a[0] = 99; return None
def total_after_mutating(a): a[0] = 99; return float(a.sum())
def listing(path):
    import os; return sorted(os.listdir(path))
def read_back(path):
    return float(np.load(path).sum())
def hog(): return bytearray(2 << 30)
def big_file():
    with open("big", "wb") as f:
        for _ in range(1024): f.write(b"x" * (1 << 20))
class Liar(float):
    def __eq__(self, other): return True
def liar(): return Liar(1.0)
def liar_array():
    class Lying(np.ndarray):
        def __eq__(self, other): return np.ones(self.shape, bool)
    return np.zeros(3).view(Lying)
def has_array():
    class Fake:
        def __array__(self, *a, **k): return np.ones(3)
        def __float__(self): return 1.0
    return Fake()
"""
KINDS = [BUBBLEWRAP, "rlimits"]


def needs(kind):
    """Skip a bubblewrap test where bubblewrap cannot run."""
    if kind == BUBBLEWRAP and isolation.choose("auto")[0] != BUBBLEWRAP:
        pytest.skip("bubblewrap is not available here")


@pytest.fixture(scope="module", params=KINDS)
def sandbox(request, tmp_path_factory):
    needs(request.param)
    folder = tmp_path_factory.mktemp("submission")
    (folder / "sub.py").write_text(MODULE)
    with Sandbox(folder, "sub", isolation=request.param, limits=Limits(memory_bytes=1 << 30)) as box:
        yield box


def call(box, name, *args, timeout=5.0, **kwargs):
    return box.call("call", *args, target=name, label=name, timeout=timeout, **kwargs)["value"]


def test_values_come_back_as_plain_data(sandbox):
    assert np.array_equal(call(sandbox, "add", np.ones(3), 2), np.full(3, 3.0))


@pytest.mark.parametrize("name, fault, words", [
    ("boom", StudentFault, "raised ValueError: bad input at sub.py, line 4, in boom"),
    ("todo", NotImplementedYet, "not implemented yet"),
    ("leave", Crashed, "exit code 3"),
    ("segfault", Crashed, "segmentation fault"),
    ("opaque", StudentFault, "builtins.object, which the grader cannot read"),
    ("quit", StudentFault, "sys.exit(2)"),
    ("missing", StudentFault, "has no `missing`"),
])
def test_each_failure_is_a_fault_with_a_clear_message(sandbox, name, fault, words):
    with pytest.raises(fault) as caught:
        call(sandbox, name)
    assert words in str(caught.value)
    assert np.array_equal(call(sandbox, "add", 1, 2), 3)  # and the sandbox keeps working


def test_an_endless_loop_is_killed_at_the_time_limit(sandbox):
    start = time.monotonic()
    with pytest.raises(TimedOut, match="did not finish within the time limit of 0.5 s"):
        call(sandbox, "spin", timeout=0.5)
    assert time.monotonic() - start < 5


def test_output_does_not_disturb_the_protocol(sandbox):
    assert call(sandbox, "shout") == 1


def running(command: bytes) -> list[int]:
    """Live (not zombie) processes whose command line is `command`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f, open(f"/proc/{pid}/stat") as stat:
                if f.read() == command and stat.read().rsplit(")", 1)[1].split()[0] != "Z":
                    found.append(int(pid))
        except OSError:
            pass
    return found


def test_processes_started_by_a_call_die_with_it(sandbox):
    call(sandbox, "spawn")
    assert running(b"sleep\x0061.25\x00") == []


@pytest.mark.parametrize("name, words", [
    ("hog", "MemoryError"),
    ("hog", "the memory limit is 1 GiB"),
    ("big_file", "File too large (files and output may hold at most 64 MiB)"),
])
def test_limits_end_in_a_clear_fault(sandbox, name, words):
    with pytest.raises(StudentFault) as caught:
        call(sandbox, name)
    assert words in str(caught.value)


@pytest.mark.parametrize("name", ["liar", "has_array"])
def test_objects_that_pretend_to_be_numbers_do_not_cross(sandbox, name):
    with pytest.raises(StudentFault, match="which the grader cannot read"):
        call(sandbox, name)


def test_an_array_subclass_arrives_as_a_plain_array(sandbox):
    value = call(sandbox, "liar_array")
    assert type(value) is np.ndarray and not np.array_equal(value, np.ones(3))


def test_the_sandbox_says_what_isolation_it_used(sandbox):
    assert sandbox.kind in (BUBBLEWRAP, RLIMITS)
    assert (sandbox.note == "") == (sandbox.kind == BUBBLEWRAP)
    if sandbox.kind == RLIMITS:
        assert "resource limits only" in sandbox.note and "COURSE_SANDBOX=rlimits" in sandbox.note


def test_a_worker_killed_from_outside_is_restarted(sandbox):
    call(sandbox, "add", 1, 2)
    os.killpg(sandbox.worker.pid, 9)
    with pytest.raises(Crashed, match="stopped unexpectedly"):
        call(sandbox, "add", 1, 2)
    assert call(sandbox, "add", 1, 2) == 3


def test_the_parent_never_sees_what_the_child_did_to_its_inputs(sandbox):
    data = np.zeros(3)
    result = sandbox.call("call", data, target="mutate", label="mutate", timeout=5, return_args=True)
    assert data[0] == 0 and result["args_after"][0][0] == 99



def test_a_large_input_is_written_once_and_mapped_by_every_call_given_it(sandbox, monkeypatch):
    """An input of wire.SHARED_BYTES or more goes to one file of its content: a later call with
    the same data writes nothing; each call may change its inputs in place (a private map),
    and neither the parent's array nor the file sees it."""
    from grader.sandbox import wire
    monkeypatch.setattr(wire, "SHARED_BYTES", 1 << 16)
    data = np.arange(20_000, dtype=float)  # 160 kB
    data.flags.writeable = False
    files = lambda: sorted(p.name for p in sandbox.host.shared.iterdir())  # noqa: E731
    before = files()
    assert call(sandbox, "total_after_mutating", data) == data.sum() - data[0] + 99
    written = [name for name in files() if name not in before]
    assert len(written) == 1
    assert call(sandbox, "total_after_mutating", data) == data.sum() - data[0] + 99  # the file as it was
    assert files() == before + written and data[0] == 0
    assert np.load(sandbox.host.shared / written[0])[0] == 0
    assert call(sandbox, "total_after_mutating", data + 1) == (data + 1).sum() - 1 + 99  # other data, its own file
    assert len(files()) == len(before) + 2


def test_a_call_opens_a_shared_input_only_by_the_name_its_content_gives(sandbox, monkeypatch):
    """The folder of shared inputs is not listable from the child (under bubblewrap: another
    uid), so a visible check cannot find the large inputs hidden checks were given."""
    from grader.sandbox import wire
    monkeypatch.setattr(wire, "SHARED_BYTES", 1 << 16)
    data = np.ones(20_000)
    call(sandbox, "total_after_mutating", data)
    digest = hashlib.sha256(f"{data.dtype.str} {data.shape}\n".encode() + data.tobytes()).hexdigest()
    assert call(sandbox, "read_back", str(sandbox.host.shared / f"{digest}.npy")) == 20_000  # by name: yes
    if sandbox.kind == BUBBLEWRAP:
        with pytest.raises(StudentFault, match="PermissionError"):
            call(sandbox, "listing", str(sandbox.host.shared))
