"""The untrusted side: a fork server that runs student code, one forked child per call.

Started by `grader.sandbox.Sandbox` as ``python -I worker.py`` (inside bubblewrap where it is
used); it imports only the standard library, NumPy, this folder's `wire` module and the
preloads it is told (e.g. torch), so each call forks in milliseconds instead of paying the
imports again. Protocol on stdin and stdout, one JSON object per line:

    parent -> worker  {"submission": DIR, "module": NAME, "probes": FILE|null, "preload": [...],
                       "uid": UID|null, "limits": {"memory": B, "file": B}}
    worker -> parent  {"ready": true}
    parent -> worker  {"dir": CALL_DIR, "timeout": S, "processes": N}
    worker -> parent  {"status": S, "timed_out": BOOL}   once the call and all it started are gone

CALL_DIR holds request.json + request.npz. The child starts its own session, takes the
limits (and, given a uid, drops to it), writes result.json + result.npz into CALL_DIR, sends
its stdout and stderr to CALL_DIR/output.txt, and never speaks the protocol. The worker kills
the child at its time limit and, being a subreaper, every process the call left behind.
"""
import ctypes
import errno
import importlib
import importlib.util
import json
import math
import os
import resource
import select
import signal
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves the script's folder out
import wire  # noqa: E402

PR_SET_PDEATHSIG, PR_SET_CHILD_SUBREAPER = 1, 36
LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def main() -> None:
    config = json.loads(sys.stdin.readline())
    if LIBC is not None:
        LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # orphans of a call come back to us
    for name in config["preload"]:
        importlib.import_module(name)
    probes = _load_file("course_probes", config["probes"]) if config["probes"] else None
    _send({"ready": True})
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(request, config, probes)
        timed_out = not _exits_within(pid, request["timeout"])
        if timed_out:
            _kill(pid)
        _, status = os.waitpid(pid, 0)
        _kill_descendants()
        _send({"status": status, "timed_out": timed_out})


def _send(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _exits_within(pid: int, timeout: float) -> bool:
    """Whether child `pid` ends within `timeout` s (it is left to reap)."""
    if hasattr(os, "pidfd_open"):
        fd = os.pidfd_open(pid)
        try:
            return bool(select.select([fd], [], [], timeout)[0])
        finally:
            os.close(fd)
    deadline = time.monotonic() + timeout
    while os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.002)
    return True


def _kill(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)  # the child leads its own session
    except OSError:
        os.kill(pid, signal.SIGKILL)  # killed before its setsid


def _kill_descendants() -> None:
    """SIGKILL whatever the call left running (double forks included: as a subreaper the
    worker inherits them), round after round until nothing is left."""
    while children := _children():
        for pid in children:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        for pid in children:
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass


def _children() -> list[int]:
    """The worker's child processes (from /proc; none known elsewhere)."""
    pids = []
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children") as f:
                pids += [int(p) for p in f.read().split()]
    except OSError:
        return []
    return pids


# -- the child ------------------------------------------------------------------------

def _child(request: dict, config: dict, probes) -> None:
    try:
        os.setsid()
        _confine(config, request)
        os.chdir(request["dir"])
        _redirect_output()
        result = _run(config, probes)
        try:
            wire.write(Path("."), "result", result)
        except wire.Unencodable as err:
            wire.write(Path("."), "result", _error("return", "Unencodable", str(err), ""))
        sys.stdout.flush()
        sys.stderr.flush()
    except BaseException:  # noqa: BLE001 - nothing may escape the child
        _report_failure()
        os._exit(70)
    os._exit(0)


def _confine(config: dict, request: dict) -> None:
    """The call's resource limits; then, given a uid, drop to it for good."""
    limits = config["limits"]
    cpu = math.ceil(request["timeout"] * (os.cpu_count() or 1)) + 1
    _limit("RLIMIT_DATA", limits["memory"])
    _limit("RLIMIT_FSIZE", limits["file"])
    _limit("RLIMIT_NPROC", request["processes"])
    _limit("RLIMIT_CORE", 0)
    _limit("RLIMIT_CPU", cpu, cpu + 1)  # SIGXCPU, then SIGKILL a second later
    if config["uid"] is not None:
        uid = config["uid"]
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)  # all ids non-zero: every capability is gone
    if LIBC is not None:
        LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # set after the uid change clears it


def _limit(name: str, soft: int, hard: int | None = None) -> None:
    """Lower limit `name` where the platform has it (never above the current hard limit)."""
    number = getattr(resource, name, None)
    if number is None:
        return
    hard = soft if hard is None else hard
    current = resource.getrlimit(number)[1]
    if current != resource.RLIM_INFINITY:
        soft, hard = min(soft, current), min(hard, current)
    resource.setrlimit(number, (soft, hard))


def _redirect_output() -> None:
    null = os.open(os.devnull, os.O_RDONLY)
    out = os.open("output.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.dup2(null, 0)
    os.dup2(out, 1)
    os.dup2(out, 2)
    sys.stdin = open(os.devnull)


def _report_failure() -> None:
    try:
        traceback.print_exc()
    except BaseException:  # noqa: BLE001 - e.g. the output file is at its size limit
        pass


def _run(config: dict, probes) -> dict:
    request = wire.read(Path("."), "request", tensors="torch" in config["preload"])
    sys.path.insert(0, config["submission"])
    try:
        module = _load_file(config["module"], os.path.join(config["submission"], config["module"] + ".py"))
    except BaseException as err:  # noqa: BLE001 - student code may raise anything, SystemExit too
        return _failure("import", err, config["submission"])
    if request["probe"] == "import":
        return {"ok": True, "value": None}
    try:
        if request["probe"] == "call":
            function = getattr(module, request["target"], None)
            if function is None:
                return _error("lookup", "MissingName", request["target"], "")
            value = function(*request["args"], **request["kwargs"])
        else:
            value = getattr(probes, request["probe"])(module, *request["args"], **request["kwargs"])
    except BaseException as err:  # noqa: BLE001
        return _failure("call", err, config["submission"])
    result = {"ok": True, "value": value}
    if request.get("return_args"):
        result["args_after"] = request["args"]
    return result


def _load_file(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _failure(stage: str, err: BaseException, submission: str) -> dict:
    """An exception of the student's code as plain data, naming the limit it hit if any."""
    if isinstance(err, MemoryError):
        limit = "memory"
    elif isinstance(err, OSError) and err.errno == errno.EFBIG:
        limit = "file"
    else:
        limit = ""
    return _error(stage, type(err).__name__, _message(err), _where(err, submission),
                  not_implemented=isinstance(err, NotImplementedError), limit=limit)


def _message(err: BaseException) -> str:
    try:
        if isinstance(err, SyntaxError):
            return f"{err.msg} ({os.path.basename(err.filename or '')}, line {err.lineno})"
        return str(err)[:1000]
    except BaseException:  # noqa: BLE001 - a student exception whose __str__ fails
        return "<the exception's message could not be read>"


def _where(err: BaseException, submission: str) -> str:
    """The innermost line of the submission's own code in the traceback, e.g. 'file.py, line 3, in f'."""
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if os.path.abspath(f.filename).startswith(os.path.abspath(submission) + os.sep)]
    if not frames:
        return ""
    frame = frames[-1]
    return f"{os.path.basename(frame.filename)}, line {frame.lineno}, in {frame.name}"


def _error(stage: str, kind: str, message: str, where: str, not_implemented: bool = False,
           limit: str = "") -> dict:
    return {"ok": False, "error": {"stage": stage, "type": kind, "message": message, "where": where,
                                   "not_implemented": not_implemented, "limit": limit}}


if __name__ == "__main__":
    main()
