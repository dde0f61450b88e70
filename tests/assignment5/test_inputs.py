"""Assignment 5's inputs: fixed without a salt (what a release records and the bundle's
`course check` replays), drawn anew from the salt when the instructor grades, and graded right
whatever the salt; the corpus's mistakes are named whatever the salt.

The checks run here in this process against a stand-in for the sandbox that runs each probe on
a module loaded here and keeps every probe call (what the student's code would be given). The
learning check, which trains, is graded through the sandbox in test_grading.py.
"""

import numpy as np
import pytest

from grader import course, inputs
from tests import in_process
from tests.support import corpus_of, write_mutant

CORRECT, MISTAKES = corpus_of("assignment5", "CORRECT", "MISTAKES")

A5 = course.get("assignment5")
a5 = A5.checks_module
CHECKS = {c.id: c for c in A5.rubric.checks if c.id != "vit.learns"}
SALTS = [inputs.salt_for(f"course secret {i}".encode(), A5.id, "0" * 64) for i in range(3)]

PROBES = in_process.load(A5.probes_file, "assignment5_probes_in_process")
REFERENCE = in_process.load(A5.solution_dir / f"{A5.module}.py", "assignment5_reference_in_process")


def graded(check_id: str, salt, module=REFERENCE):
    """(the CheckResult of `check_id` on `module` with inputs drawn with `salt`, its probe calls)."""
    return in_process.graded(CHECKS[check_id], PROBES, module, salt)


@pytest.fixture(scope="module")
def runs():
    """{check id: [(result, calls) unsalted, then for each salt]} of the reference."""
    return {check_id: [graded(check_id, salt) for salt in (None, *SALTS)] for check_id in CHECKS}


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_the_reference_passes_every_check_with_or_without_a_salt(check_id, runs):
    assert [(r.status, r.message) for r, _ in runs[check_id]] == [("passed", "correct")] * (1 + len(SALTS))


FIXED = {"patchify.indivisible"}  # its image shapes are the structure the check is about


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_unsalted_inputs_are_fixed_and_a_salt_draws_them_anew(check_id, runs):
    calls = [c for _, c in runs[check_id]]
    assert graded(check_id, None)[1] == calls[0]  # what a release records
    assert graded(check_id, SALTS[0])[1] == calls[1]  # a regrade draws the same
    assert any(c != calls[0] for c in calls[1:]) != (check_id in FIXED)


def test_salted_inputs_keep_the_properties_the_checks_rely_on():
    """Padding masks keep a key for every query and hide some; indivisible sizes stay
    indivisible; encodings stay within the graded sizes with an even d_model; the training set
    is 256 distinct images whose digits are renamed by a permutation."""
    for salt in [inputs.salt_for(f"{i}".encode(), A5.id, "") for i in range(100)]:
        with inputs.drawn_with(salt):
            mask = a5.sequence_mask(63)
            assert mask.any(axis=-1).all() and not mask.all()
            for d, heads in (inputs.indivisible(42, 3), inputs.indivisible(45, 5)):
                assert d % heads != 0
            d, heads, ff = a5.layer_sizes(40)
            assert d % heads == 0 and ff != d
            assert all(1 < s <= 128 and 0 < d <= 64 and d % 2 == 0 for s, d in a5.pe_sizes(1))


def test_the_salted_training_set_is_a_secret_subset_with_renamed_digits(data_dir):
    images, labels = a5.training_set(data_dir)
    with inputs.drawn_with(SALTS[0]):
        secret_images, secret_labels = a5.training_set(data_dir)
    assert images.shape == secret_images.shape == (256, 1, 28, 28) and secret_labels.shape == (256,)
    assert not np.array_equal(images, secret_images)
    assert len(np.unique(secret_images.reshape(256, -1), axis=0)) == 256
    assert set(np.unique(secret_labels)) <= set(range(10))


def grade_in_process(folder, salt) -> dict:
    """{check id: CheckResult} of the submission in `folder`, loaded here."""
    module = in_process.load(folder / f"{A5.module}.py", f"assignment5_{folder.name}_in_process")
    return {check_id: graded(check_id, salt, module)[0] for check_id in CHECKS}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_every_mistake_fails_exactly_its_checks_and_is_named_whatever_the_salt(name, tmp_path):
    folder = write_mutant(A5.id, MISTAKES[name], tmp_path / name)
    for salt in SALTS:
        results = grade_in_process(folder, salt).values()
        assert {r.id for r in results if not r.passed} == MISTAKES[name].breaks - {"vit.learns"}, salt
        assert {r.diagnosis for r in results if r.diagnosis} == {name}, [(r.id, r.message) for r in results]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CORRECT))
def test_every_correct_variant_gets_full_marks_whatever_the_salt(name, tmp_path):
    folder = write_mutant(A5.id, CORRECT[name], tmp_path / name)
    for salt in SALTS:
        results = grade_in_process(folder, salt).values()
        assert [(r.id, r.message) for r in results if not r.passed or r.diagnosis] == [], salt
