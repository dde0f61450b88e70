"""A memory limit that counts all of a call's memory: one cgroup per sandbox worker.

RLIMIT_DATA counts a process's private data only: a shared anonymous `mmap`, files written to
a tmpfs and the page cache escape it, and each process of a call has its own. A memory cgroup
counts them all, for every process in it. Where the grader may create cgroups (cgroup v2 with
the memory controller enabled for our cgroup's children, or the v1 memory hierarchy; in
practice as root), the sandbox worker is started inside a cgroup of its own (`wrap`), and
once it is ready the limit is set to what the worker holds plus the call's limit (`arm`): a
call's child, forked from the worker, may use the call's limit and no more, whatever kind of
memory it takes. The kernel's OOM killer then ends the child (it raises its own
`oom_score_adj`), and `oom_kills` tells the sandbox why it died. A pids limit binds the same
way, for root too (RLIMIT_NPROC does not). Elsewhere `create` says why not, and the report
says that only RLIMIT_DATA held.
"""
from __future__ import annotations

import os
import shlex
import signal
import time
from dataclasses import dataclass
from pathlib import Path

START_ALLOWANCE = 3 << 30  # what the worker may take while importing NumPy, pandas, torch


@dataclass
class Controller:
    """One controller's folder for this sandbox, and the names of its files."""
    folder: Path
    version: int  # 1 or 2

    def write(self, name: str, value) -> None:
        (self.folder / name).write_text(f"{value}\n")

    def read(self, name: str) -> str:
        return (self.folder / name).read_text()

    def has(self, name: str) -> bool:
        return (self.folder / name).exists()


class Group:
    """The cgroup(s) of one sandbox worker: memory, and processes where the machine has them."""

    def __init__(self, memory: Controller, pids: Controller | None):
        self.memory, self.pids = memory, pids
        self.limit = 0

    @property
    def description(self) -> str:
        return f"cgroup v{self.memory.version}" + (" (memory and processes)" if self.pids else " (memory)")

    def wrap(self, command: list[str]) -> list[str]:
        """`command`, started inside the group: a shell puts itself in, then becomes `command`."""
        procs = " ".join(f'echo $$ > {shlex.quote(str(c.folder / "cgroup.procs"))};' for c in self._all())
        return ["/bin/sh", "-c", f'{procs} exec "$@"', "sh", *command]

    def start(self, call_bytes: int, processes: int) -> None:
        """Limits for the worker's start-up, before it has imported anything."""
        self._memory_limit(call_bytes + START_ALLOWANCE)
        if self.pids:
            self.pids.write("pids.max", processes)

    def arm(self, call_bytes: int) -> None:
        """The call limit on top of what the ready worker holds, with a little room, so that an
        ordinary allocation meets RLIMIT_DATA first (a MemoryError the student can read) and the
        cgroup ends only what that limit does not count."""
        self._memory_limit(self.usage() + call_bytes + max(64 << 20, call_bytes // 8))

    def usage(self) -> int:
        name = "memory.current" if self.memory.version == 2 else "memory.usage_in_bytes"
        return int(self.memory.read(name))

    def oom_kills(self) -> int:
        """How many processes the kernel killed here for exceeding the memory limit so far."""
        try:
            text = self.memory.read("memory.events" if self.memory.version == 2 else "memory.oom_control")
        except OSError:
            return 0
        counts = dict(line.split() for line in text.splitlines() if len(line.split()) == 2)
        if "oom_kill" in counts:
            return int(counts["oom_kill"])
        return int(self.memory.read("memory.failcnt")) if self.memory.version == 1 else 0

    def close(self) -> None:
        """Kill whatever is left inside and remove the folders."""
        for controller in self._all():
            for _ in range(50):
                try:
                    pids = [int(p) for p in controller.read("cgroup.procs").split()]
                except OSError:
                    break
                if not pids:
                    break
                time.sleep(0.01)
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
            try:
                controller.folder.rmdir()
            except OSError:
                pass

    def _memory_limit(self, count: int) -> None:
        self.limit = count
        if self.memory.version == 2:
            self.memory.write("memory.max", count)
            if self.memory.has("memory.swap.max"):
                self.memory.write("memory.swap.max", 0)
            return
        names = ["memory.limit_in_bytes"]
        if self.memory.has("memory.memsw.limit_in_bytes"):  # memory + swap: no swapping out of the limit
            names.append("memory.memsw.limit_in_bytes")
            if count > int(self.memory.read(names[1])):
                names.reverse()  # v1 keeps memory <= memory + swap at every step
        for name in names:
            self.memory.write(name, count)

    def _all(self) -> list[Controller]:
        return [self.memory] + ([self.pids] if self.pids and self.pids is not self.memory else [])


def create(name: str) -> tuple[Group | None, str]:
    """(a new group named `name` below this process's cgroups, "") or (None, why there is none)."""
    try:
        mounts = _mounts()
        own = _own_cgroups()
    except OSError as err:
        return None, f"the cgroups of this process could not be read ({err})"
    v2 = next((m for m, kind in mounts if kind == ("cgroup2", "")), None)
    tried = []
    if v2 is not None and "" in own:
        parent = v2 / own[""].lstrip("/")
        try:
            enabled = (parent / "cgroup.subtree_control").read_text().split()
        except OSError:
            enabled = []
        if "memory" in enabled:
            memory = _make(parent / name, 2, tried)
            if memory:  # one folder holds both controllers
                return Group(memory, memory if "pids" in enabled else None), ""
        else:
            tried.append(f"cgroup v2 has no memory controller enabled for {parent}'s children")
    v1 = {kind[1]: m for m, kind in mounts if kind[0] == "cgroup"}
    if "memory" in v1 and "memory" in own:
        memory = _make(v1["memory"] / own["memory"].lstrip("/") / name, 1, tried)
        if memory:
            pids = None
            if "pids" in v1 and "pids" in own:
                pids = _make(v1["pids"] / own["pids"].lstrip("/") / name, 1, tried)
            return Group(memory, pids), ""
    return None, "; ".join(tried) or "no memory cgroup hierarchy is mounted"


def _make(folder: Path, version: int, tried: list[str]) -> Controller | None:
    _remove_stale(folder.parent)
    try:
        folder.mkdir(exist_ok=True)
        return Controller(folder, version)
    except OSError as err:
        tried.append(f"cannot create {folder} ({err.strerror})")
        return None


def _remove_stale(parent: Path) -> None:
    """Remove the empty groups that graders which were killed left behind (named course-PID-...)."""
    for folder in parent.glob("course-*-*"):
        pid = folder.name.split("-")[1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            try:
                folder.rmdir()
            except OSError:
                pass


def _mounts() -> list[tuple[Path, tuple[str, str]]]:
    """(mount point, (fs type, controller for v1)) of every cgroup file system."""
    found = []
    for line in Path("/proc/self/mounts").read_text().splitlines():
        parts = line.split()
        if len(parts) < 4 or parts[2] not in ("cgroup", "cgroup2"):
            continue
        options = parts[3].split(",")
        controller = next((o for o in ("memory", "pids") if o in options), "")
        found.append((Path(parts[1]), (parts[2], controller)))
    return found


def _own_cgroups() -> dict[str, str]:
    """This process's cgroup per controller ("" for the v2 hierarchy)."""
    own = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            own[controller] = path
    return own
