"""The untrusted side: a fork server that runs student code, one forked child per call.

Started by `grader.sandbox.Sandbox` as ``python -I worker.py`` (inside bubblewrap where it is
used); it imports only the standard library, NumPy, this folder's `wire` module and the
preloads it is told (e.g. torch), so each call forks in milliseconds instead of paying the
imports again. Protocol on stdin and stdout, one JSON object per line:

    parent -> worker  {"probes": FILE|null, "preload": [...], "uid": UID|null,
                       "limits": {"memory": B, "file": B}, "scratch": B|null, "oom_victim": BOOL}
    worker -> parent  {"ready": true}
    parent -> worker  {"dir": CALL_DIR, "timeout": S, "processes": N, "submission": DIR,
                       "mount": BOOL, "module": NAME, "shared": SHARED_DIR}
    worker -> parent  {"status": S, "timed_out": BOOL}   once the call and all it started are gone

The worker serves any number of submissions (grader/sandbox/host.py): each request names
its own. CALL_DIR holds request.json + request.npz (+ request.shared.json, which names the
large inputs the child maps from SHARED_DIR: wire.py). Each call's child is forked ahead of its
request, once the last call and all it started are gone (`_Spare`): its fork, its empty /tmp
and its fresh random state overlap the grader's work on the last result. Given the request, it
starts its own session; given "mount", it binds DIR (a copy of the submission) at /submission,
read-only, and hides the folder of every other submission's copy; it takes the limits (and,
given a uid, drops to it), writes result.json + result.npz into CALL_DIR, sends its stdout and
stderr to CALL_DIR/output.txt, and never speaks the protocol. The worker kills the child at its
time limit and, being a subreaper, every process the call left behind.
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
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves the script's folder out
import wire  # noqa: E402

PR_SET_PDEATHSIG, PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 1, 4, 36
CLONE_NEWNS, CLONE_NEWIPC = 0x00020000, 0x08000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_MOVE, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 8192, 1 << 14, 1 << 18
SUBMISSION = "/submission"  # where a mounted submission appears (isolation.SUBMISSION_MOUNT)
SCRATCH = ("/tmp", "/dev/shm")  # where a call may write besides its call folder (under bubblewrap)
LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
_private_mounts = False  # whether this child has unshared its mount namespace yet


def main() -> None:
    config = json.loads(sys.stdin.readline())
    if LIBC is not None:
        LIBC.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # orphans of a call come back to us
        LIBC.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # no call may trace us or write our /proc/PID/mem
    for name in config["preload"]:
        importlib.import_module(name)
    probes = _load_file("course_probes", config["probes"]) if config["probes"] else None
    _send({"ready": True})
    spare = _Spare(config, probes)
    for line in sys.stdin:
        child, spare = spare, None
        child.start(line)
        timed_out = not _exits_within(child.pid, json.loads(line)["timeout"])
        if timed_out:
            _kill(child.pid)
        _, status = os.waitpid(child.pid, 0)
        _kill_descendants()
        if config["scratch"] and not child.private_scratch:
            _wipe_scratch()  # a child that could not have scratch of its own may have left files
        _send({"status": status, "timed_out": timed_out})
        spare = _Spare(config, probes)  # forked while the grader reads this call's result
    spare.stop()


class _Spare:
    """The next call's child, forked ahead of its request once the last call and everything it
    started are gone: it takes its fresh /tmp and random state, says whether the /tmp is its own,
    then waits for the request (`start`) before anything of a submission reaches it."""

    def __init__(self, config: dict, probes):
        requests, self._requests = os.pipe()
        ready, told = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            os.close(self._requests)
            os.close(ready)
            _child(requests, told, config, probes)
        os.close(requests)
        os.close(told)
        with os.fdopen(ready, "rb") as answer:  # b"1": private scratch; b"0": none; b"": it died
            self.private_scratch = answer.read(1) == b"1"

    def start(self, request: str) -> None:
        data = request.encode()
        try:
            while data:
                data = data[os.write(self._requests, data):]
        except BrokenPipeError:  # it died waiting: its status says so
            pass
        os.close(self._requests)

    def stop(self) -> None:
        os.close(self._requests)  # it reads end-of-file and exits
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass


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

def _child(requests: int, told: int, config: dict, probes) -> None:
    """A call's child: prepared before its request (read from fd `requests`; `told` hears
    whether its /tmp is its own), then confined, and only then given the submission."""
    try:
        os.setsid()
        if LIBC is not None:
            LIBC.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)  # a spare dies with the worker
        private = False
        if config["scratch"]:
            try:
                private = _private_scratch(config["scratch"])
            except OSError as err:  # keep the worker's /tmp, which it wipes after the call
                print(f"no private /tmp for this call: {err}", file=sys.stderr)
        _fresh_random_state()
        os.write(told, b"1" if private else b"0")
        os.close(told)
        with os.fdopen(requests, "r") as pipe:
            line = pipe.read()
        if not line:
            os._exit(0)  # the worker is stopping: no call for this spare
        request = json.loads(line)
        submission = _own_submission(request["submission"]) if request["mount"] else request["submission"]
        _confine(config, request)
        os.chdir(request["dir"])
        _redirect_output()
        result = _run(request, submission, probes, tensors="torch" in config["preload"])
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


def _fresh_random_state() -> None:
    """New entropy in every global generator (NumPy's legacy state, `random`, torch): a forked
    child would otherwise inherit the worker's, and code that ignores its seed would give the
    same numbers in every call, looking seeded."""
    import random
    random.seed(os.urandom(32))
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed(int.from_bytes(os.urandom(4), "little"))
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(int.from_bytes(os.urandom(8), "little") >> 1)


def _private_scratch(size: int) -> bool:
    """A /tmp, /dev/shm and System V IPC namespace of this call's own, empty: nothing an earlier
    call wrote can reach this one, and nothing this one writes outlives it. Needs CAP_SYS_ADMIN
    (bubblewrap as root grants it to the worker; the child loses it with its uid); elsewhere
    the worker wipes /tmp and /dev/shm after each call instead."""
    global _private_mounts
    if LIBC is None or LIBC.unshare(CLONE_NEWNS | CLONE_NEWIPC) != 0:
        return False
    _private_mounts = True
    _mount(None, "/", None, MS_REC | MS_PRIVATE, None)
    kept = _mounts_below("/tmp")  # the sandbox's own folders bound inside /tmp: call folders, data
    tmpfs = f"size={size},mode=1777"
    _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, tmpfs)
    staging = "/dev/shm/.tmp"
    os.mkdir(staging)
    _mount("tmpfs", staging, "tmpfs", MS_NOSUID | MS_NODEV, tmpfs)
    for path, read_only in kept:  # the same folders, in the same places, on the new /tmp
        target = staging + path[len("/tmp"):]
        if os.path.isdir(path):
            os.makedirs(target, 0o755, exist_ok=True)
        else:
            os.makedirs(os.path.dirname(target), 0o755, exist_ok=True)
            open(target, "a").close()
        _mount(path, target, None, MS_BIND, None)
        if read_only:
            _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY, None)
    _mount(staging, "/tmp", None, MS_MOVE, None)
    os.rmdir(staging)
    return True


def _own_submission(copy: str) -> str:
    """Bind this call's submission (`copy`) at /submission, read-only, and cover the folder of
    every submission's copy with an empty one: a call sees its own submission and no other.
    Without the mount namespace this needs, the call does not run (OSError: the child fails)."""
    if not _private_mounts:
        if LIBC is None or LIBC.unshare(CLONE_NEWNS) != 0:
            raise OSError(ctypes.get_errno(), "cannot mount this call's submission (no mount namespace)")
        _mount(None, "/", None, MS_REC | MS_PRIVATE, None)
    _mount(copy, SUBMISSION, None, MS_BIND | MS_REC, None)
    _mount(None, SUBMISSION, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV, None)
    _mount("tmpfs", os.path.dirname(copy), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV, "size=4k,mode=0755")
    return SUBMISSION


def _mounts_below(top: str) -> list[tuple[str, bool]]:
    """(mount point, read-only) of every mount inside `top`, parents first."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            point = fields[4].encode().decode("unicode_escape")  # \040 for a space
            if point.startswith(top + "/"):
                found.append((point, "ro" in fields[5].split(",")))
    return sorted(set(found), key=lambda m: m[0].count("/"))


def _mount(source, target, kind, flags, data) -> None:
    encode = lambda text: None if text is None else text.encode()  # noqa: E731
    if LIBC.mount(encode(source), encode(target), encode(kind), flags, encode(data)) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"mount {target}: {os.strerror(number)}")


def _wipe_scratch() -> None:
    """Remove what calls left in /tmp and /dev/shm, sparing the sandbox's own folders mounted
    there and the folders above them. A child with scratch of its own left nothing here."""
    for top in SCRATCH:
        mounts = {m for m, _ in _mounts_below(top)}
        above = {os.path.dirname(m) for m in mounts}
        while {os.path.dirname(a) for a in above} - above - {top, "/"}:
            above |= {os.path.dirname(a) for a in above}
        _wipe(top, mounts, above)


def _wipe(folder: str, mounts: set[str], above: set[str]) -> None:
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for path in (os.path.join(folder, name) for name in entries):
        try:
            if path in mounts:
                continue
            if path in above:
                _wipe(path, mounts, above)
            elif os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                os.unlink(path)
        except OSError:
            pass


def _confine(config: dict, request: dict) -> None:
    """The call's resource limits; then, given a uid, drop to it for good."""
    limits = config["limits"]
    if config.get("oom_victim"):  # in a memory cgroup: the kernel kills the call, not the worker
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
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


def _run(call: dict, submission: str, probes, tensors: bool) -> dict:
    request = wire.read(Path("."), "request", tensors=tensors, shared=call.get("shared"))
    sys.path.insert(0, submission)
    try:
        module = _load_file(call["module"], os.path.join(submission, call["module"] + ".py"))
    except BaseException as err:  # noqa: BLE001 - student code may raise anything, SystemExit too
        return _failure("import", err, submission)
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
        return _failure("call", err, submission)
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
