"""Grade one submission: run an assignment's checks in order and build the Report."""
from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path

import numpy as np

import grader
from course_lib.errors import CourseError
from grader import assignments, course_file, inputs, jupyter, worked_file
from grader.course_file import AssignmentSettings
from grader.report import Adjustment, CheckResult, Report
from grader.rubric import CheckFailed, Context
from grader.sandbox import Sandbox, SandboxUnavailable, StudentFault, isolation

IMPORT_TIMEOUT_S = 20.0


COURSE_SECRET = "course"  # grade_submission's default: the course secret where the reference is


def grade_submission(assignment, submission: Path, *, data_dir=None, time_scale: float = 1.0,
                     visible_only: bool = False, device: str = "auto", settings=None,
                     submitted_at=None, secret: bytes | str | None = COURSE_SECRET,
                     file: str | None = None, ask: bool = False) -> Report:
    """Grade a submission: a folder with the module, a notebook, or a folder with a notebook.

    `settings` (a course_file.AssignmentSettings) overrides points and visibility and sets the
    deadline. `submitted_at` is the submission time for the late penalty (a course_file.SubmissionTime,
    a datetime, or --submitted-at's ISO time or CSV file); by default nbgrader's timestamp.txt where
    `submission` is in nbgrader's layout, never a time the student's own files give (see course_file).
    `secret` salts every check's inputs (`grader.inputs`): by default the course secret on the
    instructor's side and none in a student bundle; None draws the fixed inputs a release records.
    A folder with both the module and the notebook: the one the student changed, or `file`
    (`grader.worked_file`; `ask`: a CourseError where that is not clear).
    """
    settings = settings or AssignmentSettings()
    checks = [c for c in settings.checks(assignment.rubric.checks) if not (visible_only and c.hidden)]
    if secret == COURSE_SECRET:
        secret = assignment.course_secret()
    options = dict(data_dir=data_dir, time_scale=time_scale, device=device, secret=secret)
    submission = Path(submission)
    chosen = worked_file.choose(assignment, submission, named=file, ask=ask)
    if chosen.notebook is None:
        report = _grade_folder(assignment, checks, submission, **options)
    else:
        report = _grade_notebook(assignment, checks, chosen.notebook, **options)
    if chosen.note:
        report = dataclasses.replace(report, notes=(chosen.note, *report.notes))
    if settings.due is not None and submission.exists():
        report = _with_late_penalty(report, settings, course_file.time_of(submission, assignment.id, submitted_at))
    return report


def _grade_notebook(assignment, checks, notebook: Path, **options) -> Report:
    """Grade the code of `notebook`; its messages speak of the notebook's cells."""
    with tempfile.TemporaryDirectory(prefix="course-notebook-") as tmp:
        try:
            code, problem = jupyter.notebook_module(notebook), ""
        except Exception as err:  # noqa: BLE001 - a damaged file fails in many ways
            code, problem = None, (f"{notebook} is not a readable notebook ({type(err).__name__}: "
                                   f"{str(err)[:200]}); save it again from Jupyter and resubmit.")
        folder = jupyter.write_module(code.code if code else "", assignment.module, Path(tmp))
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
                  device: str = "auto", problem: str = "", secret: bytes | None = None) -> Report:
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
                     datasets=salt is None) as sandbox, inputs.drawn_with(salt):  # secret inputs: no raw data inside
            blocker = _import_problem(sandbox, IMPORT_TIMEOUT_S * time_scale)
            for check in checks:
                if blocker:
                    results.append(_result(check, blocker.status, str(blocker), 0.0))
                else:
                    results.append(run_check(check, sandbox, data_dir, time_scale, device))
            limits = {"memory_limit": sandbox.memory_limit or None}
    sandbox_kind, sandbox_note = isolation.choose()
    return Report(
        assignment=assignment.id, submission=str(submission), checks=tuple(results),
        created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        grader_version=grader.__version__,
        environment={**environment(assignment, device), "sandbox": sandbox_kind,
                     "input_secret": inputs.fingerprint(secret) or None, **limits},
        submission_sha256=digest, notes=tuple(n for n in (problem, sandbox_note) if n))


def run_check(check, sandbox, data_dir, time_scale: float = 1.0, device: str = "cpu") -> CheckResult:
    """One check's result; student faults and grader crashes both become results."""
    ctx = Context(sandbox, check.timeout_s * time_scale, data_dir, device)
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
         file: str | None = None) -> Report:
    """Grade the student's working copy (default), a given folder, or the reference solution;
    `submitted_at`: --submitted-at's ISO time or CSV file (course_file.time_of), read before grading.
    `file`: the module or the notebook of the folder (else the one changed from the stub; for the
    student's own checks and working copy, a CourseError when both were).

    A given folder is someone else's code: without bubblewrap that is refused unless
    `allow_unisolated` (isolation.require_isolation)."""
    assignment = assignments.get(assignment_id)
    if reference and submission is not None:
        raise CourseError("give either --submission or --reference, not both.")
    if reference and not (assignment.solution_dir / f"{assignment.module}.py").is_file():
        raise CourseError(f"there is no reference solution of {assignment.id} here ({assignment.solution_dir}); "
                          f"--reference is for the instructor's copy of the course.")
    if submission is not None:
        isolation.require_isolation(allow_unisolated)
    folder = assignment.solution_dir if reference else Path(submission or assignment.stub_dir)
    given = course_file.time_of(folder, assignment.id, submitted_at) if submitted_at is not None else None
    return grade_submission(assignment, folder, data_dir=data_dir, time_scale=time_scale,
                            visible_only=visible_only, device=device, submitted_at=given,
                            settings=course_file.load(course_file_path).get(assignment.id),
                            file=file, ask=visible_only or (submission is None and not reference))
