"""How the sandbox worker is confined: bubblewrap where it works, resource limits everywhere.

`choose` picks the isolation once per process: ``COURSE_SANDBOX=bubblewrap`` or ``=rlimits``
forces one; otherwise bubblewrap when ``bwrap`` is on PATH (Linux) and can create its
namespaces here. `Limits` are what every call's child may use. `bwrap_args` builds the
child's view of the machine: the system read-only, the Python installation, the sandbox's
own code, the assignment's probes file (that file alone), the decoded datasets, a private
copy of the submission and the sandbox's call folders; the course (solutions/, the rest of
the folder the probes are in, tests, .git), home folders, the rest of /tmp and the network
are simply not there. See docs/threat-model.md.
"""
from __future__ import annotations

import functools
import glob
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from course_lib.datasets.store import cache_root
from course_lib.errors import CourseError

BUBBLEWRAP = "bubblewrap"
RLIMITS = "rlimits only"
SUBMISSION_MOUNT = "/submission"  # where the submission's copy appears inside bubblewrap
UID_BASE = 1_000_000_000  # + the grader's pid: an unused uid per sandbox, so NPROC counts only it
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/etc", "/sys")
# What the root worker keeps under bubblewrap, each dropped by the child with its uid: changing
# uid, killing what a call left, and making each call's private /tmp (mount, unshare).
WORKER_CAPS = ("CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_SYS_ADMIN")


@dataclass(frozen=True)
class Limits:
    """Per call: memory (RLIMIT_DATA, so that torch's address-space reservations do not count),
    processes and threads (RLIMIT_NPROC), the largest file written (output included), the
    private /tmp under bubblewrap; CPU time follows each call's time limit (see worker.py).

    The `result_` limits bound what the grader's own process reads back from a call (the child
    writes result.json and result.npz, so both are hostile; `wire.read`): result.json's size and
    its count of values, result.npz's count of arrays, the bytes of its arrays, counted once as
    stored and again each time the value uses one (200 frame columns made of one array count it
    200 times), and the time to decode it all. A result over a limit costs the check."""
    memory_bytes: int = 4 << 30
    processes: int = field(default_factory=lambda: max(64, 4 * (os.cpu_count() or 1)))
    file_bytes: int = 64 << 20
    tmp_bytes: int = 256 << 20
    result_bytes: int = 256 << 20
    result_json_bytes: int = 8 << 20
    result_nodes: int = 1_000_000
    result_arrays: int = 10_000
    result_seconds: float = 10.0

    @classmethod
    def from_env(cls) -> "Limits":
        """The defaults, with the memory limit from COURSE_SANDBOX_MEMORY_MB when set."""
        megabytes = os.environ.get("COURSE_SANDBOX_MEMORY_MB")
        return cls(memory_bytes=int(megabytes) << 20) if megabytes else cls()


def choose(requested: str | None = None) -> tuple[str, str]:
    """(kind, note): the isolation to use ("bubblewrap", "rlimits", "auto"; None: the
    environment's COURSE_SANDBOX), and for the report why it is weaker than bubblewrap."""
    kind, why = _choice(requested)
    return kind, (_weaker(why) if why else "")


def _choice(requested: str | None) -> tuple[str, str]:
    """(kind, why bubblewrap is not used; "" when it is)."""
    requested = requested or os.environ.get("COURSE_SANDBOX") or "auto"
    if requested == BUBBLEWRAP:
        return BUBBLEWRAP, ""
    if requested == "rlimits":
        return RLIMITS, "COURSE_SANDBOX=rlimits was set"
    if requested != "auto":
        raise ValueError(f"COURSE_SANDBOX={requested!r}; use bubblewrap, rlimits or auto")
    if not sys.platform.startswith("linux") or shutil.which("bwrap") is None:
        return RLIMITS, "bubblewrap (bwrap) was not found"
    problem = _bwrap_problem()
    return (RLIMITS, f"bubblewrap cannot create its namespaces here: {problem}") if problem else (BUBBLEWRAP, "")


def _weaker(why: str) -> str:
    root = (" The grader runs as root, so the process limit (RLIMIT_NPROC) did not bind either; only a "
            "cgroup, where there was one, bounded processes.") if is_root() else ""
    return (f"The sandbox enforced resource limits only ({why}). The submission's code ran as the grader's "
            f"own user, so it could read every file that user can (the reference solutions, the hidden "
            f"checks, the course secret, other students' submissions), rewrite them (the reference, the "
            f"gradebook, reports), reach the network, and leave files in /tmp for later calls. This protects "
            f"against accidents and exhaustion, not against a student who tries. {INSTALL_BUBBLEWRAP}{root}")


INSTALL_BUBBLEWRAP = "Install bubblewrap for full isolation (Debian/Ubuntu: sudo apt-get install bubblewrap)."
ALLOW_UNISOLATED_ENV = "COURSE_ALLOW_UNISOLATED"


def require_isolation(allow_unisolated: bool = False) -> None:
    """Refuse to grade other people's code without bubblewrap, unless the instructor opted out
    (--allow-unisolated, or COURSE_ALLOW_UNISOLATED=1). One's own code (`course check`, the
    working copy, the reference) needs no isolation and never calls this."""
    kind, why = _choice(None)
    if kind == BUBBLEWRAP or allow_unisolated or os.environ.get(ALLOW_UNISOLATED_ENV) == "1":
        return
    raise CourseError(f"refusing to grade submissions without isolation: {why}. "
                      f"Without bubblewrap a submission could read the reference and rewrite it, the gradebook "
                      f"and other students' files. {INSTALL_BUBBLEWRAP} To grade anyway, knowing this, pass "
                      f"--allow-unisolated (or set {ALLOW_UNISOLATED_ENV}=1); docs/threat-model.md says what "
                      f"the weaker mode allows.")


@functools.lru_cache(maxsize=None)
def _bwrap_problem() -> str:
    """Why a minimal bubblewrap sandbox fails here, or "" when it works."""
    args = ["bwrap", "--ro-bind", "/", "/", *_namespaces(), "true"]
    try:
        run = subprocess.run(args, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as err:
        return str(err)
    if run.returncode == 0:
        return ""
    return run.stderr.strip()[-300:] or f"exit status {run.returncode}"


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _namespaces() -> list[str]:
    """Namespaces for the worker: as root, no user namespace (it would map the child back to
    root, which RLIMIT_NPROC does not bind); otherwise bubblewrap needs one."""
    own = ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    return own if is_root() else ["--unshare-user", *own]


def child_uid() -> int | None:
    """The unprivileged uid the child drops to, under bubblewrap as root; None otherwise."""
    return UID_BASE + os.getpid() if is_root() else None


def bwrap_args(root: Path, submission: Path | None, probes: Path | None, worker_dir: Path,
               limits: Limits, datasets: bool = True) -> list[str]:
    """The bubblewrap command line that runs the worker, up to (not including) the program.
    `submission`: the one submission bound at /submission, or None for an empty mount point
    each call's child binds its own submission on (host.py). `datasets`: whether the decoded
    datasets are there (a grading with secret inputs hands the student code its data itself,
    disguised, and must not show the originals)."""
    args = ["bwrap", "--die-with-parent", "--new-session", *_namespaces()]
    if is_root():
        args += [a for cap in WORKER_CAPS for a in ("--cap-add", cap)]
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    args += ["--proc", "/proc", "--dev", "/dev"]
    for device in sorted(glob.glob("/dev/nvidia*")):  # CUDA for the torch assignments
        args += ["--dev-bind", device, device]
    args += ["--perms", "1777", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp"]
    readable = _python_dirs() + [worker_dir] + ([_datasets()] if datasets else []) + ([probes] if probes else [])  # the file alone, never its folder
    for folder in _ancestors(readable + [root]):
        args += ["--perms", "0755", "--dir", str(folder)]  # bwrap would copy e.g. /root's 0700
    for path in readable:
        args += ["--ro-bind", str(path), str(path)]
    args += ["--ro-bind", str(submission), SUBMISSION_MOUNT] if submission else ["--dir", SUBMISSION_MOUNT]
    args += ["--bind", str(root), str(root), "--chdir", "/", "--"]
    return args


def _ancestors(paths: list[Path]) -> list[Path]:
    """The folders above `paths` that the sandbox does not get from a system folder, top first."""
    system = [Path(d) for d in SYSTEM_DIRS]
    above = {a for p in paths for a in p.parents if a != Path("/")}
    return sorted((a for a in above if not any(a == s or s in a.parents for s in system)),
                  key=lambda a: len(a.parts))


def _datasets() -> Path:
    """The decoded course datasets, which probes may memory-map (public data, read-only)."""
    folder = cache_root() / "decoded"
    folder.mkdir(parents=True, exist_ok=True)
    return folder.resolve()


def _python_dirs() -> list[Path]:
    """The interpreter's installation and the virtual environment, each once."""
    dirs = {Path(p).resolve() for p in (sys.base_prefix, sys.prefix, sys.exec_prefix)}
    return sorted(d for d in dirs if not any(o != d and o in d.parents for o in dirs))


def copy_submission(submission: Path, destination: Path) -> Path:
    """A world-readable copy of the submission folder, so that the unprivileged child can read
    it and nothing it does reaches the original. Links stay links (never followed here, where
    they could reach the reference), and inside the sandbox they lead nowhere."""
    shutil.rmtree(destination, ignore_errors=True)  # a restarted worker gets a fresh copy
    shutil.copytree(submission, destination, symlinks=True, copy_function=shutil.copyfile,
                    ignore=shutil.ignore_patterns("__pycache__", ".git", ".ipynb_checkpoints"))
    for folder, _, files in os.walk(destination):
        os.chmod(folder, 0o755)
        for name in files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):  # chmod would follow it
                os.chmod(path, 0o644)
    return destination


def tasks_of(uid: int) -> int:
    """How many processes and threads `uid` runs now (0 where /proc is missing)."""
    count = 0
    for entry in os.scandir("/proc") if os.path.isdir("/proc") else ():
        try:
            if entry.name.isdigit() and entry.stat().st_uid == uid:
                count += len(os.listdir(f"/proc/{entry.name}/task"))
        except OSError:
            continue  # gone meanwhile
    return count
