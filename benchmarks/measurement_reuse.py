"""What reusing a measured time limit saves a batch: gradings in one process (as a `grade-all`
worker runs them), the reference's samples measured for every grading against reused.

    COURSE_DATA_DIR=../shared/data .venv/bin/python benchmarks/measurement_reuse.py [assignment] [--gradings 3]

Grades the assignment's reference `--gradings` times with reuse off (timing.REUSE_S = 0: every
grading measures every measured check's sample, as before) and then as configured, and prints
the seconds per grading of each, their ratio, and each measured check's limit and rule in the
last grading (its reference time, how long before it was measured).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader import course, timing  # noqa: E402
from grader.grade import grade_submission  # noqa: E402


def per_grading(assignment, gradings: int, reuse_s: float):
    """(median seconds per grading, the last report), after one grading that warms the caches."""
    timing.REUSE_S, timing._recent = reuse_s, {}
    grade_submission(assignment, assignment.solution_dir)
    seconds = []
    for _ in range(gradings):
        start = time.perf_counter()
        report = grade_submission(assignment, assignment.solution_dir)
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), report


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("assignment", nargs="?", default="assignment4")
    parser.add_argument("--gradings", type=int, default=3)
    args = parser.parse_args()
    assignment = course.get(args.assignment)
    configured = timing.REUSE_S
    each, _ = per_grading(assignment, args.gradings, 0.0)
    reused, report = per_grading(assignment, args.gradings, configured)
    print(f"{args.assignment}, the reference graded {args.gradings} times in one process (median)")
    print(f"  measuring every grading:        {each:6.2f} s per grading")
    print(f"  reusing for {configured:g} s:            {reused:6.2f} s per grading  ({each / reused:.2f}x)")
    for check in report.checks:
        if "time_limit_rule" in check.diagnostics:
            d = check.diagnostics
            print(f"  {check.id}: limit {d['time_limit_s']} s; {d['time_limit_rule']}")


if __name__ == "__main__":
    main()
