"""The training checks' time limits scale with the machine (grader/timing.py): measured from the
reference just before, recorded in the report, named in the timeout message, and bounded."""
import multiprocessing
import os
import time
from dataclasses import replace

import pytest

from grader import course, timing
from grader.grade import _grade_folder
from grader.timing import Measured, ReferenceClock
from tests.support import Mutant, write_mutant

A2 = course.get("assignment2")
TRAIN_RELU = next(c for c in A2.rubric.checks if c.id == "train.relu")
FLOAT64 = Mutant((("dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64",
                   "X, Y = X.astype(np.float64), Y.astype(np.float64)  # the textbook's float64\n"
                   "    dtype = np.float64"),), frozenset())
ENDLESS = Mutant((("    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64\n",
                   "    while True:  # waits for a condition that never comes\n        pass\n"),),
                 frozenset({"train.relu"}))


def test_the_limit_is_the_stated_multiple_between_floor_and_ceiling():
    rule = Measured(lambda ctx: None, share=0.1, multiple=10, floor_s=300, ceiling_s=1800)
    assert rule.limit(12.0) == 300  # an idle machine: the floor (the old fixed limit) holds
    assert rule.limit(47.0) == 470  # a busy one: 10 x the reference
    assert rule.limit(500.0) == 1800  # never unbounded: an endless loop still ends


def test_without_a_reference_the_fixed_limit_holds_and_says_so(tmp_path):
    no_reference = type("Bundle", (), {"solution_dir": tmp_path, "module": A2.module})()
    limit = ReferenceClock(no_reference, None, "cpu").limit(TRAIN_RELU)
    assert limit.seconds == TRAIN_RELU.timeout_s and limit.reference_s is None
    assert "no reference" in limit.why


def test_a_failing_measurement_falls_back_to_the_fixed_limit(tmp_path):
    broken = replace(TRAIN_RELU, measured=Measured(lambda ctx: ctx.call("no_such_function"), share=0.5))
    with ReferenceClock(A2, tmp_path, "cpu") as clock:
        limit = clock.limit(broken)
    assert (limit.seconds, limit.reference_s) == (TRAIN_RELU.timeout_s, None)
    assert "measuring the reference failed" in limit.why


def test_a_process_reuses_a_recent_measurement_unless_the_machine_got_busier(tmp_path, monkeypatch):
    """A batch worker measures a check's sample once in REUSE_S seconds, not once per student,
    and says how long before it measured; an older measurement, or a busier machine, measures again."""
    samples = []
    counting = replace(TRAIN_RELU, measured=Measured(lambda ctx: samples.append(time.sleep(0.05)), share=0.5))
    load = [1.0]
    monkeypatch.setattr(timing, "_recent", {})
    monkeypatch.setattr(timing, "_load", lambda: load[0])

    def limit():  # a grading's own clock
        with ReferenceClock(A2, tmp_path, "cpu") as clock:
            return clock.limit(counting)

    def measured_before(seconds):
        timing._recent.update({k: (t - seconds, *rest) for k, (t, *rest) in timing._recent.items()})

    first = limit()
    assert len(samples) == 1 and 0.1 <= first.reference_s < 1 and "measured just before" in first.why
    measured_before(30)
    second = limit()
    assert len(samples) == 1 and second == replace(first, why=second.why) and "measured 30 s before" in second.why
    measured_before(timing.REUSE_S)
    assert "just before" in limit().why and len(samples) == 2  # too old
    load[0] = 2.0  # the machine got busier than 1.25 x the load then + 0.5
    assert "just before" in limit().why and len(samples) == 3
    load[0] = 1.5  # less busy than then: reused
    assert limit().reference_s and len(samples) == 3


def busy_loop():
    while True:
        pass


@pytest.fixture
def busy_machine():
    """Two busy-loop processes per core, as on a lab server at a deadline."""
    workers = [multiprocessing.get_context("spawn").Process(target=busy_loop, daemon=True)
               for _ in range(2 * (os.cpu_count() or 1))]
    for w in workers:
        w.start()
    yield len(workers)
    for w in workers:
        w.kill()
        w.join()


def train_relu_report(folder, data_dir, time_scale=1.0):
    return _grade_folder(A2, [TRAIN_RELU], folder, data_dir=data_dir, time_scale=time_scale,
                         secret=A2.course_secret())


@pytest.mark.slow
def test_a_correct_float64_training_passes_on_a_busy_machine(tmp_path, data_dir, busy_machine):
    report = train_relu_report(write_mutant("assignment2", FLOAT64, tmp_path / "float64"), data_dir)
    (result,) = report.checks
    assert result.status == "passed", result.message
    reference_s, limit_s = result.diagnostics["reference_time_s"], result.diagnostics["time_limit_s"]
    assert limit_s == pytest.approx(max(300, 10 * reference_s), rel=1e-3)
    assert "10 times the" in result.diagnostics["time_limit_rule"]


@pytest.mark.slow
def test_an_endless_loop_fails_within_the_limit_it_is_told(tmp_path, data_dir, busy_machine):
    folder = write_mutant("assignment2", ENDLESS, tmp_path / "endless")
    start = time.monotonic()
    report = train_relu_report(folder, data_dir, time_scale=0.1)  # a 30 s floor keeps the test short
    (result,) = report.checks
    assert result.status == "timeout" and result.points == 0
    limit_s, reference_s = result.diagnostics["time_limit_s"], result.diagnostics["reference_time_s"]
    assert limit_s == pytest.approx(max(30, reference_s), rel=1e-3)
    assert f"time limit of {limit_s:.4g} s" in result.message
    assert f"the {reference_s:.3g} s the reference solution takes" in result.message
    assert "endless loop, or far too slow" not in result.message
    # the measurement (one reference epoch) + the limit + the worker's grace to kill it
    assert time.monotonic() - start < reference_s * 0.1 + limit_s + 60

