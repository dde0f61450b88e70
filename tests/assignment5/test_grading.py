"""Assignment 5 graded end to end: reference, stub, every mistake and every check both ways,
correct variants, the pictures, devices (CUDA tests are marked `gpu` and skipped where there
is none)."""
import numpy as np
import pytest
import torch

from course_lib.datasets.mnist import load_mnist
from grader import course
from grader.formats.plots import pictures
from grader.grade import grade_submission
from tests import support
from tests.support import assert_mistake, corpus_of, failing, write_mutant

CORRECT, MISTAKES = corpus_of("assignment5", "CORRECT", "MISTAKES")

A5 = course.get("assignment5")
NO_CUDA = "needs a CUDA device; torch.cuda.is_available() is False here"


def grade(mutant, tmp_path, data_dir, name="mutant"):
    return support.grade("assignment5", write_mutant("assignment5", mutant, tmp_path / name), data_dir)


def messages(report) -> list[str]:
    return [f"{c.id}: {c.message}" for c in report.checks if not c.passed]


def check(report, check_id):
    return next(c for c in report.checks if c.id == check_id)


def test_reference_gets_full_marks(data_dir):
    report = support.grade("assignment5", A5.solution_dir, data_dir)
    assert failing(report) == set(), messages(report)
    assert report.score == report.max_score == A5.rubric.max_score == 29
    learns = check(report, "vit.learns")
    assert learns.diagnostics["training_accuracy"] >= 0.98
    assert learns.diagnostics["reference_time_s"] > 0 and "reference solution" in learns.diagnostics["time_limit_rule"]


def test_stub_scores_zero_with_not_implemented_everywhere(data_dir):
    report = support.grade("assignment5", A5.stub_dir, data_dir)
    assert report.score == 0 and report.complete
    assert {c.status for c in report.checks} == {"not_implemented"}


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_fails_exactly_the_checks_it_breaks_and_is_named(name, tmp_path, data_dir):
    mutant = MISTAKES[name]
    assert_mistake(grade(mutant, tmp_path, data_dir, name), name, mutant.breaks)


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_variant_gets_full_marks(name, tmp_path, data_dir):
    report = grade(CORRECT[name], tmp_path, data_dir, name)
    assert failing(report) == set() and not any(c.diagnosis for c in report.checks), messages(report)


def test_the_feedback_pictures_are_the_encoding_matrix_a_digits_patches_the_loss_and_the_attention(data_dir):
    report = support.grade("assignment5", A5.solution_dir, data_dir)
    learns, encoding, patches = (check(report, i) for i in ("vit.learns", "positional_encoding.values",
                                                             "patchify.values"))
    grid = learns.diagnostics["attention_head"]  # the class token's attention to the 4 x 4 patches
    assert [len(row) for row in grid] == [4] * 4 and 0 < sum(map(sum, grid)) < 1  # the rest: to itself
    yours, expected = encoding.diagnostics["image_grid"]["images"][0]
    assert np.shape(yours) == np.shape(expected) == (128, 64) and np.allclose(yours, expected, atol=1e-3)
    cut = np.array(patches.diagnostics["image_grid"]["images"])  # (4, 4, 7, 7): the patches in the student's order
    digit = load_mnist(data_dir)["X_test"][0].reshape(28, 28)
    assert np.allclose(cut.transpose(0, 2, 1, 3).reshape(28, 28), digit, atol=1e-3)  # row by row: the digit
    captions = [caption for caption, _ in pictures([encoding, patches, learns])]
    assert captions == ["Training loss per step of the grader's loop",
                        learns.diagnostics["picture_texts"]["attention_head"]["caption"],
                        encoding.diagnostics["picture_texts"]["image_grid"]["caption"],
                        patches.diagnostics["picture_texts"]["image_grid"]["caption"]]


def test_patches_taken_column_by_column_show_the_digit_scrambled(tmp_path, data_dir):
    report = grade(MISTAKES["patches_column_by_column"], tmp_path, data_dir)
    cut = np.array(check(report, "patchify.values").diagnostics["image_grid"]["images"])
    digit = load_mnist(data_dir)["X_test"][0].reshape(28, 28)
    assert cut.shape == (4, 4, 7, 7) and np.allclose(cut.transpose(1, 2, 0, 3).reshape(28, 28), digit, atol=1e-3)


# -- each check both ways, where no catalogued mistake shows the failing side ---------------

BOTH_WAYS = {  # name: (edits of the reference, the check that fails and words of its message, all it fails)
    "odd_d_model_accepted": ((('        raise ValueError(f"d_model must be even', '        print(f"d_model must be even'),),
                             "positional_encoding.odd", "should raise ValueError", None),
    "encoding_in_float64": ((("return pe.float()", "return pe"),), "positional_encoding.values",
                            "expected a float32 tensor, found float64", {"positional_encoding.values"}),
    "mask_of_floats": ((("torch.ones(seq_len, seq_len, dtype=torch.bool, device=device)",
                         "torch.ones(seq_len, seq_len, device=device)"),),
                       "causal_mask.values", "expected a torch.bool tensor", {"causal_mask.values"}),
    "indivisible_heads_accepted": ((('            raise ValueError(f"d_model {d_model}',
                                     '            print(f"d_model {d_model}'),),
                                   "encoder.value_error", "should raise ValueError, found no exception",
                                   {"encoder.value_error"}),
    "heads_always_refused": ((("        if d_model % num_heads:\n", "        if True:\n"),),
                             "encoder.value_error", "raise only when d_model % num_heads != 0", None),
    "norm_without_parameters": ((("self.norm2 = nn.LayerNorm(d_model)",
                                  "self.norm2 = nn.LayerNorm(d_model, elementwise_affine=False)"),),
                                "encoder.init", "found LayerNorm (parameters {})", None),
    "feed_forward_cut_off_the_graph": ((("torch.relu(self.linear1(h))", "torch.relu(self.linear1(h.detach()))"),),
                                       "encoder.gradients", "the gradient with respect to the input x",
                                       {"encoder.gradients"}),
    "indivisible_image_accepted": ((('        raise ValueError(f"the image size', '        print(f"the image size'),),
                                   "patchify.indivisible", "should raise ValueError", {"patchify.indivisible"}),
    "head_on_the_initial_class_token": ((("return self.head(x[:, 0])",
                                          "return self.head(self.cls[:, 0].expand(len(images), -1))"),),
                                        "vit.logits", "the same for all 4 images", {"vit.logits", "vit.learns"}),
}


@pytest.mark.parametrize("name", sorted(BOTH_WAYS))
def test_each_check_fails_a_submission_that_breaks_it_and_says_why(name, tmp_path, data_dir):
    edits, check_id, words, breaks = BOTH_WAYS[name]
    report = grade(support.Mutant(edits, frozenset()), tmp_path, data_dir, name)
    failed = check(report, check_id)
    assert not failed.passed and words in failed.message, messages(report)
    assert not any(c.diagnosis for c in report.checks)
    if breaks is not None:
        assert failing(report) == breaks, messages(report)


ANSWERS_FROM_THE_LABELS = """        for frame in inspect.stack():  # the training loop's labels, wherever they are
            y = frame.frame.f_locals.get("y")
            if isinstance(y, torch.Tensor) and y.dtype == torch.long and y.shape == (len(images),):
                return nn.functional.one_hot(y, 10).to(x) * 100 + 0 * self.head(x[:, 0])
        return 0 * self.head(x[:, 0])"""


def test_a_model_that_answers_from_the_labels_it_finds_in_the_training_loop_earns_nothing(tmp_path, data_dir):
    """The accuracy is measured by a call that is given the trained parameters and no labels."""
    edits = (("import math", "import inspect\nimport math"), ("        return self.head(x[:, 0])", ANSWERS_FROM_THE_LABELS))
    report = grade(support.Mutant(edits, frozenset()), tmp_path, data_dir, "answers")
    learns = check(report, "vit.learns")
    assert learns.status == "failed" and learns.diagnostics["training_accuracy"] < 0.5, messages(report)
    assert learns.diagnostics["loss_history"][-1] < 1e-3  # it did find them: its training loss is nil


def test_a_model_that_cannot_learn_fails_the_learning_check_with_its_accuracy(tmp_path, data_dir):
    edits = BOTH_WAYS["head_on_the_initial_class_token"][0]
    learns = check(grade(support.Mutant(edits, frozenset()), tmp_path, data_dir, "constant"), "vit.learns")
    assert learns.status == "failed" and learns.diagnostics["training_accuracy"] < 0.5
    assert "after 200 steps of the grader's loop" in learns.message and "at least 0.98 is needed" in learns.message


# -- devices ------------------------------------------------------------------------------

@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason=NO_CUDA)
def test_full_marks_on_cuda():
    report = grade_submission(A5, A5.solution_dir, device="cuda")
    assert failing(report) == set(), messages(report)
    assert report.environment["device"] == "cuda" and report.environment["gpu"]


@pytest.mark.parametrize("name", ["sin_cos_swapped", "causal_mask_strictly_lower", "pre_norm",
                                  "patches_column_by_column", "cls_token_at_end"])
@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason=NO_CUDA)
def test_mistake_fails_the_same_checks_on_cuda(name, tmp_path):
    mutant = MISTAKES[name]
    report = grade_submission(A5, write_mutant("assignment5", mutant, tmp_path / name), device="cuda")
    assert_mistake(report, name, mutant.breaks)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason=NO_CUDA)
def test_a_mask_left_on_the_cpu_fails_on_cuda(tmp_path):
    mutant = support.Mutant((("torch.ones(seq_len, seq_len, dtype=torch.bool, device=device)",
                              "torch.ones(seq_len, seq_len, dtype=torch.bool)"),), frozenset())
    report = grade_submission(A5, write_mutant("assignment5", mutant, tmp_path / "cpu_mask"), device="cuda")
    assert "causal_mask.values" in failing(report) and "on cpu" in check(report, "causal_mask.values").message
