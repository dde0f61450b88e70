"""`course grade-all`: a class's submissions graded in parallel into the gradebook.

SUBMISSIONS holds one folder, zip or notebook per student (the name is the student id), or
nbgrader's `submitted/<student>/<id>/` layout. Local worker processes grade, or a Dask
cluster's workers (`cluster`, grader/cluster.py); either way only this process writes the
gradebook, one transaction per report as it arrives (`_collect`). One bad submission never
stops the batch: student code fails its checks inside the sandbox, and a grading that dies
is listed and left ungraded, so `--resume` grades it again.
"""
from __future__ import annotations

import concurrent.futures as futures
import contextlib
import hashlib
import multiprocessing
import os
import statistics
import tempfile
import traceback
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

import grader
from course_lib.errors import CourseError
from grader import assignments, course_file
from grader.gradebook import Gradebook

MAX_UNZIPPED_BYTES = 200 << 20


@dataclass(frozen=True)
class Submission:
    student: str
    path: Path  # a folder, a notebook or a zip


def discover(root: Path, assignment) -> list[Submission]:
    """One submission per entry of `root`, sorted by student id."""
    if not Path(root).is_dir():
        raise CourseError(f"submissions folder {root} does not exist; give the folder that holds "
                          f"one folder, zip or notebook per student.")
    found = []
    for entry in sorted(Path(root).iterdir()):
        if entry.name.startswith((".", "_")):
            continue
        if entry.is_dir():
            nbgrader_dir = entry / assignment.id
            found.append(Submission(entry.name, nbgrader_dir if nbgrader_dir.is_dir() else entry))
        elif entry.suffix in (".zip", ".ipynb", ".py"):
            found.append(Submission(entry.stem, entry))
    return found


def content_sha256(path: Path) -> str:
    """A digest of the submission's files (names and bytes), the same for a folder or its zip."""
    digest = hashlib.sha256()
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as z:
            items = sorted((i.filename, i) for i in z.infolist() if not i.is_dir())
            for name, info in items:
                digest.update(name.encode() + b"\0" + z.read(info) + b"\0")
    elif path.is_dir():
        for file in sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
            digest.update(str(file.relative_to(path)).encode() + b"\0" + file.read_bytes() + b"\0")
    else:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _unzip(path: Path, into: Path) -> Path:
    """Extract a student's zip safely (no absolute or parent paths, bounded size); the folder to grade."""
    with zipfile.ZipFile(path) as z:
        members = [i for i in z.infolist() if not i.is_dir()]
        if sum(i.file_size for i in members) > MAX_UNZIPPED_BYTES:
            raise CourseError(f"{path.name} unpacks to more than {MAX_UNZIPPED_BYTES >> 20} MB")
        for info in members:
            target = (into / info.filename).resolve()
            if not target.is_relative_to(into.resolve()):
                raise CourseError(f"{path.name} holds an unsafe path {info.filename!r}")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(z.read(info))
    entries = [p for p in into.iterdir() if not p.name.startswith(("__MACOSX", "."))]
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else into


def grade_one(assignment_id: str, submission: Path, options: dict) -> dict:
    """Grade in a worker process; the report as plain JSON data."""
    from grader.grade import grade_submission
    assignment = assignments.get(assignment_id)
    options = dict(options, submitted_at=course_file.submitted_at(submission))
    with tempfile.TemporaryDirectory(prefix="course-batch-") as tmp:
        folder = submission
        if submission.suffix == ".zip":
            folder = _unzip(submission, Path(tmp))
        elif submission.suffix == ".py":  # a lone module file, whatever its name
            folder = Path(tmp)
            (folder / f"{assignment.module}.py").write_bytes(submission.read_bytes())
        report = grade_submission(assignment, folder, **options).to_dict()
    report["submission"] = str(submission)
    return report


@dataclass
class Summary:
    graded: list = field(default_factory=list)  # (student, report dict, seconds)
    unchanged: list = field(default_factory=list)
    already: list = field(default_factory=list)
    failed: list = field(default_factory=list)  # (student, error text)
    run_id: int = 0
    finished: bool = False

    def scores(self) -> list[float]:
        return [100 * r["score"] / r["max_score"] for _, r, _ in self.graded if r["max_score"]]


def main(*, assignment_id: str, submissions: Path, gradebook: Path, workers: int | None = None,
         resume: bool = False, regrade: bool = False, data_dir=None, time_scale: float = 1.0,
         course_file_path: Path | None = None, progress: bool = True, cluster: str | None = None) -> Summary:
    """Grade what needs grading into the gradebook; `cluster`: a Dask scheduler's address or local:N."""
    assignment = assignments.get(assignment_id)
    if cluster and workers:
        raise CourseError("--workers sets the local process pool; with --cluster the cluster's workers grade "
                          "(local:N starts N). Give one of them.")
    found = discover(Path(submissions), assignment)
    workers = workers or os.cpu_count() or 1
    summary = Summary()
    with Gradebook(gradebook) as book:
        run_id = book.unfinished_run(assignment.id) if resume else None
        if resume and run_id is None:
            raise CourseError(f"no unfinished run of {assignment.id} in {gradebook} to resume; "
                              f"run without --resume to start one.")
        summary.run_id = run_id = run_id or book.start_run(assignment.id, grader.__version__)
        done, latest = book.graded_in_run(run_id), book.latest(assignment.id)
        todo = []
        for s in found:
            digest = content_sha256(s.path)
            previous = latest.get(s.student)
            if s.student in done:
                summary.already.append(s.student)
            elif (not regrade and previous and previous.content_sha256 == digest and previous.complete
                  and previous.report["grader_version"] == grader.__version__):
                summary.unchanged.append(s.student)
            else:
                todo.append((s, digest))
        options = {"data_dir": data_dir, "time_scale": time_scale,
                   "settings": course_file.load(course_file_path).get(assignment.id)}
        try:
            with _completed(assignment.id, todo, options, workers, cluster) as done:
                _collect(done, book, run_id, summary, progress, f"grading {assignment.id}", len(todo))
        except CourseError:  # e.g. a cluster worker lacks the data: nothing was graded
            if not resume:
                book.drop_run_if_empty(run_id)
            raise
        if not summary.failed:
            book.finish_run(run_id)
            summary.finished = True
    return summary


def _completed(assignment_id, todo, options, workers, cluster):
    """The gradings of `todo` as they finish, on the Dask cluster or in a local process pool."""
    if not todo:
        return contextlib.nullcontext(())
    if cluster:
        from grader import cluster as dask_cluster
        return dask_cluster.completed(assignment_id, todo, options, cluster)
    return _pool_completed(assignment_id, todo, options, workers)


@contextlib.contextmanager
def _pool_completed(assignment_id, todo, options, workers):
    """(future, (submission, digest)) for each submission of `todo` as its local worker process finishes."""
    context = multiprocessing.get_context("spawn")  # fresh workers: no inherited threads or state
    with futures.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending = {pool.submit(grade_one, assignment_id, s.path, options): (s, digest) for s, digest in todo}
        try:
            yield ((future, pending[future]) for future in futures.as_completed(pending))
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _collect(done, book, run_id, summary, show, title, total) -> None:
    """Write each report to the gradebook as it arrives; `done` yields (future, (submission, digest))."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn())
    with Progress(*columns, disable=not show) as bar:
        task = bar.add_task(title, total=total)
        for future, (s, digest) in done:
            try:
                report = future.result()
            except Exception:  # noqa: BLE001 - a dead worker or a grader crash; the rest goes on
                summary.failed.append((s.student, traceback.format_exc(limit=3)))
            else:
                book.record(run_id, s.student, digest, report)
                seconds = sum(c["duration_s"] for c in report["checks"])
                summary.graded.append((s.student, report, seconds))
            bar.advance(task)


def histogram(percents: list[float], bins: int = 10, width: int = 30) -> list[str]:
    counts = [0] * bins
    for p in percents:
        counts[min(bins - 1, int(p // (100 / bins)))] += 1
    top = max(counts) or 1
    step = 100 // bins
    return [f"{i * step:3d}-{(i + 1) * step:3d}%  {'#' * round(width * c / top):<{width}} {c}"
            for i, c in enumerate(counts)]


def describe(summary: Summary, assignment_id: str) -> list[str]:
    """The final summary: counts, mean, median, histogram, slowest and failing submissions."""
    lines = [f"{assignment_id}, run {summary.run_id}: {len(summary.graded)} graded, "
             f"{len(summary.unchanged)} unchanged (not regraded; --regrade to force), "
             f"{len(summary.already)} already graded in this run, {len(summary.failed)} failed to grade"]
    percents = summary.scores()
    if percents:
        lines.append(f"score: mean {statistics.mean(percents):.1f}%, median {statistics.median(percents):.1f}%")
        lines += histogram(percents)
        slowest = sorted(summary.graded, key=lambda g: -g[2])[:5]
        lines.append("slowest: " + ", ".join(f"{s} ({t:.1f} s)" for s, _, t in slowest))
        low = [(s, r) for s, r, _ in summary.graded if not r["complete"] or r["score"] < r["max_score"] / 2]
        if low:
            lines.append("failing (under 50% or incomplete): " + ", ".join(
                f"{s} ({r['score']:g}/{r['max_score']:g}{'' if r['complete'] else ', incomplete'})"
                for s, r in sorted(low)))
    for student, error in summary.failed:
        lines.append(f"could not grade {student}: {error.strip().splitlines()[-1]}")
    if not summary.finished:
        lines.append("the run is unfinished; `--resume` grades what is left")
    return lines
