"""The trust boundary. Student code runs only in the child that `Sandbox` starts.

The parent writes a call's inputs as plain data, the child (``worker.py``) forks, imports
the student's module, runs the call and writes plain data back; the parent reads it with
`wire.read` (no pickle) and turns every way the child can fail into a `StudentFault`
whose message says what happened. Each call runs under resource limits, and a call that
outlives its time limit is killed with everything it started. Where bubblewrap works the
worker runs inside it (`isolation.py`); docs/threat-model.md says what this stops.
"""
from __future__ import annotations

import itertools
import json
import os
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.sandbox import cgroup, wire
from grader.sandbox.isolation import (BUBBLEWRAP, SUBMISSION_MOUNT, Limits, bwrap_args, child_uid, choose,
                                      copy_submission, tasks_of)

WORKER = Path(__file__).with_name("worker.py")
START_TIMEOUT_S = 120.0
GRACE_S = 5.0  # how long past a call's time limit the worker may take to report it killed
_STARTS = itertools.count()  # every worker start gets a cgroup of its own
WORKER_TASKS = 64  # processes and threads of the worker itself (BLAS and torch pools), besides a call's
ENV_PASSED = ("PATH", "LANG", "LC_ALL", "TZ", "CUDA_VISIBLE_DEVICES")
ENV_PREFIXES = ("OPENBLAS_", "OMP_", "MKL_", "NVIDIA_", "CUDA_")


class StudentFault(Exception):
    """The student's code failed in a way that costs the check; the message is for the student."""
    status = "error"


class NotImplementedYet(StudentFault):
    status = "not_implemented"


class TimedOut(StudentFault):
    status = "timeout"


class Crashed(StudentFault):
    status = "crashed"


class SandboxUnavailable(RuntimeError):
    """The worker could not start (a grader installation problem, never the student's)."""


class Sandbox:
    """A fork server for one submission: `call` runs one function of it in a fresh child.

    `isolation` is "bubblewrap", "rlimits" or None (`isolation.choose`: COURSE_SANDBOX, else
    bubblewrap where it works); `limits` defaults to `Limits.from_env()`. `kind` and `note`
    say what was used, for the report.
    """

    def __init__(self, submission: Path, module: str, probes: Path | None = None,
                 preload: tuple[str, ...] = ("numpy",), *, isolation: str | None = None,
                 limits: Limits | None = None, datasets: bool = True):
        self.submission = Path(submission).resolve()
        self.datasets = datasets  # whether the decoded course datasets are readable inside
        self.module = module
        self.probes = probes
        self.preload = preload
        self.kind, self.note = choose(isolation)
        self.limits = limits or Limits.from_env()
        self.uid = child_uid() if self.kind == BUBBLEWRAP else None
        self.root = Path(tempfile.mkdtemp(prefix="course-sandbox-"))
        self.root.chmod(0o711)  # the child (maybe another uid) may enter its call folder, not list
        self.worker: subprocess.Popen | None = None
        self.group: cgroup.Group | None = None
        self.memory_limit = ""  # which memory limit held, for the report (set when the worker starts)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        self._stop_worker()
        shutil.rmtree(self.root, ignore_errors=True)

    # -- the one public operation ------------------------------------------------------
    def call(self, probe: str, *args, label: str, timeout: float, target: str | None = None,
             return_args: bool = False, limit: float | None = None, **kwargs) -> dict:
        """Run `probe` ("import", "call" of `target`, or a probe of the assignment) in a child.

        `timeout` is what is left of the time limit `limit` (default: `timeout`) named in messages.
        Returns {"value": ..., "args_after": ...} as plain data; raises StudentFault.
        """
        call_dir = Path(tempfile.mkdtemp(prefix="call-", dir=self.root))
        try:
            wire.write(call_dir, "request", {"probe": probe, "target": target, "args": list(args),
                                            "kwargs": kwargs, "return_args": return_args})
            self._hand_over(call_dir)
            status = self._run_in_child(call_dir, label, timeout, limit or timeout)
            return self._result(call_dir, label, status, return_args)
        finally:
            shutil.rmtree(call_dir, ignore_errors=True)

    def _hand_over(self, call_dir: Path) -> None:
        """Give the call folder to the child's uid, when it runs as one of its own."""
        if self.uid is not None:
            for path in (call_dir, *call_dir.iterdir()):
                os.chown(path, self.uid, self.uid)

    def _result(self, call_dir: Path, label: str, status: int, return_args: bool = False) -> dict:
        """What the child left in `call_dir`, read within `self.limits` (wire.read): the child
        writes these files, so anything in them that is not what the worker writes is the
        student's fault, never the grader's."""
        ours = [call_dir / n for n in ("output.txt", "result.json", "result.npz")]
        if any(p.is_symlink() or p.exists() and not stat.S_ISREG(p.stat().st_mode) for p in ours):
            raise StudentFault(f"{label}: your code put something other than a plain file into the "
                               f"grader's call folder (a link?); write only regular files.")
        if status != 0 or not (call_dir / "result.json").is_file():
            raise _crash_fault(label, status, _tail(call_dir / "output.txt"), self.limits)
        try:
            result = wire.read(call_dir, "result", limits=self.limits)
            problem = _not_a_result(result, return_args)
        except wire.Malformed as err:
            problem = str(err)
        except OSError as err:
            problem = f"{Path(err.filename or 'a result file').name}: {err.strerror}"
        if problem:
            from grader.formats.escape import visible  # the child's text, shown harmlessly
            raise StudentFault(f"{label}: your code left a result the grader cannot read: {visible(problem, 400)}. "
                               f"Return the value and let the grader write the result (no result files of your own).")
        if not result["ok"]:
            raise _error_fault(label, self.module, result["error"], self.limits)
        return result

    # -- the worker process ------------------------------------------------------------
    def _start_worker(self) -> None:
        env = {k: v for k, v in os.environ.items() if k in ENV_PASSED or k.startswith(ENV_PREFIXES)}
        env["HOME"] = str(self.root)
        command, submission = [sys.executable, "-I", str(WORKER)], self.submission
        if self.kind == BUBBLEWRAP:
            copy = copy_submission(self.submission, self.root / "submission")
            command = bwrap_args(self.root, copy, self.probes, WORKER.parent, self.limits, self.datasets) + command
            env["HOME"] = env["TMPDIR"] = "/tmp"
            submission = Path(SUBMISSION_MOUNT)
        command = self._in_cgroup(command)
        with open(self.root / "worker.log", "ab") as log:
            self.worker = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                           stderr=log, cwd=self.root, env=env, start_new_session=True)
        self._buffer = b""
        self._send({"submission": str(submission), "module": self.module,
                    "probes": str(self.probes) if self.probes else None, "preload": list(self.preload),
                    "uid": self.uid, "limits": {"memory": self.limits.memory_bytes,
                                                "file": self.limits.file_bytes},
                    "scratch": self.limits.tmp_bytes if self.kind == BUBBLEWRAP else None,
                    "oom_victim": self.group is not None})
        if self._receive(time.monotonic() + START_TIMEOUT_S) != {"ready": True}:
            log = (self.root / "worker.log").read_text(errors="replace")[-2000:]
            self._stop_worker()
            raise SandboxUnavailable(f"the sandbox worker ({self.kind}) did not start: {log}")
        if self.group is not None:
            self.group.arm(self.limits.memory_bytes)

    def _in_cgroup(self, command: list[str]) -> list[str]:
        """`command` started inside a cgroup of its own where the machine allows one (cgroup.py);
        `memory_limit` says which limit holds."""
        self.group, why = cgroup.create(f"course-{os.getpid()}-{self.root.name}-{next(_STARTS)}")
        size = _size(self.limits.memory_bytes)
        if self.group is None:
            self.memory_limit = (f"RLIMIT_DATA, {size} per process (no cgroup: {why}); shared mappings and "
                                 f"files in /tmp are not counted")
            return command
        self.group.start(self.limits.memory_bytes, self.limits.processes + WORKER_TASKS)
        self.memory_limit = f"{self.group.description}, {size} per call, all of its memory counted"
        return self.group.wrap(command)

    def _stop_worker(self) -> None:
        """Kill the worker's process group; under bubblewrap that ends its whole pid namespace."""
        if self.worker is not None:
            worker, self.worker = self.worker, None
            _kill_group(worker.pid)
            worker.wait()
            for stream in (worker.stdin, worker.stdout):
                try:
                    stream.close()
                except OSError:  # a request still buffered for a worker that died: BrokenPipeError
                    pass
        if self.group is not None:
            group, self.group = self.group, None
            group.close()

    def _run_in_child(self, call_dir: Path, label: str, timeout: float, limit: float) -> int:
        """The child's wait status. The worker kills it (and everything it started) after
        `timeout` s; should the worker itself not answer, it goes too."""
        if self.worker is None:
            self._start_worker()
        killed_before = self.group.oom_kills() if self.group else 0
        self._send({"dir": str(call_dir), "timeout": timeout, "processes": self._process_limit()})
        done = self._receive(time.monotonic() + timeout + GRACE_S)
        if self.group is not None and self.group.oom_kills() > killed_before:
            self._stop_worker()  # the OOM killer may have taken the worker too: start afresh
            raise Crashed(f"{label}: the process running your code was killed for using too much memory "
                          f"(the memory limit is {_size(self.limits.memory_bytes)} for all of the call's "
                          f"memory, shared mappings and files in /tmp included).")
        if done is None or type(done.get("status")) is not int:
            self._stop_worker()
            if done is not None:
                raise Crashed(f"{label}: the grading process stopped unexpectedly; was it killed?")
            done = {"timed_out": True}
        if done.get("timed_out"):
            raise TimedOut(f"{label} did not finish within the time limit of {limit:.3g} s "
                           f"(an endless loop, or far too slow?).")
        return done["status"]

    def _process_limit(self) -> int:
        """RLIMIT_NPROC counts every task of the child's uid: its own uid needs only the limit,
        a shared one (no root, no uid of its own) also what that user runs already."""
        if self.uid is not None or not hasattr(os, "getuid") or os.getuid() == 0:
            return self.limits.processes
        return tasks_of(os.getuid()) + self.limits.processes

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


ERROR_FIELDS = {"stage": str, "type": str, "message": str, "where": str, "not_implemented": bool, "limit": str}
STAGES = ("import", "lookup", "call", "return")


def _not_a_result(result, return_args: bool) -> str:
    """What makes `result` other than what the worker writes ({"ok": True, "value": ...} or
    {"ok": False, "error": {...}}), or "" when nothing does."""
    if type(result) is not dict or type(result.get("ok")) is not bool:
        return f"expected a mapping with a boolean 'ok', found {type(result).__name__}"
    if result["ok"]:
        missing = [key for key in ("value", "args_after")[:1 + return_args] if key not in result]
        return f"it has no {missing[0]!r}" if missing else ""
    error = result.get("error")
    if type(error) is not dict:
        return "it failed without an 'error' mapping"
    wrong = [key for key, kind in ERROR_FIELDS.items() if type(error.get(key)) is not kind]
    if wrong:
        return f"its error's {wrong[0]!r} is missing or not a {ERROR_FIELDS[wrong[0]].__name__}"
    return "" if error["stage"] in STAGES else "its error names no stage the worker has"


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(path: Path, limit: int = 600) -> str:
    """The last `limit` bytes of the child's output, as text (raw: student text, hostile)."""
    try:
        with open(path, "rb") as f:
            f.seek(max(0, path.stat().st_size - limit))
            return f.read().decode(errors="replace").strip()
    except OSError:
        return ""


def _crash_fault(label: str, status: int, output: str, limits: Limits) -> StudentFault:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        what = {signal.SIGSEGV: "a segmentation fault (ctypes, or a recursion far too deep?)",
                signal.SIGXFSZ: f"writing a file larger than the limit of {_size(limits.file_bytes)}",
                signal.SIGXCPU: "using more CPU time than the time limit allows",
                signal.SIGKILL: "SIGKILL (out of memory, or out of CPU time?)"}.get(number)
        message = f"{label}: the process running your code crashed: {what or signal.Signals(number).name}."
    elif os.WIFEXITED(status) and os.WEXITSTATUS(status) != 0:
        message = (f"{label}: your code ended the process with exit code {os.WEXITSTATUS(status)} "
                   f"(os._exit?) before returning a result.")
    else:
        message = f"{label}: the process running your code ended without a result."
    if output:
        from grader.formats.escape import visible  # one neutraliser for every student text
        message += f" Last output: {visible(output, 300, end=True)}"
    return Crashed(message)


def _size(count: int) -> str:
    return f"{count / (1 << 30):g} GiB" if count >= 1 << 30 else f"{count / (1 << 20):g} MiB"


def _error_fault(label: str, module: str, error: dict, limits: Limits) -> StudentFault:
    """The fault of an exception the child reported. Its type, message and location are the
    student's (even result.json is: the child writes it), so they are shown visibly and bounded."""
    from grader.formats.escape import visible  # one neutraliser for every student text
    kind, text, where = visible(error["type"], 100), visible(error["message"], 1000), visible(error["where"], 200)
    at = f" at {where}" if where else ""
    if error.get("limit") == "memory":
        text = f"{text} (the memory limit is {_size(limits.memory_bytes)})".lstrip()
    elif error.get("limit") == "file":
        text = f"{text} (files and output may hold at most {_size(limits.file_bytes)})"
    if error["stage"] == "import":
        if kind in ("SyntaxError", "IndentationError", "TabError"):
            return StudentFault(f"{module}.py has a {kind}: {text}. Fix it and grade again.")
        if kind == "SystemExit":
            return StudentFault(f"importing {module}.py called sys.exit({text}){at}; "
                                f"remove top-level code that exits.")
        return StudentFault(f"importing {module}.py raised {kind}: {text}{at}.")
    if error["stage"] == "lookup":
        return StudentFault(f"{module}.py has no `{text}`; define it with the name and "
                            f"signature the assignment gives.")
    if error["stage"] == "return":
        return StudentFault(f"{label} returned {text}, which the grader cannot read; return NumPy "
                            f"arrays, numbers or the types the assignment names.")
    if error["not_implemented"]:
        return NotImplementedYet(f"{label} is not implemented yet (it raises NotImplementedError{at}).")
    if kind == "SystemExit":
        return StudentFault(f"{label} called sys.exit({text}){at}; return a value instead.")
    return StudentFault(f"{label} raised {kind}: {text}{at}.")
