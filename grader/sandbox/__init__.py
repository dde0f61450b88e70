"""The trust boundary. Student code runs only in the child that `Sandbox` starts.

The parent writes a call's inputs as plain data, the child (``worker.py``) forks, imports
the student's module, runs the call and writes plain data back; the parent reads it with
`wire.read` (no pickle) and turns every way the child can fail into a `StudentFault`
whose message says what happened. A hung call is killed with its whole process group.
"""
from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.sandbox import wire

WORKER = Path(__file__).with_name("worker.py")
START_TIMEOUT_S = 120.0
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
    """A fork server for one submission: `call` runs one function of it in a fresh child."""

    def __init__(self, submission: Path, module: str, probes: Path | None = None,
                 preload: tuple[str, ...] = ("numpy",)):
        self.submission = Path(submission).resolve()
        self.module = module
        self.probes = probes
        self.preload = preload
        self.root = Path(tempfile.mkdtemp(prefix="course-sandbox-"))
        self.worker: subprocess.Popen | None = None
        self.calls = 0

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
        self.calls += 1
        call_dir = self.root / f"call-{self.calls}"
        call_dir.mkdir()
        wire.write(call_dir, "request", {"probe": probe, "target": target, "args": list(args),
                                        "kwargs": kwargs, "return_args": return_args})
        status = self._run_in_child(call_dir, label, timeout, limit or timeout)
        result_file = call_dir / "result.json"
        if status != 0 or not result_file.exists():
            raise _crash_fault(label, status, _tail(call_dir / "output.txt"))
        try:
            result = wire.read(call_dir, "result")
        except (ValueError, OSError, KeyError) as err:
            raise StudentFault(f"{label}: the result could not be read as plain data ({err}).") from None
        finally:
            shutil.rmtree(call_dir, ignore_errors=True)
        if not result["ok"]:
            raise _error_fault(label, self.module, result["error"])
        return result

    # -- the worker process ------------------------------------------------------------
    def _start_worker(self) -> None:
        env = {k: v for k, v in os.environ.items() if k in ENV_PASSED or k.startswith(ENV_PREFIXES)}
        env["HOME"] = str(self.root)
        self.worker = subprocess.Popen(
            [sys.executable, "-I", str(WORKER)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=open(self.root / "worker.log", "ab"), cwd=self.root, env=env,
            start_new_session=True)
        self._buffer = b""
        self._send({"submission": str(self.submission), "module": self.module,
                    "probes": str(self.probes) if self.probes else None, "preload": list(self.preload)})
        if self._receive(time.monotonic() + START_TIMEOUT_S) != {"ready": True}:
            log = (self.root / "worker.log").read_text(errors="replace")[-2000:]
            self._stop_worker()
            raise SandboxUnavailable(f"the sandbox worker did not start: {log}")

    def _stop_worker(self) -> None:
        if self.worker is not None:
            _kill_group(self.worker.pid)
            self.worker.wait()
            for stream in (self.worker.stdin, self.worker.stdout):
                stream.close()
            self.worker = None

    def _run_in_child(self, call_dir: Path, label: str, timeout: float, limit: float) -> int:
        """The child's wait status; kills it (and everything it started) after `timeout` s."""
        if self.worker is None:
            self._start_worker()
        self._send({"dir": str(call_dir)})
        started = self._receive(time.monotonic() + 30)
        if started is None:
            self._stop_worker()
            raise Crashed(f"{label}: the grading process stopped unexpectedly; was it killed?")
        pid = started["pid"]
        done = self._receive(time.monotonic() + timeout)
        if done is None:
            _kill_group(pid)
            if self._receive(time.monotonic() + 10) is None:
                self._stop_worker()
            raise TimedOut(f"{label} did not finish within the time limit of {limit:.3g} s "
                           f"(an endless loop, or far too slow?).")
        _kill_group(pid)  # whatever the call left running goes with it
        return done["status"]

    def _send(self, message: dict) -> None:
        try:
            self.worker.stdin.write((json.dumps(message) + "\n").encode())
            self.worker.stdin.flush()
        except BrokenPipeError:
            pass  # noticed by _receive

    def _receive(self, deadline: float) -> dict | None:
        """The worker's next line, or None when the deadline passes or the worker died."""
        fd = self.worker.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                return None
            chunk = os.read(fd, 65536)
            if not chunk:
                return None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return json.loads(line)


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _tail(path: Path, limit: int = 600) -> str:
    try:
        with open(path, "rb") as f:
            f.seek(max(0, path.stat().st_size - limit))
            return f.read().decode(errors="replace").strip()
    except OSError:
        return ""


def _crash_fault(label: str, status: int, output: str) -> StudentFault:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        what = {signal.SIGSEGV: "a segmentation fault", signal.SIGXFSZ: "writing more than the "
                "file-size limit", signal.SIGKILL: "SIGKILL (out of memory?)"}.get(number)
        message = f"{label}: the process running your code crashed: {what or signal.Signals(number).name}."
    elif os.WIFEXITED(status) and os.WEXITSTATUS(status) != 0:
        message = (f"{label}: your code ended the process with exit code {os.WEXITSTATUS(status)} "
                   f"(os._exit?) before returning a result.")
    else:
        message = f"{label}: the process running your code ended without a result."
    if output:
        message += f" Last output: {output[-300:]}"
    return Crashed(message)


def _error_fault(label: str, module: str, error: dict) -> StudentFault:
    kind, text, where = error["type"], error["message"], error["where"]
    at = f" at {where}" if where else ""
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
