"""Assignment 1's check inputs come from the salt (grader/inputs.py) when the instructor grades,
and are exactly the release's fixed inputs without one.

The checks run here in this process through `InProcess`, a stand-in for the sandbox that keeps
every input a check hands to student code, by the digest the bundle's recorded answers are
looked up by (`oracle.key`).
"""
import copy
import importlib.util
import math
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest

from course_lib.datasets import load_air_quality
from grader import course, inputs, oracle
from grader.grade import grade_submission, run_check
from grader.rubric import Context
from grader.sandbox import StudentFault
from tests.support import corpus_of, write_mutant

CORRECT, MISTAKES = corpus_of("assignment1", "CORRECT", "MISTAKES")

A1 = course.get("assignment1")
SALTS = [tuple(int(w) for w in np.random.default_rng(seed).integers(0, 2**32, 8)) for seed in range(8)]


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PROBES = _load(A1.probes_file, "assignment1_probes_in_process")


class Call(NamedTuple):
    """What a check handed to student code: a function or probe name and its arguments."""
    name: str
    args: tuple
    kwargs: dict

    @property
    def digest(self) -> str:
        """The digest the bundle looks a recorded answer up by."""
        return oracle.key(self.name, self.args, self.kwargs)


class InProcess:
    """The sandbox's stand-in: runs `module` (and the probes on it) in this process, on copies
    of the inputs; `calls` holds every call a check made, in order."""

    def __init__(self, module):
        self.module, self.calls = module, []

    def call(self, name, *args, label, timeout=None, limit=None, target=None, return_args=False, **kwargs):
        self.calls.append(Call(target or name, copy.deepcopy(args), copy.deepcopy(kwargs)))
        args = copy.deepcopy(args)
        try:
            if name == "call":
                value = getattr(self.module, target)(*args, **kwargs)
            else:
                value = getattr(PROBES, name)(self.module, *args, **kwargs)
        except Exception as err:  # noqa: BLE001 - a fault, as the sandbox reports it
            raise StudentFault(f"{label} raised {type(err).__name__}: {err}") from None
        return {"value": value, "args_after": args}


def calls_of(check, salt, data_dir) -> list[Call]:
    """The calls `check` makes on the reference, with its inputs drawn with `salt`."""
    sandbox = InProcess(A1.reference())
    with inputs.drawn_with(salt):
        check.run(Context(sandbox, check.timeout_s, data_dir))
    return sandbox.calls


def calls_of_every_check(salt, data_dir) -> dict[str, list[Call]]:
    return {check.id: calls_of(check, salt, data_dir) for check in A1.rubric.checks}


def inputs_of_every_check(salt, data_dir) -> dict[str, list[str]]:
    """check id -> the digests of the inputs it gives the reference, drawn with `salt`."""
    return {check_id: [call.digest for call in calls]
            for check_id, calls in calls_of_every_check(salt, data_dir).items()}


# -- today's inputs, written out as the rubric built them before the salt -----------------

def todays_measurements() -> dict:
    rng = np.random.default_rng(11)
    return {"PM2.5": rng.uniform(3, 300, 12).round(1), "PM10": rng.uniform(5, 400, 12).round(1),
            "SO2": rng.uniform(2, 50, 12).round(1)}


def todays_air_frame():
    frame = pd.DataFrame({"No": np.arange(1, 13), **todays_measurements(),
                          "station": ["Dongsi"] * 6 + ["Tiantan"] * 6})
    frame.loc[[1, 5], "PM2.5"] = np.nan
    frame.loc[[5, 8], "PM10"] = np.nan
    frame.loc[[3, 8, 10], "SO2"] = np.nan
    return frame


def todays_rows(n):
    ids = np.arange(n, dtype=float)
    return np.column_stack([ids, 2 * ids + 0.5]), 3 * ids + 1


def todays_regression(seed, n=60, d=3):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d)) * [1.0, 10.0, 0.1][:d]
    return X, 3.0 + X @ np.array([2.0, -0.5, 7.0])[:d] + rng.normal(scale=0.3, size=n)


def todays_beijing_train(data_dir):
    frame = load_air_quality(data_dir, columns=["PM10", "PM2.5"]).dropna(subset=["PM10", "PM2.5"])
    X, y = frame[["PM10"]].to_numpy(), frame["PM2.5"].to_numpy()
    train = np.random.default_rng(0).permutation(len(X))[math.ceil(len(X) * 0.2):]
    return X[train], y[train]


def todays_inputs(data_dir) -> dict[str, list[str]]:
    key = oracle.key
    frame, split = todays_air_frame(), "train_test_split"
    seed0 = key(split, todays_rows(100), {"test_size": 0.2, "seed": 0})
    rng = np.random.default_rng(7)
    metrics = (rng.normal(50, 20, size=200), rng.normal(50, 20, size=200))
    return {
        "drop_missing.rows": [key("drop_missing", (frame,))],
        "drop_missing.columns": [key("drop_missing", (frame,), {"columns": ("SO2",)})],
        "drop_missing.input_unchanged": [key("drop_missing", (frame,))],
        "train_test_split.sizes": [key(split, todays_rows(n), {"test_size": size, "seed": 0})
                                   for n, size in [(10, 0.25), (101, 0.2), (7, 0.5)]],
        "train_test_split.partition": [seed0],
        "train_test_split.shuffled": [seed0],
        "train_test_split.seeded": [  # (X, y, the global random state before the call)
            key("split_after_state", (*todays_rows(100), 0), {"test_size": 0.2, "seed": 0}),
            key("split_after_state", (*todays_rows(100), 1), {"test_size": 0.2, "seed": 0}),
            key("split_after_state", (*todays_rows(100), 1)),
            key("split_after_state", (*todays_rows(100), 0), {"test_size": 0.2, "seed": 1})],
        "add_bias.matrix": [key("add_bias", (np.random.default_rng(2).normal(size=(5, 3)),))],
        "add_bias.vector": [key("add_bias", (np.array([1.5, -2.0, 3.25, 0.0]),))],
        "linear_regression.weights": [key("fit_weights", todays_regression(3))],
        "linear_regression.fit_returns_self": [key("fit_weights", todays_regression(4))],
        "linear_regression.predict": [key("fit_predict", (*todays_regression(5), todays_regression(6, n=20)[0]))],
        "linear_regression.predict_before_fit": [key("predict_unfitted", (np.ones((3, 1)),))],
        **{f"metrics.{name}": [key(name, metrics)] for name in ("mae", "mse", "rmse", "r2_score")},
        "end_to_end.r2": [key("fit_weights", todays_beijing_train(data_dir))],
    }


def nan_rows(frame) -> dict[str, list[int]]:
    return {column: np.flatnonzero(frame[column].isna()).tolist() for column in ("PM2.5", "PM10", "SO2")}


def has_todays_values(frame) -> bool:
    """Whether every measured value of `frame` is one today's frame drew."""
    return all(set(frame[column].dropna()) <= set(values) for column, values in todays_measurements().items())


PIECES = {  # each thing the salt draws, alone: (check, the piece of its calls, the piece today)
    "the frame's values": ("drop_missing.rows", lambda calls: has_todays_values(calls[0].args[0]), True),
    "the frame's NaN rows": ("drop_missing.rows", lambda calls: nan_rows(calls[0].args[0]),
                             {"PM2.5": [1, 5], "PM10": [5, 8], "SO2": [3, 8, 10]}),
    "the id of row 0": ("train_test_split.partition", lambda calls: float(calls[0].args[0][:, 0].min()), 0.0),
    "the seed where any will do": ("train_test_split.partition", lambda calls: calls[0].kwargs["seed"], 0),
    "the seed of the size cases": ("train_test_split.sizes", lambda calls: [c.kwargs["seed"] for c in calls], [0] * 3),
    "the number of rows of each size case": ("train_test_split.sizes", lambda calls: [len(c.args[0]) for c in calls],
                                             [10, 101, 7]),
    "the seed other than 0": ("train_test_split.seeded", lambda calls: calls[3].kwargs["seed"], 1),
    "the global random state before the seeded calls": ("train_test_split.seeded",
                                                        lambda calls: [c.args[2] for c in calls], [0, 1, 1, 0]),
}


# -- the tests ----------------------------------------------------------------------------

def test_unsalted_inputs_are_exactly_todays(data_dir):
    """What the release records and the bundle's `course check` draws: unchanged, bit for bit."""
    assert inputs_of_every_check(None, data_dir) == todays_inputs(data_dir)


def test_every_input_of_every_check_depends_on_the_salt(data_dir):
    unsalted, first, second = (inputs_of_every_check(salt, data_dir) for salt in (None, SALTS[0], SALTS[1]))
    assert set(first) == {c.id for c in A1.rubric.checks}
    for check_id in first:
        assert len(first[check_id]) == len(unsalted[check_id]) == len(second[check_id])
        for fixed, one, other in zip(unsalted[check_id], first[check_id], second[check_id]):
            assert one != fixed and one != other, f"{check_id}: an input does not depend on the salt"


@pytest.mark.parametrize("piece", sorted(PIECES))
def test_each_drawn_piece_depends_on_the_salt(piece, data_dir):
    """Each thing the salt draws, on its own, so that dropping any one of them fails here."""
    check_id, piece_of, today = PIECES[piece]
    check = next(c for c in A1.rubric.checks if c.id == check_id)
    assert piece_of(calls_of(check, None, data_dir)) == today
    assert all(piece_of(calls_of(check, salt, data_dir)) != today for salt in SALTS[:2])


def test_the_same_salt_draws_the_same_inputs(data_dir):
    """A regrade with the same secret and files sees the same inputs."""
    assert inputs_of_every_check(SALTS[2], data_dir) == inputs_of_every_check(SALTS[2], data_dir)


def test_the_end_to_end_split_is_cached_per_salt(data_dir):
    checks = A1.checks_module
    beijing_seed, beijing_split = checks.beijing_seed, checks.beijing_split
    seeds = []
    for salt in (None, SALTS[0], SALTS[1]):
        with inputs.drawn_with(salt):
            seeds.append(beijing_seed())
            X_train = beijing_split(data_dir, beijing_seed())[0]
            assert X_train is beijing_split(data_dir, beijing_seed())[0]  # cached within one salt
    assert seeds[0] == 0 and len(set(seeds)) == 3


def _subjects(tmp_path):
    """(name, module, the checks it must fail, the mistake it must be diagnosed with)."""
    yield "reference", A1.reference(), frozenset(), None
    for corpus, kind in ((MISTAKES, "mistake"), (CORRECT, "correct")):
        for name, mutant in sorted(corpus.items()):
            folder = write_mutant("assignment1", mutant, tmp_path / name)
            module = _load(folder / f"{A1.module}.py", f"assignment1_{kind}_{name}")
            yield name, module, mutant.breaks, name if kind == "mistake" else None


@pytest.mark.filterwarnings("ignore:The inplace keyword")  # the dropna_inplace mutant, in this process
@pytest.mark.parametrize("salt", SALTS[2:], ids=lambda salt: f"salt{salt[0]:08x}")
def test_the_corpus_is_graded_right_under_other_salts(salt, tmp_path, data_dir):
    """Drawn inputs keep what the checks rely on: the reference and the correct variants pass
    everything, each mutant fails exactly its checks with its mistake named (the checks run
    in this process, so many salts are cheap; test_grading does it through the sandbox)."""
    with inputs.drawn_with(salt):
        for name, module, breaks, mistake in _subjects(tmp_path):
            results = [run_check(check, InProcess(module), data_dir) for check in A1.rubric.checks]
            assert {r.id for r in results if not r.passed} == breaks, (name, [r.message for r in results])
            assert {r.diagnosis for r in results if r.diagnosis} == ({mistake} if mistake else set()), name


def test_grading_hands_the_student_code_inputs_of_its_secret(data_dir):
    """Through the sandbox: the weights the reference fits on the end-to-end split (recorded in
    the report) differ between two secrets, and without one are those of today's split."""
    def weights(secret):
        report = grade_submission(A1, A1.solution_dir, data_dir=data_dir, secret=secret)
        assert report.score == report.max_score
        return next(c for c in report.checks if c.id == "end_to_end.r2").diagnostics["weights"]
    X, y = todays_beijing_train(data_dir)
    today = np.linalg.lstsq(np.column_stack([np.ones(len(X)), X]), y, rcond=None)[0]
    unsalted, one, other = weights(None), weights(b"one secret"), weights(b"another secret")
    np.testing.assert_allclose(unsalted, today, rtol=1e-9)
    assert not np.allclose(one, today, rtol=1e-4) and not np.allclose(one, other, rtol=1e-4)
