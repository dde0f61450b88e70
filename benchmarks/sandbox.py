"""The sandbox's price per check, with and without bubblewrap.

    .venv/bin/python benchmarks/sandbox.py

Prints, for assignment 1's preloads (NumPy, pandas), the median over several runs of the
worker's start-up (bubblewrap's namespaces and mounts, or none, plus the preload imports,
paid once per submission) and of one call of a trivial function (fork, limits, import of the
module, plain data both ways: paid per check), each with its ratio to the rlimits-only
baseline measured in the same run. Target: under 150 ms per check.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.sandbox import Sandbox  # noqa: E402
from grader.sandbox.isolation import BUBBLEWRAP, choose  # noqa: E402

PRELOAD = ("numpy", "pandas")
STARTS, CALLS = 5, 30


def measure(kind: str, folder: Path) -> tuple[float, float]:
    """Median seconds of a worker start-up (first call included) and of a later call."""
    starts, calls = [], []
    for _ in range(STARTS):
        with Sandbox(folder, "student", preload=PRELOAD, isolation=kind) as box:
            begin = time.perf_counter()
            box.call("call", 1, target="add_one", label="add_one", timeout=30)
            first = time.perf_counter() - begin
            for _ in range(CALLS // STARTS):
                begin = time.perf_counter()
                box.call("call", 1, target="add_one", label="add_one", timeout=30)
                calls.append(time.perf_counter() - begin)
            starts.append(first - calls[-1])
    return statistics.median(starts), statistics.median(calls)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "student.py").write_text("import numpy as np\n\ndef add_one(x):\n    return x + 1\n")
        kinds = ["rlimits"] + ([BUBBLEWRAP] if choose("auto")[0] == BUBBLEWRAP else [])
        results = {kind: measure(kind, folder) for kind in kinds}
    base_start, base_call = results["rlimits"]
    print(f"sandbox cost, preloads {', '.join(PRELOAD)}; median of {STARTS} start-ups and {CALLS} calls")
    print(f"{'isolation':<12} {'worker start-up':>16} {'ratio':>6} {'per check (call)':>17} {'ratio':>6}")
    for kind, (start, call) in results.items():
        print(f"{kind:<12} {start * 1e3:>13.1f} ms {start / base_start:>6.2f} "
              f"{call * 1e3:>14.1f} ms {call / base_call:>6.2f}")
    if BUBBLEWRAP not in results:
        print("bubblewrap is not available here; only the rlimits-only baseline was measured")
    worst = max(call for _, call in results.values())
    print(f"target per check < 150 ms: {'met' if worst < 0.150 else 'MISSED'} ({worst * 1e3:.1f} ms)")


if __name__ == "__main__":
    main()
