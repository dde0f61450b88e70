"""The warm side of the sandbox: one worker process that many submissions' calls fork from.

A `Host` is the worker (``worker.py``) in its bubblewrap (or with resource limits only), its
cgroup and its preloads (NumPy, pandas, torch imported once). Each call names the submission
it runs: the child forked for it mounts that submission alone at /submission (under bubblewrap,
every other submission's copy hidden), so one warm worker serves every submission of a batch
and a submission pays for a copy of its files, not for a start-up. `hosts.get` keeps them per
process and thread, keyed by everything the worker was started with, least recently used
closed first.

Where the child cannot mount (bubblewrap without root: no CAP_SYS_ADMIN to give it) a host
serves one submission, bound by bubblewrap itself, and is closed with it: the isolation is
kept, the start-up is paid per submission.
"""
from __future__ import annotations

import atexit
import itertools
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path

from grader.sandbox import cgroup
from grader.sandbox.isolation import (BUBBLEWRAP, SUBMISSION_MOUNT, Limits, bwrap_args, child_uid,
                                      copy_submission, is_root, tasks_of)

WORKER = Path(__file__).with_name("worker.py")
START_TIMEOUT_S = 120.0
GRACE_S = 5.0  # how long past a call's time limit the worker may take to report it killed
WORKER_TASKS = 64  # processes and threads of the worker itself (BLAS and torch pools), besides a call's
ENV_PASSED = ("PATH", "LANG", "LC_ALL", "TZ", "CUDA_VISIBLE_DEVICES")
ENV_PREFIXES = ("OPENBLAS_", "OMP_", "MKL_", "NVIDIA_", "CUDA_")
ROOT_PREFIX = "course-sandbox-"  # + the grader's pid: a host's folder in the temporary folder
# Python's objects in glibc's heap on transparent huge pages (glibc >= 2.35, where the kernel
# offers them on request): a call's fork copies one entry per 2 MiB of the preloads, not 512
# (fork and exit of a NumPy+pandas process: 4.9 -> 2.6 ms; a whole call, benchmarks/sandbox.py,
# 0.96-1.32x across runs on a noisy 2-core machine). Elsewhere both are ignored.
FORK_CHEAPLY = {"PYTHONMALLOC": "malloc", "GLIBC_TUNABLES": "glibc.malloc.hugetlb=1"}
KEPT = 4  # warm hosts one process keeps (one per assignment and isolation it grades, typically)
_STARTS = itertools.count()  # every worker start gets a cgroup of its own
_copies = itertools.count()


class SandboxUnavailable(RuntimeError):
    """The worker could not start (a grader installation problem, never the student's)."""


class WorkerLost(Exception):
    """The worker died or stopped answering during a call (`Host.run` says which)."""

    def __init__(self, timed_out: bool, oom: bool = False):
        super().__init__("timed out" if timed_out else "out of memory" if oom else "lost")
        self.timed_out, self.oom = timed_out, oom


def can_share(kind: str) -> bool:
    """Whether one worker of isolation `kind` may serve many submissions: with resource limits
    only (nothing is hidden anyway), or under bubblewrap as root (the child may mount)."""
    return kind != BUBBLEWRAP or is_root()


class Host:
    """One worker process. `submission` (a folder) binds that one submission at start (a host
    that cannot share); None: each call's child mounts its own (`add` copies it in)."""

    def __init__(self, kind: str, probes: Path | None, preload: tuple[str, ...], limits: Limits,
                 datasets: bool, submission: Path | None = None):
        self.kind, self.probes, self.preload, self.limits = kind, probes, preload, limits
        self.datasets, self.submission = datasets, submission
        self.uid = child_uid() if kind == BUBBLEWRAP else None
        remove_stale_roots()
        self.root = Path(tempfile.mkdtemp(prefix=f"{ROOT_PREFIX}{os.getpid()}-"))
        self.root.chmod(0o711)  # the child (maybe another uid) may enter its call folder, not list
        self.copies = self.root / "submissions"
        self.copies.mkdir(mode=0o711)
        self.shared = self.root / "shared"  # large inputs by content (wire.write): not listable
        self.shared.mkdir(mode=0o711)
        self.worker: subprocess.Popen | None = None
        self.group: cgroup.Group | None = None
        self.memory_limit = ""  # which memory limit held, for the report (set when the worker starts)
        self._buffer = b""
        self._starting = False  # launched, its "ready" not read yet
        self._oom_kills = 0  # the cgroup's count of OOM kills when the last call ended
        self.users = 0  # sandboxes using this host now (Hosts.get); only an idle host is closed

    # -- submissions ----------------------------------------------------------------------
    def add(self, submission: Path) -> str:
        """Where the calls of `submission` find it: under bubblewrap a private, world-readable
        copy (the child mounts it; `remove` deletes it), else the folder itself."""
        if self.kind != BUBBLEWRAP:
            return str(submission)
        if self.submission is not None:
            return SUBMISSION_MOUNT
        return str(copy_submission(submission, self.copies / str(next(_copies))))

    def remove(self, place: str) -> None:
        if Path(place).parent == self.copies:
            shutil.rmtree(place, ignore_errors=True)

    def close(self) -> None:
        self._stop_worker()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- calls ----------------------------------------------------------------------------
    def call_dir(self) -> Path:
        return Path(tempfile.mkdtemp(prefix="call-", dir=self.root))

    def run(self, call_dir: Path, submission: str, module: str, timeout: float) -> int:
        """The wait status of the child that ran the call in `call_dir` on `submission` (as `add`
        gave it). The worker kills the child (and all it started) after `timeout` s; WorkerLost
        when it did (timed_out), or when the worker itself died or stopped answering."""
        self.start()
        self._await_ready()
        mount = self.kind == BUBBLEWRAP and self.submission is None
        self._send({"dir": str(call_dir), "timeout": timeout, "processes": self._process_limit(),
                    "submission": submission, "mount": mount, "module": module, "shared": str(self.shared)})
        done = self._receive(time.monotonic() + timeout + GRACE_S)
        if self._oom_killed():
            self._stop_worker()  # the OOM killer may have taken the worker too: start afresh
            raise WorkerLost(timed_out=False, oom=True)
        if done is None or type(done.get("status")) is not int:
            self._stop_worker()
            raise WorkerLost(timed_out=done is None or bool(done.get("timed_out")))
        if done.get("timed_out"):
            raise WorkerLost(timed_out=True)
        return done["status"]

    def _oom_killed(self) -> bool:
        """Whether the kernel killed something for memory since the last call ended (one read
        of the cgroup's count a call: between calls only the next call's child, waiting, runs)."""
        if self.group is None:
            return False
        before, self._oom_kills = self._oom_kills, self.group.oom_kills()
        return self._oom_kills > before

    def _process_limit(self) -> int:
        """RLIMIT_NPROC counts every task of the child's uid: its own uid needs only the limit,
        a shared one (no root, no uid of its own) also what that user runs already."""
        if self.uid is not None or not hasattr(os, "getuid") or os.getuid() == 0:
            return self.limits.processes
        return tasks_of(os.getuid()) + self.limits.processes

    # -- the worker process ---------------------------------------------------------------
    def start(self) -> None:
        """Start the worker, without waiting for it to be ready (the first call waits): its
        imports overlap with whatever the grader does meanwhile."""
        if self.worker is None:
            self._launch()
            self._starting = True

    def _await_ready(self) -> None:
        if not self._starting:
            return
        self._starting = False
        if self._receive(time.monotonic() + START_TIMEOUT_S) != {"ready": True}:
            log = (self.root / "worker.log").read_text(errors="replace")[-2000:]
            self._stop_worker()
            raise SandboxUnavailable(f"the sandbox worker ({self.kind}) did not start: {log}")
        if self.group is not None:
            self.group.arm(self.limits.memory_bytes)
            self._oom_kills = self.group.oom_kills()

    def _launch(self) -> None:
        env = {k: v for k, v in os.environ.items() if k in ENV_PASSED or k.startswith(ENV_PREFIXES)}
        env["HOME"] = str(self.root)
        env.update(FORK_CHEAPLY)
        command = [sys.executable, "-s", "-P", str(WORKER)]  # -I less -E: `env` is ours alone, FORK_CHEAPLY read
        if self.kind == BUBBLEWRAP:
            bound = copy_submission(self.submission, self.root / "bound") if self.submission else None
            command = bwrap_args(self.root, bound, self.probes, WORKER.parent, self.limits, self.datasets) + command
            env["HOME"] = env["TMPDIR"] = "/tmp"
        command = self._in_cgroup(command)
        with open(self.root / "worker.log", "ab") as log:
            self.worker = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           stderr=log, cwd="/", env=env, start_new_session=True)
        self._buffer = b""
        self._send({"probes": str(self.probes) if self.probes else None, "preload": list(self.preload),
                    "uid": self.uid, "limits": {"memory": self.limits.memory_bytes,
                                                "file": self.limits.file_bytes},
                    "scratch": self.limits.tmp_bytes if self.kind == BUBBLEWRAP else None,
                    "oom_victim": self.group is not None})

    def _in_cgroup(self, command: list[str]) -> list[str]:
        """`command` started inside a cgroup of its own where the machine allows one (cgroup.py);
        `memory_limit` says which limit holds."""
        self.group, why = cgroup.create(f"course-{os.getpid()}-{self.root.name}-{next(_STARTS)}")
        size = size_text(self.limits.memory_bytes)
        if self.group is None:
            self.memory_limit = (f"RLIMIT_DATA, {size} per process (no cgroup: {why}); shared mappings and "
                                 f"files in /tmp are not counted")
            return command
        self.group.start(self.limits.memory_bytes, self.limits.processes + WORKER_TASKS)
        self.memory_limit = f"{self.group.description}, {size} per call, all of its memory counted"
        return self.group.wrap(command)

    def _stop_worker(self) -> None:
        """Kill the worker's process group; under bubblewrap that ends its whole pid namespace."""
        self._starting = False
        if self.worker is not None:
            worker, self.worker = self.worker, None
            try:
                os.killpg(worker.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            worker.wait()
            for stream in (worker.stdin, worker.stdout):
                try:
                    stream.close()
                except OSError:  # a request still buffered for a worker that died: BrokenPipeError
                    pass
        if self.group is not None:
            group, self.group = self.group, None
            group.close()

    def _send(self, message: dict) -> None:
        try:
            self.worker.stdin.write((json.dumps(message) + "\n").encode())
            self.worker.stdin.flush()
        except BrokenPipeError:
            pass  # noticed by _receive

    def _receive(self, deadline: float) -> dict | None:
        """The worker's next message; None when the deadline passes, {} when the worker died
        or wrote something that is not a message."""
        fd = self.worker.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return {}
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            message = json.loads(line)
        except ValueError:
            return {}
        return message if isinstance(message, dict) else {}


def remove_stale_roots() -> None:
    """Remove the folders of hosts whose grader was killed before it could (named
    course-sandbox-PID-...; only our own, and only where that process is gone)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{ROOT_PREFIX}*-*"):
        pid = folder.name[len(ROOT_PREFIX):].split("-")[0]
        try:
            ours = folder.lstat().st_uid == os.getuid() and folder.is_dir() and not folder.is_symlink()
        except OSError:
            continue
        if ours and pid.isdigit() and not Path(f"/proc/{pid}").exists():
            shutil.rmtree(folder, ignore_errors=True)


def size_text(count: int) -> str:
    return f"{count / (1 << 30):g} GiB" if count >= 1 << 30 else f"{count / (1 << 20):g} MiB"


class Hosts:
    """The warm hosts of this process, by what their worker was started with."""

    def __init__(self, kept: int = KEPT):
        self.kept, self._hosts, self._lock = kept, OrderedDict(), threading.Lock()

    def get(self, kind: str, probes: Path | None, preload: tuple[str, ...], limits: Limits,
            datasets: bool) -> Host:
        key = (kind, str(probes), tuple(preload), limits, datasets, tempfile.gettempdir(),
               threading.get_ident())  # a worker answers one call at a time: threads (Dask's) get their own
        with self._lock:
            host = self._hosts.pop(key, None) or Host(kind, probes, tuple(preload), limits, datasets)
            self._hosts[key] = host
            host.users += 1
            idle = [k for k, h in self._hosts.items() if not h.users]  # least recently used first
            for old in idle[:max(0, len(self._hosts) - self.kept)]:
                self._hosts.pop(old).close()
            return host

    def release(self, host: Host) -> None:
        """A sandbox is done with `host` (it stays warm for the next)."""
        with self._lock:
            host.users = max(0, host.users - 1)

    def close(self) -> None:
        with self._lock:
            while self._hosts:
                self._hosts.popitem()[1].close()

    def forget(self) -> None:
        """Drop the hosts without closing them: a forked child's copies are its parent's workers."""
        self._hosts = OrderedDict()
        self._lock = threading.Lock()


hosts = Hosts()
atexit.register(hosts.close)
os.register_at_fork(after_in_child=hosts.forget)
