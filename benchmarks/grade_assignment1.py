"""Wall time of `course grade assignment1 --reference`, split into start-up, data and checks.

Target: under 3 s in all on 2 cores. Baseline in the same run: a bare `python -c pass`.
Run: COURSE_DATA_DIR=../shared/data .venv/bin/python benchmarks/grade_assignment1.py
"""
import statistics
import subprocess
import sys
import time

TARGET_S = 3.0


def wall(args, repeat=3) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(args, check=False, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main():
    python = wall([sys.executable, "-c", "pass"])
    startup = wall([sys.executable, "-c", "from grader import cli, course; course.get('assignment1').rubric"])
    total = wall([sys.executable, "-m", "grader.cli", "grade", "assignment1", "--reference", "--format", "json"])

    from course_lib.datasets.store import _verified
    from grader import course
    assignment1 = course.get("assignment1").checks_module
    start = time.perf_counter()
    assignment1.beijing_split(None)
    data = time.perf_counter() - start
    assignment1.beijing_split.cache_clear()
    _verified.clear()

    print(f"bare python start-up      {python:6.3f} s  (baseline)")
    print(f"grader start-up (imports) {startup:6.3f} s  ({startup / python:.1f}x baseline)")
    print(f"data loading (12 CSVs)    {data:6.3f} s  (read, verify SHA-256, drop NaN, split)")
    print(f"checks (the rest)         {max(0.0, total - startup - data):6.3f} s")
    print(f"course grade, wall        {total:6.3f} s  target < {TARGET_S} s: "
          f"{'MET' if total < TARGET_S else 'MISSED'} ({total / TARGET_S:.2f} of the target)")


if __name__ == "__main__":
    main()
