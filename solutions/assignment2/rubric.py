"""Assignment 2 rubric: a two-layer network with hand-written backpropagation on MNIST.

Every check builds its inputs here, runs student code only through `ctx`, and judges the
plain data that comes back against the reference, centred finite differences, or a
property. Training is scored on accuracy the grader measures itself: its own forward pass
on the returned parameters, never the student's `predict`. When a result is wrong, the
recognisers compare it with what each known mistake (the catalogue below) gives, and the
message names the one it matches.

Inputs come from `grader.inputs`: unsalted (a student bundle's `course check`, a release
recording the reference's answers) they are the fixed ones the bundle's recording answers;
salted (the instructor's grading) every array, size and seed handed to student code is drawn
from the salt as well, and training runs on a secret disguise of MNIST (`Disguise`), so
neither a table of recorded answers nor parameters trained offline earn the points.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from course_lib.datasets.mnist import decoded_files, load_mnist
from course_lib.gradcheck import compare_gradients, numerical_gradient
from grader import inputs
from grader.compare import as_array, both, describe, expect_close, expect_scalar, expect_tuple, recognise
from grader.sandbox import StudentFault
from grader.rubric import CheckFailed, Rubric
from grader.timing import Measured

rubric = Rubric()
ACTIVATIONS = ("relu", "sigmoid")
PARAMS = ("W1", "b1", "W2", "b2")


def ref():
    return rubric.reference()


def mistaken():
    return rubric.mistaken()


# -- the catalogue of known mistakes ------------------------------------------------------

M = rubric.mistake
XAVIER_NO_SQRT = M("xavier_limit_without_sqrt", "the Xavier limit is 6 / (n_in + n_out), without the square root",
                   "l = np.sqrt(6.0 / (n_in + n_out))")
XAVIER_IGNORES_RNG = M("xavier_ignores_generator", "xavier_uniform draws from np.random, not from the generator "
                       "it is given", "draw with rng.uniform(-l, l, size=(n_in, n_out))")
INIT_SEED_IF_TRUTHY = M("init_params_seeds_only_a_truthy_seed", "init_params seeds only when the seed is "
                        "truthy (`if seed:`), so seed=0, the default, draws unseeded weights",
                        "always seed: rng = np.random.default_rng(seed), with no `if`")
INIT_IGNORES_SEED = M("init_params_ignores_seed", "init_params ignores its seed: two calls with the same seed "
                      "give different weights", "make one generator rng = np.random.default_rng(seed) and draw "
                      "both weight matrices from it")
SIGMOID_OVERFLOW = M("sigmoid_overflows", "the sigmoid computes np.exp(-x), which overflows for large negative x",
                     "use a form without overflow, e.g. 0.5 * (1 + np.tanh(x / 2))")
SOFTMAX_NO_MAX = M("softmax_without_max", "the softmax exponentiates the logits without subtracting the row "
                   "maximum, so exp overflows", "subtract each row's maximum (keepdims=True) before np.exp")
SOFTMAX_GLOBAL_MAX = M("softmax_global_max", "the softmax subtracts the maximum of the whole array, not of each "
                       "row, so a row far below it underflows to 0 / 0 = nan",
                       "subtract each row's own maximum: z - z.max(axis=-1, keepdims=True)")
SOFTMAX_COLUMNS = M("softmax_over_columns", "the softmax normalises over the columns (axis 0)",
                    "take the max and the sum over the last axis with keepdims=True, so every row sums to 1")
CE_SUMMED = M("cross_entropy_summed", "the cross-entropy is summed over the batch, not averaged",
              "divide the sum by N = len(Y)")
CE_SIGN = M("cross_entropy_wrong_sign", "the cross-entropy has the wrong sign", "it is -sum(Y * log(y_prob)) / N")
CE_LOG_ZERO = M("cross_entropy_log_of_zero", "the cross-entropy takes log(0) = -inf where a probability is 0, "
                "and 0 * log(0) is nan", "clip before the log: np.log(np.clip(y_prob, 1e-12, 1))")
CE_SUMMED_AND_SIGN = rubric.known(both(CE_SUMMED, CE_SIGN))
FORWARD_LOGITS = M("forward_returns_logits", "forward returns the logits z2 as y", "y = softmax(z2)")
ACTIVATION_IGNORED = M("forward_ignores_activation", "forward uses ReLU whatever `activation` says",
                       'apply relu when activation is "relu" and sigmoid when it is "sigmoid"')
GRADIENT_NO_MEAN = M("backward_without_division_by_n", "the gradients are N times too large: the loss is a mean "
                     "over the batch", "dl_dz2 = (y - Y) / N")
L2_IN_BACKWARD = M("backward_adds_weight_decay", "the weight gradients include an L2 weight-decay term "
                   "lam * W, which the mean cross-entropy does not have",
                   "backward returns the gradient of the mean cross-entropy alone: leave out lam * W")
SIGMOID_AT_Z = M("sigmoid_derivative_at_z", "the sigmoid's derivative is taken as z1 * (1 - z1)",
                 "the derivative of the sigmoid at z1 is a1 * (1 - a1), with a1 = sigmoid(z1)")
SIGMOID_OF_A = M("sigmoid_derivative_of_a", "the sigmoid's derivative applies the sigmoid again, "
                 "sigmoid(a1) * (1 - sigmoid(a1))", "a1 is already sigmoid(z1): use a1 * (1 - a1)")
RELU_IS_RELU = M("relu_derivative_is_relu", "the ReLU's derivative is taken as relu(z1)",
                 "the derivative is 1 where z1 > 0 and 0 elsewhere: (z1 > 0)")
BIAS_OVER_UNITS = M("bias_gradient_over_units", "the bias gradient is summed over the units (axis 1), one value "
                    "per example", "sum over the batch, axis 0: db = dl_dz.sum(axis=0)")
PREDICT_AXIS = M("predict_over_the_batch", "predict takes the argmax over the batch (axis 0)",
                 "take it over the classes, axis 1: one label per row")
IGNORES_EPOCHS = M("train_ignores_epochs", "train runs a fixed number of epochs whatever `epochs` says",
                   "loop `for epoch in range(epochs)`")


def as_dict(name: str, found, keys) -> dict:
    """`found` as a dict holding at least `keys`; CheckFailed otherwise."""
    if not isinstance(found, dict):
        raise CheckFailed(f"{name}: expected a dict with keys {', '.join(keys)}, found {describe(found)}.")
    missing = [k for k in keys if k not in found]
    if missing:
        raise CheckFailed(f"{name}: expected the keys {', '.join(keys)}; {', '.join(missing)} missing "
                          f"(found keys {sorted(found)}).")
    return found


def drawn(seed: int, fixed: int, low: int, high: int) -> int:
    """A size or a seed of a check's input: `fixed` unsalted, else drawn from [low, high)."""
    return inputs.fixed_or_drawn(fixed, seed, lambda rng: int(rng.integers(low, high)))


def scaled(seed: int, x: np.ndarray, low: float, high: float) -> np.ndarray:
    """`x` unsalted; salted, each entry times its own factor drawn from U(low, high)."""
    return inputs.fixed_or_drawn(x, seed, lambda rng: x * rng.uniform(low, high, size=x.shape))


def shuffled_and_shifted(seed: int, z: np.ndarray, shift: float) -> np.ndarray:
    """`z` unsalted; salted, each row's entries in a drawn order, plus a drawn U(-shift, shift)."""
    if not inputs.salted():
        return z
    rng = inputs.rng(seed)
    return rng.permuted(z, axis=1) + rng.uniform(-shift, shift, size=(len(z), 1))


def network(seed: int, D: int, H: int, C: int, N: int, bias_scale: float = 0.1):
    """Parameters (reference init, non-zero biases), inputs X (N, D) and one-hot Y (N, C)."""
    rng = inputs.rng(seed)
    params = ref().init_params(D, H, C, seed=drawn(10_000 + seed, seed, 0, 2**31))
    params["b1"], params["b2"] = rng.normal(scale=bias_scale, size=H), rng.normal(scale=bias_scale, size=C)
    X = rng.normal(size=(N, D))  # (N, D)
    Y = np.eye(C)[rng.integers(0, C, size=N)]  # (N, C)
    return params, X, Y


# -- xavier_uniform -----------------------------------------------------------------------

def xavier_draws(ctx, n_in: int, n_out: int) -> dict:
    seed = drawn(105, 5, 0, 2**31)
    found = ctx.probe("xavier_draws", n_in, n_out, seed, label=f"xavier_uniform({n_in}, {n_out}, rng)")
    return {k: as_array(f"xavier_uniform({n_in}, {n_out}, rng)", v, (n_in, n_out)).astype(float)
            for k, v in found.items()}


def small_layer() -> tuple[int, int]:
    return drawn(101, 7, 5, 12), drawn(102, 3, 2, 8)


def large_layer() -> tuple[int, int]:
    """Big enough (60,000+ draws) for the spread's statistics to be sharp."""
    return drawn(103, 300, 300, 400), drawn(104, 200, 200, 300)


def limit(n_in: int, n_out: int) -> float:
    return float(np.sqrt(6.0 / (n_in + n_out)))


def expect_within_limit(name: str, W: np.ndarray, l: float) -> None:
    if np.abs(W).max() > l * (1 + 1e-6):  # float32 weights round by up to 6e-8
        raise CheckFailed(f"{name}: every value must lie in [-l, l] with l = sqrt(6 / (n_in + n_out)) = "
                          f"{l:.6g}; found {np.abs(W).max():.6g} (std {W.std():.4g}). Draw from a uniform "
                          f"distribution, rng.uniform(-l, l, size=(n_in, n_out)), not a normal one.")


def expect_uniform_spread(name: str, W: np.ndarray, l: float, rtol: float) -> None:
    """W looks like many draws from U(-l, l): std l / sqrt(3), mean 0, reaching out to +-l."""
    want = l / np.sqrt(3)
    if abs(W.std() / want - 1) > rtol:
        without_sqrt = l ** 2 / np.sqrt(3)  # the std of U(-6 / (n_in + n_out), +...)
        raise CheckFailed(f"{name}: U(-l, l) with l = {l:.6g} has standard deviation l / sqrt(3) = "
                          f"{want:.5g}; your values have {W.std():.5g}.",
                          XAVIER_NO_SQRT if abs(W.std() / without_sqrt - 1) < rtol else None)
    if abs(W.mean()) > 0.05 * want or np.abs(W).max() < 0.95 * l:
        raise CheckFailed(f"{name}: the values should spread over [-{l:.4g}, {l:.4g}] around 0; "
                          f"found mean {W.mean():.4g} and largest |value| {np.abs(W).max():.4g}.")


@rubric.check("xavier_uniform.bounds", "xavier_uniform has shape (n_in, n_out) and stays in [-l, l]", 1)
def xavier_bounds(ctx):
    for n_in, n_out in [small_layer(), large_layer()]:
        W = xavier_draws(ctx, n_in, n_out)["first"]
        expect_within_limit(f"xavier_uniform({n_in}, {n_out}, rng)", W, limit(n_in, n_out))


@rubric.check("xavier_uniform.spread", "xavier_uniform draws from U(-l, l), l = sqrt(6 / (n_in + n_out))", 1)
def xavier_spread(ctx):
    n_in, n_out = large_layer()
    W = xavier_draws(ctx, n_in, n_out)["first"]
    l = limit(n_in, n_out)
    expect_uniform_spread(f"xavier_uniform({n_in}, {n_out}, rng)", W, l, rtol=0.03)
    inner = float(np.mean(np.abs(W) < l / 2))
    if abs(inner - 0.5) > 0.03:
        raise CheckFailed(f"xavier_uniform({n_in}, {n_out}, rng): half of U(-l, l) lies within l/2 of 0; "
                          f"found {inner:.3f} of the values there. Is the distribution uniform?")


@rubric.check("xavier_uniform.generator", "xavier_uniform draws from the generator it is given", 1, hidden=True)
def xavier_generator(ctx):
    draws = xavier_draws(ctx, drawn(106, 30, 20, 40), drawn(107, 20, 10, 30))
    if not np.array_equal(draws["first"], draws["again"]):
        raise CheckFailed("two generators seeded alike gave different weights.", XAVIER_IGNORES_RNG)
    if np.array_equal(draws["first"], draws["second"]):
        raise CheckFailed("two calls with the same generator gave the same weights: draw from `rng` "
                          "itself instead of creating a new generator inside xavier_uniform.")


# -- init_params --------------------------------------------------------------------------

def init_of(ctx, *args, **kwargs) -> dict:
    name = f"init_params({', '.join(map(str, args))}" + "".join(f", {k}={v}" for k, v in kwargs.items()) + ")"
    found = as_dict(name, ctx.call("init_params", *args, **kwargs), PARAMS)
    D, H, C = args
    shapes = {"W1": (D, H), "b1": (H,), "W2": (H, C), "b2": (C,)}
    return {k: as_array(f'{name}["{k}"]', found[k], shapes[k]).astype(float) for k in PARAMS}


def layer_sizes() -> tuple[int, int, int]:
    """(D, H, C) of init_params' checks; salted, W2 (H, C) still holds 10,000+ draws, so that its
    mean is within 0.05 standard deviations of 0 by more than 5 standard errors."""
    return drawn(111, 200, 200, 300), drawn(112, 100, 150, 250), drawn(113, 50, 70, 100)


@rubric.check("init_params.shapes", "init_params: Xavier-uniform weights, zero biases, right shapes", 1)
def init_params_shapes(ctx):
    D, H, C = layer_sizes()
    params = init_of(ctx, D, H, C, seed=drawn(114, 0, 0, 2**31))
    for b in ("b1", "b2"):
        if np.any(params[b] != 0):
            raise CheckFailed(f'init_params(...)["{b}"] must be all zeros; found {np.round(params[b][:4], 4)}...')
    for w, (n_in, n_out) in {"W1": (D, H), "W2": (H, C)}.items():
        name = f'init_params({D}, {H}, {C})["{w}"]'
        expect_within_limit(name, params[w], limit(n_in, n_out))
        expect_uniform_spread(name, params[w], limit(n_in, n_out), rtol=0.1)


@rubric.check("init_params.seeded", "init_params depends on its seed, and only on it", 1, hidden=True)
def init_params_seeded(ctx):
    sizes = layer_sizes()
    first, again = init_of(ctx, *sizes, seed=0), init_of(ctx, *sizes, seed=0)  # 0: the default seed
    default, other = init_of(ctx, *sizes), init_of(ctx, *sizes, seed=drawn(115, 1, 1, 2**31))
    if not all(np.array_equal(first[k], again[k]) for k in PARAMS):
        raise CheckFailed("init_params with the same seed gave different weights; draw them from "
                          "np.random.default_rng(seed).", unseeded(ctx, sizes))
    if not all(np.array_equal(first[k], default[k]) for k in PARAMS):
        raise CheckFailed("init_params without a seed gave other weights than with seed=0 (the default).")
    if np.array_equal(first["W1"], other["W1"]):
        raise CheckFailed("seed=0 and seed=1 gave the same W1; the weights must depend on the seed.")


def unseeded(ctx, sizes):
    """Why two calls of init_params with seed=0 differed: a seed that only seeds when truthy
    (another seed gives the same weights twice), xavier_uniform drawing from np.random, or a
    seed ignored altogether. Every call runs in a child with fresh global random state, so
    unseeded draws differ between calls."""
    seed = drawn(116, 7, 1, 2**31)
    first, again = init_of(ctx, *sizes, seed=seed), init_of(ctx, *sizes, seed=seed)
    if all(np.array_equal(first[k], again[k]) for k in PARAMS):
        return INIT_SEED_IF_TRUTHY
    try:
        draws = xavier_draws(ctx, sizes[1], sizes[2])
    except (CheckFailed, StudentFault):
        return None
    return INIT_IGNORES_SEED if np.array_equal(draws["first"], draws["again"]) else XAVIER_IGNORES_RNG


# -- activations, softmax, cross-entropy --------------------------------------------------

def watched(ctx, name: str, x, label: str):
    found = ctx.probe("call_watching_warnings", name, x, label=label)
    return found["value"], found["warnings"]


@rubric.check("sigmoid.values", "sigmoid(x) = 1 / (1 + exp(-x)) elementwise", 1)
def sigmoid_values(ctx):
    """Any exact form passes (1 / (1 + exp(-x)), tanh, a masked or np.where form, exp(x) clipped
    to +-500 first): they agree to rounding (rtol 1e-7) on x ~ N(0, 16)."""
    x = inputs.rng(21).normal(scale=4, size=(6, 5))
    expect_close("sigmoid(x)", ctx.call("sigmoid", x), ref().sigmoid(x), rtol=1e-7, atol=1e-12)


@rubric.check("sigmoid.stable", "sigmoid neither overflows nor warns for |x| up to 1e4", 1)
def sigmoid_stable(ctx):
    """Accepts 0.5 * (1 + tanh(x / 2)), a form masked by the sign of x, and clipping x to
    [-500, 500] (or any bound up to 709) before exp: sigmoid(-500) = 7e-218 is within atol 1e-12 of
    0. Fails on NumPy's overflow warning (1 / (1 + exp(-x)), or np.where evaluating both branches)."""
    x = scaled(121, np.array([-1e4, -1e3, -50.0, -1.0, 0.0, 1.0, 50.0, 1e3, 1e4]), 0.8, 1.0)  # exp(800) overflows
    found, warned = watched(ctx, "sigmoid", x, "sigmoid(x) with |x| up to 1e4")
    expect_close("sigmoid(x) with |x| up to 1e4", found, ref().sigmoid(x), rtol=1e-7, atol=1e-12)
    if warned:
        overflow = any("overflow" in w for w in warned)
        raise CheckFailed(f"sigmoid(x) for x = {x.tolist()} is right but NumPy warned: {warned[0]}.",
                          SIGMOID_OVERFLOW if overflow else None)


@rubric.check("relu.values", "relu(x) = max(x, 0) elementwise", 1)
def relu_values(ctx):
    x = inputs.rng(22).normal(size=(6, 5))
    x[0, :2] = 0.0
    expect_close("relu(x)", ctx.call("relu", x), ref().relu(x), rtol=1e-7, atol=0)


@rubric.check("softmax.values", "softmax(z) is exp(z) normalised over each row", 1)
def softmax_values(ctx):
    """Accepts every exact row-wise form: the row maximum subtracted or not (logits ~ N(0, 9)),
    a loop over the rows, log-sum-exp (exp(z - logsumexp(z))), an eps of up to 1e-8 added to the
    denominator (each row's sum is at least 1 once its maximum is subtracted); rtol 1e-7.
    Normalising over the columns fails, named."""
    z = inputs.rng(23).normal(scale=3, size=(6, 10))
    expect_close("softmax(z) for z of shape (6, 10)", ctx.call("softmax", z), ref().softmax(z), rtol=1e-7,
                 atol=1e-12, mistakes=[(SOFTMAX_COLUMNS, mistaken().softmax_over_columns(z))])


@rubric.check("softmax.stable", "softmax stays finite for logits of 1e4", 1)
def softmax_stable(ctx):
    """Accepts what `softmax_values` accepts when each row's own maximum is subtracted (rows of
    1e4 and of -1e4 mixed). Fails, named: no maximum subtracted (exp overflows), the columns, and
    the maximum of the whole array (the row of -1e4 underflows to 0 / 0)."""
    z = shuffled_and_shifted(123, np.array([[1e4, 1e4 - 1.0, 0.0, -1e4], [1e4] * 4, [-1e4] * 4, [1.0, 2.0, 3.0, 4.0]]),
                             shift=500.0)  # rows 1 to 3 still overflow exp (beyond +-710)
    found, warned = watched(ctx, "softmax", z, "softmax(z) with logits of 1e4")
    expect_close("softmax(z) with logits of 1e4", found, ref().softmax(z), rtol=1e-7, atol=1e-12,
                 mistakes=[(SOFTMAX_NO_MAX, mistaken().softmax_without_max(z)),
                           (SOFTMAX_COLUMNS, mistaken().softmax_over_columns(z)),
                           (SOFTMAX_GLOBAL_MAX, mistaken().softmax_global_max(z))])
    if warned:
        raise CheckFailed(f"softmax(z) with logits of 1e4 is right but NumPy warned: {warned[0]}; "
                          f"subtract the row maximum before exp.")


PROBABILITY_FLOOR = 0.01  # the least probability cross_entropy.values hands over
CE_RTOL = 1e-4  # the cross-entropy checks' relative tolerance; see `cross_entropy_values`


def probabilities(seed: int, N: int = 16, C: int = 10):
    """(y_prob (N, C), one-hot Y): rows of a softmax mixed with the uniform distribution, so that
    every probability is at least PROBABILITY_FLOOR and the mean loss is about 1 or more."""
    rng = inputs.rng(seed)
    y_prob = (1 - C * PROBABILITY_FLOOR) * ref().softmax(rng.normal(scale=2, size=(N, C))) + PROBABILITY_FLOOR
    return y_prob, np.eye(C)[rng.integers(0, C, size=N)]


@rubric.check("cross_entropy.values", "cross_entropy is the batch mean of -sum(Y * log(y_prob))", 1)
def cross_entropy_values(ctx):
    """Accepts every usual way of keeping the log finite: an eps added, `-np.sum(Y * np.log(y_prob
    + eps)) / N` for eps up to 1e-6 (1e-7 as in Keras, 1e-10, 1e-12), clipping (`np.clip(y_prob,
    1e-12, 1)` or to [eps, 1 - eps]), `np.maximum(y_prob, eps)`, `np.where(Y == 1, -np.log(...), 0)`,
    and the true class's probability picked by index. Every probability here is at least 0.01,
    so an eps of 1e-6 moves a row's loss by at most 1e-4 (relative error at most 1.7e-5 over 300
    salts, the loss being about 3) and CE_RTOL = 1e-4 passes it; a sum over the batch (N = 16 times the loss), the wrong sign
    and both together are off by 100% or more and fail, each named."""
    y_prob, Y = probabilities(24)
    expected = ref().cross_entropy(y_prob, Y)
    expect_scalar("cross_entropy(y_prob, Y) for 16 rows", ctx.call("cross_entropy", y_prob, Y), expected,
                  rtol=CE_RTOL, mistakes=ce_mistakes(expected, len(Y)))


def ce_mistakes(expected: float, N: int) -> list:
    """The losses the catalogue's scaling mistakes give, alone and together."""
    return [(CE_SUMMED, N * expected), (CE_SIGN, -expected), (CE_SUMMED_AND_SIGN, -N * expected)]


def zero_for_a_wrong_class():
    """(y_prob, one-hot Y): every row gives one wrong class probability 0, the true one at least 0.05."""
    if not inputs.salted():
        return np.array([[0.7, 0.3, 0.0], [0.0, 0.5, 0.5], [0.2, 0.0, 0.8]]), np.eye(3)
    rng = inputs.rng(125)
    N, C = rng.integers(3, 7), rng.integers(3, 7)
    labels, rows = rng.integers(0, C, size=N), np.arange(N)
    y_prob = rng.uniform(0.25, 1.0, size=(N, C))
    y_prob[rows, (labels + rng.integers(1, C, size=N)) % C] = 0.0  # a wrong class, never the true one
    return y_prob / y_prob.sum(axis=1, keepdims=True), np.eye(C)[labels]


def zero_for_the_true_class():
    """(y_prob, Y) of one row: all the probability on a wrong class, none on the true one."""
    C = drawn(126, 3, 3, 8)
    label = drawn(127, 0, 0, C)
    wrong = (label + drawn(128, 1, 1, C)) % C
    return np.eye(C)[[wrong]], np.eye(C)[[label]]


@rubric.check("cross_entropy.zero_probability", "cross_entropy stays finite when a probability is 0", 1)
def cross_entropy_zero(ctx):
    """Accepts what `cross_entropy_values` accepts: with a wrong class's probability 0 the loss is
    that of the true classes (each at least 0.05: an eps of 1e-6 moves the loss by at most 5e-6
    relative over 300 salts, within CE_RTOL); for the true class's probability 0 any large finite loss (-log of
    an eps or clip from 1e-7 down to 1e-300 is 16 or more) passes. The unclipped log (nan or inf),
    the sum, the wrong sign and both fail, each named."""
    y_prob, Y = zero_for_a_wrong_class()
    expected = -np.mean(np.log(np.sum(Y * y_prob, axis=1)))  # the true class's probabilities
    expect_scalar("cross_entropy(y_prob, Y) with a probability of 0 for a wrong class",
                  ctx.call("cross_entropy", y_prob, Y), expected, rtol=CE_RTOL,
                  mistakes=[(CE_LOG_ZERO, mistaken().cross_entropy_unclipped(y_prob, Y))]
                  + ce_mistakes(expected, len(Y)))
    found = ctx.call("cross_entropy", *zero_for_the_true_class())
    name = "cross_entropy(y_prob, Y) with a probability of 0 for the true class"
    found = as_array(name, found)
    if found.size != 1 or not np.isfinite(found).all() or float(found.reshape(())) < 5:
        raise CheckFailed(f"{name}: expected a large but finite loss (-log of a clipped 0, e.g. "
                          f"-log(1e-12) = 27.6), found {describe(found) if found.size != 1 else float(found.reshape(()))}; "
                          f"clip the probabilities before the log (np.clip(y_prob, 1e-12, 1)).")


# -- forward ------------------------------------------------------------------------------

def forward_of(ctx, params, X, activation: str | None) -> tuple[str, dict]:
    kwargs = {} if activation is None else {"activation": activation}
    name = "forward(params, X" + (f', activation="{activation}")' if activation else ")")
    return name, as_dict(name, ctx.call("forward", params, X, **kwargs), ("z1", "a1", "z2", "y"))


@rubric.check("forward.keys_shapes", "forward returns z1, a1, z2 and y with the right shapes", 1)
def forward_keys_shapes(ctx):
    N, D, H, C = drawn(131, 12, 8, 30), drawn(132, 20, 10, 40), drawn(133, 16, 8, 32), drawn(134, 10, 3, 16)
    params, X, _ = network(31, D=D, H=H, C=C, N=N)
    name, found = forward_of(ctx, params, X, None)
    for key, shape in {"z1": (N, H), "a1": (N, H), "z2": (N, C), "y": (N, C)}.items():
        as_array(f'{name}["{key}"] (N={N}, D={D}, H={H}, C={C})', found[key], shape)


@rubric.check("forward.values", "forward computes softmax(act(X W1 + b1) W2 + b2) for ReLU and sigmoid", 2)
def forward_values(ctx):
    """Accepts any forward pass built of forms the activation and softmax checks accept (rtol 1e-6,
    atol 1e-9). Fails, named: y = z2 (the logits) and ReLU whatever `activation` says."""
    params, X, _ = network(32, D=20, H=16, C=10, N=12)
    for activation in (None,) + ACTIVATIONS:
        name, found = forward_of(ctx, params, X, activation)
        expected = ref().forward(params, X, activation or "relu")
        relu = ref().forward(params, X, "relu")
        for key in ("z1", "a1", "z2", "y"):
            mistakes = [(FORWARD_LOGITS, expected["z2"])] if key == "y" else []
            if activation == "sigmoid":
                mistakes.append((ACTIVATION_IGNORED, relu[key]))
            expect_close(f'{name}["{key}"]', found[key], expected[key], rtol=1e-6, atol=1e-9, mistakes=mistakes)


# -- backward -----------------------------------------------------------------------------

def gradcheck_network():
    """A small float64 network whose hidden pre-activations stay at least 0.05 from the ReLU
    kink, each hidden unit on for some inputs and off for others, and whose centred differences
    are accurate (`differences_accurate`); with its numerical gradients."""
    return _gradcheck_network(inputs.current_salt())


@lru_cache(maxsize=1)
def _gradcheck_network(salt):
    with inputs.drawn_with(salt):
        for seed in range(100):
            params, X, Y = network(seed, D=6, H=5, C=4, N=8, bias_scale=0.3)
            z1 = ref().forward(params, X)["z1"]
            if np.abs(z1).min() >= 0.05 and (z1 > 0).any(axis=0).all() and (z1 < 0).any(axis=0).all():
                numeric = numerical_gradients(params, X, Y)
                if differences_accurate(params, X, Y, numeric):
                    return params, X, Y, numeric
    raise RuntimeError("none of 100 networks drawn for the gradient check is away from the ReLU kink "
                       "with accurate centred differences")


def numerical_gradients(params, X, Y) -> dict:
    """{activation: {key: the reference loss's gradient by centred differences}}."""
    numeric = {}
    for activation in ACTIVATIONS:
        def loss(value, key):
            return ref().cross_entropy(ref().forward({**params, key: value}, X, activation)["y"], Y)
        numeric[activation] = {k: numerical_gradient(lambda v, k=k: loss(v, k), params[k]) for k in PARAMS}
    return numeric


def differences_accurate(params, X, Y, numeric) -> bool:
    """Whether the centred differences agree with the reference's gradients within 1e-7, a tenth
    of the check's tolerance (they lose accuracy on gradient entries close to 0)."""
    for activation in ACTIVATIONS:
        exact = ref().backward(params, ref().forward(params, X, activation), X, Y, activation)
        if not all(compare_gradients(exact[k], numeric[activation][k], tol=1e-7)[0] for k in PARAMS):
            return False
    return True


def gradients_of(ctx, params, X, Y, activation: str) -> tuple[str, dict]:
    """The student's backward on the reference's forward pass, shapes checked with hints."""
    ff = ref().forward(params, X, activation)
    name = f'backward(params, ff_dict, X, Y, activation="{activation}")'
    found = as_dict(name, ctx.call("backward", params, ff, X, Y, activation=activation), PARAMS)
    for key in PARAMS:
        got = as_array(f'{name}["{key}"]', found[key])
        if got.shape != params[key].shape:
            raise CheckFailed(f'{name}["{key}"]: expected the shape of {key}, {params[key].shape}, '
                              f"found {got.shape}.",
                              BIAS_OVER_UNITS if key.startswith("b") and got.shape == (len(X),) else None)
    return name, found


def gradient_mistakes(params, X, Y, activation: str, expected: dict) -> dict:
    """{key: [(Mistake, the gradient it gives), ...]} for the known backpropagation mistakes."""
    ff = ref().forward(params, X, activation)
    derivatives = (SIGMOID_AT_Z, SIGMOID_OF_A) if activation == "sigmoid" else (RELU_IS_RELU,)
    wrong = {m: mistaken().backward_with(m.id, params, ff, X, Y) for m in derivatives}
    return {k: [(GRADIENT_NO_MEAN, len(X) * np.asarray(expected[k]))] + [(m, g[k]) for m, g in wrong.items()]
            for k in PARAMS}


def weight_decay(found, expected, W) -> list:
    """[(L2_IN_BACKWARD, expected + lam * W)] with lam > 0 fitted to `found` by least squares
    (any lam: 1e-4, 5e-4, 2 * lam from differentiating lam * ||W||^2), or [] when none fits."""
    try:
        residual = np.asarray(found, dtype=float) - expected
    except (TypeError, ValueError):
        return []
    W = np.asarray(W, dtype=float)
    if residual.shape != W.shape or not np.all(np.isfinite(residual)) or not np.any(W):
        return []
    lam = float(np.sum(residual * W) / np.sum(W * W))
    return [(L2_IN_BACKWARD, expected + lam * W)] if lam > 0 else []


def fail_gradient(failure: str, found, mistakes, scale: float, key: str, activation: str,
                  expected=None, W=None) -> None:
    """Fail with `failure`, naming the mistake `found` matches, or else a hint where to look.
    With the right gradient `expected` and the weights `W` of a weight matrix, weight decay
    added in backward is among the mistakes."""
    if expected is not None and key.startswith("W"):
        mistakes = list(mistakes) + weight_decay(found, expected, W)
    mistake = recognise(found, mistakes, rtol=1e-6, atol=1e-9 * scale)
    raise CheckFailed(failure + ("" if mistake else backward_hint(key, activation)), mistake)


def backward_hint(key: str, activation: str) -> str:
    if key in ("W1", "b1") and activation == "sigmoid":
        return " The layer-2 gradients are right: check the sigmoid's derivative, a1 * (1 - a1)."
    if key in ("W1", "b1"):
        return " The layer-2 gradients are right: check the ReLU's derivative, 1 where z1 > 0, else 0."
    return ""


@rubric.check("backward.finite_differences", "backward agrees with centred finite differences (ReLU, sigmoid)", 4)
def backward_finite_differences(ctx):
    """Accepts any exact backpropagation: dl_dz2 = (y - Y) / N or y - Y averaged later, the sigmoid's
    derivative from a1 or recomputed from z1, (z1 > 0) or np.where / np.heaviside for ReLU (no
    entry of z1 is within 0.05 of the kink), relative error at most 1e-6. Fails, named: no
    division by N, the activation's derivative taken wrongly, an L2 weight decay lam * W added."""
    params, X, Y, numeric = gradcheck_network()
    for activation in ACTIVATIONS:
        mistakes = gradient_mistakes(params, X, Y, activation, numeric[activation])
        name, found = gradients_of(ctx, params, X, Y, activation)
        for key in ("W2", "b2", "W1", "b1"):
            want = numeric[activation][key]
            ok, message = compare_gradients(found[key], want, tol=1e-6, name=f'{name}["{key}"]')
            if not ok:
                fail_gradient(message, found[key], mistakes[key], float(np.abs(want).max()), key, activation,
                              want, params[key])
    return "relative error at most 1e-6 for every gradient entry, ReLU and sigmoid"


@rubric.check("backward.reference", "backward equals the reference's gradients on a larger network", 2, hidden=True)
def backward_reference(ctx):
    """Accepts what `backward_finite_differences` accepts, compared with the reference's gradients
    (rtol 1e-6, atol 1e-9 of the gradient's largest entry)."""
    params, X, Y = network(41, D=20, H=16, C=10, N=64)
    for activation in ACTIVATIONS:
        expected = ref().backward(params, ref().forward(params, X, activation), X, Y, activation)
        mistakes = gradient_mistakes(params, X, Y, activation, expected)
        name, found = gradients_of(ctx, params, X, Y, activation)
        for key in ("W2", "b2", "W1", "b1"):
            scale = float(np.abs(expected[key]).max())
            try:
                expect_close(f'{name}["{key}"]', found[key], expected[key], rtol=1e-6, atol=1e-9 * scale)
            except CheckFailed as failure:
                fail_gradient(str(failure), found[key], mistakes[key], scale, key, activation,
                              expected[key], params[key])


# -- predict ------------------------------------------------------------------------------

def predict_network():
    """A network of 40 rows on which ReLU and sigmoid predict different classes for some row,
    every row's two most probable classes at least 1e-3 apart (float32 cannot swap them)."""
    for attempt in range(100):
        params, X, _ = network(51 + 1000 * attempt, D=20, H=16, C=10, N=40, bias_scale=1.0)
        probs = {a: ref().forward(params, X, a)["y"] for a in ACTIVATIONS}  # (40, 10) each
        margins = [np.diff(np.sort(p, axis=1)[:, -2:], axis=1).min() for p in probs.values()]
        if min(margins) >= 1e-3 and np.any(probs["relu"].argmax(axis=1) != probs["sigmoid"].argmax(axis=1)):
            return params, X
    raise RuntimeError("none of 100 networks drawn for predict tells ReLU from sigmoid")


@rubric.check("predict.labels", "predict returns the most probable class of each row, shape (N,)", 1)
def predict_labels(ctx):
    params, X = predict_network()
    for activation in ACTIVATIONS:
        name = f'predict(params, X, activation="{activation}") for 40 rows'
        probs = ref().forward(params, X, activation)["y"]  # (40, 10)
        expect_close(name, ctx.call("predict", params, X, activation=activation), probs.argmax(axis=1),
                     rtol=0, atol=0, mistakes=[(PREDICT_AXIS, probs.argmax(axis=0))])


# -- training on MNIST --------------------------------------------------------------------
# Time limits are generous: a correct float64 implementation trains about 5x slower than a
# float32 one, and took over 100 s per activation on a busy 2-core machine.

N_TRAIN, N_PIXELS, N_CLASSES = 60_000, 784, 10


@dataclass(frozen=True)
class Disguise:
    """The secret form of MNIST a salted grading trains and scores on, made in this process
    (the child sees only the disguised arrays): pixel j of every image is pixel `pixels[j]` of
    the original, digit d is labelled class `classes[d]`, and the training images come in the
    order `order` (its first n are a secret subset). A fully connected network learns the
    disguised digits as well as the originals (its initialisation and updates treat every
    pixel and every class alike); parameters trained offline on the originals do not fit them."""
    pixels: np.ndarray  # (784,) a permutation
    classes: np.ndarray  # (10,) a permutation
    order: np.ndarray  # (60000,) a permutation

    def digits(self, classes: np.ndarray) -> np.ndarray:
        """The digit each disguised class label stands for."""
        return np.argsort(self.classes)[classes]


def disguise() -> Disguise | None:
    """This grading's disguise of MNIST: None unsalted (the original images and labels)."""
    if not inputs.salted():
        return None
    rng = inputs.rng(161)
    return Disguise(rng.permutation(N_PIXELS), rng.permutation(N_CLASSES), rng.permutation(N_TRAIN))


def mnist_train(data_dir, n: int = N_TRAIN):
    """n training images (n, 784) float32 and their one-hot labels (n, 10): the first n,
    or, salted, n disguised ones."""
    return _mnist_train(data_dir, n, inputs.current_salt())


@lru_cache(maxsize=2)
def _mnist_train(data_dir, n: int, salt):
    data = load_mnist(data_dir)
    with inputs.drawn_with(salt):
        secret = disguise()
    if secret is None:
        X, labels = np.array(data["X_train"][:n]), data["y_train"][:n]  # (n, 784) float32, (n,)
    else:
        rows = secret.order[:n]
        X, labels = data["X_train"][np.ix_(rows, secret.pixels)], secret.classes[data["y_train"][rows]]
    return X, np.eye(N_CLASSES, dtype=X.dtype)[labels]  # (n, 10)


def mnist_test(data_dir):
    """The test images (disguised when salted) and their digits, read into this process's memory."""
    return _mnist_test(data_dir, inputs.current_salt())


@lru_cache(maxsize=2)
def _mnist_test(data_dir, salt):
    data = load_mnist(data_dir)
    with inputs.drawn_with(salt):
        secret = disguise()
    X = np.array(data["X_test"])
    return (X if secret is None else X[:, secret.pixels]), np.array(data["y_test"])


def diverged(name: str, key: str, value: np.ndarray) -> str:
    """The plain message for parameters that hold NaN or inf after training."""
    held = "NaN" if np.isnan(value).any() else "inf"
    return (f'{name}: training diverged: the parameters hold {held} ({int(np.sum(~np.isfinite(value)))} of '
            f'{value.size} entries of params["{key}"]). Check the gradients against finite differences '
            f"and that softmax and the loss stay finite; with them right, a smaller learning rate helps.")


def trained(name: str, result) -> tuple[dict, list | None]:
    """(params, loss history or None) from what `train` returned, shapes checked."""
    params, history = expect_tuple(name, result, 2)
    params = as_dict(f"{name}: the parameters", params, PARAMS)
    W1 = as_array(f'{name}: params["W1"]', params["W1"])
    if W1.ndim != 2 or W1.shape[0] != 784:
        raise CheckFailed(f'{name}: params["W1"] should have shape (784, H), found {W1.shape}.')
    H = W1.shape[1]
    shapes = {"W1": (784, H), "b1": (H,), "W2": (H, 10), "b2": (10,)}
    params = {k: as_array(f'{name}: params["{k}"]', params[k], shapes[k]) for k in PARAMS}
    for k, v in params.items():
        if not np.all(np.isfinite(v)):
            raise CheckFailed(diverged(name, k, v))
    losses = history.get("loss") if isinstance(history, dict) else None
    if isinstance(losses, np.ndarray):
        losses = losses.tolist()
    if isinstance(losses, (list, tuple)) and all(isinstance(v, (int, float)) for v in losses):
        return params, [float(v) for v in losses]
    return params, None


@rubric.check("train.history", "train runs `epochs` epochs and records each one's mean training loss",
              1, timeout=60)
def train_history(ctx):
    X, Y = mnist_train(ctx.data_dir, 6000)
    name = "train(X, Y, epochs=2) on 6000 MNIST images"
    params, losses = trained(name, ctx.call("train", X, Y, epochs=2))
    ctx.record("loss_history", losses)
    if losses is None or len(losses) != 2:
        raise CheckFailed(f'{name}: history["loss"] should be a list of 2 numbers, one per epoch; '
                          f"found {describe(losses)}.", IGNORES_EPOCHS if losses and len(losses) == 10 else None)
    if not np.all(np.isfinite(losses)):
        raise CheckFailed(f'{name}: training diverged: history["loss"] = {losses} holds NaN or inf.')
    if not losses[1] < losses[0]:
        raise CheckFailed(f'{name}: history["loss"] = {losses} should be finite and go down.')
    measured = ref().cross_entropy(ref().forward(params, X)["y"], Y)  # the loss after training
    if not 0.5 < losses[1] / measured < 3:
        raise CheckFailed(f'{name}: the last epoch\'s loss in history["loss"] is {losses[1]:.4g}, but the mean '
                          f"cross-entropy of the returned parameters on these images is {measured:.4g}; "
                          f"record the mean loss per example over each epoch.")


def train_and_score(ctx, activation: str, threshold: float, typical: float) -> str:
    """Train at the defaults in the sandbox on the 60,000 images; score on the 10,000 test
    images with the reference forward pass. Salted, both are disguised (`Disguise`): the child
    gets only the disguised arrays, and the predicted classes are turned back into digits."""
    secret = disguise()
    files = decoded_files(ctx.data_dir)
    X_test, y_test = mnist_test(ctx.data_dir)
    name = f'train(X_train, Y_train, activation="{activation}")'
    if secret is None:
        result = ctx.probe("train_on_files", str(files["X_train"]), str(files["y_train"]), activation,
                           label=name)["result"]
    else:
        result = ctx.probe("train_on_arrays", *mnist_train(ctx.data_dir), activation, label=name)["result"]
    params, losses = trained(name, result)
    y_hat = ref().forward(params, X_test, activation)["y"].argmax(axis=1)  # our own forward pass
    if secret is not None:
        y_hat = secret.digits(y_hat)
    accuracy = float(np.mean(y_hat == y_test))
    ctx.record("test_accuracy", accuracy)
    ctx.record("loss_history", losses)
    ctx.record("num_hiddens", int(params["W1"].shape[1]))
    confusion = np.bincount(10 * y_test.astype(int) + y_hat, minlength=100).reshape(10, 10)  # rows: true digit
    ctx.record("confusion_matrix", confusion.tolist())
    ctx.record("picture_texts", {"confusion_matrix": {
        "caption": "Confusion matrix on the 10,000 test images (rows: true digit, columns: predicted digit)",
        "x": "predicted digit", "y": "true digit"}})
    if not accuracy >= threshold:
        shown = f" Your loss history: {np.round(losses, 4).tolist()}." if losses else ""
        raise CheckFailed(f"trained at the defaults with {activation}, your parameters reach a test accuracy "
                          f"of {accuracy:.4f} on the 10,000 test images (measured by the grader); at least "
                          f"{threshold} is needed (a correct implementation reaches about {typical}).{shown} "
                          f"Check the defaults (epochs=10, batch_size=128, lr=0.1), the shuffling and the "
                          f"gradients.")
    return f"test accuracy {accuracy:.4f} with {activation} (at least {threshold} needed)"


def one_epoch_of(activation: str) -> Measured:
    """The training checks' time limit: 10 x the reference's time for the same training on
    this machine (estimated from one of its 10 epochs, run just before), at least the 300 s
    that held before the limit was measured, at most 30 minutes."""
    def sample(ctx):
        files = decoded_files(ctx.data_dir)
        ctx.probe("train_on_files", str(files["X_train"]), str(files["y_train"]), activation, epochs=1,
                  label=f"the reference's train(X_train, Y_train, activation={activation!r}, epochs=1)")
    return Measured(sample, share=0.1, multiple=10, floor_s=300, ceiling_s=1800)


@rubric.check("train.relu", "Trained at the defaults with ReLU, the parameters reach 0.95 test accuracy",
              4, timeout=300, measured=one_epoch_of("relu"))
def train_relu(ctx):
    return train_and_score(ctx, "relu", 0.95, 0.970)


@rubric.check("train.sigmoid", "Trained at the defaults with sigmoid, the parameters reach 0.90 test accuracy",
              4, hidden=True, timeout=300, measured=one_epoch_of("sigmoid"))
def train_sigmoid(ctx):
    return train_and_score(ctx, "sigmoid", 0.90, 0.930)
