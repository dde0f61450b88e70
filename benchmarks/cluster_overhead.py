"""Per-submission overhead of `grade-all --cluster` (Dask) against the local process pool.

The same 40 submissions of assignment 1, 2 workers either way: the pool's 2 processes, or a
local Dask cluster of 2 worker processes of 1 thread, started once beforehand (its start-up
is reported apart, as a real cluster is started once per session). Each path grades the
batch twice, in turn, and the faster run counts. Overhead = (Dask wall - pool wall) / n.
Target: under 100 ms per submission.
Run: COURSE_DATA_DIR=../shared/data .venv/bin/python benchmarks/cluster_overhead.py
"""
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader import batch  # noqa: E402
from tests.support import corpus_of, write_mutant  # noqa: E402

CORRECT, MISTAKES = corpus_of("assignment1", "CORRECT", "MISTAKES")

COUNT = 40
WORKERS = 2
ROUNDS = 2
TARGET_MS = 100


def timed(folder: Path, name: str, **how) -> float:
    start = time.perf_counter()
    summary = batch.main(assignment_id="assignment1", submissions=folder, gradebook=folder / f"{name}.sqlite",
                         regrade=True, progress=False, **how)
    seconds = time.perf_counter() - start
    assert len(summary.graded) == COUNT and not summary.failed, summary.failed
    return seconds


def main():
    from distributed import Client, LocalCluster
    folder = Path(tempfile.mkdtemp(prefix="bench-cluster-"))
    variants = list(CORRECT.values()) + list(MISTAKES.values())
    for i in range(COUNT):
        write_mutant("assignment1", variants[i % len(variants)], folder / f"student{i:03d}")
    start = time.perf_counter()
    with LocalCluster(n_workers=WORKERS, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster):
        startup = time.perf_counter() - start
        pool, dask = [], []
        for _ in range(ROUNDS):
            pool.append(timed(folder, "pool", workers=WORKERS))
            dask.append(timed(folder, "dask", cluster=cluster.scheduler_address))
    pool_s, dask_s = min(pool), min(dask)
    overhead_ms = 1000 * (dask_s - pool_s) / COUNT
    print(f"{COUNT} submissions of assignment1, {WORKERS} workers, best of {ROUNDS} runs each")
    print(f"process pool:  {pool_s:6.2f} s ({1000 * pool_s / COUNT:6.1f} ms per submission)   runs: "
          + ", ".join(f"{s:.2f}" for s in pool))
    print(f"Dask cluster:  {dask_s:6.2f} s ({1000 * dask_s / COUNT:6.1f} ms per submission)   runs: "
          + ", ".join(f"{s:.2f}" for s in dask))
    print(f"cluster start-up (local, {WORKERS} worker processes, once): {startup:.2f} s")
    print(f"overhead of Dask: {overhead_ms:+.1f} ms per submission; Dask / pool wall: {dask_s / pool_s:.2f}x")
    print(f"target < {TARGET_MS} ms per submission: {'MET' if overhead_ms < TARGET_MS else 'MISSED'}")


if __name__ == "__main__":
    main()
