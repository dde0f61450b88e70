"""`course grade-all --cluster`: each submission graded on a Dask cluster (docs/cluster.md).

Dask's scheduler places the tasks (`Client.submit`, `as_completed`) and reschedules those of
a worker that dies; this process writes the gradebook as reports arrive (`batch._collect`).
A submission travels inside its task as bytes, read here as safely as on one machine
(grader/submission_files.py), with the time for its late penalty worked out here, so
submissions need not be shared. The course code, the reference solutions and the datasets
must be on every worker: `preflight` checks that before anything is graded, and every task
checks it again on its worker (a worker may join late). A task grades with
`task.grade_one`, the same sandbox as on one machine.
"""
from __future__ import annotations

import concurrent.futures as futures
import contextlib
import itertools
import os
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import grader
from course_lib.datasets import DATASETS, store
from course_lib.errors import CourseError
from grader import course, task
from grader.sandbox import isolation
from grader.submission_files import BadSubmission, Entry, entries, kind, read_bytes, write

INSTALL_HINT = "install the cluster extra: pip install 'course-grader[cluster]'"
LOCAL = "local:"
WORKERS_TIMEOUT_S = 60.0
CONNECT_TIMEOUT_S = 20.0
NO_GPU_WORKER = "graded on the CPU: the Dask cluster has no worker with a GPU resource"


def _distributed():
    try:
        import distributed
    except ImportError:
        raise CourseError(f"grading on a cluster needs Dask; {INSTALL_HINT}") from None
    return distributed


def needs_gpu(assignment) -> bool:
    """PyTorch assignments run on a GPU where the cluster has one."""
    return "torch" in assignment.preload


# -- the submission, as bytes --------------------------------------------------------------
@dataclass(frozen=True)
class Packed:
    """A submission as bytes: a folder's files and links (`submission_files.entries`), or a lone
    file (zip, notebook or .py) whole, unpacked on the worker by `task.grade_one`."""
    origin: str  # its path where grade-all runs
    is_dir: bool
    files: tuple[tuple[str, bytes | None, str | None], ...]  # (path inside, bytes, a link's target)

    @classmethod
    def of(cls, path: Path) -> "Packed":
        """BadSubmission for what cannot be read safely, as on one machine."""
        path = Path(path)
        if kind(path) != "folder":
            return cls(str(path), False, ((path.name, read_bytes(path), None),))
        return cls(str(path), True, tuple((e.name, None if e.link is not None else e.read(), e.link)
                                          for e in entries(path)))

    def unpack(self, into: Path) -> Path:
        """Write the files (links as links) under `into`; the submission's path there."""
        name = Path(self.origin).name
        base = into / name if self.is_dir else into
        base.mkdir(parents=True, exist_ok=True)
        write((Entry(relative, link, lambda data=data: iter((data,))) for relative, data, link in self.files), base)
        return base if self.is_dir else into / name


# -- what a worker needs -------------------------------------------------------------------
@dataclass(frozen=True)
class Needs:
    """What grading `assignment_id` needs on a worker."""
    version: str
    assignment_id: str
    data_dir: str | None  # --data-dir (or this machine's COURSE_DATA_DIR), tried first on workers
    data_dir_given: bool  # --data-dir was given: it must exist on every worker
    allow_unisolated: bool = False  # --allow-unisolated: grade even where bubblewrap is missing
    course_dir: str = ""  # the course folder, at the same path on every worker (a shared file system)


def _course_of(needs: Needs):
    """The course `needs` names, pointed at in this worker (CourseError when it is not there)."""
    return course.use(Path(needs.course_dir)) if needs.course_dir else course.current()


_ready: set[Needs] = set()  # what this worker process has found in order


def problems(needs: Needs) -> list[str]:
    """Run on a worker: what is missing there for `needs`, each with its fix; [] when nothing."""
    if needs in _ready:
        return []
    found = []
    if grader.__version__ != needs.version:
        found.append(f"it has grader {grader.__version__}, not {needs.version}; install the same version "
                     f"there: pip install 'course-grader[cluster]=={needs.version}'")
    try:
        assignment = _course_of(needs).get(needs.assignment_id)
    except CourseError as err:
        return found + [f"the course is not there ({err}); make the course folder {needs.course_dir} reachable "
                        f"at that path on every worker (a shared file system)"]
    reference = assignment.solution_dir / f"{assignment.module}.py"
    if not reference.is_file():
        found.append(f"the reference solution {reference} is missing there; give the workers the instructor's "
                     f"course folder (with solutions/), at that path, on a file system they share")
    if needs.data_dir_given and not Path(needs.data_dir).is_dir():
        found.append(f"the --data-dir folder {needs.data_dir} does not exist there; make it reachable at that "
                     f"path on every worker (a shared file system), or leave --data-dir out and set "
                     f"{store.DATA_DIR_ENV} on each worker")
    for name in assignment.datasets:
        try:
            store.locate(DATASETS[name], needs.data_dir)
        except CourseError as err:
            found.append(str(err).rstrip("."))
    try:
        isolation.require_isolation(needs.allow_unisolated)
    except CourseError as err:
        found.append(str(err).rstrip("."))
    if not found:
        _ready.add(needs)
    return found


def _describe(address: str, needs: Needs, found: list[str]) -> str:
    return f"Dask worker {address} cannot grade {needs.assignment_id}: " + "; and ".join(found) + "."


def preflight(client, needs: Needs) -> None:
    """CourseError naming each worker that lacks something, and the fix, before anything is graded."""
    results = client.run(problems, needs, on_error="return")
    lines = []
    for address, found in sorted(results.items()):
        if isinstance(found, BaseException):
            found = [f"the check failed there ({type(found).__name__}: {found}); is the course installed "
                     f"on it? pip install 'course-grader[cluster]=={needs.version}'"]
        if found:
            lines.append(_describe(address, needs, found))
    if lines:
        raise CourseError("\n".join(lines))


# -- a task ----------------------------------------------------------------------------------
def _device(assignment, gpu_requested: bool, worker: str) -> tuple[str, str]:
    """(device, note for the report) on this worker."""
    if not needs_gpu(assignment):
        return "auto", ""
    if not gpu_requested:
        return "cpu", NO_GPU_WORKER
    import torch
    if torch.cuda.is_available():
        return "cuda", ""
    return "cpu", (f"graded on the CPU: Dask worker {worker} declares a GPU resource, but PyTorch "
                   f"{torch.__version__} sees no CUDA device there")


def grade_packed(packed: Packed, options: dict, needs: Needs, gpu_requested: bool) -> dict:
    """Grade one submission on a worker; the report as plain JSON data, as `task.grade_one` gives it."""
    from distributed import get_worker
    worker = get_worker().address
    found = problems(needs)
    if found:
        raise CourseError(_describe(worker, needs, found))
    assignment = _course_of(needs).get(needs.assignment_id)
    device, note = _device(assignment, gpu_requested, worker)
    with tempfile.TemporaryDirectory(prefix="course-cluster-") as tmp:
        path = packed.unpack(Path(tmp))
        report = task.grade_one(assignment.id, path, dict(options, device=device))
    report = task.renamed(report, path, packed.origin)  # as it was given, not this worker's copy
    report["environment"]["dask_worker"] = worker
    if note:
        report["notes"].append(note)
    return report


# -- the cluster -----------------------------------------------------------------------------
@contextlib.contextmanager
def connect(address: str, gpu: bool = False):
    """A Client of the scheduler at `address`, or of N new local worker processes for "local:N"
    (each declaring a GPU resource when `gpu`)."""
    distributed = _distributed()
    if address.startswith(LOCAL):
        count = address[len(LOCAL):]
        if not count.isdigit() or int(count) < 1:
            raise CourseError(f"--cluster {address}: write local:N with N >= 1 worker processes, e.g. local:2.")
        with distributed.LocalCluster(n_workers=int(count), threads_per_worker=1, processes=True,
                                      dashboard_address=":0", resources={"GPU": 1} if gpu else None) as cluster, \
                distributed.Client(cluster) as client:
            yield client
        return
    try:
        client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S)
    except (OSError, TimeoutError, ValueError) as err:
        raise CourseError(f"cannot reach the Dask scheduler at {address} ({type(err).__name__}: {err}); start "
                          f"one with `dask scheduler` and give its address, e.g. --cluster tcp://HOST:8786, "
                          f"or try --cluster local:2 (docs/cluster.md).") from None
    with client:
        try:
            client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
        except TimeoutError:
            raise CourseError(f"no Dask worker joined the scheduler at {address} within {WORKERS_TIMEOUT_S:g} s; "
                              f"start some with `dask worker {address} --nthreads 1` (docs/cluster.md).") from None
        yield client


def gpu_workers(client) -> list[str]:
    """The workers that declare a GPU resource."""
    try:
        workers = client.scheduler_info(n_workers=-1)["workers"]  # all of them, not the first few
    except TypeError:  # distributed before n_workers: always all
        workers = client.scheduler_info()["workers"]
    return sorted(a for a, w in workers.items() if w.get("resources", {}).get("GPU", 0) >= 1)


def _cuda_here() -> bool:
    import torch
    return torch.cuda.is_available()


@contextlib.contextmanager
def completed(assignment_id: str, todo, options: dict, address: str):
    """(future, (submission, digest)) for each submission of `todo` as its grading on the
    cluster finishes; `future.result()` is the report, or raises (KilledWorker: its worker
    died too often). Leaving closes the client, which drops whatever is not done."""
    distributed = _distributed()
    assignment = course.get(assignment_id)
    data_dir = options.get("data_dir") or os.environ.get(store.DATA_DIR_ENV) or None
    needs = Needs(grader.__version__, assignment.id, str(Path(data_dir).resolve()) if data_dir else None,
                  options.get("data_dir") is not None, bool(options.get("allow_unisolated")),
                  str(assignment.course_root))
    options = dict(options, data_dir=needs.data_dir)
    gpu_local = address.startswith(LOCAL) and needs_gpu(assignment) and _cuda_here()
    with connect(address, gpu=gpu_local) as client:
        preflight(client, needs)
        on_gpu = needs_gpu(assignment) and bool(gpu_workers(client))
        run = uuid.uuid4().hex[:8]
        pending, unreadable = {}, []
        for s, digest in todo:
            try:
                packed = Packed.of(s.path)
            except BadSubmission as err:  # changed since it was hashed: that student's problem only
                unreadable.append((_failed(err), (s, digest)))
                continue
            pending[client.submit(grade_packed, packed, dict(options, submitted_at=s.time), needs, on_gpu,
                                  key=f"grade-{assignment.id}-{s.student}-{run}",
                                  resources={"GPU": 1} if on_gpu else None)] = (s, digest)
        yield itertools.chain(unreadable, ((future, pending[future]) for future in distributed.as_completed(pending)))


def _failed(error: Exception) -> futures.Future:
    """A future that failed with `error` before it was submitted."""
    future = futures.Future()
    future.set_exception(error)
    return future
