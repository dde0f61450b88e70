"""Per-submission wall time of `nbgrader autograde` against `course grade`, same 10 notebooks.

The 10 submissions of assignment 1 are the reference and 9 known mistakes, submitted as
nbgrader notebooks. nbgrader autogrades all 10 in one command (its test cells call our
checks); `course grade` is timed once per submission as a command (start-up included) and
once as a loop in one process (how batch grading runs). Target: course grade >= 5x faster.
Run: COURSE_DATA_DIR=../shared/data .venv/bin/python benchmarks/nbgrader_vs_course.py
"""
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader import course as courses, nbgrader_export  # noqa: E402
from grader.grade import grade_submission  # noqa: E402
from tests.support import corpus_of  # noqa: E402

MISTAKES, = corpus_of("assignment1", "MISTAKES")

BIN = Path(sys.executable).parent
ENV = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")


def main():
    course = Path(tempfile.mkdtemp(prefix="bench-nbgrader-"))
    nbgrader_export.main(assignment_id="assignment1", course_dir=course)
    subprocess.run([BIN / "nbgrader", "generate_assignment", "assignment1"], cwd=course, env=ENV,
                   check=True, capture_output=True)
    edits = [()] + [m.edits for _, m in sorted(MISTAKES.items())][:9]
    folders = [nbgrader_export.fill_release(course, "assignment1", f"s{i:02d}", e) for i, e in enumerate(edits)]

    start = time.perf_counter()
    subprocess.run([BIN / "nbgrader", "autograde", "assignment1"], cwd=course, env=ENV, check=True,
                   capture_output=True)
    nbgrader_each = (time.perf_counter() - start) / len(folders)

    start = time.perf_counter()
    for folder in folders:
        subprocess.run([BIN / "course", "grade", "assignment1", "--submission", str(folder), "--format", "json"],
                       env=ENV, check=True, capture_output=True)
    command_each = (time.perf_counter() - start) / len(folders)

    a1 = courses.get("assignment1")
    grade_submission(a1, folders[0])  # warm: data loaded once per process, as in a batch
    start = time.perf_counter()
    for folder in folders:
        grade_submission(a1, folder)
    loop_each = (time.perf_counter() - start) / len(folders)

    print(f"10 submissions of assignment1 (reference + 9 mistakes), per submission:")
    print(f"  nbgrader autograde (one command)     {nbgrader_each:6.2f} s  (baseline)")
    print(f"  course grade, one command each       {command_each:6.2f} s  {nbgrader_each / command_each:5.1f}x faster")
    print(f"  course grade, in one process         {loop_each:6.2f} s  {nbgrader_each / loop_each:5.1f}x faster")
    print(f"  target >= 5x: command {'MET' if nbgrader_each / command_each >= 5 else 'MISSED'}, "
          f"in-process {'MET' if nbgrader_each / loop_each >= 5 else 'MISSED'}")


if __name__ == "__main__":
    main()
