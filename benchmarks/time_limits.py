"""Measured time limits under load: assignment 2's `train.relu` on an idle and a busy machine.

    COURSE_DATA_DIR=../shared/data .venv/bin/python benchmarks/time_limits.py [--busy-per-core 2]

For each load (none, then `--busy-per-core` busy-loop processes per core) prints the
reference's measured time for the whole training, the limit it sets (10 x, at least 300 s),
and a correct float64 student's time for the check, with its ratio to the limit (target:
below 1 under load, where a fixed limit would be a fixed 300 s whatever the machine).
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import course  # noqa: E402
from grader.grade import _grade_folder  # noqa: E402
from grader.selftest.mutants import Mutant, write_mutant  # noqa: E402

A2 = course.get("assignment2")
CHECK = next(c for c in A2.rubric.checks if c.id == "train.relu")
FLOAT64 = Mutant((("dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64",
                   "X, Y = X.astype(np.float64), Y.astype(np.float64)\n    dtype = np.float64"),), frozenset())


def busy_loop():
    while True:
        pass


def measure(folder: Path, data_dir: str, busy: int) -> dict:
    workers = [multiprocessing.get_context("spawn").Process(target=busy_loop, daemon=True) for _ in range(busy)]
    for w in workers:
        w.start()
    try:
        start = time.perf_counter()
        (result,) = _grade_folder(A2, [CHECK], folder, data_dir=data_dir, secret=A2.course_secret()).checks
        wall = time.perf_counter() - start
    finally:
        for w in workers:
            w.kill()
    return {"busy": busy, "status": result.status, "student_s": result.duration_s, "wall_s": wall,
            "reference_s": result.diagnostics.get("reference_time_s"), "limit_s": result.diagnostics.get("time_limit_s")}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--busy-per-core", type=int, default=2)
    args = parser.parse_args()
    data_dir = os.environ.get("COURSE_DATA_DIR") or str(ROOT.parent / "shared" / "data")
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_mutant("assignment2", FLOAT64, Path(tmp) / "float64")
        rows = [measure(folder, data_dir, 0), measure(folder, data_dir, args.busy_per_core * (os.cpu_count() or 1))]
    print(f"{'busy loops':>10} {'status':>8} {'reference (s)':>14} {'limit (s)':>10} {'student (s)':>12} "
          f"{'student/limit':>14} {'student/300 s':>14}")
    for r in rows:
        print(f"{r['busy']:>10} {r['status']:>8} {r['reference_s']:>14.1f} {r['limit_s']:>10.1f} {r['student_s']:>12.1f} "
              f"{r['student_s'] / r['limit_s']:>14.2f} {r['student_s'] / 300:>14.2f}")
    idle, busy = rows
    print(f"load slows the reference {busy['reference_s'] / idle['reference_s']:.2f}x and the student "
          f"{busy['student_s'] / idle['student_s']:.2f}x; the limit grew {busy['limit_s'] / idle['limit_s']:.2f}x")


if __name__ == "__main__":
    main()
