"""Grading a class on a Dask cluster: the grades of one machine, lost workers, GPU placement,
the preflight. One local cluster of 2 worker processes serves the module."""
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import distributed
import pytest

import grader
from course_lib.errors import CourseError
from grader import batch, cluster as dask_cluster, course
from tests.grader.test_batch import make_class
from tests.hostile.test_bad_entries import COURSE, assert_every_bad_entry_costs_only_its_student, bad_class
from tests.support import corpus_of

BROKEN, = corpus_of("assignment1", "BROKEN")

ROOT = Path(__file__).resolve().parents[2]
A3 = course.get("assignment3")


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    folder = tmp_path_factory.mktemp("class")
    return folder, make_class(folder)


@pytest.fixture(scope="module")
def local_cluster():
    """(scheduler address, a client of it): 2 worker processes of 1 thread, as `--cluster local:2`."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        yield cluster.scheduler_address, client


@pytest.fixture
def cluster(local_cluster):
    """The module's cluster with both workers up (a test may have killed one: its nanny restarts it)."""
    address, client = local_cluster
    client.wait_for_workers(2, timeout=60)
    return address, client


def run(folder, book, data_dir, time_scale=0.1, **kw):
    return batch.main(assignment_id=kw.pop("assignment_id", "assignment1"), submissions=folder, gradebook=book,
                      data_dir=data_dir, time_scale=time_scale, progress=False, **kw)


def grades(summary) -> dict:
    return {s: (r["score"], [(c["id"], c["status"]) for c in r["checks"]]) for s, r, _ in summary.graded}


def rows_per_student(book: Path) -> dict:
    try:
        with sqlite3.connect(book) as db:
            return dict(db.execute("SELECT student, count(*) FROM grades GROUP BY run_id, student"))
    except sqlite3.OperationalError:  # not created yet
        return {}


def kill_a_busy_worker(client, book: Path, after_rows: int, student_prefix: str = "") -> tuple[threading.Thread, dict]:
    """A thread that, once `after_rows` grades are in the gradebook, SIGKILLs a worker process
    while it grades a student whose name starts with `student_prefix`; and what it did."""
    pids = client.run(os.getpid)
    killed = {}

    def kill():
        deadline = time.monotonic() + 90
        while len(rows_per_student(book)) < after_rows and time.monotonic() < deadline:
            time.sleep(0.05)
        while time.monotonic() < deadline:
            for worker, keys in client.processing().items():
                mine = [k for k in keys if k.startswith(f"grade-assignment1-{student_prefix}")]
                if mine and worker in pids:
                    killed.update(worker=worker, keys=mine, rows=len(rows_per_student(book)))
                    os.kill(pids[worker], signal.SIGKILL)
                    return
            time.sleep(0.02)

    thread = threading.Thread(target=kill, daemon=True)
    thread.start()
    return thread, killed


@pytest.mark.slow  # grades a class of 30 on the cluster and on one machine
def test_a_class_on_two_dask_workers_gets_the_grades_of_one_machine(klass, cluster, tmp_path, data_dir):
    folder, expected = klass
    address, client = cluster
    assert len(expected) >= 20  # folders, a zip, a lone .py, nbgrader's layout, broken and looping code
    on_one = run(folder, tmp_path / "pool.sqlite", data_dir, workers=2)
    on_dask = run(folder, tmp_path / "dask.sqlite", data_dir, cluster=address)
    for summary in (on_one, on_dask):
        assert summary.finished and not summary.failed
    assert grades(on_dask) == grades(on_one)
    assert {s: score for s, (score, _) in grades(on_dask).items()} == expected
    reports = {s: r for s, r, _ in on_dask.graded}
    assert {r["environment"]["dask_worker"] for r in reports.values()} == set(client.scheduler_info()["workers"])
    assert {s: r["submission"] for s, r, _ in on_one.graded} == {s: r["submission"] for s, r in reports.items()}
    assert rows_per_student(tmp_path / "dask.sqlite") == dict.fromkeys(expected, 1)


def part_of(klass, count: int, into: Path) -> tuple[Path, dict]:
    """The first `count` submissions of the class, copied into `into`; with their expected scores."""
    folder, expected = klass
    names = sorted(expected)[:count]
    into.mkdir()
    for entry in folder.iterdir():
        if entry.stem in names:
            (shutil.copytree if entry.is_dir() else shutil.copy2)(entry, into / entry.name)
    return into, {name: expected[name] for name in names}


def test_a_worker_killed_midway_loses_nothing_and_grades_nothing_twice(klass, cluster, tmp_path, data_dir):
    folder, expected = part_of(klass, 14, tmp_path / "class")
    address, client = cluster
    book = tmp_path / "gb.sqlite"
    thread, killed = kill_a_busy_worker(client, book, after_rows=3)
    summary = run(folder, book, data_dir, cluster=address)
    thread.join()
    assert killed and 3 <= killed["rows"] < len(expected), "the kill must land midway, on a busy worker"
    assert summary.finished and not summary.failed  # Dask ran the lost worker's tasks elsewhere
    assert rows_per_student(book) == dict.fromkeys(expected, 1)
    with sqlite3.connect(book) as db:
        assert db.execute("SELECT count(*) FROM runs WHERE finished_at IS NOT NULL").fetchone() == (1,)
    assert {s: r["score"] for s, r, _ in summary.graded} == expected
    assert killed["worker"] not in {r["environment"]["dask_worker"] for s, r, _ in summary.graded
                                    if any(k.startswith(f"grade-assignment1-{s}-") for k in killed["keys"])}


def test_a_submission_whose_worker_dies_too_often_is_listed_failed_then_resumed(cluster, tmp_path, data_dir):
    address, client = cluster
    folder, book = tmp_path / "class", tmp_path / "gb.sqlite"
    for name in ("ann", "bob", "cat"):
        shutil.copytree(course.get("assignment1").solution_dir, folder / name)
    (folder / "zz_loops").mkdir()
    (folder / "zz_loops" / "linear_regression.py").write_text(BROKEN["loops_at_import"][0])
    everyone = {"ann", "bob", "cat", "zz_loops"}
    allowed = client.run_on_scheduler(lambda dask_scheduler: dask_scheduler.allowed_failures)
    client.run_on_scheduler(lambda dask_scheduler: setattr(dask_scheduler, "allowed_failures", 0))
    try:  # no retry: a task whose worker is lost fails with KilledWorker
        thread, killed = kill_a_busy_worker(client, book, after_rows=0, student_prefix="zz_loops")
        summary = run(folder, book, data_dir, time_scale=0.15, cluster=address)
        thread.join()
    finally:
        client.run_on_scheduler(lambda dask_scheduler: setattr(dask_scheduler, "allowed_failures", allowed))
    assert killed, "the looping submission's worker was not killed"
    failed = {student for student, _ in summary.failed}
    assert "zz_loops" in failed and all("KilledWorker" in error for _, error in summary.failed)
    assert failed | {s for s, _, _ in summary.graded} == everyone and not summary.finished
    assert rows_per_student(book) == dict.fromkeys(everyone - failed, 1)  # the failed ones: not recorded
    assert "could not grade zz_loops: distributed.scheduler.KilledWorker" in "\n".join(
        batch.describe(summary, "assignment1"))

    client.wait_for_workers(2, timeout=60)
    resumed = run(folder, book, data_dir, time_scale=0.15, cluster=address, resume=True)
    assert resumed.finished and {s for s, _, _ in resumed.graded} == failed
    assert rows_per_student(book) == dict.fromkeys(everyone, 1)


def test_bad_entries_cost_only_their_students_on_the_cluster_too(cluster, tmp_path, data_dir):
    address, _ = cluster
    bad = bad_class(tmp_path / "class", tmp_path / "outside")
    (tmp_path / "course.toml").write_text(COURSE)
    summary = run(tmp_path / "class", tmp_path / "gb.sqlite", data_dir, cluster=address,
                  course_file_path=tmp_path / "course.toml")
    assert_every_bad_entry_costs_only_its_student(summary, tmp_path / "gb.sqlite", bad)


def a3_class(folder: Path) -> Path:
    shutil.copytree(A3.solution_dir, folder / "reference")
    shutil.copytree(A3.stub_dir, folder / "stub")
    return folder


def test_without_a_gpu_worker_pytorch_checks_run_on_the_cpu_and_the_report_says_so(cluster, tmp_path):
    address, _ = cluster
    summary = run(a3_class(tmp_path / "class"), tmp_path / "gb.sqlite", None, time_scale=1.0,
                  assignment_id="assignment3", cluster=address)
    assert summary.finished and not summary.failed
    reports = {s: r for s, r, _ in summary.graded}
    assert reports["reference"]["score"] == reports["reference"]["max_score"] > 0 and reports["stub"]["score"] == 0
    for report in reports.values():
        assert report["environment"]["device"] == "cpu"
        assert dask_cluster.NO_GPU_WORKER in report["notes"]


def test_pytorch_checks_go_to_workers_with_a_gpu_resource(tmp_path, monkeypatch):
    submitted = []
    original = distributed.Client.submit

    def submit(self, *args, **kwargs):
        submitted.append(kwargs.get("resources"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(distributed.Client, "submit", submit)
    folder = tmp_path / "class"
    shutil.copytree(A3.stub_dir, folder / "stub")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0",
                                  resources={"GPU": 1}) as gpu_cluster:
        summary = run(folder, tmp_path / "gb.sqlite", None, time_scale=1.0, assignment_id="assignment3",
                      cluster=gpu_cluster.scheduler_address)
    assert submitted == [{"GPU": 1}] and summary.finished
    (_, report, _), = summary.graded
    import torch
    if torch.cuda.is_available():  # a worker with a real GPU grades on it
        assert report["environment"]["device"] == "cuda" and report["notes"] == []
    else:  # this machine: the worker declares a GPU that PyTorch cannot see, and falls back
        assert report["environment"]["device"] == "cpu"
        assert any("declares a GPU resource, but PyTorch" in note and "sees no CUDA device" in note
                   for note in report["notes"])


def test_a_worker_without_the_data_dir_stops_the_batch_before_grading(klass, cluster, tmp_path):
    folder, _ = klass
    address, client = cluster
    missing = tmp_path / "not-there"
    with pytest.raises(CourseError) as error:
        run(folder, tmp_path / "gb.sqlite", missing, cluster=address)
    message = str(error.value)
    for worker in client.scheduler_info()["workers"]:
        assert f"Dask worker {worker} cannot grade assignment1: the --data-dir folder {missing} does not exist" \
               in message
    assert "leave --data-dir out and set COURSE_DATA_DIR on each worker" in message
    assert rows_per_student(tmp_path / "gb.sqlite") == {}
    with sqlite3.connect(tmp_path / "gb.sqlite") as db:  # and no empty run left for --resume to find
        assert db.execute("SELECT count(*) FROM runs").fetchone() == (0,)


def test_a_worker_with_another_grader_version_is_named_with_the_fix(klass, cluster, tmp_path, data_dir, monkeypatch):
    folder, _ = klass
    address, client = cluster
    monkeypatch.setattr(grader, "__version__", "9.9.9")  # what this side runs; the workers have the real one
    with pytest.raises(CourseError, match=r"Dask worker tcp://\S+ cannot grade assignment1: it has grader "
                                          r"\S+, not 9\.9\.9; install the same version there: "
                                          r"pip install 'course-grader\[cluster\]==9\.9\.9'"):
        run(folder, tmp_path / "gb.sqlite", data_dir, cluster=address)
    assert rows_per_student(tmp_path / "gb.sqlite") == {}


def test_cli_local_cluster_without_the_datasets_names_the_worker_and_the_fix(tmp_path):
    folder = tmp_path / "class"
    shutil.copytree(course.get("assignment1").solution_dir, folder / "ann")
    env = dict(os.environ, COURSE_DATA_DIR="", COURSE_CACHE_DIR=str(tmp_path / "empty-cache"))
    result = subprocess.run([sys.executable, "-m", "grader.cli", "grade-all", "assignment1", str(folder),
                             "--cluster", "local:1", "--gradebook", str(tmp_path / "gb.sqlite")],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Error: Dask worker tcp://127.0.0.1:" in result.stderr
    assert "cannot grade assignment1: dataset 'air_quality' not found" in result.stderr
    assert "course data fetch air_quality" in result.stderr and "Traceback" not in result.stderr


def test_bad_cluster_options_and_a_missing_dask_say_what_to_do(tmp_path, monkeypatch, data_dir):
    folder = tmp_path / "class"
    shutil.copytree(course.get("assignment1").solution_dir, folder / "ann")
    with pytest.raises(CourseError, match="write local:N with N >= 1"):
        run(folder, tmp_path / "gb.sqlite", data_dir, cluster="local:two")
    with pytest.raises(CourseError, match="Give one of them"):
        run(folder, tmp_path / "gb.sqlite", data_dir, cluster="local:2", workers=2)
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if Dask were not installed
    with pytest.raises(CourseError, match=r"install the cluster extra: pip install 'course-grader\[cluster\]'"):
        run(folder, tmp_path / "gb.sqlite", data_dir, cluster="local:1")
