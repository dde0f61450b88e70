"""The trust boundary on its own: every way a child can fail becomes a StudentFault."""
import os
import time

import numpy as np
import pytest

from grader.sandbox import Crashed, NotImplementedYet, Sandbox, StudentFault, TimedOut

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
    import subprocess; return subprocess.Popen(["sleep", "60"]).pid
def mutate(a): a[0] = 99; return None
"""


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    folder = tmp_path_factory.mktemp("submission")
    (folder / "sub.py").write_text(MODULE)
    with Sandbox(folder, "sub") as box:
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


def test_processes_started_by_a_call_die_with_it(sandbox):
    pid = call(sandbox, "spawn")
    time.sleep(0.2)
    with pytest.raises(OSError):  # gone (or a zombie reaped by init)
        for _ in range(20):
            os.kill(pid, 0)
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split()[2] == "Z":
                    raise ProcessLookupError
            time.sleep(0.1)


def test_the_parent_never_sees_what_the_child_did_to_its_inputs(sandbox):
    data = np.zeros(3)
    result = sandbox.call("call", data, target="mutate", label="mutate", timeout=5, return_args=True)
    assert data[0] == 0 and result["args_after"][0][0] == 99
