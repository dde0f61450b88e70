"""Assignment 4 rubric: k-nearest neighbours and a softmax linear classifier on MNIST.

Every check builds its inputs here, runs student code only through `ctx`, and judges the
plain data that comes back. The visible checks compare with the reference (a student bundle
replays its recorded answers) or with properties the contract states; the hidden ones compare
with oracles independent of the reference, computed here in the grader's process: PyTorch's
`torch.cdist`, its cross-entropy and autograd, its learning-rate schedulers. The grader scores
k-NN and the trained classifier itself: its own accuracy on the returned labels and weights.

`train_sgd`'s loop is judged with the grader's stand-ins (probes.py) in place of the student's
`softmax_loss` and `lr_at`, so that only the loop counts; the stand-in loss is a squared error,
not a softmax, because the probes are shipped to students and must not hold a solution.

Inputs come from `grader.inputs`: unsalted, the fixed ones a release records answers for;
salted (the instructor's grading), every array, size, seed and MNIST subset is drawn from the
salt as well, and training runs on a secret disguise of MNIST (`Disguise`).
"""
from __future__ import annotations

import importlib.util
import math
import types
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from course_lib.datasets.mnist import load_mnist
from course_lib.gradcheck import numerical_gradient
from grader import inputs
from grader.compare import as_array, as_float, describe, expect_close, expect_scalar, expect_tuple, recognise, same
from grader.rubric import CheckFailed, Rubric
from grader.sandbox import StudentFault, TimedOut
from grader.timing import Measured

rubric = Rubric()


def ref():
    return rubric.reference()


def mistaken():
    return rubric.mistaken()


# -- the catalogue of known mistakes ------------------------------------------------------

M = rubric.mistake
L1_ABS_OF_SUM = M("l1_abs_of_sum", "l1_distances takes the absolute value of the summed differences, so "
                  "differences of opposite signs cancel", "take the absolute value of each difference, then sum: "
                  "np.abs(B - a).sum(axis=1)")
FULL_BROADCAST = M("distances_full_broadcast", "the distances broadcast A[:, None, :] - B[None, :, :], an "
                   "(n, m, d) array that needs gigabytes for MNIST-sized inputs", "loop over the rows of A, one "
                   "(m, d) difference at a time (or in chunks of rows small enough to fit)")
L2_SQUARED = M("l2_without_sqrt", "l2_distances returns the squared distances (no square root)",
               "take np.sqrt of |a|^2 + |b|^2 - 2 a.b, clipped at 0")
L2_UNCLIPPED = M("l2_not_clipped", "l2_distances takes the square root without clipping at 0, so rounding "
                 "below 0 gives NaN for identical rows", "clip first: np.sqrt(np.maximum(squared, 0))")
L2_SLOW = M("l2_distances_too_slow", "l2_distances loops in Python over rows or pairs instead of computing "
            "every pair with one matrix product", "compute |a|^2 + |b|^2 - 2 A @ B.T for all pairs at once, "
            "adding the squared norms by broadcasting")
TIE_LARGEST = M("knn_tie_to_largest_label", "a tie in the vote goes to the largest label",
                "give it to the smallest: np.bincount(labels).argmax() returns the first of the largest counts")
TIE_NEAREST = M("knn_tie_to_nearest_label", "a tie in the vote goes to the label met first among the nearest "
                "(Counter.most_common does that)", "give it to the smallest label: np.bincount(labels).argmax()")
TEST_OWN_STATS = M("standardize_test_with_own_statistics", "the test set is standardised with its own mean "
                   "and deviation", "scale X_test with the training set's mean and deviation")
ZERO_DEVIATION = M("standardize_divides_by_zero_deviation", "standardize divides by a deviation of 0 (a "
                   "feature constant over the training set), which gives NaN",
                   "count a deviation below 1e-12 as 1: np.where(std < 1e-12, 1.0, std)")
IN_PLACE = M("standardize_in_place", "standardize changes its inputs in place (X -= mean)",
             "compute new arrays: (X - mean) / std")
LOSS_SUMMED = M("softmax_loss_summed", "the loss (or its gradient) is summed over the batch, not averaged",
                "divide the data term of the loss and of dW by N")
REG_NO_2 = M("reg_gradient_without_factor_2", "the regularisation's gradient is reg * W, without the factor 2",
             "the gradient of reg * sum(W ** 2) is 2 * reg * W")
NO_MAX = M("softmax_loss_without_max", "softmax_loss exponentiates the scores without subtracting each row's "
           "maximum, so exp overflows", "subtract scores.max(axis=1, keepdims=True) before np.exp")
CLIPPED_LOG = M("softmax_loss_log_of_clipped_probability", "the loss takes the log of a probability with an "
                "eps added or clipped, far off where the true class's probability is below the eps",
                "take log P as the shifted scores minus the log of their exp's row sum (log-sum-exp)")
STEP_OFF_BY_ONE = M("step_schedule_off_by_one", "the step schedule decays one epoch early or late",
                    "use gamma ** (epoch // step_size), with epochs counted from 0")
SAME_SHUFFLE = M("same_shuffle_every_epoch", "every epoch walks the rows in the same order",
                 "draw order = rng.permutation(N) inside the epoch loop, from the generator made before it")
LR_PER_STEP = M("schedule_over_steps", "the learning rate changes with every batch, as if the schedule's "
                "period were the steps (cosine annealed over the steps), not the epochs",
                "compute lr_e = lr_at(schedule, lr, e, epochs) once per epoch and use it for all its batches")
LOSS_UNWEIGHTED = M("epoch_loss_unweighted", "history[\"loss\"] is the plain mean of the batch losses, not "
                    "weighted by batch size (the last batch is smaller)",
                    "add up loss * len(batch) over the epoch and divide by N")
LAST_BATCH_DROPPED = M("last_batch_dropped", "train_sgd skips the last, smaller batch of each epoch",
                       "walk range(0, N, batch_size): the last slice may be smaller")


def drawn(seed: int, fixed: int, low: int, high: int) -> int:
    """A size or a seed of a check's input: `fixed` unsalted, else drawn from [low, high)."""
    return inputs.fixed_or_drawn(fixed, seed, lambda rng: int(rng.integers(low, high)))


def out_of_memory(fault: StudentFault) -> bool:
    return "MemoryError" in str(fault) or "too much memory" in str(fault)


def calling(ctx, target: str, *args, label: str | None = None):
    """ctx.call, with running out of memory named as the full broadcast."""
    try:
        return ctx.call(target, *args) if label is None else ctx.probe(target, *args, label=label)
    except StudentFault as fault:
        if out_of_memory(fault):
            fault.mistake = FULL_BROADCAST
        raise


# -- MNIST rows ---------------------------------------------------------------------------

N_TRAIN, N_TEST, N_PIXELS, N_CLASSES = 60_000, 10_000, 784, 10


def rows_of(seed: int, n: int, total: int) -> np.ndarray:
    """The first n row numbers unsalted; salted, n drawn ones in increasing order."""
    return inputs.fixed_or_drawn(np.arange(n), seed, lambda rng: np.sort(rng.choice(total, n, replace=False)))


def mnist_pair(data_dir, seed: int, n: int, m: int):
    """(A, B): n test images and m training images, float64 (n, 784) and (m, 784)."""
    data = load_mnist(data_dir)
    return (np.asarray(data["X_test"][rows_of(seed, n, N_TEST)], dtype=np.float64),
            np.asarray(data["X_train"][rows_of(seed + 1, m, N_TRAIN)], dtype=np.float64))


# -- distances ----------------------------------------------------------------------------

DIST_RTOL, DIST_ATOL = 1e-8, 1e-6  # |got - expected| <= 1e-8 |expected| + 1e-6


def uniform_pairs(seed: int):
    """(A, B) pairs of U(0, 1) rows: a few sizes, one row or one column among them."""
    rng = inputs.rng(seed)
    d = drawn(seed + 1, 20, 5, 40)
    sizes = [(drawn(seed + 2, 6, 3, 12), drawn(seed + 3, 9, 3, 12)), (1, 4), (5, 1)]
    return [(rng.uniform(size=(n, d)), rng.uniform(size=(m, d))) for n, m in sizes]


def shapes(A, B) -> str:
    return f"A {A.shape}, B {B.shape}"


@rubric.check("l1_distances.values", "l1_distances gives sum_k |A[i, k] - B[j, k]| for every pair", 1)
def l1_values(ctx):
    for A, B in uniform_pairs(401):
        expect_close(f"l1_distances(A, B) for {shapes(A, B)}", ctx.call("l1_distances", A, B),
                     ref().l1_distances(A, B), rtol=DIST_RTOL, atol=DIST_ATOL,
                     mistakes=[(L1_ABS_OF_SUM, mistaken().l1_abs_of_sum(A, B))])


def sampled(seed: int, n: int, m: int):
    """Row and column numbers of a 20 x 50 block of an (n, m) result, compared entry by entry."""
    rng = inputs.rng(seed)
    return np.sort(rng.choice(n, 20, replace=False)), np.sort(rng.choice(m, 50, replace=False))


@rubric.check("l1_distances.mnist", "l1_distances handles 500 x 2,000 MNIST rows within the memory limit", 1,
              timeout=120)
def l1_mnist(ctx):
    """Accepts a loop over the rows of A or of B and chunks of rows; a full (n, m, d) broadcast
    needs 6 GB and fails, named. A 20 x 50 block of the result is compared with the reference."""
    A, B = mnist_pair(ctx.data_dir, 411, 500, 2000)
    name = "l1_distances(A, B) for 500 x 2,000 MNIST rows"
    found = as_array(name, calling(ctx, "l1_distances", A, B), (500, 2000))
    I, J = sampled(413, 500, 2000)
    expect_close(f"{name}, rows {I[:3].tolist()}... columns {J[:3].tolist()}...", found[np.ix_(I, J)],
                 ref().l1_distances(A[I], B[J]), rtol=DIST_RTOL, atol=DIST_ATOL,
                 mistakes=[(L1_ABS_OF_SUM, mistaken().l1_abs_of_sum(A[I], B[J]))])


@rubric.check("l2_distances.values", "l2_distances gives the Euclidean distance of every pair", 1)
def l2_values(ctx):
    for A, B in uniform_pairs(421):
        expected = ref().l2_distances(A, B)
        expect_close(f"l2_distances(A, B) for {shapes(A, B)}", ctx.call("l2_distances", A, B), expected,
                     rtol=DIST_RTOL, atol=DIST_ATOL, mistakes=[(L2_SQUARED, expected ** 2)])


def with_twins(seed: int):
    """(A, B, twins): U(0, 1) rows where 40 rows of B are rows of A, twins[i, j] where A[i] == B[j];
    without the clip at 0, the reference's rounding goes below 0 for some twins (a NaN)."""
    for attempt in range(20):
        rng = inputs.rng(seed + 1000 * attempt)
        A = rng.uniform(size=(50, 784))
        B = np.vstack([A[rng.permutation(50)[:40]], rng.uniform(size=(30, 784))])[rng.permutation(70)]
        if np.isnan(mistaken().l2_unclipped(A, B)).any():
            return A, B, (A[:, None, :] == B[None, :, :]).all(axis=2)
    raise RuntimeError("no draw of identical rows makes the unclipped distance negative")


@rubric.check("l2_distances.identical_rows", "l2_distances is never negative or NaN, not even for identical rows", 1)
def l2_identical(ctx):
    A, B, twins = with_twins(431)
    name = f"l2_distances(A, B) for {shapes(A, B)}, {int(twins.sum())} rows of B also rows of A"
    found = as_array(name, ctx.call("l2_distances", A, B), (50, 70)).astype(float)
    bad = ~(found >= 0)  # NaN or negative
    if bad.any():
        raise CheckFailed(f"{name}: {int(bad.sum())} distances are NaN or negative, {int(bad[twins].sum())} of "
                          f"them between identical rows. Rounding makes |a|^2 + |b|^2 - 2 a.b slightly negative "
                          f"there; clip it at 0 before the square root.",
                          L2_UNCLIPPED if not bad[~twins].any() else None)
    expected = ref().l2_distances(A, B)
    expect_close(name, found, expected, rtol=DIST_RTOL, atol=DIST_ATOL, mistakes=[(L2_SQUARED, expected ** 2)])


def speed_rows(data_dir):
    return _speed_rows(data_dir, inputs.current_salt())


@lru_cache(maxsize=2)
def _speed_rows(data_dir, salt):
    with inputs.drawn_with(salt):
        return mnist_pair(data_dir, 441, 1000, 5000)


def l2_sample(ctx):
    ctx.call("l2_distances", *speed_rows(ctx.data_dir))


@rubric.check("l2_distances.speed", "l2_distances of 1,000 x 5,000 MNIST rows takes at most 5 times the grader's "
              "own time", 1, timeout=60, measured=Measured(l2_sample, multiple=5, floor_s=2, ceiling_s=60))
def l2_speed(ctx):
    """The limit is 5 x the reference's time for the same call on this machine, measured just before
    (transfers included; at least 2 s, for a timer's noise). A loop over the rows of A takes 20 x
    or more and fails, named; a full broadcast runs out of memory, named."""
    A, B = speed_rows(ctx.data_dir)
    try:
        found = calling(ctx, "l2_distances", A, B)
    except TimedOut as slow:
        raise CheckFailed(str(slow), L2_SLOW) from None
    as_array("l2_distances(A, B) for 1,000 x 5,000 MNIST rows", found, (1000, 5000))


@rubric.check("distances.independent", "l1_distances and l2_distances equal torch.cdist on MNIST rows", 1,
              hidden=True, timeout=120)
def distances_independent(ctx):
    import torch
    A, B = mnist_pair(ctx.data_dir, 451, 400, 2000)  # a full broadcast: 5 GB
    for metric, p in (("l1", 1.0), ("l2", 2.0)):
        name = f"{metric}_distances(A, B) for 400 x 2,000 MNIST rows"
        expected = torch.cdist(torch.from_numpy(A), torch.from_numpy(B), p=p,
                               compute_mode="donot_use_mm_for_euclid_dist").numpy()
        wrong = [(L2_SQUARED, expected ** 2)] if metric == "l2" else [(L1_ABS_OF_SUM, mistaken().l1_abs_of_sum(A, B))]
        expect_close(name, calling(ctx, f"{metric}_distances", A, B), expected, rtol=DIST_RTOL, atol=DIST_ATOL,
                     mistakes=wrong)


# -- k-nearest neighbours -----------------------------------------------------------------

KS, METRICS = (1, 3, 5), ("l1", "l2")


@rubric.check("knn.misuse", "KNearestNeighbor: train returns self; predict raises RuntimeError before train, "
              "ValueError for an unknown metric", 1)
def knn_misuse(ctx):
    rng = inputs.rng(461)
    X, y = rng.uniform(size=(8, 3)), rng.integers(0, 3, size=8)
    found = ctx.probe("knn_misuse", X, y, label="KNearestNeighbor() used wrongly")
    if not found["returns_self"]:
        raise CheckFailed("KNearestNeighbor().train(X, y) should return the model itself: end train with "
                          "`return self`.")
    for key, call, error in (("untrained", "predict(X) before train", "RuntimeError"),
                             ("unknown_metric", 'predict(X, metric="cosine")', "ValueError")):
        if error not in (found[key] or []):
            raised = f"raised {found[key][0]}" if found[key] else "raised nothing"
            raise CheckFailed(f"KNearestNeighbor().{call} should raise {error}; it {raised}.")


# Each tie case: k, then the training rows around its test point in training order as
# (distance, label), and the label each vote rule gives: the smallest (the contract's), the
# largest, the one met first among the nearest.
TIE_CASES = (
    (3, ((1, 5), (2, 9), (3, 2), (4, 0), (5, 0)), 2, 9, 5),  # three labels once each
    (5, ((1, 7), (2, 3), (3, 3), (4, 7), (6, 1)), 3, 7, 7),  # two labels twice each
    (1, ((2, 4), (2, 1), (3, 7), (4, 7), (5, 7)), 4, 4, 4),  # a tie in distance: the lower index
    (3, ((1, 6), (2, 3), (3, 6), (3, 3), (5, 0)), 6, 6, 6),  # a tie in distance at the k-th neighbour
)
TIE_DIMENSIONS = 4


def tie_data(seed: int):
    """(X_train, y_train, X_test): integer points, exact in float64 under both metrics. Each
    case's rows lie on the axes around its test point (a distance is the same in L1 and L2),
    the cases 100 apart; salted, the cases come in a drawn order and at drawn places."""
    order = inputs.fixed_or_drawn(np.arange(len(TIE_CASES)), seed + 1, lambda r: r.permutation(len(TIE_CASES)))
    directions = [(0, 1), (0, -1), (1, 1), (1, -1), (2, 1)]  # (axis, sign) of each of a case's five rows
    X_train, y_train, X_test = [], [], []
    for place, case in enumerate(order):
        centre = np.zeros(TIE_DIMENSIONS)
        centre[3] = 100.0 * (place + 1) + inputs.integer(seed + 2 + place, 0, 20)
        centre[:3] = inputs.fixed_or_drawn(np.zeros(3), seed + 10 + place, lambda r: r.integers(-50, 50, 3))
        for (axis, sign), (distance, label) in zip(directions, TIE_CASES[case][1]):
            row = centre.copy()
            row[axis] += sign * distance
            X_train.append(row)
            y_train.append(label)
        X_test.append(centre)
    return np.array(X_train), np.array(y_train), np.array(X_test), order


@rubric.check("knn.ties", "KNearestNeighbor breaks ties as told: in distance the lower index, in the vote the "
              "smallest label", 1)
def knn_ties(ctx):
    X_train, y_train, X_test, order = tie_data(471)
    found = ctx.probe("knn_predictions", X_train, y_train, X_test, list(KS), list(METRICS),
                      label="KNearestNeighbor().train(X_train, y_train).predict(X_test, k, metric)")
    rules = {rule: np.array([TIE_CASES[c][2 + r] for c in order]) for r, rule in enumerate(("smallest", "largest", "nearest"))}
    for metric, predictions in zip(METRICS, found):
        got = [as_array(f'predict(X_test, k={k}, metric="{metric}")', p, (len(X_test),)) for k, p in zip(KS, predictions)]
        mine = np.array([got[KS.index(TIE_CASES[c][0])][i] for i, c in enumerate(order)])
        wrong = np.flatnonzero(mine != rules["smallest"])
        if wrong.size:
            case = TIE_CASES[order[wrong[0]]]
            hint = (" A tie in distance goes to the lower training index: sort with np.argsort(..., kind=\"stable\")."
                    if case[2] == case[3] == case[4] else "")
            raise CheckFailed(f'predict(X_test, k={case[0]}, metric="{metric}") for a test point whose training '
                              f"rows by distance are (distance, label) {list(case[1])}: expected label {case[2]}, "
                              f"found {mine[wrong[0]]}.{hint}",
                              recognise(mine, [(TIE_LARGEST, rules["largest"]), (TIE_NEAREST, rules["nearest"])],
                                        rtol=0))


def knn_digits(data_dir):
    """(X_train, y_train, X_test, y_test): 2,000 training and 100 test digits, float64, with no
    exact tie at the k-th neighbour and some ties in the vote (unsalted the first ones; the
    tests check them; salted, drawn and screened)."""
    return _knn_digits(data_dir, inputs.current_salt())


@lru_cache(maxsize=2)
def _knn_digits(data_dir, salt):
    data = load_mnist(data_dir)
    with inputs.drawn_with(salt):
        train, test = rows_of(481, 2000, N_TRAIN), rows_of(482, 100 if salt is None else 200, N_TEST)
    X_train, y_train = np.asarray(data["X_train"][train], dtype=np.float64), data["y_train"][train]
    if salt is not None:  # the rows with a tie in the vote first, for the tie rules to count
        clear, tied = screened(X_train, y_train, np.asarray(data["X_test"][test], dtype=np.float64))
        test = np.sort(test[np.concatenate([np.flatnonzero(clear & tied), np.flatnonzero(clear & ~tied)])[:100]])
    return X_train, y_train, np.asarray(data["X_test"][test], dtype=np.float64), data["y_test"][test]


def screened(X_train, y_train, X_test) -> tuple[np.ndarray, np.ndarray]:
    """(clear, tied) for each test row: its k-th and (k+1)-th nearest training rows clearly apart
    for every k and both metrics (a tie there would leave the neighbours to rounding), and a tie
    in the vote among its k nearest for some k and metric."""
    clear, tied = np.ones(len(X_test), dtype=bool), np.zeros(len(X_test), dtype=bool)
    for distances in (ref().l1_distances(X_test, X_train), ref().l2_distances(X_test, X_train)):
        nearest = np.argsort(distances, axis=1, kind="stable")[:, :max(KS) + 1]  # (n, 6)
        ordered, labels = np.take_along_axis(distances, nearest, axis=1), y_train[nearest]
        for k in KS:
            clear &= ordered[:, k] - ordered[:, k - 1] > 1e-6
            counts = (labels[:, :k, None] == np.arange(N_CLASSES)).sum(axis=1)  # (n, 10)
            tied |= (counts == counts.max(axis=1, keepdims=True)).sum(axis=1) > 1
    return clear, tied


def pixels(row) -> list:
    return np.round(255 * np.asarray(row).reshape(28, 28)).astype(int).tolist()


def neighbour_grid(X_train, y_train, X_test, y_test, predicted, shown: int = 4) -> dict:
    """The first test digits `predicted` got wrong (or the first ones), each beside its five
    nearest training digits by the grader's own L2 distances, for the feedback page."""
    rows = [*np.flatnonzero(predicted != y_test), *np.flatnonzero(predicted == y_test)][:shown]
    images, labels = [], []
    for i in rows:
        nearest = np.argsort(np.linalg.norm(X_train - X_test[i], axis=1), kind="stable")[:5]
        images.append([pixels(X_test[i])] + [pixels(X_train[j]) for j in nearest])
        labels.append([f"{y_test[i]} → {predicted[i]}"] + [str(y_train[j]) for j in nearest])
    return {"images": images, "labels": labels}


@rubric.check("knn.mnist", "KNearestNeighbor predicts as the grader's k-NN on MNIST digits, k = 1, 3, 5, "
              "L1 and L2", 2, timeout=120)
def knn_mnist(ctx):
    """Predictions must equal the reference's on 100 test digits against 2,000 training digits;
    the grader measures their accuracy itself. Vote ties (none at the k-th distance) are named."""
    X_train, y_train, X_test, y_test = knn_digits(ctx.data_dir)
    label = "KNearestNeighbor().train(X_train, y_train).predict(X_test, k, metric) on MNIST digits"
    found = calling(ctx, "knn_predictions", X_train, y_train, X_test, list(KS), list(METRICS), label=label)
    names = [[f'predict(X_test, k={k}, metric="{metric}") for 100 test digits, 2,000 training digits' for k in KS]
             for metric in METRICS]
    found = [[as_array(n, p, (len(X_test),)) for n, p in zip(*pair)] for pair in zip(names, found)]
    ctx.record("image_grid", neighbour_grid(X_train, y_train, X_test, y_test, found[1][1]))
    ctx.record("picture_texts", {"image_grid": {"caption": "Test digits (first column: true label → your "
                                                           "prediction, k = 3, L2) beside their five nearest training digits"}})
    ctx.record("knn_accuracy", {f"k={k}, {metric}": float(np.mean(found[m][i] == y_test))
                                for m, metric in enumerate(METRICS) for i, k in enumerate(KS)})
    model = ref().KNearestNeighbor().train(X_train, y_train)
    for m, metric in enumerate(METRICS):
        votes = mistaken().knn_votes(X_train, y_train, X_test, list(KS), metric)
        for i, k in enumerate(KS):
            expect_close(names[m][i], found[m][i], model.predict(X_test, k=k, metric=metric), rtol=0,
                         mistakes=[(TIE_LARGEST, votes["largest"][i]), (TIE_NEAREST, votes["nearest"][i])])
    accuracy = ctx.diagnostics["knn_accuracy"]
    return f"accuracy on the 100 test digits: {accuracy['k=3, l2']:.2f} with k = 3 and L2 (measured by the grader)"


# -- standardize --------------------------------------------------------------------------

def standardize_inputs(seed: int):
    """(X_train, X_test): features of other means and spreads, the test set drawn unlike the
    training set, and one feature constant over the training set (deviation 0)."""
    rng = inputs.rng(seed)
    d = drawn(seed + 1, 6, 4, 10)
    X_train = rng.normal(loc=rng.uniform(-5, 5, size=d), scale=rng.uniform(0.5, 3, size=d), size=(30, d))
    X_test = rng.normal(loc=rng.uniform(-5, 5, size=d), scale=rng.uniform(0.5, 3, size=d), size=(12, d))
    X_train[:, drawn(seed + 2, 2, 0, d)] = 1.5
    return X_train, X_test


def standardized(name: str, found, X_train, X_test) -> tuple:
    X_train_s, X_test_s = expect_tuple(name, found, 2)
    return as_array(f"{name}[0]", X_train_s, X_train.shape), as_array(f"{name}[1]", X_test_s, X_test.shape)


@rubric.check("standardize.values", "standardize scales both sets with the training set's mean and deviation", 1)
def standardize_values(ctx):
    """Any exact form passes (rtol 1e-10). Fails, named: the test set scaled with its own
    statistics, and a constant training feature divided by its deviation 0."""
    X_train, X_test = standardize_inputs(491)
    name = f"standardize(X_train, X_test) for X_train {X_train.shape}, X_test {X_test.shape}"
    found = standardized(name, ctx.call("standardize", X_train, X_test), X_train, X_test)
    expected = ref().standardize(X_train, X_test)
    own, unguarded = (mistaken().standardize_test_with_own_statistics(X_train, X_test),
                      mistaken().standardize_unguarded(X_train, X_test))
    for i in range(2):
        expect_close(f"{name}[{i}]", found[i], expected[i], rtol=1e-10, atol=1e-12,
                     mistakes=[(TEST_OWN_STATS, own[i]), (ZERO_DEVIATION, unguarded[i])])


@rubric.check("standardize.inputs_unchanged", "standardize leaves X_train and X_test unchanged", 1)
def standardize_unchanged(ctx):
    X_train, X_test = standardize_inputs(492)
    found, after = ctx.call_keeping_args("standardize", X_train, X_test)
    changed = [name for name, before, now in zip(("X_train", "X_test"), (X_train, X_test), after)
               if not np.array_equal(before, now)]
    if changed:
        raise CheckFailed(f"standardize(X_train, X_test) changed {' and '.join(changed)}; return new arrays "
                          f"and leave the inputs as they were.", IN_PLACE)


# -- softmax_loss -------------------------------------------------------------------------

def classifier(seed: int, N: int, D: int, C: int, scale: float = 1.0, far: bool = False):
    """(W (D, C), X (N, D), y (N,)) drawn from N(0, scale^2), N(0, 1) and the classes; `far`: row 0's
    true class scores 20 below the row's maximum (its probability about 1e-9: an eps shows)."""
    rng = inputs.rng(seed)
    W, X, y = rng.normal(scale=scale, size=(D, C)), rng.normal(size=(N, D)), rng.integers(0, C, size=N)
    if far:
        scores = X[0] @ W
        y[0], X[0] = np.argmin(scores), X[0] * 20 / (scores.max() - scores.min())
    return W, X, y


def loss_and_gradient(name: str, found, W) -> tuple[float, np.ndarray]:
    loss, dW = expect_tuple(name, found, 2)
    return as_float(f"{name}: the loss", loss), as_array(f"{name}: dW", dW, W.shape)


def loss_mistakes(W, X, y, reg: float, dW: np.ndarray) -> tuple[list, list]:
    """([(mistake, its loss)], [(mistake, its dW)]) for the scaling mistakes, `dW` the right gradient."""
    summed = mistaken().softmax_loss_summed(W, X, y, reg)
    return [(LOSS_SUMMED, summed[0])], [(LOSS_SUMMED, summed[1]), (REG_NO_2, dW - reg * W)]


def expect_loss(ctx, name, W, X, y, reg, expected: tuple, rtol: float, atol: float) -> None:
    loss, dW = loss_and_gradient(name, ctx.call("softmax_loss", W, X, y, reg=reg), W)
    wrong_loss, wrong_dW = loss_mistakes(W, X, y, reg, expected[1])
    wrong_loss += [(CLIPPED_LOG, v) for v in mistaken().softmax_losses_of_clipped_logs(W, X, y, reg)]
    expect_scalar(f"{name}: the loss", loss, expected[0], rtol=rtol, mistakes=wrong_loss)
    expect_close(f"{name}: dW", dW, expected[1], rtol=rtol, atol=atol, mistakes=wrong_dW)


@rubric.check("softmax_loss.values", "softmax_loss gives the mean cross-entropy plus reg * sum(W ** 2), and dW", 1)
def softmax_loss_values(ctx):
    W, X, y = classifier(501, N=drawn(502, 12, 8, 20), D=7, C=5, far=True)
    reg = inputs.fixed_or_drawn(0.05, 503, lambda rng: float(rng.uniform(0.02, 0.2)))
    expect_loss(ctx, f"softmax_loss(W, X, y, reg={reg:g}) for W {W.shape}, X {X.shape}", W, X, y, reg,
                ref().softmax_loss(W, X, y, reg), rtol=1e-9, atol=1e-12)


def normwise_error(a, n) -> float:
    return float(np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), 1e-300))


@rubric.check("softmax_loss.gradient", "softmax_loss's dW agrees with centred differences of the loss", 2)
def softmax_loss_gradient(ctx):
    """Normwise relative error |a - n| / (|a| + |n|) at most 1e-6 in float64, n the centred
    differences (h = 1e-5) of the grader's loss. Summed losses and a reg gradient without its 2
    fail, named."""
    W, X, y = classifier(511, N=8, D=5, C=4)
    reg = 0.1
    name = f"softmax_loss(W, X, y, reg={reg:g}) for W {W.shape}, X {X.shape}: dW"
    _, dW = loss_and_gradient(name, ctx.call("softmax_loss", W, X, y, reg=reg), W)
    numeric = numerical_gradient(lambda V: ref().softmax_loss(V, X, y, reg)[0], W)
    error = normwise_error(dW, numeric)
    if not error <= 1e-6:
        _, wrong = loss_mistakes(W, X, y, reg, numeric)
        raise CheckFailed(f"{name}: the normwise relative error against centred differences is {error:.3g}, at "
                          f"most 1e-6 is needed (found {dW.ravel()[0]:.8g}, expected {numeric.ravel()[0]:.8g} at "
                          f"index (0, 0)).", recognise(dW, wrong, rtol=1e-6, atol=1e-9))
    return f"normwise relative error {error:.2g} against centred differences (at most 1e-6)"


def large_scores(seed: int):
    """(W, X, y) whose scores X @ W = W reach 1e4 in size, each row's true class within 30 of its maximum."""
    S = np.array([[1e4, 1e4 - 25, -1e4, 0.0], [-1e4, -1e4 + 20, -1e4 - 3, -1e4 + 28],
                  [5e3, -5e3, 5e3 - 30, 0.0], [1.0, 2.0, 3.0, 4.0]])
    y = np.array([1, 1, 2, 0])
    if inputs.salted():
        rng = inputs.rng(seed)
        columns = rng.permutation(4)
        S, y = S[:, columns] + rng.uniform(-500, 500, size=(4, 1)), np.argsort(columns)[y]
    return S, np.eye(4), y


@rubric.check("softmax_loss.stable", "softmax_loss stays finite and exact for scores of 1e4", 1)
def softmax_loss_stable(ctx):
    """Accepts the row maximum subtracted with log-sum-exp, or -log of a probability computed
    stably (the true class's is at least e^-30); fails, named: no maximum subtracted (exp
    overflows), and the log of a probability with an eps added or clipped."""
    W, X, y = large_scores(521)
    name = "softmax_loss(W, X, y) with scores of 1e4"
    loss, dW = loss_and_gradient(name, ctx.call("softmax_loss", W, X, y), W)
    expected = ref().softmax_loss(W, X, y)
    if not np.isfinite(loss) or not np.all(np.isfinite(dW)):
        raise CheckFailed(f"{name}: expected a finite loss {expected[0]:.10g}, found {loss} "
                          f"(dW {'finite' if np.all(np.isfinite(dW)) else 'not finite'}).", NO_MAX)
    wrong = [(CLIPPED_LOG, v) for v in mistaken().softmax_losses_of_clipped_logs(W, X, y)]
    wrong.append((LOSS_SUMMED, mistaken().softmax_loss_summed(W, X, y)[0]))
    expect_scalar(f"{name}: the loss", loss, expected[0], rtol=1e-9, mistakes=wrong)
    expect_close(f"{name}: dW", dW, expected[1], rtol=1e-7, atol=1e-12)


@rubric.check("softmax_loss.independent", "softmax_loss equals PyTorch's cross-entropy and autograd", 1,
              hidden=True, timeout=30)
def softmax_loss_independent(ctx):
    import torch
    W, X, y = classifier(531, N=drawn(532, 64, 40, 100), D=30, C=10, scale=0.5, far=True)
    reg = inputs.fixed_or_drawn(1e-3, 533, lambda rng: float(rng.uniform(1e-4, 1e-2)))
    W_t = torch.tensor(W, requires_grad=True)
    loss = torch.nn.functional.cross_entropy(torch.from_numpy(X) @ W_t, torch.from_numpy(y)) + reg * (W_t ** 2).sum()
    loss.backward()
    expect_loss(ctx, f"softmax_loss(W, X, y, reg={reg:g}) for W {W.shape}, X {X.shape}", W, X, y, reg,
                (loss.item(), W_t.grad.numpy()), rtol=1e-9, atol=1e-12)


# -- lr_at --------------------------------------------------------------------------------

SCHEDULES = ("constant", "step", "cosine")


def schedule_settings(seed: int) -> list[dict]:
    """lr_at's arguments besides the schedule and the epoch: at the defaults and at others."""
    base = inputs.fixed_or_drawn(0.1, seed, lambda rng: float(rng.uniform(0.01, 1.0)))
    epochs, step, gamma = drawn(seed + 1, 20, 12, 40), drawn(seed + 2, 3, 2, 6), 0.1
    return [{"base_lr": base, "total_epochs": epochs}, {"base_lr": base, "total_epochs": epochs + 7,
                                                        "step_size": step, "gamma": gamma}]


def rates_of(ctx, setting: dict) -> tuple[np.ndarray, str]:
    args = ", ".join(f"{k}={v:g}" for k, v in setting.items())
    name = f"[[lr_at(schedule, epoch=e, {args}) for e in range(total_epochs)] for schedule in {list(SCHEDULES)}]"
    found = ctx.probe("lr_values", list(SCHEDULES), **setting, label=name)
    return as_array(name, found, (len(SCHEDULES), setting["total_epochs"])), name


def expect_rates(name: str, found, expected, setting: dict, rtol: float) -> None:
    off = mistaken().lr_step_off_by_one(setting["base_lr"], setting["total_epochs"],
                                         setting.get("step_size", 5), setting.get("gamma", 0.5))
    for i, schedule in enumerate(SCHEDULES):
        wrong = [(STEP_OFF_BY_ONE, v) for v in off] if schedule == "step" else []
        expect_close(f'{name}: "{schedule}"', found[i], expected[i], rtol=rtol, atol=1e-15, mistakes=wrong)


def ensure_unknown_raises(ctx, seed: int) -> None:
    args = (inputs.fixed_or_drawn("linear", seed, lambda rng: str(rng.choice(["linear", "exponential", "Cosine"]))),
            inputs.fixed_or_drawn(0.1, seed + 1, lambda rng: float(rng.uniform(0.01, 1))), drawn(seed + 2, 0, 0, 10), 10)
    call = f"lr_at{args!r}"
    raised = ctx.probe("unknown_schedule", *args, label=call)
    if "ValueError" not in (raised or []):
        raise CheckFailed(f"{call} should raise ValueError for an unknown schedule; it "
                          f"{'raised ' + raised[0] if raised else 'raised nothing'}.")


@rubric.check("lr_at.schedules", "lr_at gives the constant, step and cosine schedules; another name raises ValueError", 1)
def lr_at_schedules(ctx):
    for n, setting in enumerate(schedule_settings(541)):
        found, name = rates_of(ctx, setting)
        expected = np.array([[ref().lr_at(s, setting["base_lr"], e, setting["total_epochs"],
                                          **{k: v for k, v in setting.items() if k in ("step_size", "gamma")})
                              for e in range(setting["total_epochs"])] for s in SCHEDULES])
        if n == 0:
            ctx.record("curves", {f"{s} (expected)": expected[i].tolist() for i, s in enumerate(SCHEDULES) if i}
                       | {f"{s} (yours)": found[i].tolist() for i, s in enumerate(SCHEDULES) if i})  # yours on top
            ctx.record("picture_texts", {"curves": {"caption": "Your lr_at per epoch against the expected step and "
                                                               "cosine schedules (defaults: step_size 5, gamma 0.5)",
                                                    "x": "epoch", "y": "learning rate"}})
        expect_rates(name, found, expected, setting, rtol=1e-12)
    ensure_unknown_raises(ctx, 545)


@lru_cache(maxsize=1)
def _rates_only_optimiser():
    """An optimiser of one parameter group and no parameters, all PyTorch's schedulers need:
    the first torch.optim.SGD of a process imports torch._dynamo (1.7 s a grading process)."""
    from torch.optim import Optimizer

    class RatesOnly(Optimizer):
        def __init__(self, lr: float):  # noqa: D107 - Optimizer.__init__ is what imports torch._dynamo
            self.defaults, self.state, self.param_groups = {"lr": lr}, {}, [{"lr": lr, "params": []}]

        def step(self, closure=None):
            return None

    return RatesOnly


def pytorch_rates(schedule: str, base_lr: float, total_epochs: int, step_size: int = 5, gamma: float = 0.5) -> list:
    """The learning rates an optimiser has in epochs 0, 1, ... under PyTorch's scheduler."""
    from torch.optim import lr_scheduler
    optimiser = _rates_only_optimiser()(base_lr)
    scheduler = {"constant": lambda: lr_scheduler.LambdaLR(optimiser, lambda epoch: 1.0),
                 "step": lambda: lr_scheduler.StepLR(optimiser, step_size=step_size, gamma=gamma),
                 "cosine": lambda: lr_scheduler.CosineAnnealingLR(optimiser, T_max=total_epochs, eta_min=0)}[schedule]()
    rates = []
    for _ in range(total_epochs):
        rates.append(optimiser.param_groups[0]["lr"])
        optimiser.step()
        scheduler.step()
    return rates


@rubric.check("lr_at.pytorch", "lr_at equals PyTorch's StepLR and CosineAnnealingLR", 1, hidden=True, timeout=30)
def lr_at_pytorch(ctx):
    for setting in schedule_settings(551):
        found, name = rates_of(ctx, setting)
        expected = np.array([pytorch_rates(s, **setting) for s in SCHEDULES])
        expect_rates(name, found, expected, setting, rtol=1e-10)
    ensure_unknown_raises(ctx, 555)


# -- train_sgd's loop, with the grader's stand-ins ----------------------------------------

@lru_cache(maxsize=1)
def _probes():
    spec = importlib.util.spec_from_file_location("assignment4_probes", rubric.assignment.probes_file)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def sgd_problem(seed: int) -> tuple:
    """(X, y, kwargs) of a small problem whose last batch is smaller than the others."""
    rng = inputs.rng(seed)
    N, D, C = drawn(seed + 1, 50, 30, 80), drawn(seed + 2, 6, 3, 9), drawn(seed + 3, 3, 2, 6)
    batch = drawn(seed + 4, 16, 5, 20)
    N += batch // 2 if N % batch == 0 else 0
    kwargs = {"num_classes": C, "lr": 0.2, "reg": 0.01, "epochs": drawn(seed + 5, 4, 3, 6), "batch_size": batch,
              "schedule": "step", "seed": drawn(seed + 6, 3, 0, 2**31)}
    return rng.normal(scale=0.5, size=(N, D)), rng.integers(0, C, size=N), kwargs


def run_with_standins(ctx, X, y, kwargs) -> tuple[str, np.ndarray, object, list]:
    args = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    name = f"train_sgd(X, y, {args}) for X {X.shape}, with the grader's stand-ins for softmax_loss and lr_at"
    found = ctx.probe("train_with_standins", X, y, **kwargs, label=name)
    W, history = expect_tuple(name, found["result"], 2)
    return name, as_array(f"{name}: W", W, (X.shape[1], kwargs["num_classes"])).astype(float), history, found["calls"]


def judge_loop(name: str, X, y, kw: dict, W, history, calls) -> None:
    """CheckFailed unless the loss calls, the batches, the updates and the history are what
    the contract says, given the stand-ins (probes.py)."""
    N, B, E = len(X), kw["batch_size"], kw["epochs"]
    per_epoch = math.ceil(N / B)
    if len(calls) != E * per_epoch:
        dropped = len(calls) == E * (N // B)
        raise CheckFailed(f"{name}: softmax_loss should be called {E * per_epoch} times, once for each of the "
                          f"{per_epoch} batches of {E} epochs (N = {N}, batch_size = {B}); it was called "
                          f"{len(calls)} times.", LAST_BATCH_DROPPED if dropped else None)
    rng = np.random.default_rng(kw["seed"])
    first = 0.001 * rng.standard_normal((X.shape[1], kw["num_classes"]))
    if not same(calls[0]["W"], first, rtol=1e-12):
        raise CheckFailed(f"{name}: the first W handed to softmax_loss should be 0.001 * rng.standard_normal((D, C)), "
                          f"the first draw of rng = np.random.default_rng(seed).")
    orders = [np.concatenate([calls[e * per_epoch + b]["rows"] for b in range(per_epoch)]) for e in range(E)]
    if all(np.array_equal(order, orders[0]) for order in orders):
        raise CheckFailed(f"{name}: all {E} epochs walked the rows in the same order.", SAME_SHUFFLE)
    sizes = np.array([len(c["rows"]) for c in calls]).reshape(E, per_epoch)
    for e, order in enumerate(orders):
        if not np.array_equal(order, rng.permutation(N)) or sizes[e].tolist() != [B] * (per_epoch - 1) + [N - B * (per_epoch - 1)]:
            raise CheckFailed(f"{name}: epoch {e} should walk the rows in the order rng.permutation(N), drawn from "
                              f"the same generator after W, in consecutive slices of batch_size rows.")
    rates = [_probes().standin_lr(kw["schedule"], kw["lr"], e, E) for e in range(E)]
    after = [c["W"] for c in calls[1:]] + [W]
    used = []
    for call, next_W in zip(calls, after):
        _, dW = _probes().standin_loss(call["W"], X[call["rows"]], y[call["rows"]])
        used.append(float(np.sum((call["W"] - next_W) * dW) / np.sum(dW * dW)))
        if not same(next_W, call["W"] - used[-1] * dW, rtol=1e-9, atol=1e-12):
            raise CheckFailed(f"{name}: after a batch, W should be W - lr_e * dW with the dW softmax_loss returned.")
    used = np.array(used).reshape(E, per_epoch)
    if np.any(np.abs(used - used[:, :1]) > 1e-9 * np.abs(used[:, :1])):
        raise CheckFailed(f"{name}: the learning rate changes within an epoch: epoch 0 used {np.round(used[0], 6).tolist()}.",
                          LR_PER_STEP)
    for e in range(E):
        if abs(used[e, 0] - rates[e]) > 1e-9 * rates[e]:
            raise CheckFailed(f"{name}: epoch {e} updated W with a learning rate of {used[e, 0]:.6g}; lr_at(schedule, "
                              f"lr, {e}, epochs) gives {rates[e]:.6g} (the grader's stand-in).")
    if any(c["reg"] != kw["reg"] for c in calls):
        raise CheckFailed(f"{name}: softmax_loss should get reg={kw['reg']}; it got reg={calls[0]['reg']}.")
    judge_history(name, history, calls, rates, N, E, per_epoch)


def judge_history(name: str, history, calls, rates, N: int, E: int, per_epoch: int) -> None:
    if not isinstance(history, dict) or not {"loss", "lr"} <= set(history):
        raise CheckFailed(f'{name}: history should be a dict with the keys "loss" and "lr"; found {describe(history)}.')
    losses = np.array([c["loss"] for c in calls]).reshape(E, per_epoch)
    sizes = np.array([len(c["rows"]) for c in calls]).reshape(E, per_epoch)
    weighted, plain = (losses * sizes).sum(axis=1) / N, losses.mean(axis=1)
    expect_close(f'{name}: history["loss"]', numbers(history["loss"]), weighted, rtol=1e-9,
                 mistakes=[(LOSS_UNWEIGHTED, plain)])
    expect_close(f'{name}: history["lr"]', numbers(history["lr"]), rates, rtol=1e-12)


def numbers(values):
    """`values` (a list of numbers, or an array) as an array, else as it is, for as_array to describe."""
    try:
        return np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        return values


@rubric.check("train_sgd.loop", "train_sgd: one rate per epoch, a new order every epoch, every batch, the "
              "weighted history", 2)
def train_sgd_loop(ctx):
    """Judged from the calls of the stand-in loss alone: the first W is the generator's first draw,
    each epoch a new permutation walked in consecutive slices (the last smaller), W -= lr_e * dW
    with one rate per epoch, and history["loss"] the batch losses' mean weighted by size."""
    X, y, kwargs = sgd_problem(561)
    name, W, history, calls = run_with_standins(ctx, X, y, kwargs)
    judge_loop(name, X, y, kwargs, W, history, calls)


def reference_with_standins(X, y, **kwargs):
    """The reference's train_sgd calling the stand-ins in place of its softmax_loss and lr_at."""
    train = ref().train_sgd
    names = {**train.__globals__, "softmax_loss": _probes().standin_loss, "lr_at": _probes().standin_lr}
    return types.FunctionType(train.__code__, names, argdefs=train.__defaults__)(X, y, **kwargs)


@rubric.check("train_sgd.reference", "train_sgd gives the reference's W for the same inputs and seed", 1,
              hidden=True)
def train_sgd_reference(ctx):
    X, y, kwargs = sgd_problem(571)
    name, W, history, calls = run_with_standins(ctx, X, y, kwargs)
    expected, _ = reference_with_standins(X, y, **kwargs)
    try:
        expect_close(f"{name}: W", W, expected, rtol=1e-8, atol=1e-12 * np.abs(expected).max())
    except CheckFailed as failure:
        judge_loop(name, X, y, kwargs, W, history, calls)  # names the mistake where it can
        raise failure


# -- training on MNIST --------------------------------------------------------------------

@dataclass(frozen=True)
class Disguise:
    """The secret form of MNIST a salted grading trains and scores on: pixel j of every image is
    pixel `pixels[j]` of the original and digit d is labelled class `classes[d]`. A linear
    classifier learns the disguised digits as well as the originals; weights trained offline on
    the originals do not fit them."""
    pixels: np.ndarray  # (784,) a permutation
    classes: np.ndarray  # (10,) a permutation


def disguise() -> Disguise | None:
    if not inputs.salted():
        return None
    rng = inputs.rng(581)
    return Disguise(rng.permutation(N_PIXELS), rng.permutation(N_CLASSES))


def standardised_mnist(data_dir):
    """(X_train, y_train, X_test, y_test): MNIST standardised by the grader with the training
    images' statistics, float32; salted, disguised (y_test stays in digits)."""
    return _standardised_mnist(data_dir, inputs.current_salt())


@lru_cache(maxsize=2)
def _standardised_mnist(data_dir, salt):
    data = load_mnist(data_dir)
    with inputs.drawn_with(salt):
        secret = disguise()
    mean, spread = data["X_train"].mean(axis=0, dtype=np.float64), data["X_train"].std(axis=0, dtype=np.float64)
    spread[spread < 1e-12] = 1.0
    X_train, X_test = ((data[p] - mean) / spread for p in ("X_train", "X_test"))
    labels = data["y_train"]
    if secret is not None:
        X_train, X_test, labels = X_train[:, secret.pixels], X_test[:, secret.pixels], secret.classes[labels]
    return X_train.astype(np.float32), labels, X_test.astype(np.float32), np.array(data["y_test"])


def train_sample(ctx):
    """The reference's whole training, as the check calls it: one epoch of ten (share 0.1) would
    count the 188 MB of images sent to the sandbox ten times (a 355 s limit for 3 s of work)."""
    X, y, _, _ = standardised_mnist(ctx.data_dir)
    ctx.call("train_sgd", X, y)


@rubric.check("train_sgd.mnist", "Trained at the defaults on standardised MNIST, W reaches 0.90 test accuracy", 3,
              timeout=180, measured=Measured(train_sample, share=1.0, multiple=10, floor_s=60, ceiling_s=900))
def train_mnist(ctx):
    """The grader standardises, trains with train_sgd at its defaults and scores the returned W
    with its own argmax(X_test @ W) on the 10,000 test images."""
    X, y, X_test, y_test = standardised_mnist(ctx.data_dir)
    name = "train_sgd(X_train, y_train) on the 60,000 standardised training images"
    W, history = expect_tuple(name, ctx.call("train_sgd", X, y), 2)
    W = as_array(f"{name}: W", W, (N_PIXELS, N_CLASSES)).astype(float)
    if isinstance(history, dict):
        for key, kind in (("loss", "loss_history"), ("lr", "curves")):
            values = numbers(history.get(key))
            if isinstance(values, np.ndarray) and values.ndim == 1:
                values = values.tolist()
                ctx.record(kind, values if kind == "loss_history" else {"learning rate": values})
        ctx.record("picture_texts", {"curves": {"caption": "The learning rate of each epoch of your train_sgd",
                                                "x": "epoch", "y": "learning rate"}})
    if not np.all(np.isfinite(W)):
        raise CheckFailed(f"{name}: training diverged: W holds {int(np.sum(~np.isfinite(W)))} entries that are NaN "
                          f"or inf. Check softmax_loss against centred differences and its stability.")
    predicted = np.argmax(X_test @ W, axis=1)  # the grader's own scoring
    secret = disguise()
    accuracy = float(np.mean((predicted if secret is None else np.argsort(secret.classes)[predicted]) == y_test))
    ctx.record("test_accuracy", accuracy)
    if not accuracy >= 0.90:
        raise CheckFailed(f"trained at the defaults, your W reaches a test accuracy of {accuracy:.4f} on the 10,000 "
                          f"test images (measured by the grader); at least 0.90 is needed (a correct implementation "
                          f"reaches about 0.92). Check the defaults (lr=0.5, reg=1e-4, epochs=10, batch_size=256, "
                          f"cosine), softmax_loss's gradient and the loop.")
    return f"test accuracy {accuracy:.4f} (at least 0.90 needed)"
