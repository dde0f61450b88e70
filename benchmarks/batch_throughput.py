"""Batch throughput of `course grade-all` on 100 submissions of assignment 1, 1 and 2 workers.

Target: at least 100 submissions per minute with 2 workers on 2 cores. The submissions are
the reference and the known mistakes of the test corpus, in turn.
Run: COURSE_DATA_DIR=../shared/data .venv/bin/python benchmarks/batch_throughput.py
"""
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader import batch  # noqa: E402
from tests.support import corpus_of, write_mutant  # noqa: E402

CORRECT, MISTAKES = corpus_of("assignment1", "CORRECT", "MISTAKES")

COUNT = 100
TARGET_PER_MINUTE = 100


def main():
    folder = Path(tempfile.mkdtemp(prefix="bench-class-"))
    variants = list(CORRECT.values()) + list(MISTAKES.values())
    for i in range(COUNT):
        write_mutant("assignment1", variants[i % len(variants)], folder / f"student{i:03d}")
    rates = {}
    for workers in (1, 2):
        start = time.perf_counter()
        summary = batch.main(assignment_id="assignment1", submissions=folder, workers=workers,
                             gradebook=folder / f"gradebook-{workers}.sqlite", progress=False)
        seconds = time.perf_counter() - start
        assert len(summary.graded) == COUNT and not summary.failed
        rates[workers] = 60 * COUNT / seconds
        print(f"{workers} worker(s): {COUNT} submissions in {seconds:5.1f} s = {rates[workers]:6.1f} per minute")
    print(f"speed-up with 2 workers: {rates[2] / rates[1]:.2f}x (baseline: 1 worker, same run)")
    print(f"target >= {TARGET_PER_MINUTE} per minute with 2 workers: "
          f"{'MET' if rates[2] >= TARGET_PER_MINUTE else 'MISSED'}")


if __name__ == "__main__":
    main()
