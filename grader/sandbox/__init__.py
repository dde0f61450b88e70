"""The trust boundary. Student code runs only in the children that a `Host` forks.

The parent writes a call's inputs as plain data, the host's worker (``worker.py``) forks a
child that imports the student's module, runs the call and writes plain data back; the parent
reads it with `wire.read` (no pickle) and turns every way the child can fail into a
`StudentFault` whose message says what happened. Each call runs under resource limits, and a
call that outlives its time limit is killed with everything it started. Where bubblewrap works
the worker runs inside it (`isolation.py`); one warm worker serves every submission of a
process (`host.py`). docs/threat-model.md says what this stops.
"""
from __future__ import annotations

import shutil
import stat
import os
import signal
from pathlib import Path

from grader.sandbox import wire
from grader.sandbox.host import Host, SandboxUnavailable, WorkerLost, can_share, hosts, size_text as _size
from grader.sandbox.isolation import Limits, choose

__all__ = ["Sandbox", "SandboxUnavailable", "StudentFault", "NotImplementedYet", "TimedOut", "Crashed"]


class StudentFault(Exception):
    """The student's code failed in a way that costs the check; the message is for the student."""
    status = "error"


class NotImplementedYet(StudentFault):
    status = "not_implemented"


class TimedOut(StudentFault):
    status = "timeout"


class Crashed(StudentFault):
    status = "crashed"


class Sandbox:
    """One submission's calls: `call` runs one function of it in a fresh child of a warm host.

    `isolation` is "bubblewrap", "rlimits" or None (`isolation.choose`: COURSE_SANDBOX, else
    bubblewrap where it works); `limits` defaults to `Limits.from_env()`. `kind` and `note`
    say what was used, for the report. `warm=False` starts a worker of its own, closed with
    the sandbox (as does a host that cannot share, `host.can_share`).
    """

    def __init__(self, submission: Path, module: str, probes: Path | None = None,
                 preload: tuple[str, ...] = ("numpy",), *, isolation: str | None = None,
                 limits: Limits | None = None, datasets: bool = True, warm: bool = True):
        self.submission = Path(submission).resolve()
        self.module = module
        self.kind, self.note = choose(isolation)
        limits = limits or Limits.from_env()
        if warm and can_share(self.kind):
            self.host, self._own = hosts.get(self.kind, probes, tuple(preload), limits, datasets), False
        else:
            self.host = Host(self.kind, probes, tuple(preload), limits, datasets,
                             submission=None if can_share(self.kind) else self.submission)
            self._own = True
        self.limits = limits
        self._place: str | None = None  # where the calls find the submission (Host.add), once asked
        self._released = False

    @staticmethod
    def prestart(probes: Path | None = None, preload: tuple[str, ...] = ("numpy",), *,
                 isolation: str | None = None, limits: Limits | None = None, datasets: bool = True) -> None:
        """Start the warm worker the sandboxes of these arguments will use, without waiting for
        it: its imports overlap with the grader's own (a no-op where workers are not shared)."""
        kind = choose(isolation)[0]
        if can_share(kind):
            host = hosts.get(kind, probes, tuple(preload), limits or Limits.from_env(), datasets)
            host.start()
            hosts.release(host)

    @property
    def memory_limit(self) -> str:
        return self.host.memory_limit

    @property
    def worker(self):
        return self.host.worker

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self) -> None:
        if self._place is not None:
            self.host.remove(self._place)
            self._place = None
        if self._own:
            self.host.close()
        elif not self._released:
            self._released = True
            hosts.release(self.host)

    # -- the one public operation ------------------------------------------------------
    def call(self, probe: str, *args, label: str, timeout: float, target: str | None = None,
             return_args: bool = False, limit: float | None = None, **kwargs) -> dict:
        """Run `probe` ("import", "call" of `target`, or a probe of the assignment) in a child.

        `timeout` is what is left of the time limit `limit` (default: `timeout`) named in messages.
        Returns {"value": ..., "args_after": ...} as plain data; raises StudentFault.
        """
        if self._place is None:
            self._place = self.host.add(self.submission)
        call_dir = self.host.call_dir()
        try:
            wire.write(call_dir, "request", {"probe": probe, "target": target, "args": list(args),
                                            "kwargs": kwargs, "return_args": return_args}, shared=self.host.shared)
            self._hand_over(call_dir)
            status = self._run_in_child(call_dir, label, timeout, limit or timeout)
            return self._result(call_dir, label, status, return_args)
        finally:
            shutil.rmtree(call_dir, ignore_errors=True)

    def _hand_over(self, call_dir: Path) -> None:
        """Give the call folder to the child's uid, when it runs as one of its own."""
        if self.host.uid is not None:
            for path in (call_dir, *call_dir.iterdir()):
                os.chown(path, self.host.uid, self.host.uid)

    def _run_in_child(self, call_dir: Path, label: str, timeout: float, limit: float) -> int:
        try:
            return self.host.run(call_dir, self._place, self.module, timeout)
        except WorkerLost as lost:
            if lost.oom:
                raise Crashed(f"{label}: the process running your code was killed for using too much memory "
                              f"(the memory limit is {_size(self.limits.memory_bytes)} for all of the call's "
                              f"memory, shared mappings and files in /tmp included).") from None
            if lost.timed_out:
                raise TimedOut(f"{label} did not finish within the time limit of {limit:.3g} s "
                               f"(an endless loop, or far too slow?).") from None
            raise Crashed(f"{label}: the grading process stopped unexpectedly; was it killed?") from None

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
