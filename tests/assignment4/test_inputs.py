"""Every input of every assignment-4 check depends on the grading's salt (grader/inputs.py), and
one salt draws the same inputs again. The checks run here in this process against the
reference, through a context that keeps the key (`oracle.key`: the call and a digest of its
arguments) of every call into student code; MNIST-sized calls are answered with zeros (the
check then fails, which is fine here: its inputs so far are recorded) and training stops it."""
from __future__ import annotations

import numpy as np
import pytest

from grader import course, inputs, oracle
from grader.rubric import CheckFailed

A4 = course.get("assignment4")
REF = A4.reference()
SALT_A, SALT_B = (inputs.salt_for(secret, A4.id, "0" * 64) for secret in (b"secret a", b"secret b"))


class Stop(Exception):
    """A check reached training on MNIST: its inputs so far are recorded."""


class Recording:
    def __init__(self, data_dir):
        self.data_dir, self.keys, self.diagnostics = data_dir, [], {}

    def _keep(self, name, args, kwargs):
        self.keys.append(oracle.key(name, args, kwargs))

    def call(self, target, *args, **kwargs):
        self._keep(target, args, kwargs)
        if target == "train_sgd":
            raise Stop
        if target.endswith("_distances") and len(args[0]) > 100:
            return np.zeros((len(args[0]), len(args[1])))
        return getattr(REF, target)(*args, **kwargs)

    def call_keeping_args(self, target, *args, **kwargs):
        return self.call(target, *args, **kwargs), args

    def probe(self, name, *args, label, **kwargs):
        self._keep(name, args, kwargs)
        module = REF if name != "train_with_standins" else _fresh_reference()
        return getattr(A4.checks_module._probes(), name)(module, *args, **kwargs)

    def record(self, key, value):
        self.diagnostics[key] = value


def _fresh_reference():
    """A copy of the reference module for the probe that puts stand-ins into it."""
    import types
    module = types.ModuleType("linear_classifier")
    exec((A4.solution_dir / "linear_classifier.py").read_text(), module.__dict__)
    return module


def recorded(check, salt, data_dir) -> list:
    ctx = Recording(data_dir)
    with inputs.drawn_with(salt):
        try:
            check.run(ctx)
        except (Stop, CheckFailed):
            pass
    return ctx.keys


CHECKS = {c.id: c for c in A4.rubric.checks}


@pytest.mark.slow
@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_every_input_of_every_check_depends_on_the_salt(check_id, data_dir):
    check = CHECKS[check_id]
    a, b, none = (recorded(check, salt, data_dir) for salt in (SALT_A, SALT_B, None))
    assert a and len(a) == len(b) == len(none)
    for i, (key_a, key_b, key_none) in enumerate(zip(a, b, none)):
        assert key_a != key_b, f"{check_id}: call {i} gets the same inputs under two salts"
        assert key_a != key_none, f"{check_id}: call {i} gets the unsalted inputs under a salt"
    assert recorded(check, SALT_A, data_dir) == a, f"{check_id}: one salt must draw the same inputs again"
