"""Assignment 4 timings: a full grading of the reference, and the reference's training.

    COURSE_DATA_DIR=../shared/data .venv/bin/python benchmarks/assignment4.py

Prints the wall time of `course grade assignment4 --reference` with each check's duration
(target < 30 s on 2 cores), then the reference's `train_sgd` at its defaults on MNIST as the
grader standardises it, with its test accuracy (target: a few seconds, about 0.92), and
`l2_distances` of 1,000 x 5,000 rows against its speed check's limit.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from grader.course import get  # noqa: E402


def main() -> None:
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; numpy {np.__version__}; "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'unset')}\n")
    course = Path(sys.executable).with_name("course")
    start = time.perf_counter()
    out = subprocess.run([str(course), "grade", "assignment4", "--reference", "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - start
    report = json.loads(out)
    print(f"grading `course grade assignment4 --reference`: {wall:.2f} s wall (target < 30 s), "
          f"score {report['score']:g}/{report['max_score']:g}")
    for check in report["checks"]:
        limit = check["diagnostics"].get("time_limit_s")
        shown = f"  (limit {limit:g} s from the reference's {check['diagnostics']['reference_time_s']:g} s)" \
            if limit and "reference_time_s" in check["diagnostics"] else ""
        print(f"  {check['id']:30} {check['duration_s']:6.2f} s{shown}")

    a4 = get("assignment4")
    ref, checks = a4.reference(), a4.checks_module
    data_dir = os.environ.get("COURSE_DATA_DIR")
    X, y, X_test, y_test = checks.standardised_mnist(data_dir)
    start = time.perf_counter()
    W, history = ref.train_sgd(X, y)
    seconds = time.perf_counter() - start
    accuracy = float(np.mean(np.argmax(X_test @ W, axis=1) == y_test))
    print(f"\nreference train_sgd at the defaults (10 epochs, batch 256, lr 0.5 cosine, float32 X): "
          f"{seconds:.2f} s, test accuracy {accuracy:.4f} (the check needs 0.90)")
    print(f"  loss per epoch: {np.round(history['loss'], 4).tolist()}")

    A, B = checks.speed_rows(data_dir)
    start = time.perf_counter()
    ref.l2_distances(A, B)
    print(f"\nreference l2_distances, 1,000 x 5,000 MNIST rows, in this process: {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main()
