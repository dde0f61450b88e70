"""Per-submission wall time of `nbgrader autograde` against `course grade` and `grade-all`,
on the same notebooks, for each assignment; and the sandbox's start-up per submission.

For each assignment the submissions are the reference and known mistakes, submitted as
nbgrader notebooks (assignment 1: 10; 2 and 3: 3, as a2's trainings take minutes). nbgrader
autogrades them all in one command (its test cells call our sandboxed checks); `course grade`
grades each as a command of its own (start-up included); `grade-all` grades the same folders
with 2 local workers. Each is given as seconds per submission and as a ratio to nbgrader,
measured in the same run. Targets (issue 17): command >= 5x, grade-all >= 20x faster than
nbgrader; grade-all >= 300 assignment 1 submissions a minute with 2 workers (the rate printed
is over a class of 100 copies of the 10); sandbox start-up per submission <= 50 ms (a warm
worker: copying the submission in and the first call's extra cost over a later call).

Run: COURSE_DATA_DIR=../shared/data .venv/bin/python benchmarks/nbgrader_vs_course.py [assignment ...]
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader import batch, nbgrader_export  # noqa: E402
from grader.sandbox import Sandbox  # noqa: E402
from tests.support import corpus_of  # noqa: E402

BIN = Path(sys.executable).parent
ENV = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
COUNTS = {"assignment1": 10, "assignment2": 3, "assignment3": 3}
CLASS = 100  # grade-all's class for the per-minute rate of assignment 1
WORKERS = 2


def run(*command, cwd=None):
    subprocess.run([str(c) for c in command], cwd=cwd, env=ENV, check=True, capture_output=True)


def timed(action) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def submissions(assignment_id: str, count: int, course: Path) -> list[Path]:
    """nbgrader's submitted/<student>/<id>/ folders: the reference and `count` - 1 mistakes."""
    mistakes, = corpus_of(assignment_id, "MISTAKES")
    edits = [()] + [m.edits for _, m in sorted(mistakes.items())][:count - 1]
    return [nbgrader_export.fill_release(course, assignment_id, f"s{i:02d}", e) for i, e in enumerate(edits)]


def grade_all(assignment_id: str, folders: list[Path], copies: int = 1) -> float:
    """Seconds of one grade-all run over `copies` copies of `folders` (one student each)."""
    class_dir = Path(tempfile.mkdtemp(prefix="bench-class-"))
    for i in range(len(folders) * copies):
        shutil.copytree(folders[i % len(folders)], class_dir / f"student{i:03d}")
    seconds = timed(lambda: batch.main(assignment_id=assignment_id, submissions=class_dir, workers=WORKERS,
                                       gradebook=class_dir / "gradebook.sqlite", progress=False))
    shutil.rmtree(class_dir, ignore_errors=True)
    return seconds


def sandbox_start_up(module_source: str, preload: tuple[str, ...], count: int = 20) -> tuple[float, float]:
    """Median seconds a submission's sandbox adds before its work: (warm worker, cold worker),
    each its first call's time less a later call's."""
    root = Path(tempfile.mkdtemp(prefix="bench-start-"))
    found = {True: [], False: []}
    for i in range(count):
        for warm in (True, False):
            folder = root / f"s{i}-{warm}"
            folder.mkdir()
            (folder / "student.py").write_text(module_source)
            with Sandbox(folder, "student", preload=preload, warm=warm) as box:
                first = timed(lambda: box.call("call", 1, target="f", label="f", timeout=60))
                later = timed(lambda: box.call("call", 1, target="f", label="f", timeout=60))
            found[warm].append(max(0.0, first - later))  # < 0: its child was forked while we waited
    shutil.rmtree(root, ignore_errors=True)
    return statistics.median(found[True][1:]), statistics.median(found[False])


def measure(assignment_id: str) -> dict:
    count = COUNTS[assignment_id]
    course = Path(tempfile.mkdtemp(prefix="bench-nbgrader-"))
    nbgrader_export.main(assignment_id=assignment_id, course_dir=course)
    run(BIN / "nbgrader", "generate_assignment", assignment_id, cwd=course)
    folders = submissions(assignment_id, count, course)
    nbgrader = timed(lambda: run(BIN / "nbgrader", "autograde", assignment_id, cwd=course)) / count
    command = sum(timed(lambda: run(BIN / "course", "grade", assignment_id, "--submission", folder,
                                    "--format", "json", "--allow-unisolated")) for folder in folders) / count
    batch_each = grade_all(assignment_id, folders) / count
    figures = {"count": count, "nbgrader": nbgrader, "command": command, "batch": batch_each}
    if assignment_id == "assignment1":
        figures["per_minute"] = 60 * CLASS / grade_all(assignment_id, folders, copies=CLASS // count)
    shutil.rmtree(course, ignore_errors=True)
    return figures


def main(ids: list[str]) -> None:
    print(f"per submission, {WORKERS} workers for grade-all, on {os.cpu_count()} cores; ratios to nbgrader "
          f"autograde in the same run")
    print(f"{'assignment':<12} {'n':>3} {'nbgrader':>9} {'course grade':>13} {'ratio':>6} "
          f"{'grade-all':>10} {'ratio':>6}")
    verdicts = []
    for assignment_id in ids:
        f = measure(assignment_id)
        print(f"{assignment_id:<12} {f['count']:>3} {f['nbgrader']:>7.2f} s {f['command']:>11.2f} s "
              f"{f['nbgrader'] / f['command']:>5.1f}x {f['batch']:>8.2f} s {f['nbgrader'] / f['batch']:>5.1f}x")
        verdicts.append(f"{assignment_id}: command >= 5x {'MET' if f['nbgrader'] / f['command'] >= 5 else 'MISSED'}, "
                        f"grade-all >= 20x {'MET' if f['nbgrader'] / f['batch'] >= 20 else 'MISSED'}")
        if "per_minute" in f:
            verdicts.append(f"assignment1 grade-all: {f['per_minute']:.0f} submissions a minute with {WORKERS} "
                            f"workers ({CLASS} submissions): >= 300 {'MET' if f['per_minute'] >= 300 else 'MISSED'}")
    warm, cold = sandbox_start_up("import numpy as np\nimport pandas as pd\n\ndef f(x):\n    return x + 1\n",
                                  ("numpy", "pandas"))
    verdicts.append(f"sandbox start-up per submission (preloads numpy, pandas): warm worker {warm * 1e3:.1f} ms, "
                    f"a worker of its own {cold * 1e3:.1f} ms: <= 50 ms "
                    f"{'MET' if warm <= 0.050 else 'MISSED'}")
    print("\n".join(verdicts))


if __name__ == "__main__":
    main(sys.argv[1:] or list(COUNTS))
