"""A lookup table built only from a student bundle earns nothing from the instructor's grading.

The bundle holds the visible checks' source and the reference's recorded answers to them
(`grader.oracle`). The submission here computes nothing: every name of the module is the
bundle's own `Replay` of that recording, which answers any call whose arguments the visible
checks use. Drawn the way the bundle draws (no secret), it scores most of the visible points;
drawn with the course secret (`grader.inputs`), as the instructor grades, it scores at most
what needs no computation, which for these rubrics is nothing.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from grader import course, release
from grader.grade import grade_submission

ATTACK = '''"""Answers from the release's recording; computes nothing."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lookup_oracle  # noqa: E402 - the bundle's grader/oracle.py, next to its wire.py

_recording = lookup_oracle.Replay(lookup_oracle.load(lookup_oracle.Path(os.path.dirname(
    os.path.abspath(__file__))), "recorded"), "ref")


def __getattr__(name):
    return getattr(_recording, name)
'''
IDS = ["assignment1", "assignment2", "assignment4"]  # assignment 3 compares with torch's own attention: nothing recorded to look up


@pytest.fixture(scope="module", params=IDS)
def lookup_submission(request, tmp_path_factory):
    """The bundle of the assignment, and a submission made of nothing but its recording."""
    assignment = course.get(request.param)
    bundle = tmp_path_factory.mktemp("bundle") / assignment.id
    release.main(assignment_id=assignment.id, out=bundle)
    folder = tmp_path_factory.mktemp("lookup") / "eve"
    folder.mkdir()
    for suffix in (".json", ".npz"):
        shutil.copy(bundle / "checks" / assignment.id / f"recorded{suffix}", folder)
    shutil.copy(bundle / "grader" / "sandbox" / "wire.py", folder / "wire.py")
    oracle = (bundle / "grader" / "oracle.py").read_text()
    (folder / "lookup_oracle.py").write_text(oracle.replace("from grader.sandbox import wire", "import wire"))
    (folder / f"{assignment.module}.py").write_text(ATTACK.format(id=assignment.id))
    return assignment, folder


def test_the_lookup_table_is_a_real_attack_on_fixed_inputs(lookup_submission, data_dir):
    """Unsalted, as today's main graded, the recording answers every visible check that compares
    with the reference (those of properties alone it cannot: they are not recorded)."""
    assignment, folder = lookup_submission
    report = grade_submission(assignment, folder, data_dir=data_dir, secret=None, time_scale=0.5)
    assert report.score > 0, [(c.id, c.message) for c in report.checks]  # 9 of 19 visible points on
    # assignment 1, 6 of 23 on assignment 2 (those whose expectation comes from the reference)


def test_the_lookup_table_earns_nothing_from_the_instructors_grading(lookup_submission, data_dir):
    assignment, folder = lookup_submission
    for secret in (b"one course secret", b"another course secret"):
        report = grade_submission(assignment, folder, data_dir=data_dir, secret=secret, time_scale=0.5)
        assert report.score == 0, [(c.id, c.message) for c in report.checks if c.passed]
        assert report.environment["input_secret"]
