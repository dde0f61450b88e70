"""Grading a class: 30+ submissions of mixed quality, 1 and 2 workers, kill and resume."""
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from grader import batch, course
from grader.gradebook import Gradebook
from tests.support import corpus_of, write_mutant

BROKEN, CORRECT, MISTAKES = corpus_of("assignment1", "BROKEN", "CORRECT", "MISTAKES")

A1 = course.get("assignment1")
ROOT = Path(__file__).resolve().parents[2]
FULL = 25.0


def make_class(folder: Path) -> dict[str, float]:
    """33 submissions in every shape grade-all takes; student id -> expected score."""
    expected = {}
    reference = (A1.solution_dir / "linear_regression.py").read_text()
    for i in range(5):
        write_mutant("assignment1", CORRECT["solve"], folder / f"correct{i}")
        expected[f"correct{i}"] = FULL
    for name, mutant in MISTAKES.items():
        write_mutant("assignment1", mutant, folder / name)
        expected[name] = FULL - sum(c.points for c in A1.rubric.checks if c.id in mutant.breaks)
    for name, (source, _, _) in BROKEN.items():
        (folder / name).mkdir()
        (folder / name / "linear_regression.py").write_text(source)
        expected[name] = 0.0
    shutil.copytree(A1.stub_dir, folder / "untouched")
    expected["untouched"] = 0.0
    (folder / "empty").mkdir()
    expected["empty"] = 0.0
    with zipfile.ZipFile(folder / "zipped.zip", "w") as z:
        z.writestr("work/linear_regression.py", reference)
    expected["zipped"] = FULL
    (folder / "lonefile.py").write_text(reference)
    expected["lonefile"] = FULL
    nbgrader_like = folder / "nbstudent" / "assignment1"
    nbgrader_like.mkdir(parents=True)
    (nbgrader_like / "linear_regression.py").write_text(reference)
    expected["nbstudent"] = FULL
    for i in range(3):
        (folder / f"slow{i}").mkdir()
        (folder / f"slow{i}" / "linear_regression.py").write_text(
            reference.replace("def mae(y_true, y_pred):\n", "def mae(y_true, y_pred):\n    while True:\n        pass\n"))
        expected[f"slow{i}"] = FULL - 1
    return expected


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    return folder, make_class(folder)


def run(folder, gradebook, workers, data_dir, **kw):
    return batch.main(assignment_id="assignment1", submissions=folder, gradebook=gradebook, workers=workers,
                      data_dir=data_dir, time_scale=0.1, progress=False, **kw)


@pytest.fixture(scope="module")
def graded(klass, tmp_path_factory, data_dir):
    """The class graded once with 1 worker and once with 2: (summary, gradebook) for each."""
    folder, _ = klass
    books = tmp_path_factory.mktemp("books")
    return {workers: (run(folder, books / f"gb{workers}.sqlite", workers, data_dir), books / f"gb{workers}.sqlite")
            for workers in (1, 2)}


@pytest.mark.slow  # grades a class of 30, twice
def test_one_and_two_workers_grade_every_submission_identically(klass, graded):
    _, expected = klass
    assert len(expected) >= 30
    results = {}
    for workers, (summary, _) in graded.items():
        assert summary.finished and not summary.failed
        results[workers] = {s: (r["score"], [c["status"] for c in r["checks"]]) for s, r, _ in summary.graded}
    assert results[1] == results[2]
    assert {s: score for s, (score, _) in results[1].items()} == expected


def test_an_unchanged_submission_is_not_regraded_and_a_regrade_keeps_history(tmp_path, data_dir):
    folder, book = tmp_path / "class", tmp_path / "gb.sqlite"
    write_mutant("assignment1", CORRECT["lstsq"], folder / "ann")
    write_mutant("assignment1", MISTAKES["rmse_without_sqrt"], folder / "bob")
    first = run(folder, book, 2, data_dir)
    assert sorted(s for s, _, _ in first.graded) == ["ann", "bob"]
    again = run(folder, book, 2, data_dir)
    assert again.graded == [] and sorted(again.unchanged) == ["ann", "bob"]
    (folder / "ann" / "linear_regression.py").write_text("broken = (\n")
    changed = run(folder, book, 2, data_dir)
    assert [s for s, _, _ in changed.graded] == ["ann"]
    forced = run(folder, book, 2, data_dir, regrade=True)
    assert len(forced.graded) == 2
    with Gradebook(book) as gb:
        assert [g.score for g in gb.history("assignment1", "ann")] == [FULL, 0.0, 0.0]
        assert [g.score for g in gb.history("assignment1", "bob")] == [FULL - 1, FULL - 1]
        assert gb.latest("assignment1")["ann"].score == 0.0 and gb.count("assignment1") == 5


def graded_rows(book: Path) -> int:
    try:
        with sqlite3.connect(book) as db:
            return db.execute("SELECT count(*) FROM grades").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.mark.slow  # grades a class of 30, twice
def test_a_killed_batch_resumes_and_grades_everyone_exactly_once(klass, tmp_path, data_dir):
    folder, expected = klass
    book = tmp_path / "gb.sqlite"
    command = [sys.executable, "-m", "grader.cli", "grade-all", "assignment1", str(folder), "--workers", "1",
               "--gradebook", str(book), "--time-scale", "0.1", "--data-dir", str(data_dir)]
    process = subprocess.Popen(command, cwd=ROOT, start_new_session=True,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while graded_rows(book) < 5 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.1)
    os.killpg(process.pid, signal.SIGKILL)  # the whole batch, workers and sandboxes included
    process.wait()
    partial = graded_rows(book)
    assert 5 <= partial < len(expected), "the kill must land midway"

    resumed = subprocess.run(command + ["--resume"], cwd=ROOT, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    assert f"{partial} already graded in this run" in resumed.stdout
    with sqlite3.connect(book) as db:
        rows = db.execute("SELECT run_id, student, count(*) FROM grades GROUP BY run_id, student").fetchall()
        finished = db.execute("SELECT finished_at FROM runs").fetchall()
    assert len(rows) == len(expected) and {r[0] for r in rows} == {1} and all(r[2] == 1 for r in rows)
    assert finished[0][0] is not None
    with Gradebook(book) as gb:
        assert {s: g.score for s, g in gb.latest("assignment1").items()} == expected


def test_resume_without_an_unfinished_run_says_so(tmp_path, data_dir):
    from course_lib.errors import CourseError
    (tmp_path / "class").mkdir()
    with pytest.raises(CourseError, match="no unfinished run"):
        run(tmp_path / "class", tmp_path / "gb.sqlite", 1, data_dir, resume=True)


@pytest.mark.slow  # grades a class of 30, twice
def test_export_writes_the_newest_grade_per_student(klass, graded, tmp_path):
    _, expected = klass
    book = graded[2][1]
    out = tmp_path / "grades.csv"
    result = subprocess.run([sys.executable, "-m", "grader.cli", "gradebook", "export", "--gradebook", str(book),
                             "--out", str(out)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    lines = out.read_text().splitlines()
    assert lines[0].startswith("student,assignment,score,max_score,percent")
    assert len(lines) == len(expected) + 1
    assert any(line.startswith("zipped,assignment1,25.0,25.0,100.0,1,") for line in lines)


def test_unsafe_zips_are_refused_without_stopping_the_batch(tmp_path, data_dir):
    folder = tmp_path / "class"
    folder.mkdir()
    with zipfile.ZipFile(folder / "evil.zip", "w") as z:
        z.writestr("../../escaped.py", "x = 1\n")
    shutil.copytree(A1.solution_dir, folder / "good")
    summary = run(folder, tmp_path / "gb.sqlite", 1, data_dir)
    assert [s for s, _, _ in summary.graded] == ["good"]
    assert summary.refused[0][0] == "evil" and "unsafe path ../../escaped.py" in summary.refused[0][1]
    assert not (tmp_path / "escaped.py").exists() and summary.finished and not summary.failed
    with Gradebook(tmp_path / "gb.sqlite") as gb:  # evil's reason is its grade: 0 points, every check
        evil = gb.latest("assignment1")["evil"]
        assert evil.score == 0 and {c["message"] for c in evil.report["checks"]} == {summary.refused[0][1]}


def test_a_time_scale_of_zero_is_refused_before_anything_is_recorded(tmp_path, data_dir):
    from course_lib.errors import CourseError
    write_mutant("assignment1", CORRECT["lstsq"], tmp_path / "class" / "ann")
    with pytest.raises(CourseError, match="time scale 0"):
        batch.main(assignment_id="assignment1", submissions=tmp_path / "class", gradebook=tmp_path / "gb.sqlite",
                   workers=1, data_dir=data_dir, time_scale=0, progress=False)
    assert not (tmp_path / "gb.sqlite").exists()


def test_limits_too_short_for_even_the_reference_grade_nothing_final_and_the_next_run_grades_again(tmp_path, data_dir):
    folder, book = tmp_path / "class", tmp_path / "gb.sqlite"
    write_mutant("assignment1", CORRECT["lstsq"], folder / "ann")
    (folder / "bob").mkdir()
    (folder / "bob" / "linear_regression.py").write_text("while True:\n    pass\n")
    rushed = batch.main(assignment_id="assignment1", submissions=folder, gradebook=book, workers=1,
                        data_dir=data_dir, time_scale=1e-6, progress=False)
    assert sorted(s for s, _, _ in rushed.graded) == ["ann", "bob"]
    for _, report, _ in rushed.graded:
        assert not report["complete"] and {c["status"] for c in report["checks"]} == {"grader_error"}
        assert "even the reference solution runs past the time limits" in report["checks"][0]["message"]
    again = run(folder, book, 1, data_dir)  # limits the reference meets: bob's endless loop is his own
    assert sorted(s for s, _, _ in again.graded) == ["ann", "bob"] and again.unchanged == []
    with Gradebook(book) as gb:
        latest = gb.latest("assignment1")
        assert (latest["ann"].score, latest["ann"].complete) == (FULL, True)
        assert (latest["bob"].score, latest["bob"].complete) == (0.0, True)
        assert {c["status"] for c in latest["bob"].report["checks"]} == {"timeout"}


def graded_report(score: float, checks: list[tuple[str, str, str]]) -> dict:
    """A stored report of `checks` [(id, status, message)], for the summary."""
    return {"score": score, "max_score": 25.0, "complete": all(s != "grader_error" for _, s, _ in checks),
            "adjustments": [], "checks": [{"id": i, "status": s, "message": m, "duration_s": 0.5} for i, s, m in checks]}


def test_the_summary_says_why_each_failing_submission_failed():
    syntax = "linear_regression.py has a SyntaxError: invalid syntax (linear_regression.py, line 1)."
    summary = batch.Summary(found=3, run_id=1, finished=True, graded=[
        ("ann", graded_report(25, [("a", "passed", "correct")]), 1.0),
        ("bob", graded_report(0, [(f"c{i}", "error", syntax) for i in range(18)]), 0.1),
        ("cho", graded_report(3, [("metrics.mae", "passed", "correct")] + [
            (f"m{i}", "not_implemented", f"m{i} is not implemented yet") for i in range(7)]
            + [("end_to_end.r2", "grader_error", "the grader failed")]), 2.0)])
    lines = batch.describe(summary, "assignment1")
    assert f"  bob 0/25: {syntax}" in lines and sum(syntax in line for line in lines) == 1
    assert "  cho 3/25 incomplete: not_implemented m0, m1, m2, m3 (+3 more); grader_error end_to_end.r2" in lines
    assert not any(line.startswith("  ann") for line in lines)


def test_the_statistics_after_resume_cover_the_whole_run():
    summary = batch.Summary(found=3, run_id=1, finished=True, already=["ann", "bob"],
                            earlier=[("ann", graded_report(25, []), 1.0), ("bob", graded_report(25, []), 1.0)],
                            graded=[("cho", graded_report(0, [("a", "failed", "no")]), 1.0)])
    lines = batch.describe(summary, "assignment1")
    assert "score of the 3 graded in this run, 2 of them before --resume: mean 66.7%, median 100.0%" in lines
    assert batch.histogram(summary.scores())[-1].endswith(" 2") and "slowest: " in "\n".join(lines)


def test_an_empty_submissions_folder_is_a_warning_not_a_silent_zero(tmp_path, data_dir):
    (tmp_path / "class").mkdir()
    (tmp_path / "class" / "notes.txt").write_text("not a submission")
    summary = run(tmp_path / "class", tmp_path / "gb.sqlite", 1, data_dir)
    lines = batch.describe(summary, "assignment1")
    assert summary.found == 0 and any(line.startswith(f"warning: no submission found in {tmp_path / 'class'}")
                                      for line in lines)
    assert any("skipped 1 entries" in line and "notes.txt" in line for line in lines)
    shutil.copytree(A1.solution_dir, tmp_path / "class" / "kim")
    assert not any("warning" in line for line in batch.describe(run(tmp_path / "class", tmp_path / "gb.sqlite", 1,
                                                                    data_dir), "assignment1"))


def test_a_resumed_run_counts_what_it_graded_before_in_its_statistics(tmp_path, data_dir):
    folder, book = tmp_path / "class", tmp_path / "gb.sqlite"
    shutil.copytree(A1.solution_dir, folder / "ann")
    write_mutant("assignment1", MISTAKES["rmse_without_sqrt"], folder / "bob")
    (folder / "cho").mkdir()
    (folder / "cho" / "linear_regression.py").write_text("broken = (\n")
    run(folder, book, 1, data_dir)
    with sqlite3.connect(book) as db:  # as if killed after grading ann and bob
        db.execute("DELETE FROM grades WHERE student = 'cho'")
        db.execute("UPDATE runs SET finished_at = NULL")
    resumed = run(folder, book, 1, data_dir, resume=True)
    assert [s for s, _, _ in resumed.graded] == ["cho"] and sorted(s for s, _, _ in resumed.earlier) == ["ann", "bob"]
    assert sorted(resumed.scores()) == [0.0, 96.0, 100.0]
    lines = batch.describe(resumed, "assignment1")
    assert any(line.startswith("score of the 3 graded in this run, 2 of them before --resume") for line in lines)
    assert any(line.startswith("  cho 0/25: linear_regression.py has a SyntaxError") for line in lines)


def test_workers_split_the_cores_between_their_thread_pools(monkeypatch):
    """Each local worker's BLAS and OpenMP pools get cores // workers threads (at least one),
    unless the instructor chose; the setting goes with the pool."""
    from grader.batch import THREAD_VARIABLES, threads_split
    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MKL_NUM_THREADS", "3")  # the instructor's own choice stays
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    with threads_split(4):
        assert (os.environ["OMP_NUM_THREADS"], os.environ["OPENBLAS_NUM_THREADS"]) == ("2", "2")
        assert os.environ["MKL_NUM_THREADS"] == "3"
    assert "OMP_NUM_THREADS" not in os.environ and os.environ["MKL_NUM_THREADS"] == "3"
    with threads_split(16):
        assert os.environ["OMP_NUM_THREADS"] == "1"
