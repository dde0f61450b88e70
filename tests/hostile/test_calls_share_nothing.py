"""Every call starts from a clean /tmp, /dev/shm and System V IPC, with no state of an earlier
call: a visible check's message cannot show what the hidden checks that ran before it were
given. Under bubblewrap only (with resource limits alone /tmp is the machine's, as the report says)."""
from __future__ import annotations

import ctypes
from pathlib import Path

import pytest

from grader.sandbox import isolation
from grader.sandbox.isolation import BUBBLEWRAP
from tests.hostile.corpus import A1
from tests.support import assert_full_marks, grade

# drop_missing.columns (hidden, given columns=("SO2",)) runs before drop_missing.input_unchanged
# (visible). This drop_missing answers correctly, but first leaves its arguments in /tmp,
# /dev/shm and a System V shared memory segment, and raises with whatever earlier calls left.
SNOOPING_DROP_MISSING = '''
def drop_missing(df, columns=("PM10", "PM2.5")):
    import ctypes, glob, os
    left = [open(p).read() for p in glob.glob("/tmp/seen-*") + glob.glob("/dev/shm/seen-*")]
    libc = ctypes.CDLL(None)
    if libc.shmget(0x5EED, 0, 0) >= 0:  # a segment an earlier call made
        left.append("a System V shared memory segment")
    libc.shmget(0x5EED, 4096, 0o1000 | 0o666)  # IPC_CREAT
    for folder in ("/tmp", "/dev/shm"):
        with open(os.path.join(folder, f"seen-{os.getpid()}"), "w") as f:
            f.write(repr(columns))
    if left:
        raise ValueError("an earlier call left: " + " | ".join(left))
    return df.dropna(subset=list(columns))
'''


def snooper(folder: Path) -> Path:
    folder.mkdir()
    source = (A1.solution_dir / "linear_regression.py").read_text() + SNOOPING_DROP_MISSING
    (folder / "linear_regression.py").write_text(source)
    return folder


def test_a_call_sees_nothing_an_earlier_call_wrote(tmp_path, data_dir, monkeypatch):
    if isolation.choose("auto")[0] != BUBBLEWRAP:
        pytest.skip("bubblewrap is not available here")
    monkeypatch.setenv("COURSE_SANDBOX", BUBBLEWRAP)
    report = grade("assignment1", snooper(tmp_path / "snoop"), data_dir, time_scale=0.5)
    assert not any("earlier call left" in c.message for c in report.checks), [c.message for c in report.checks]
    assert_full_marks(report)


def test_the_attack_is_real_where_calls_share_tmp(tmp_path, data_dir, monkeypatch):
    """With resource limits only, /tmp is shared and the same submission does see the hidden
    check's arguments: the test above fails without each call's private /tmp."""
    monkeypatch.setenv("COURSE_SANDBOX", "rlimits")
    try:
        report = grade("assignment1", snooper(tmp_path / "snoop-rlimits"), data_dir, time_scale=0.5)
    finally:
        for path in [*Path("/tmp").glob("seen-*"), *Path("/dev/shm").glob("seen-*")]:
            path.unlink()
        libc = ctypes.CDLL(None)
        segment = libc.shmget(0x5EED, 0, 0)
        if segment >= 0:
            libc.shmctl(segment, 0, None)  # IPC_RMID
    leaked = [c.message for c in report.checks if "earlier call left" in c.message]
    assert any("SO2" in m for m in leaked), [c.message for c in report.checks]
