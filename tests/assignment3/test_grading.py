"""Assignment 3 graded end to end: reference, stub, every mistake both ways, correct variants,
devices (CUDA tests are marked `gpu` and skipped where there is none)."""
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner

from course_lib.errors import CourseError
from grader import course
from grader.cli import cli
from grader.grade import environment, grade_submission, resolve_device
from tests import support
from tests.support import assert_mistake, corpus_of, failing, write_mutant

CORRECT, MISTAKES = corpus_of("assignment3", "CORRECT", "MISTAKES")

A3 = course.get("assignment3")
HERE = Path(__file__).parent
HANDWRITTEN = HERE / "submissions" / "handwritten"
NO_CUDA = "needs a CUDA device; torch.cuda.is_available() is False here"


def grade(folder, device="cpu"):
    return grade_submission(A3, folder, device=device)


def messages(report) -> list[str]:
    return [f"{c.id}: {c.message}" for c in report.checks if not c.passed]


def test_reference_gets_full_marks_on_the_cpu():
    report = grade(A3.solution_dir)
    assert failing(report) == set(), messages(report)
    assert report.score == report.max_score == A3.rubric.max_score == 29
    assert report.environment["device"] == "cpu"
    assert report.environment["torch"] == torch.__version__
    assert "cuda" in report.environment  # None on a CPU-only build of torch


def test_stub_scores_zero_with_not_implemented_everywhere():
    report = grade(A3.stub_dir)
    assert report.score == 0 and report.complete
    assert {c.status for c in report.checks} == {"not_implemented"}
    assert all("not implemented yet" in c.message for c in report.checks)


@pytest.mark.parametrize("name", sorted(MISTAKES))
def test_mistake_fails_exactly_the_checks_it_breaks_and_is_named(name, tmp_path, data_dir):
    mutant = MISTAKES[name]
    report = support.grade("assignment3", write_mutant("assignment3", mutant, tmp_path / name), data_dir)
    assert_mistake(report, name, mutant.breaks)


@pytest.mark.parametrize("name", sorted(CORRECT))
def test_correct_variant_gets_full_marks(name, tmp_path, data_dir):
    report = support.grade("assignment3", write_mutant("assignment3", CORRECT[name], tmp_path / name), data_dir)
    assert failing(report) == set(), messages(report)


def test_handwritten_correct_submission_gets_full_marks():
    report = grade(HANDWRITTEN)
    assert failing(report) == set(), messages(report)


def test_float32_only_submission_fails_the_float64_checks_with_a_dtype_message(tmp_path):
    source = (A3.solution_dir / "attention.py").read_text()
    source = source.replace("def scaled_dot_product_attention(q, k, v, mask=None):\n",
                            "def scaled_dot_product_attention(q, k, v, mask=None):\n"
                            "    q, k, v = q.float(), k.float(), v.float()\n")
    (tmp_path / "attention.py").write_text(source)
    report = grade(tmp_path)
    sdpa = next(c for c in report.checks if c.id == "sdpa.no_mask")
    assert sdpa.status == "failed" and "expected dtype float64" in sdpa.message and "found float32" in sdpa.message


# -- devices ------------------------------------------------------------------------------

def test_auto_device_follows_torch():
    assert resolve_device("auto", A3) == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu", A3) == "cpu"
    with pytest.raises(CourseError, match="unknown device"):
        resolve_device("tpu", A3)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present, so asking for it is no error")
def test_cuda_without_cuda_is_a_clear_error():
    with pytest.raises(CourseError, match="sees no CUDA device"):
        grade(A3.solution_dir, device="cuda")
    result = CliRunner().invoke(cli, ["grade", "assignment3", "--reference", "--device", "cuda"])
    assert result.exit_code == 1
    assert "sees no CUDA device" in result.output and "--device cpu" in result.output
    assert "Traceback" not in result.output


def test_numpy_assignment_needs_no_torch():
    a1 = course.get("assignment1")
    assert resolve_device("auto", a1) == "cpu" and "torch" not in environment(a1)
    with pytest.raises(CourseError, match="NumPy only"):
        resolve_device("cuda", a1)
    code = ("import sys; from grader import course, grade; a = course.get('assignment1'); "
            "grade.resolve_device('auto', a); grade.environment(a, 'cpu'); a.rubric; "
            "assert 'torch' not in sys.modules, 'assignment 1 imported torch'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[2])


@pytest.mark.parametrize("folder", [A3.solution_dir, HANDWRITTEN], ids=["reference", "handwritten"])
@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason=NO_CUDA)
def test_full_marks_on_cuda(folder):
    report = grade(folder, device="cuda")
    assert failing(report) == set(), messages(report)
    assert report.environment["device"] == "cuda" and report.environment["cuda"] == torch.version.cuda
    assert report.environment["gpu"]


@pytest.mark.parametrize("name", ["scale_by_d", "mask_inverted", "dropout_in_eval_mode",
                                  "tp_attn_view_without_permute"])
@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason=NO_CUDA)
def test_mistake_fails_the_same_checks_on_cuda(name, tmp_path):
    mutant = MISTAKES[name]
    report = grade(write_mutant("assignment3", mutant, tmp_path / name), device="cuda")
    assert_mistake(report, name, mutant.breaks)


SDPA_RETURN = "return probs @ v, probs  # (..., S_q, d_v), (..., S_q, S_k)"
FORWARD_RETURN = "return self.out(self.merge_heads(attended)), probs"
STUBS = {  # code returning zeros or constants of the right shapes: no check of theirs may pass
    "sdpa_zeros": ((SDPA_RETURN, "return torch.zeros_like(probs @ v), torch.zeros_like(probs)"),),
    "sdpa_uniform": ((SDPA_RETURN, "return torch.full_like(probs @ v, 0.5), torch.full_like(probs, 1 / k.size(-2))"),),
    "forward_zeros": ((FORWARD_RETURN, "return torch.zeros_like(x), torch.zeros_like(probs)"),),
    "forward_uniform": ((FORWARD_RETURN, "return torch.full_like(x, 0.5), torch.full_like(probs, 1 / x.size(1))"),),
}
STUB_CHECKS = {"sdpa": {"sdpa.no_mask", "sdpa.mask", "sdpa.masked_zero"},
               "forward": {"mhsa.no_mask", "mhsa.padding_mask", "mhsa.causal_mask", "mhsa.gradients",
                           "mhsa.dropout_eval", "mhsa.dropout_train"}}


@pytest.mark.parametrize("name", sorted(STUBS))
def test_zeros_or_constants_of_the_right_shapes_earn_nothing(name, tmp_path, data_dir):
    report = support.grade("assignment3", write_mutant("assignment3", support.Mutant(STUBS[name], frozenset()),
                                                       tmp_path / name), data_dir)
    targets = STUB_CHECKS[name.split("_")[0]]
    # a stub of sdpa also breaks forward, which calls it
    assert targets <= failing(report) <= targets | STUB_CHECKS["forward"], messages(report)


def test_a_constructor_that_always_raises_value_error_earns_nothing(tmp_path, data_dir):
    mutant = support.Mutant((("        if hidden_size % num_heads != 0:\n", "        if True:\n"),), frozenset())
    report = support.grade("assignment3", write_mutant("assignment3", mutant, tmp_path / "raises"), data_dir)
    assert "mhsa.value_error" in failing(report)
    check = next(c for c in report.checks if c.id == "mhsa.value_error")
    assert "although" in check.message and not check.diagnosis


def test_dropout_after_the_output_layer_as_well_as_on_probs_is_named(tmp_path, data_dir):
    """The other place real code puts the second dropout: on the output of self.out."""
    mutant = support.Mutant(((FORWARD_RETURN, "return self.dropout(self.out(self.merge_heads(attended))), probs"),),
                            frozenset({"mhsa.dropout_train"}))
    report = support.grade("assignment3", write_mutant("assignment3", mutant, tmp_path / "after_out"), data_dir)
    assert_mistake(report, "dropout_on_probs_and_output", mutant.breaks)
