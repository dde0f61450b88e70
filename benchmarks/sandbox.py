"""The sandbox's price per check, with and without bubblewrap.

    .venv/bin/python benchmarks/sandbox.py

Prints, for assignment 1's preloads (NumPy, pandas), the median over several submissions of
what a submission's sandbox costs before its first call (a worker of its own: bubblewrap's
namespaces and mounts, or none, plus the preload imports; a warm worker shared by the
process: copying the submission in) and of one call of a trivial function (fork, limits,
mounts, import of the module, plain data both ways: paid per check), each with its ratio to
the rlimits-only, own-worker baseline measured in the same run. Then a warm worker's call
with its heap on huge pages against one without (`host.FORK_CHEAPLY`), in the same run.
Targets: under 150 ms per check, at most 50 ms of start-up per submission with a warm worker.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.sandbox import Sandbox, host  # noqa: E402
from grader.sandbox.isolation import BUBBLEWRAP, choose  # noqa: E402

PRELOAD = ("numpy", "pandas")
STARTS, CALLS = 5, 30


def measure(kind: str, folder: Path, warm: bool) -> tuple[float, float]:
    """Median seconds of a submission's start-up (its first call less a later one) and of a call."""
    starts, calls = [], []
    if warm:  # the process's warm worker is started by an earlier submission, as in a batch
        with Sandbox(folder, "student", preload=PRELOAD, isolation=kind) as box:
            box.call("call", 1, target="add_one", label="add_one", timeout=30)
    for _ in range(STARTS):
        with Sandbox(folder, "student", preload=PRELOAD, isolation=kind, warm=warm) as box:
            begin = time.perf_counter()
            box.call("call", 1, target="add_one", label="add_one", timeout=30)
            first = time.perf_counter() - begin
            for _ in range(CALLS // STARTS):
                begin = time.perf_counter()
                box.call("call", 1, target="add_one", label="add_one", timeout=30)
                calls.append(time.perf_counter() - begin)
            starts.append(max(0.0, first - calls[-1]))  # < 0: its child was forked while we waited
    return statistics.median(starts), statistics.median(calls)


def call_with_gap(kind: str, folder: Path, gap: float) -> float:
    """Median seconds of a call of a warm worker when the grader works `gap` s between calls
    (the time in which the next call's child is forked and prepared)."""
    with Sandbox(folder, "student", preload=PRELOAD, isolation=kind) as box:
        box.call("call", 1, target="add_one", label="add_one", timeout=30)
        found = []
        for _ in range(CALLS):
            time.sleep(gap)
            begin = time.perf_counter()
            box.call("call", 1, target="add_one", label="add_one", timeout=30)
            found.append(time.perf_counter() - begin)
    return statistics.median(found)


def huge_pages_compared(kind: str, folder: Path) -> tuple[float, float]:
    """Median seconds of a call with the worker's heap on huge pages (host.FORK_CHEAPLY) and
    without, each with 5 ms of grader work between calls."""
    cheaply = dict(host.FORK_CHEAPLY)
    found = {}
    for label, environment in (("without", {}), ("with", cheaply)):
        host.hosts.close()  # a fresh worker started with `environment`
        host.FORK_CHEAPLY.clear()
        host.FORK_CHEAPLY.update(environment)
        found[label] = call_with_gap(kind, folder, 0.005)
    host.hosts.close()
    return found["with"], found["without"]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "student.py").write_text("import numpy as np\n\ndef add_one(x):\n    return x + 1\n")
        kinds = ["rlimits"] + ([BUBBLEWRAP] if choose("auto")[0] == BUBBLEWRAP else [])
        results = {(kind, warm): measure(kind, folder, warm) for kind in kinds for warm in (False, True)}
        cheaply = {kind: huge_pages_compared(kind, folder) for kind in kinds}
    base_start, base_call = results["rlimits", False]
    print(f"sandbox cost, preloads {', '.join(PRELOAD)}; median of {STARTS} submissions and {CALLS} calls")
    print(f"{'isolation':<12} {'worker':<9} {'start-up per submission':>24} {'ratio':>6} "
          f"{'per check (call)':>17} {'ratio':>6}")
    for (kind, warm), (start, call) in results.items():
        print(f"{kind:<12} {'warm' if warm else 'its own':<9} {start * 1e3:>21.1f} ms {start / base_start:>6.2f} "
              f"{call * 1e3:>14.1f} ms {call / base_call:>6.2f}")
    if BUBBLEWRAP not in kinds:
        print("bubblewrap is not available here; only resource limits were measured")
    for kind, (with_, without) in cheaply.items():
        print(f"{kind}: a call, 5 ms of grader work between calls: {with_ * 1e3:.1f} ms with the worker's heap "
              f"on huge pages, {without * 1e3:.1f} ms without ({without / with_:.2f}x)")
    worst = max(call for _, call in results.values())
    warm_start = max(start for (_, warm), (start, _) in results.items() if warm)
    print(f"target per check < 150 ms: {'met' if worst < 0.150 else 'MISSED'} ({worst * 1e3:.1f} ms)")
    print(f"target start-up per submission (warm worker) <= 50 ms: "
          f"{'met' if warm_start <= 0.050 else 'MISSED'} ({warm_start * 1e3:.1f} ms)")


if __name__ == "__main__":
    main()
