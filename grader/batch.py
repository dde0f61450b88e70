"""`course grade-all`: a class's submissions graded in parallel into the gradebook.

SUBMISSIONS holds one folder, zip, notebook or .py per student (the name is the student id),
or nbgrader's `submitted/<student>/<id>/` layout. Local worker processes grade, or a Dask
cluster's workers (`cluster`, grader/cluster.py); either way only this process writes the
gradebook, one transaction per report as it arrives (`_collect`).

One bad entry never stops the batch. A submission that cannot be read safely (not a zip, two
members of one name, a link out of it, a FIFO, too big: grader/submission_files.py), or a
student id given twice (`bob/` beside `bob.py`), is recorded for that student as a report of
0 points whose every check is an "error" with the reason and the fix, and listed as "could not
grade"; the run still finishes. Student code fails its checks inside the sandbox, and a
grading that dies is listed and left ungraded, so `--resume` grades it again.

Every submission is read through `submission_files` (its digest here, its private copy where
it is graded). Its time for the late penalty is worked out here, from what the student does
not control only (`course_file.submission_time`): the `--submitted-at` CSV, else nbgrader's
timestamp.txt in nbgrader's layout.
"""
from __future__ import annotations

import concurrent.futures as futures
import contextlib
import dataclasses
import datetime as dt
import multiprocessing
import os
import statistics
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

import grader
from course_lib.errors import CourseError
from grader import course, course_file
from grader.formats.escape import terminal, visible
from grader.grade import _result, check_time_scale, environment
from grader.gradebook import Gradebook
from grader.report import Report
from grader.sandbox import isolation
from grader.submission_files import KINDS, BadSubmission, content_sha256, shown
from grader.task import grade_one

UNREAD = ""  # the content digest recorded for a submission that could not be read


@dataclass(frozen=True)
class Submission:
    student: str
    path: Path  # a folder, a notebook, a .py or a zip
    time: course_file.SubmissionTime | None = None  # for the late penalty; None: worked out where graded
    problem: str = ""  # why it cannot be graded at all (e.g. its student id is given twice), else ""


def discover(root: Path, assignment, times: course_file.Times | None = None) -> list[Submission]:
    """One submission per student id in `root`, sorted by student id, each with its trusted
    time; a student id with several entries is one Submission whose problem names them all."""
    if not Path(root).is_dir():
        raise CourseError(f"submissions folder {root} does not exist; give the folder that holds "
                          f"one folder, zip or notebook per student.")
    by_student: dict[str, list[tuple[Path, bool]]] = {}
    for entry in sorted(Path(root).iterdir()):
        found = None if entry.name.startswith((".", "_")) else _entry(entry, assignment)
        if found:
            by_student.setdefault(found[0], []).append(found[1:])
    return [_submission(student, found, times) for student, found in sorted(by_student.items())]


def skipped(root: Path, assignment) -> list[str]:
    """The names in `root` that are no submission (not a folder, zip, notebook or .py), to say so."""
    return [entry.name for entry in sorted(Path(root).iterdir())
            if not entry.name.startswith((".", "_")) and _entry(entry, assignment) is None]


def _entry(entry: Path, assignment) -> tuple[str, Path, bool] | None:
    """(student id, what to grade, whether it is in nbgrader's layout) for an entry of
    SUBMISSIONS; None for what is no submission. Links and special files are kept here, to
    be refused by name when read."""
    if entry.is_dir():  # a folder, or a link to one
        nbgrader = entry / assignment.id
        if not entry.is_symlink() and course_file.in_nbgrader_layout(nbgrader, assignment.id):
            return entry.name, nbgrader, True
        return entry.name, entry, False
    if entry.suffix in KINDS:
        return entry.stem, entry, False
    return None


def _submission(student: str, found: list[tuple[Path, bool]], times) -> Submission:
    if len(found) > 1:
        names = ", ".join(shown(path.name) + ("/" if path.is_dir() else "") for path, _ in found)
        return Submission(student, found[0][0], problem=(
            f"{shown(student)} has {len(found)} entries in the submissions folder ({names}); none was graded, "
            f"so that the wrong one is not. Keep the one to grade (or name each by its own student id) "
            f"and run grade-all again."))
    (path, in_layout), = found
    return Submission(student, path, course_file.submission_time(student, path if in_layout else None, times))


def unreadable(assignment, settings, submission: Path, problem: str) -> dict:
    """The report of a submission that cannot be graded at all, as grade.py gives one for a
    missing module: every check an "error" with `problem` (why, and the fix), 0 points."""
    checks = (settings or course_file.AssignmentSettings()).checks(assignment.rubric.checks)
    return Report(assignment=assignment.id, submission=str(submission),
                  checks=tuple(_result(c, "error", problem, 0.0) for c in checks),
                  created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                  grader_version=grader.__version__, environment=environment(), notes=(problem,)).to_dict()


@dataclass
class Summary:
    graded: list = field(default_factory=list)  # (student, report dict, seconds)
    unchanged: list = field(default_factory=list)
    already: list = field(default_factory=list)
    refused: list = field(default_factory=list)  # (student, why): recorded with 0 points, not graded
    skipped: list = field(default_factory=list)  # names in SUBMISSIONS that are no submission
    failed: list = field(default_factory=list)  # (student, error text)
    earlier: list = field(default_factory=list)  # (student, report dict, seconds): graded in this run before --resume
    earlier_refused: list = field(default_factory=list)  # (student, why): recorded with 0 points before --resume
    found: int = 0  # submissions found in SUBMISSIONS
    folder: str = ""  # SUBMISSIONS, to name it
    run_id: int = 0
    finished: bool = False

    def run_graded(self) -> list:
        """(student, report dict, seconds) of every submission this run graded, before a --resume too."""
        return sorted(self.earlier + self.graded)

    def scores(self) -> list[float]:
        """The percent of every submission this run graded, before a --resume too."""
        return [100 * r["score"] / r["max_score"] for _, r, _ in self.run_graded() if r["max_score"]]


def main(*, assignment_id: str, submissions: Path, gradebook: Path, workers: int | None = None,
         resume: bool = False, regrade: bool = False, data_dir=None, time_scale: float = 1.0,
         course_file_path: Path | None = None, progress: bool = True, cluster: str | None = None,
         submitted_at: Path | None = None, allow_unisolated: bool = False) -> Summary:
    """Grade what needs grading into the gradebook; `cluster`: a Dask scheduler's address or
    local:N; `submitted_at`: the --submitted-at CSV of submission times. Without bubblewrap
    (here, or on a cluster's workers) nothing is graded unless `allow_unisolated`."""
    assignment = course.get(assignment_id)
    check_time_scale(time_scale)  # before anything is graded or recorded
    if not cluster:
        isolation.require_isolation(allow_unisolated)
    if cluster and workers:
        raise CourseError("--workers sets the local process pool; with --cluster the cluster's workers grade "
                          "(local:N starts N). Give one of them.")
    settings = course_file.load(course_file_path).get(assignment.id)
    times = course_file.load_times(submitted_at) if submitted_at is not None else None
    found = discover(Path(submissions), assignment, times)
    workers = workers or os.cpu_count() or 1
    summary = Summary(skipped=skipped(Path(submissions), assignment), found=len(found), folder=str(submissions))
    with Gradebook(gradebook) as book:
        run_id = book.unfinished_run(assignment.id) if resume else None
        if resume and run_id is None:
            raise CourseError(f"no unfinished run of {assignment.id} in {gradebook} to resume; "
                              f"run without --resume to start one.")
        summary.run_id = run_id = run_id or book.start_run(assignment.id, grader.__version__)
        done, latest = book.run_grades(run_id), book.latest(assignment.id)
        for student, grade in done.items():  # graded before --resume: counted in the statistics again
            if grade.content_sha256 == UNREAD:
                summary.earlier_refused.append((student, (grade.report.get("notes") or ["not readable"])[0]))
            else:
                summary.earlier.append((student, grade.report, _seconds(grade.report)))
        todo = []
        for s in found:
            if s.student in done:
                summary.already.append(s.student)
                continue
            try:
                digest = UNREAD if s.problem else content_sha256(s.path)
            except BadSubmission as err:
                s = dataclasses.replace(s, problem=str(err))
            previous = latest.get(s.student)
            if s.problem:
                _refuse(book, run_id, summary, s, unreadable(assignment, settings, s.path, s.problem))
            elif (not regrade and previous and previous.content_sha256 == digest and previous.complete
                  and previous.report["grader_version"] == grader.__version__):
                summary.unchanged.append(s.student)
            else:
                todo.append((s, digest))
        options = {"data_dir": data_dir, "time_scale": time_scale, "settings": settings,
                   "secret": assignment.course_secret(),  # the same inputs on every worker (grader/inputs.py)
                   "allow_unisolated": allow_unisolated}
        try:
            with _completed(assignment.id, todo, options, workers, cluster) as done:
                _collect(done, book, run_id, summary, progress, f"grading {assignment.id}", len(todo),
                         lambda s, problem: unreadable(assignment, settings, s.path, problem))
        except CourseError:  # e.g. a cluster worker lacks the data: nothing was graded
            if not resume:
                book.drop_run_if_empty(run_id)
            raise
        if not summary.failed:
            book.finish_run(run_id)
            summary.finished = True
    return summary


def _refuse(book, run_id, summary, s: Submission, report: dict) -> None:
    """Record a submission that cannot be graded: 0 points, the reason in every check."""
    book.record(run_id, s.student, UNREAD, report)
    summary.refused.append((s.student, report["notes"][0]))


def _completed(assignment_id, todo, options, workers, cluster):
    """The gradings of `todo` as they finish, on the Dask cluster or in a local process pool."""
    if not todo:
        return contextlib.nullcontext(())
    if cluster:
        from grader import cluster as dask_cluster
        return dask_cluster.completed(assignment_id, todo, options, cluster)
    return _pool_completed(assignment_id, todo, options, workers)


THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@contextlib.contextmanager
def threads_split(workers: int):
    """The machine's cores split between `workers` processes (and the sandboxes they start):
    each BLAS and OpenMP pool gets its share, unless the instructor set one. More threads than
    cores made one NumPy training 35 times slower on a busy 2-core machine."""
    share = str(max(1, (os.cpu_count() or 1) // max(1, workers)))
    unset = [name for name in THREAD_VARIABLES if name not in os.environ]
    os.environ.update({name: share for name in unset})
    try:
        yield
    finally:
        for name in unset:
            os.environ.pop(name, None)


@contextlib.contextmanager
def _pool_completed(assignment_id, todo, options, workers):
    """(future, (submission, digest)) for each submission of `todo` as its local worker process finishes."""
    context = multiprocessing.get_context("spawn")  # fresh workers: no inherited threads or state
    with threads_split(workers), futures.ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending = {pool.submit(grade_one, assignment_id, s.path, dict(options, submitted_at=s.time)): (s, digest)
                   for s, digest in todo}
        try:
            yield ((future, pending[future]) for future in futures.as_completed(pending))
        except KeyboardInterrupt:
            pool.shutdown(wait=False, cancel_futures=True)
            raise


def _collect(done, book, run_id, summary, show, title, total, unreadable_report) -> None:
    """Write each report to the gradebook as it arrives; `done` yields (future, (submission, digest)).
    A submission found unreadable where it was graded is recorded as `unreadable_report` gives it."""
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn(), TextColumn("left"), TimeRemainingColumn())
    with Progress(*columns, disable=not show) as bar:
        task = bar.add_task(title, total=total)
        for future, (s, digest) in done:
            try:
                report = future.result()
            except BadSubmission as err:  # e.g. changed since it was hashed
                _refuse(book, run_id, summary, s, unreadable_report(s, str(err)))
            except Exception:  # noqa: BLE001 - a dead worker or a grader crash; the rest goes on
                summary.failed.append((s.student, traceback.format_exc(limit=3)))
            else:
                book.record(run_id, s.student, digest, report)
                summary.graded.append((s.student, report, _seconds(report)))
            bar.advance(task)


def _seconds(report: dict) -> float:
    return sum(c["duration_s"] for c in report["checks"])


def bin_counts(percents: list[float], bins: int = 10) -> list[int]:
    """How many of `percents` fall in each of `bins` equal ranges of 0-100% (100% in the last)."""
    counts = [0] * bins
    for p in percents:
        counts[max(0, min(bins - 1, int(p // (100 / bins))))] += 1
    return counts


def histogram(percents: list[float], bins: int = 10, width: int = 30) -> list[str]:
    counts = bin_counts(percents, bins)
    top = max(counts) or 1
    step = 100 // bins
    return [f"{i * step:3d}-{(i + 1) * step:3d}%  {'#' * round(width * c / top):<{width}} {c}"
            for i, c in enumerate(counts)]


def describe(summary: Summary, assignment_id: str) -> list[str]:
    """The final summary: counts, and over everything this run graded (before a --resume too)
    the mean, median, histogram, slowest and failing submissions with why; then those that
    could not be graded, with why, and a warning when SUBMISSIONS held no submission."""
    lines = [f"{assignment_id}, run {summary.run_id}: {len(summary.graded)} graded, "
             f"{len(summary.unchanged)} unchanged (not regraded; --regrade to force), "
             f"{len(summary.already)} already graded in this run, "
             f"{len(summary.refused)} could not be graded (recorded with 0 points), "
             f"{len(summary.failed)} failed to grade"]
    if not summary.found:
        lines.append(f"warning: no submission found in {shown(summary.folder)}; it should hold one folder, zip, "
                     f"notebook or .py per student (the name is the student id), or nbgrader's submitted/ folder.")
    graded, percents = summary.run_graded(), summary.scores()
    if percents:
        before = f", {len(summary.earlier)} of them before --resume" if summary.earlier else ""
        lines.append(f"score of the {len(percents)} graded in this run{before}: mean {statistics.mean(percents):.1f}%, "
                     f"median {statistics.median(percents):.1f}%")
        lines += histogram(percents)
        slowest = sorted(graded, key=lambda g: -g[2])[:5]
        lines.append("slowest: " + ", ".join(f"{shown(s)} ({t:.1f} s)" for s, _, t in slowest))
        low = [(s, r) for s, r, _ in graded if not r["complete"] or r["score"] < r["max_score"] / 2]
        if low:
            lines.append("failing (under 50% or incomplete; the whole report: course gradebook show STUDENT):")
            lines += [f"  {shown(s)} {r['score']:g}/{r['max_score']:g}{'' if r['complete'] else ' incomplete'}: "
                      f"{terminal(why_lost(r))}" for s, r in sorted(low)]
    for student, why in sorted(summary.earlier_refused + summary.refused):
        lines.append(f"could not grade {shown(student)}: {terminal(why)}")
    for student, error in summary.failed:
        lines.append(f"could not grade {shown(student)}: {terminal(error.strip().splitlines()[-1])}")
    if summary.skipped:
        lines.append(f"skipped {len(summary.skipped)} entries that are no submission (not a folder, zip, notebook "
                     f"or .py; rename or remove them): " + ", ".join(shown(name) for name in summary.skipped))
    if not summary.finished:
        lines.append("the run is unfinished; `--resume` grades what is left")
    return lines


def why_lost(report: dict, limit: int = 200, ids: int = 4) -> str:
    """Why a report lost points, in a line: the one message every check gives (a SyntaxError, a
    missing module), else the checks not passed, by status."""
    lost = [c for c in report["checks"] if c["status"] != "passed"]
    messages = {c["message"] for c in lost}
    if len(lost) == len(report["checks"]) > 1 and len(messages) == 1:
        return visible(messages.pop(), limit)
    by_status: dict[str, list[str]] = {}
    for c in lost:
        by_status.setdefault(c["status"], []).append(c["id"])
    named = [f"{status} {', '.join(found[:ids])}{f' (+{len(found) - ids} more)' if len(found) > ids else ''}"
             for status, found in by_status.items()]
    named += [f"{a['reason']} ({a['points']:+g})" for a in report.get("adjustments", ())]
    return visible("; ".join(named), limit)
