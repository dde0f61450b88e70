"""Assignment 3's inputs: exactly today's fixed inputs without a salt (a release records the
reference's answers for those, and the bundle's `course check` replays them), drawn anew from
the salt when the instructor grades (so that no recording of answers earns the points), and
graded right whatever the salt.

The checks run here in this process against a stand-in for the sandbox that runs each probe
on a module loaded here, and keeps every probe call: what the student's code would be given.
"""
import math

import numpy as np
import pytest

from grader import course, inputs, oracle
from tests import in_process
from tests.support import corpus_of, write_mutant

CORRECT, MISTAKES = corpus_of("assignment3", "CORRECT", "MISTAKES")

A3 = course.get("assignment3")
a3 = A3.checks_module
CHECKS = {c.id: c for c in A3.rubric.checks}
SALTS = [inputs.salt_for(f"course secret {i}".encode(), A3.id, "0" * 64) for i in range(6)]

PROBES = in_process.load(A3.probes_file, "assignment3_probes_in_process")
REFERENCE = in_process.load(A3.solution_dir / f"{A3.module}.py", "assignment3_reference_in_process")


def graded(check_id: str, salt, module=REFERENCE):
    """(the CheckResult of `check_id` on `module` with inputs drawn with `salt`, its probe calls)."""
    return in_process.graded(CHECKS[check_id], PROBES, module, salt)


# -- today's inputs, written out as the checks drew them before there were salts ------------

def today_normal(seed, *shape):
    return np.random.default_rng(seed).normal(size=shape)


def today_qkv(seed):
    return [today_normal(seed + i, *shape) for i, shape in enumerate(((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 6)))]


def today_weights(seed):
    rng = np.random.default_rng(seed)
    return {name: {"weight": rng.normal(scale=1 / math.sqrt(16), size=(16, 16)),
                   "bias": rng.normal(scale=0.1, size=16)} for name in ("query", "key", "value", "out")}


def today_padding(lengths, keys):
    return (np.arange(keys) < np.array(lengths)[:, None])[:, None, None, :]


def today_scattered():
    mask = np.random.default_rng(31).random((5, 7)) < 0.6
    mask[:, 0] = True
    return mask


def today_mhsa(seed, mask, dtype, dropout=0.0, train=False, upstream=None):
    """A call of the mhsa probe; seed=0 is the probe's default, which today's calls left implicit."""
    return ("mhsa", dict(hidden=16, heads=4, dropout=dropout, weights=today_weights(seed),
                         x=today_normal(seed + 1, 3, 6, 16), mask=mask, dtype=dtype, device="cpu", train=train,
                         seed=0, upstream=upstream))


def sdpa(q, k, v, mask, dtype):
    return "sdpa", dict(q=q, k=k, v=v, mask=mask, dtype=dtype, device="cpu")


TODAY = {
    "tp_attn.split": lambda: [("tp_attn", dict(hidden=20, heads=4, x=np.arange(120, dtype=float).reshape(2, 3, 20),
                                               device="cpu"))],
    "merge_heads.inverse": lambda: [("merge_heads", dict(hidden=20, heads=4, device="cpu",
                                                         x=np.arange(120, dtype=float).reshape(2, 4, 3, 5)))],
    "sdpa.no_mask": lambda: [sdpa(*today_qkv(20), None, "float64"), sdpa(*today_qkv(20), None, "float32")],
    "sdpa.mask": lambda: [sdpa(*today_qkv(30), today_scattered(), "float64"),
                          sdpa(*today_qkv(30), today_padding([7, 3], 7), "float32")],
    "sdpa.masked_zero": lambda: [sdpa(*today_qkv(40), np.tril(np.ones((5, 7), dtype=bool), k=1), "float32")],
    "mhsa.init": lambda: [("attributes", dict(hidden=24, heads=4))],
    "mhsa.value_error": lambda: [("construct_error", dict(hidden=24, heads=4)),  # divisible: no error
                                 ("construct_error", dict(hidden=10, heads=3)),
                                 ("construct_error", dict(hidden=16, heads=5))],
    "mhsa.no_mask": lambda: [today_mhsa(50, None, "float64"), today_mhsa(50, None, "float32")],
    "mhsa.padding_mask": lambda: [today_mhsa(60, today_padding((6, 4, 2), 6), dtype)
                                  for dtype in ("float64", "float32")],
    "mhsa.causal_mask": lambda: [today_mhsa(70, np.tril(np.ones((6, 6), dtype=bool)), dtype)
                                 for dtype in ("float64", "float32")],
    "mhsa.gradients": lambda: [today_mhsa(80, today_padding((6, 4, 2), 6), "float64",
                                          upstream=today_normal(82, 3, 6, 16))],
    "mhsa.dropout_eval": lambda: [today_mhsa(90, None, "float64", dropout=0.5)],
    "mhsa.dropout_train": lambda: [today_mhsa(100, None, "float64", dropout=0.5, train=True)],
}

# What each check draws: every other argument (sizes, dtype, device, dropout p, the causal and
# triangular masks a check is about, None) stays fixed by design.
DRAWN = {
    "tp_attn.split": {"x"}, "merge_heads.inverse": {"x"},
    "sdpa.no_mask": {"q", "k", "v"}, "sdpa.mask": {"q", "k", "v", "mask"}, "sdpa.masked_zero": {"q", "k", "v"},
    "mhsa.init": {"hidden", "heads"}, "mhsa.value_error": {"hidden", "heads"},
    "mhsa.no_mask": {"weights", "x", "seed"}, "mhsa.padding_mask": {"weights", "x", "mask", "seed"},
    "mhsa.causal_mask": {"weights", "x", "seed"}, "mhsa.gradients": {"weights", "x", "mask", "seed", "upstream"},
    "mhsa.dropout_eval": {"weights", "x", "seed"}, "mhsa.dropout_train": {"weights", "x", "seed"},
}


def digests(calls) -> list:
    return [(probe, {name: oracle.key(name, (value,)) for name, value in arguments.items()})
            for probe, arguments in calls]


def test_every_check_is_covered_here():
    assert set(TODAY) == set(DRAWN) == set(CHECKS)


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_without_a_salt_the_probes_get_exactly_todays_inputs(check_id):
    result, calls = graded(check_id, None)
    assert result.status == "passed", result.message
    assert calls == digests(TODAY[check_id]())


@pytest.fixture(scope="module")
def salted_runs():
    """{check id: [(result, calls) for each salt]} of the reference."""
    return {check_id: [graded(check_id, salt) for salt in SALTS] for check_id in CHECKS}


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_the_reference_passes_every_check_whatever_the_salt(check_id, salted_runs):
    assert [(r.status, r.message) for r, _ in salted_runs[check_id]] == [("passed", "correct")] * len(SALTS)


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_the_salt_draws_each_input_anew_and_nothing_else(check_id, salted_runs):
    runs = [calls for _, calls in salted_runs[check_id]]
    assert len({len(calls) for calls in runs}) == 1
    for i, (probe, arguments) in enumerate(runs[0]):
        varies = {name for name in arguments if len({calls[i][1][name] for calls in runs}) > 1}
        assert varies == DRAWN[check_id], f"call {i} of {check_id} ({probe})"
    assert runs[0] != graded(check_id, None)[1]


@pytest.mark.parametrize("check_id", ["tp_attn.split", "mhsa.value_error", "mhsa.dropout_train"])
def test_the_same_salt_draws_the_same_inputs_so_a_regrade_is_identical(check_id, salted_runs):
    assert graded(check_id, SALTS[0])[1] == salted_runs[check_id][0][1]


def test_salted_inputs_keep_the_properties_the_checks_rely_on():
    """Padding masks keep a key for every query and hide some; the sizes of the construction
    checks stay indivisible, and the head count unlike the head size."""
    for salt in [inputs.salt_for(f"{i}".encode(), A3.id, "") for i in range(200)]:
        with inputs.drawn_with(salt):
            for mask in (a3.sequence_mask(63), a3.padding_mask(a3.padded_lengths(33, (7, 3), 7), 7)):
                assert mask.any(axis=-1).all() and not mask.all()
            hidden, heads = inputs.indivisible(110, 3)
            assert hidden % heads != 0
            heads, head_size = a3.module_sizes(44)
            assert heads != head_size


# -- the corpus, graded for salts other than the suite's -----------------------------------

def grade_in_process(folder, salt) -> dict:
    """{check id: CheckResult} of the submission in `folder`, loaded here."""
    module = in_process.load(folder / f"{A3.module}.py", f"assignment3_{folder.name}_in_process")
    return {check_id: graded(check_id, salt, module)[0] for check_id in CHECKS}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_every_mistake_fails_exactly_its_checks_and_is_named_whatever_the_salt(name, tmp_path):
    folder = write_mutant(A3.id, MISTAKES[name], tmp_path / name)
    for salt in SALTS[:3]:
        results = grade_in_process(folder, salt).values()
        assert {r.id for r in results if not r.passed} == MISTAKES[name].breaks, salt
        assert {r.diagnosis for r in results if r.diagnosis} == {name}, [(r.id, r.message) for r in results]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CORRECT))
def test_every_correct_variant_gets_full_marks_whatever_the_salt(name, tmp_path):
    folder = write_mutant(A3.id, CORRECT[name], tmp_path / name)
    for salt in SALTS[:3]:
        results = grade_in_process(folder, salt).values()
        assert [(r.id, r.message) for r in results if not r.passed or r.diagnosis] == [], salt
