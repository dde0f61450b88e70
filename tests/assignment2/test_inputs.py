"""Every input of every assignment-2 check depends on the grading's salt (grader/inputs.py), and
without a salt is exactly what it has always been: a release records the reference's answers
for the unsalted inputs, and the student bundle's `course check` replays them.

The checks run here in this process against the reference, through a context that records
what each call into student code would be handed (its `oracle.key`: the call and a digest of
its arguments) and stops at training, which is not needed to see the inputs."""
from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from course_lib.datasets.mnist import decoded_files, load_mnist
from grader import course, inputs, oracle

A2 = course.get("assignment2")
checks = A2.checks_module
REF = A2.reference()
SALT_A, SALT_B = (inputs.salt_for(secret, A2.id, "0" * 64) for secret in (b"secret a", b"secret b"))


def _probes():
    spec = importlib.util.spec_from_file_location("assignment2_probes", A2.probes_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


PROBES = _probes()


class Trains(Exception):
    """A check reached training: its inputs are recorded, the training itself is skipped."""


class Recording:
    """A check's context that answers with the reference in this process and keeps the key of
    every call: the call's name and a digest of its arguments."""

    def __init__(self, data_dir):
        self.data_dir, self.keys, self.calls, self.diagnostics = data_dir, [], [], {}

    def _keep(self, name, args, kwargs):
        self.keys.append(oracle.key(name, args, kwargs))
        self.calls.append((name, args, kwargs))
        if name.startswith("train"):
            raise Trains

    def call(self, target, *args, **kwargs):
        self._keep(target, args, kwargs)
        return getattr(REF, target)(*args, **kwargs)

    def probe(self, name, *args, label, **kwargs):
        self._keep(name, args, kwargs)
        return getattr(PROBES, name)(REF, *args)

    def record(self, key, value):
        self.diagnostics[key] = value


def recorded(check, salt, data_dir) -> Recording:
    """The calls `check` makes into student code when its inputs are drawn with `salt`."""
    ctx = Recording(data_dir)
    with inputs.drawn_with(salt):
        try:
            check.run(ctx)
        except Trains:
            pass
    return ctx


CHECKS = {c.id: c for c in A2.rubric.checks}


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_every_input_of_every_check_depends_on_the_salt(check_id, data_dir):
    check = CHECKS[check_id]
    a, b, none = (recorded(check, salt, data_dir).keys for salt in (SALT_A, SALT_B, None))
    assert a and len(a) == len(b) == len(none)
    for i, (key_a, key_b, key_none) in enumerate(zip(a, b, none)):
        assert key_a != key_b, f"{check_id}: call {i} gets the same inputs under two salts"
        assert key_a != key_none, f"{check_id}: call {i} gets the unsalted inputs under a salt"
    assert recorded(check, SALT_A, data_dir).keys == a, f"{check_id}: one salt must draw the same inputs again"


# -- today's inputs, written out as the checks made them before inputs were salted ----------

def todays_network(seed, D, H, C, N, bias_scale=0.1):
    rng = np.random.default_rng(seed)
    params = REF.init_params(D, H, C, seed=seed)
    params["b1"], params["b2"] = rng.normal(scale=bias_scale, size=H), rng.normal(scale=bias_scale, size=C)
    X = rng.normal(size=(N, D))
    Y = np.eye(C)[rng.integers(0, C, size=N)]
    return params, X, Y


def todays_gradcheck_network():
    for seed in range(100):
        params, X, Y = todays_network(seed, D=6, H=5, C=4, N=8, bias_scale=0.3)
        z1 = REF.forward(params, X)["z1"]
        if np.abs(z1).min() >= 0.05 and (z1 > 0).any(axis=0).all() and (z1 < 0).any(axis=0).all():
            return params, X, Y


def backward_calls(params, X, Y):
    return [("backward", (params, REF.forward(params, X, a), X, Y), {"activation": a}) for a in ("relu", "sigmoid")]


def todays_calls(check_id: str, data_dir) -> list:
    sizes = (200, 100, 50)
    if check_id == "xavier_uniform.bounds":
        return [("xavier_draws", (7, 3, 5), {}), ("xavier_draws", (300, 200, 5), {})]
    if check_id == "xavier_uniform.spread":
        return [("xavier_draws", (300, 200, 5), {})]
    if check_id == "xavier_uniform.generator":
        return [("xavier_draws", (30, 20, 5), {})]
    if check_id == "init_params.shapes":
        return [("init_params", sizes, {"seed": 0})]
    if check_id == "init_params.seeded":
        return [("init_params", sizes, {"seed": 0})] * 2 + [("init_params", sizes, {}),
                                                            ("init_params", sizes, {"seed": 1})]
    if check_id == "sigmoid.values":
        return [("sigmoid", (np.random.default_rng(21).normal(scale=4, size=(6, 5)),), {})]
    if check_id == "sigmoid.stable":
        x = np.array([-1e4, -1e3, -50.0, -1.0, 0.0, 1.0, 50.0, 1e3, 1e4])
        return [("call_watching_warnings", ("sigmoid", x), {})]
    if check_id == "relu.values":
        x = np.random.default_rng(22).normal(size=(6, 5))
        x[0, :2] = 0.0
        return [("relu", (x,), {})]
    if check_id == "softmax.values":
        return [("softmax", (np.random.default_rng(23).normal(scale=3, size=(6, 10)),), {})]
    if check_id == "softmax.stable":
        z = np.array([[1e4, 1e4 - 1.0, 0.0, -1e4], [1e4] * 4, [-1e4] * 4, [1.0, 2.0, 3.0, 4.0]])
        return [("call_watching_warnings", ("softmax", z), {})]
    if check_id == "cross_entropy.values":
        rng = np.random.default_rng(24)  # mixed with the uniform: every probability at least 0.01
        y_prob = 0.9 * REF.softmax(rng.normal(scale=2, size=(16, 10))) + 0.01
        return [("cross_entropy", (y_prob, np.eye(10)[rng.integers(0, 10, size=16)]), {})]
    if check_id == "cross_entropy.zero_probability":
        y_prob = np.array([[0.7, 0.3, 0.0], [0.0, 0.5, 0.5], [0.2, 0.0, 0.8]])
        return [("cross_entropy", (y_prob, np.eye(3)), {}),
                ("cross_entropy", (np.array([[0.0, 1.0, 0.0]]), np.array([[1.0, 0.0, 0.0]])), {})]
    if check_id == "forward.keys_shapes":
        params, X, _ = todays_network(31, D=20, H=16, C=10, N=12)
        return [("forward", (params, X), {})]
    if check_id == "forward.values":
        params, X, _ = todays_network(32, D=20, H=16, C=10, N=12)
        return [("forward", (params, X), {})] + [("forward", (params, X), {"activation": a})
                                                 for a in ("relu", "sigmoid")]
    if check_id == "backward.finite_differences":
        return backward_calls(*todays_gradcheck_network())
    if check_id == "backward.reference":
        return backward_calls(*todays_network(41, D=20, H=16, C=10, N=64))
    if check_id == "predict.labels":
        params, X, _ = todays_network(51, D=20, H=16, C=10, N=40, bias_scale=1.0)
        return [("predict", (params, X), {"activation": a}) for a in ("relu", "sigmoid")]
    if check_id == "train.history":
        data = load_mnist(data_dir)
        X = np.array(data["X_train"][:6000])
        return [("train", (X, np.eye(10, dtype=X.dtype)[data["y_train"][:6000]]), {"epochs": 2})]
    if check_id in ("train.relu", "train.sigmoid"):
        files = decoded_files(data_dir)
        return [("train_on_files", (str(files["X_train"]), str(files["y_train"]), check_id[len("train."):]), {})]
    raise AssertionError(f"{check_id}: write out its unsalted inputs here")


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_unsalted_inputs_are_exactly_todays(check_id, data_dir):
    want = [oracle.key(name, args, kwargs) for name, args, kwargs in todays_calls(check_id, data_dir)]
    assert recorded(CHECKS[check_id], None, data_dir).keys == want


# -- training on a secret disguise of MNIST ------------------------------------------------

def test_salted_training_gets_only_a_secret_disguise_of_mnist(data_dir):
    """The child is handed the disguised images and labels, nothing else: no file name, no
    permutation; they are MNIST's, every image's pixels and the classes permuted in secret."""
    data = load_mnist(data_dir)
    disguises = []
    for salt in (SALT_A, SALT_B):
        (name, args, kwargs), = recorded(CHECKS["train.relu"], salt, data_dir).calls
        assert name == "train_on_arrays" and kwargs == {} and args[2] == "relu" and len(args) == 3
        X, Y = args[:2]
        with inputs.drawn_with(salt):
            secret = checks.disguise()
        assert X.shape == (60_000, 784) and X.dtype == np.float32 and Y.shape == (60_000, 10)
        assert np.array_equal(X, data["X_train"][np.ix_(secret.order, secret.pixels)])
        assert np.array_equal(Y.argmax(axis=1), secret.classes[data["y_train"][secret.order]])
        assert np.array_equal(secret.digits(secret.classes), np.arange(10))
        assert (secret.pixels != np.arange(784)).mean() > 0.9 and (secret.classes != np.arange(10)).any()
        disguises.append(secret)
    assert not np.array_equal(disguises[0].pixels, disguises[1].pixels)
    (name, args, _), = recorded(CHECKS["train.history"], SALT_A, data_dir).calls
    assert np.array_equal(args[0], data["X_train"][np.ix_(disguises[0].order[:6000], disguises[0].pixels)])


def test_unsalted_training_has_no_disguise(data_dir):
    assert checks.disguise() is None
    X_test, y_test = checks.mnist_test(data_dir)
    data = load_mnist(data_dir)
    assert np.array_equal(X_test, data["X_test"]) and np.array_equal(y_test, data["y_test"])
