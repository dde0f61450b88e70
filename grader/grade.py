"""Grade one submission: run an assignment's checks in order and build the Report."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import math
import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

import grader
from course_lib.errors import CourseError
from grader import course, course_file, inputs, notebook_code, worked_file
from grader.course_file import AssignmentSettings
from grader.report import Adjustment, CheckResult, Report
from grader.rubric import CheckFailed, Context
from grader.sandbox import Sandbox, SandboxUnavailable, StudentFault, isolation
from grader.submission_files import materialize
from grader.timing import Limit, ReferenceClock

IMPORT_TIMEOUT_S = 20.0


COURSE_SECRET = "course"  # grade_submission's default: the course secret where the reference is


def grade_submission(assignment, submission: Path, *, data_dir=None, time_scale: float = 1.0,
                     visible_only: bool = False, device: str = "auto", settings=None,
                     submitted_at=None, secret: bytes | str | None = COURSE_SECRET, progress=None,
                     file: str | None = None, ask: bool = False) -> Report:
    """Grade a submission: a folder with the module, a notebook, or a folder with a notebook.

    `settings` (a course_file.AssignmentSettings) overrides points and visibility and sets the
    deadline. `submitted_at` is the submission time for the late penalty (a course_file.SubmissionTime,
    a datetime, or --submitted-at's ISO time or CSV file); by default nbgrader's timestamp.txt where
    `submission` is in nbgrader's layout, never a time the student's own files give (see course_file).
    `secret` salts every check's inputs (`grader.inputs`): by default the course secret on the
    instructor's side and none in a student bundle; None draws the fixed inputs a release records.
    `progress(check_id, done, total)` is called before each check runs (`grader.progress` shows it).
    A folder with both the module and the notebook: the one the student changed, or `file`
    (`grader.worked_file`; `ask`: a CourseError where that is not clear).
    """
    check_time_scale(time_scale)
    if secret == COURSE_SECRET:
        secret = assignment.course_secret()
    Sandbox.prestart(assignment.probes_file, assignment.preload, datasets=not secret)  # while the rubric loads
    settings = settings or AssignmentSettings()
    checks = [c for c in settings.checks(assignment.rubric.checks) if not (visible_only and c.hidden)]
    options = dict(data_dir=data_dir, time_scale=time_scale, device=device, secret=secret, progress=progress)
    submission = Path(submission)
    chosen = worked_file.choose(assignment, submission, named=file, ask=ask)
    if chosen.notebook is None:
        report = _grade_folder(assignment, checks, submission, **options)
    else:
        report = _grade_notebook(assignment, checks, chosen.notebook, **options)
    if chosen.note:
        report = dataclasses.replace(report, notes=(chosen.note, *report.notes))
    if checks and all(c.status == "timeout" for c in report.checks):
        report = _judge_timeouts(assignment, checks, report, options)
    if settings.due is not None and submission.exists():
        report = _with_late_penalty(report, settings, course_file.time_of(submission, assignment.id, submitted_at))
    return report


def check_time_scale(time_scale: float) -> None:
    """CourseError unless `time_scale` is a finite number above 0: a scale of 0 or less would
    time out every check, and the whole class would get 0."""
    if not (isinstance(time_scale, (int, float)) and math.isfinite(time_scale) and time_scale > 0):
        raise CourseError(f"time scale {time_scale!r}: give a number above 0 that multiplies every check's "
                          f"time limit (--time-scale 2 on a slow machine).")


def grade_given(assignment, submission: Path, *, submitted_at=None, **options) -> Report:
    """Grade a submission someone gave (a folder, zip, notebook or lone .py, as grade-all takes
    them) from a private copy read safely (`submission_files.materialize`: BadSubmission when
    it cannot be). Its time comes from `submission` itself, never from the copy, and the report's
    messages name `submission`, not the copy."""
    submission = Path(submission)
    given = submitted_at or course_file.time_of(submission, assignment.id)
    with tempfile.TemporaryDirectory(prefix="course-grade-") as tmp:
        folder = materialize(submission, Path(tmp), assignment.module)
        report = grade_submission(assignment, folder, submitted_at=given, **options)
    return _renamed(report, folder, submission)


def _renamed(report: Report, copy: Path, origin: Path) -> Report:
    """`report` with the path of the copy that was graded replaced by the submission's own."""
    def named(text: str) -> str:
        return text.replace(str(copy), str(origin))
    checks = [dataclasses.replace(c, message=named(c.message), instructor_detail=named(c.instructor_detail))
              for c in report.checks]
    return dataclasses.replace(report, submission=named(report.submission), checks=checks,
                               notes=tuple(named(n) for n in report.notes))


def _judge_timeouts(assignment, checks, report: Report, options: dict) -> Report:
    """A grading whose every check ran out of time says as much about the machine as about the
    code. The reference is graded under the same limits on the check with the shortest one:
    should it run out of time too, the limits are too short here, and no check is judged
    ("grader_error": not a final grade, so grade-all grades it again); else the timeouts stand.
    Without the reference (a student bundle) the report says what to try."""
    scale = options["time_scale"]
    if not (assignment.solution_dir / f"{assignment.module}.py").is_file():
        return dataclasses.replace(report, notes=(*report.notes, (
            f"Every check ran past its time limit. If this machine is slow or busy, grade again with a larger "
            f"--time-scale (now {scale:g}); if not, look for an endless loop or very slow code.")))
    shortest = min(checks, key=lambda c: c.timeout_s)
    probe, = _grade_folder(assignment, [shortest], assignment.solution_dir, **options).checks
    if probe.status != "timeout":
        return report
    why = (f"the grader could not judge this check (not your fault): on this machine even the reference solution "
           f"runs past the time limits (time scale {scale:g}), so they are too short here: a slow or busy machine, "
           f"or a --time-scale too small. Grade again with a larger --time-scale.")
    checks = [dataclasses.replace(c, status="grader_error", message=why) for c in report.checks]
    return dataclasses.replace(report, checks=checks, notes=(
        *report.notes, f"Every check ran past its time limit, and so did the reference solution on {shortest.id}: "
                       f"{probe.message} No check was judged; this is not a final grade."))


def _grade_notebook(assignment, checks, notebook: Path, **options) -> Report:
    """Grade the code of `notebook`; its messages speak of the notebook's cells."""
    with tempfile.TemporaryDirectory(prefix="course-notebook-") as tmp:
        try:
            code, problem = notebook_code.notebook_module(notebook), ""
        except Exception as err:  # noqa: BLE001 - a damaged file fails in many ways
            code, problem = None, (f"{notebook} is not a readable notebook ({type(err).__name__}: "
                                   f"{str(err)[:200]}); save it again from Jupyter and resubmit.")
        folder = notebook_code.write_module(code.code if code else "", assignment.module, Path(tmp))
        report = _grade_folder(assignment, checks, folder, problem=problem, **options)
    if code is not None:
        def place(text):
            return code.in_cells(text, assignment.module)
        report = dataclasses.replace(report, notes=tuple(place(n) for n in report.notes), checks=tuple(
            dataclasses.replace(c, message=place(c.message)) for c in report.checks))
    return dataclasses.replace(report, submission=str(notebook))


def _with_late_penalty(report: Report, settings, submitted: course_file.SubmissionTime) -> Report:
    """The report with its submission time and the late penalty; a time that is not known costs
    nothing, and the report's notes say so and how to give it."""
    if submitted.at is None:
        return dataclasses.replace(report, notes=(*report.notes, submitted.problem))
    days, fraction = settings.late_penalty(submitted.at)
    stamp = submitted.at.isoformat(timespec="seconds")
    if not fraction:
        return dataclasses.replace(report, submitted_at=stamp)
    reason = f"submitted {days} day(s) after the deadline {settings.due.isoformat()}: -{fraction:.0%}"
    return dataclasses.replace(report, submitted_at=stamp,
                               adjustments=(Adjustment(reason, -fraction * report.checks_score),))


def _grade_folder(assignment, checks, submission: Path, *, data_dir=None, time_scale: float = 1.0,
                  device: str = "auto", problem: str = "", secret: bytes | None = None, progress=None) -> Report:
    """Grade `submission` (a folder holding the assignment's module) against every check.

    `device` ("auto", "cpu" or "cuda") is where an assignment that preloads torch runs the
    student's tensors; "auto" means CUDA when torch sees it. CourseError for an unusable one.
    """
    device = resolve_device(device, assignment)
    module_file = submission / f"{assignment.module}.py"
    problem = problem or _missing(submission, module_file)
    results, limits = [], {}
    digest = _sha256(module_file)
    if problem:
        results = [_result(c, "error", problem, 0.0) for c in checks]
    else:
        salt = inputs.salt_for(secret, assignment.id, digest)
        with Sandbox(submission, assignment.module, assignment.probes_file, assignment.preload,
                     datasets=salt is None) as sandbox, inputs.drawn_with(salt), \
                ReferenceClock(assignment, data_dir, device, time_scale) as clock:  # secret inputs: no raw data inside
            blocker = _import_problem(sandbox, IMPORT_TIMEOUT_S * time_scale)
            for done, check in enumerate(checks):
                if progress and not blocker:
                    progress(check.id, done, len(checks))
                if blocker:
                    results.append(_result(check, blocker.status, str(blocker), 0.0))
                else:
                    results.append(run_check(check, sandbox, data_dir, time_scale, device, clock.limit(check)))
            limits = {"memory_limit": sandbox.memory_limit or None}
    sandbox_kind, sandbox_note = isolation.choose()
    return Report(
        assignment=assignment.id, submission=str(submission), checks=tuple(results),
        created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        grader_version=grader.__version__,
        environment={**environment(assignment, device), "sandbox": sandbox_kind,
                     "input_secret": inputs.fingerprint(secret) or None, **limits},
        submission_sha256=digest, notes=tuple(n for n in (problem, sandbox_note) if n))


def run_check(check, sandbox, data_dir, time_scale: float = 1.0, device: str = "cpu",
              limit: Limit | None = None) -> CheckResult:
    """One check's result; student faults and grader crashes both become results. `limit`
    (grader.timing) replaces the check's fixed timeout x `time_scale` where given."""
    limit = limit or Limit(check.timeout_s * time_scale)
    ctx = Context(sandbox, limit.seconds, data_dir, device, limit.why if limit.reference_s else "")
    ctx.diagnostics.update(limit.diagnostics())
    start = time.perf_counter()
    detail, mistake = "", None
    try:
        message = check.run(ctx) or "correct"
        status = "passed"
    except CheckFailed as failure:
        status, message, mistake = "failed", str(failure), failure.mistake
    except StudentFault as fault:  # a recogniser may have named the mistake behind an exception
        status, message, mistake = fault.status, str(fault), getattr(fault, "mistake", None)
    except CourseError as err:  # e.g. a missing dataset: the grader could not judge
        status, message = "grader_error", f"the grader could not run this check: {err}"
    except Exception:  # noqa: BLE001 - a bug of ours must not cost the student silently
        status, detail = "grader_error", traceback.format_exc()
        message = "the grader failed on this check (not your fault); your instructor has the details."
    if mistake is not None:
        message = f"{message} {mistake.text}"
    return _result(check, status, message, time.perf_counter() - start, ctx.diagnostics, detail,
                   mistake.id if mistake else "")


def _result(check, status, message, duration, diagnostics=None, detail="", diagnosis="") -> CheckResult:
    return CheckResult(id=check.id, title=check.title,
                       points=check.points if status == "passed" else 0.0,
                       max_points=check.points, status=status, message=message,
                       visibility=check.visibility, duration_s=duration,
                       diagnostics=diagnostics or {}, instructor_detail=detail, diagnosis=diagnosis)


def _missing(submission: Path, module_file: Path) -> str:
    """Why the submission cannot be graded at all, or "" when its module is there."""
    if not submission.is_dir():
        return f"submission folder {submission} does not exist; check the path."
    if module_file.is_file():
        return ""
    if module_file.exists():
        return f"{module_file.name} in {submission} is not a file (a folder?); submit the module itself."
    others = sorted(p.name for p in submission.glob("*.py"))
    found = f" It holds {', '.join(others)}." if others else " It holds no .py file."
    return (f"{module_file.name} not found in {submission}.{found} "
            f"Name your file {module_file.name} and keep it in the submission folder.")


class _GraderFault(StudentFault):
    status = "grader_error"


def _import_problem(sandbox, timeout: float) -> StudentFault | None:
    """Import the module once; if that fails, every check fails the same way without running."""
    try:
        sandbox.call("import", label=f"importing {sandbox.module}.py", timeout=timeout)
    except StudentFault as fault:
        return fault
    except SandboxUnavailable as err:
        return _GraderFault(f"the grader could not start its sandbox (not your fault): {err}")
    return None


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else ""


def environment(assignment=None, device: str = "cpu") -> dict:
    """Versions of what graded; for an assignment that runs torch, also torch, CUDA and the device."""
    env = {"python": platform.python_version(), "numpy": np.__version__,
           "platform": platform.platform(), "executable": sys.executable}
    if assignment is not None and "torch" in assignment.preload:
        import torch
        env.update({"torch": torch.__version__, "cuda": torch.version.cuda, "device": device})
        if device == "cuda":
            env["gpu"] = torch.cuda.get_device_name()
    return env


DEVICES = ("auto", "cpu", "cuda")


def resolve_device(device: str, assignment) -> str:
    """The device of this grading, "cpu" or "cuda"; imports torch only for an assignment that runs it."""
    if device not in DEVICES:
        raise CourseError(f"unknown device '{device}'; use one of {', '.join(DEVICES)}.")
    if "torch" not in assignment.preload:
        if device == "cuda":
            raise CourseError(f"{assignment.id} runs on NumPy only; --device cuda applies to the "
                              f"PyTorch assignments. Leave --device out.")
        return "cpu"
    import torch
    if device == "cuda" and not torch.cuda.is_available():
        raise CourseError(f"--device cuda was asked for, but PyTorch {torch.__version__} sees no CUDA device "
                          f"(built with CUDA {torch.version.cuda or 'none: a CPU-only build'}). Grade with "
                          f"--device cpu (or auto), or on a machine with an NVIDIA GPU and a CUDA build of PyTorch.")
    return ("cuda" if torch.cuda.is_available() else "cpu") if device == "auto" else device


def main(*, assignment_id: str, submission=None, reference: bool = False, data_dir=None,
         time_scale: float = 1.0, visible_only: bool = False, device: str = "auto",
         course_file_path: Path | None = None, allow_unisolated: bool = False, submitted_at=None,
         progress=None, file: str | None = None) -> Report:
    """Grade the student's working copy (default), a given folder, or the reference solution;
    `submitted_at`: --submitted-at's ISO time or CSV file (course_file.time_of), read before grading;
    `progress`: called before each check, as `grade_submission` says. `file`: the module or the
    notebook of the folder (else the one changed from the stub; for the student's own checks and
    working copy, a CourseError when both were).

    A given submission (a folder, zip, notebook or lone .py, as grade-all takes them) is someone
    else's code: it is graded from a safe copy (`grade_given`), and without bubblewrap that is
    refused unless `allow_unisolated` (isolation.require_isolation)."""
    assignment = course.get(assignment_id)
    check_time_scale(time_scale)
    if reference and submission is not None:
        raise CourseError("give either --submission or --reference, not both.")
    if reference and not (assignment.solution_dir / f"{assignment.module}.py").is_file():
        raise CourseError(f"there is no reference solution of {assignment.id} here ({assignment.solution_dir}); "
                          f"--reference is for the instructor's copy of the course.")
    if submission is not None:
        if not os.path.lexists(submission):
            raise CourseError(f"submission {submission} does not exist; give the path of a folder, zip, "
                              f"notebook (.ipynb) or .py file.")
        isolation.require_isolation(allow_unisolated)
    folder = assignment.solution_dir if reference else Path(submission or assignment.stub_dir)
    given = course_file.time_of(folder, assignment.id, submitted_at) if submitted_at is not None else None
    options = dict(data_dir=data_dir, time_scale=time_scale, visible_only=visible_only, device=device,
                   submitted_at=given, progress=progress, file=file,
                   settings=course_file.load(course_file_path).get(assignment.id))
    if submission is not None:
        return grade_given(assignment, folder, ask=visible_only, **options)
    return grade_submission(assignment, folder, ask=visible_only or not reference, **options)
