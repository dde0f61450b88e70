"""Assignment 4's checks run on plain modules in this process (no sandbox, no MNIST-sized work):
the reference and the correct variants pass, with inputs drawn with and without a salt, and
each mutant fails exactly the checks it declares, its mistake named. The checks that need the
sandbox (memory, time) or MNIST-sized data are graded in test_grading.py."""
import copy
import types

import numpy as np
import pytest

from grader import course, inputs
from grader.rubric import CheckFailed
from grader.selftest.mutants import mutant_source
from tests.support import corpus_of

A4 = course.get("assignment4")
a4 = A4.checks_module
MISTAKES, CORRECT = corpus_of("assignment4", "MISTAKES", "CORRECT")
SANDBOXED = {"l1_distances.mnist", "l2_distances.speed", "distances.independent", "knn.mnist", "train_sgd.mnist"}
CHECKS = {c.id: c for c in A4.rubric.checks if c.id not in SANDBOXED}
SALT = inputs.salt_for(b"a secret", "assignment4", "0" * 64)


def module_of(source: str) -> types.ModuleType:
    module = types.ModuleType("linear_classifier")
    exec(compile(source, "linear_classifier.py", "exec"), module.__dict__)
    return module


class Direct:
    """A stand-in for the check context that runs a module in this process, on copies of the
    arguments as the sandbox would."""

    def __init__(self, module):
        self.module, self.diagnostics, self.data_dir = module, {}, None

    def call(self, target, *args, **kwargs):
        return getattr(self.module, target)(*copy.deepcopy(args), **kwargs)

    def call_keeping_args(self, target, *args, **kwargs):
        args = copy.deepcopy(args)
        return getattr(self.module, target)(*args, **kwargs), args

    def probe(self, name, *args, label, **kwargs):
        return getattr(a4._probes(), name)(self.module, *copy.deepcopy(args), **kwargs)

    def record(self, key, value):
        self.diagnostics[key] = value


def outcome(check, source: str):
    """None when `check` passes on a fresh module of `source`, else the id of the mistake it names ("" for none)."""
    try:
        check.run(Direct(module_of(source)))
    except CheckFailed as failure:
        return failure.mistake.id if failure.mistake else ""
    return None


REFERENCE = (A4.solution_dir / "linear_classifier.py").read_text()


@pytest.mark.parametrize("salt", [None, SALT], ids=["unsalted", "salted"])
@pytest.mark.parametrize("name", ["reference", *sorted(CORRECT)])
def test_the_reference_and_the_correct_variants_pass_every_check(name, salt):
    source = REFERENCE if name == "reference" else mutant_source("assignment4", CORRECT[name])
    with inputs.drawn_with(salt):
        assert {cid: outcome(check, source) for cid, check in CHECKS.items()} == dict.fromkeys(CHECKS)


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_each_mistake_fails_exactly_its_checks_and_is_named(name):
    mutant = MISTAKES[name]
    source = mutant_source("assignment4", mutant)
    found = {cid: outcome(check, source) for cid, check in CHECKS.items()}
    assert found == {cid: name if cid in mutant.breaks else None for cid in CHECKS}


def test_a_mistake_is_named_under_a_salt_too():
    with inputs.drawn_with(SALT):
        for name in ("knn_tie_to_largest_label", "l2_not_clipped", "same_shuffle_every_epoch", "schedule_over_steps"):
            source = mutant_source("assignment4", MISTAKES[name])
            assert {outcome(CHECKS[cid], source) for cid in MISTAKES[name].breaks if cid in CHECKS} == {name}


def test_the_tie_cases_say_what_each_vote_rule_gives():
    for k, rows, smallest, largest, nearest in a4.TIE_CASES:
        labels = [label for _, label in sorted(rows, key=lambda r: r[0])][:k]  # sorted() is stable
        counts = {label: labels.count(label) for label in labels}
        tied = [label for label in labels if counts[label] == max(counts.values())]
        assert (smallest, largest, nearest) == (min(tied), max(tied), tied[0])


def test_the_loop_check_explains_a_loop_that_never_calls_softmax_loss():
    source = REFERENCE.replace("loss, dW = softmax_loss(W, X[batch], y[batch], reg)",
                               "loss, dW = 0.0, np.zeros_like(W)")
    with pytest.raises(CheckFailed, match=r"softmax_loss should be called \d+ times.*called 0 times"):
        a4.train_sgd_loop(Direct(module_of(source)))


def test_the_stand_in_lr_is_not_any_of_the_schedules():
    rates = [a4._probes().standin_lr("cosine", 0.2, e, 4) for e in range(4)]
    ref = A4.reference()
    assert all(rates != [ref.lr_at(s, 0.2, e, 4) for e in range(4)] for s in a4.SCHEDULES)
    assert len(set(rates)) == 4


def test_a_loss_summed_with_its_gradient_is_named_by_the_gradient_check_too():
    source = mutant_source("assignment4", MISTAKES["softmax_loss_summed"]).replace(
        "X.T @ dscores / N + 2 * reg * W", "X.T @ dscores + 2 * reg * W")
    assert outcome(CHECKS["softmax_loss.gradient"], source) == "softmax_loss_summed"


@pytest.mark.parametrize("schedule", ["constant", "step", "cosine"])
def test_the_rates_the_checks_expect_are_a_real_optimiser_s_under_pytorch_s_schedulers(schedule):
    """lr_at.pytorch drives PyTorch's schedulers with a stand-in optimiser (a real one's first
    construction imports torch._dynamo): the rates are those of torch.optim.SGD, epoch by epoch."""
    import torch
    from torch.optim import lr_scheduler
    for base_lr, epochs, step_size, gamma in [(0.5, 1, 5, 0.5), (0.1, 12, 3, 0.1), (0.02, 20, 1, 0.9)]:
        optimiser = torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=base_lr)
        scheduler = {"constant": lambda: lr_scheduler.LambdaLR(optimiser, lambda epoch: 1.0),
                     "step": lambda: lr_scheduler.StepLR(optimiser, step_size=step_size, gamma=gamma),
                     "cosine": lambda: lr_scheduler.CosineAnnealingLR(optimiser, T_max=epochs)}[schedule]()
        expected = []
        for _ in range(epochs):
            expected.append(optimiser.param_groups[0]["lr"])
            optimiser.step()
            scheduler.step()
        assert a4.pytorch_rates(schedule, base_lr, epochs, step_size, gamma) == expected
