"""Assignment 3 rubric: multi-head self-attention in PyTorch.

Every check builds its inputs here (NumPy arrays drawn through `grader.inputs`: from fixed
seeds as a release records them, from those seeds and the course secret's salt when the
instructor grades, so that no recording of answers stands in for code), runs student code
only through `ctx` on `ctx.device`, and judges the CPU arrays that come back against
independent oracles computed here on the CPU: `torch.nn.functional.scaled_dot_product_attention`,
and `torch.nn.MultiheadAttention` loaded with the same weights (forward and autograd). Only
the exact head split and merge come from the reference (recorded for student bundles).
Tolerances: 1e-5 in float32, 1e-10 in float64, relative to the largest expected entry.
When a result is wrong, the recognisers compare it with what each known mistake (the
catalogue below) gives, computed by the written-out math of solutions/assignment3/mistakes.py
with that mistake switched on, and the message names the one it matches.
"""
from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from grader import inputs
from grader.compare import as_array, as_float, describe, expect_close, expect_tuple, same
from grader.rubric import CheckFailed, Rubric

rubric = Rubric()


def ref():
    return rubric.reference()


def mistaken():
    return rubric.mistaken()

TOL = {"float32": 1e-5, "float64": 1e-10}
TIMEOUT = 30.0  # a child that runs on CUDA first pays for creating its context
B, S, H, NH = 3, 6, 16, 4  # batch, sequence, hidden size, heads
HD = H // NH
LAYERS = ("query", "key", "value", "out")
LENGTHS = (6, 4, 2)  # of the three sequences, for the padding mask (unsalted)


# -- inputs -------------------------------------------------------------------------------
# Unsalted, each builder gives the fixed input a release records; salted, the same kind of
# input drawn anew. The causal and triangular masks stay fixed: they are the structure a check
# is about, and the q, k, v or x they mask are drawn.

def normal(seed: int, *shape) -> np.ndarray:
    return inputs.rng(seed).normal(size=shape)


def layer_weights(seed: int) -> dict:
    """{layer: {"weight": (H, H), "bias": (H,)}} with scores of order one."""
    rng = inputs.rng(seed)
    return {name: {"weight": rng.normal(scale=1 / math.sqrt(H), size=(H, H)),
                   "bias": rng.normal(scale=0.1, size=H)} for name in LAYERS}


def padded_lengths(seed: int, fixed: tuple, longest: int) -> tuple:
    """The lengths of the sequences of a padding mask: `fixed` unsalted; salted, the first full
    (`longest`) and the others drawn in [1, longest), so every query keeps a key and some are hidden."""
    return inputs.fixed_or_drawn(fixed, seed, lambda rng: (longest, *(
        int(n) for n in rng.integers(1, longest, size=len(fixed) - 1))))


def padding_mask(lengths: tuple, keys: int) -> np.ndarray:
    """(len(lengths), 1, 1, keys): True for the keys inside each sequence."""
    return (np.arange(keys) < np.array(lengths)[:, None])[:, None, None, :]


def sequence_mask(seed: int) -> np.ndarray:
    """(B, 1, 1, S): the padding mask of the MultiHeadSelfAttention checks."""
    return padding_mask(padded_lengths(seed, LENGTHS, S), S)


def module_sizes(seed: int) -> tuple[int, int]:
    """(num_heads, attn_head_size) of the construction check: (4, 6) unsalted, else drawn from
    ranges that do not meet, so the two are never equal."""
    return inputs.integer(seed, 4, 6), inputs.integer(seed + 1, 6, 10)


def causal_mask() -> np.ndarray:
    """(S, S): query i may attend to the keys j <= i."""
    return np.tril(np.ones((S, S), dtype=bool))


# -- oracles and the written-out math -----------------------------------------------------

def oracle(weights: dict, x, mask, dtype: str, dropout: float = 0.0, upstream=None):
    """torch.nn.MultiheadAttention in eval mode with the same weights: (output, probs, grads).

    Its boolean masks mean the opposite (True: may NOT attend), hence the `~`; a padding
    mask (B, 1, 1, S) becomes its key_padding_mask (B, S), any other mask a (B * nh, S, S)
    attn_mask. grads (when `upstream` is given) are those of sum(output * upstream), named
    as the student's parameters.
    """
    torch_dtype = getattr(torch, dtype)
    mha = torch.nn.MultiheadAttention(H, NH, dropout=dropout, bias=True, batch_first=True, dtype=torch_dtype)
    with torch.no_grad():
        mha.in_proj_weight.copy_(torch.as_tensor(np.concatenate([weights[n]["weight"] for n in LAYERS[:3]])))
        mha.in_proj_bias.copy_(torch.as_tensor(np.concatenate([weights[n]["bias"] for n in LAYERS[:3]])))
        mha.out_proj.weight.copy_(torch.as_tensor(weights["out"]["weight"]))
        mha.out_proj.bias.copy_(torch.as_tensor(weights["out"]["bias"]))
    mha.eval()
    x = torch.as_tensor(x, dtype=torch_dtype).requires_grad_(upstream is not None)
    masks = {}
    if mask is None:
        pass
    elif mask.shape == (B, 1, 1, S):
        masks["key_padding_mask"] = ~torch.as_tensor(mask[:, 0, 0, :])  # (B, S)
    else:
        masks["attn_mask"] = ~torch.as_tensor(np.broadcast_to(mask, (B, NH, S, S)).reshape(B * NH, S, S).copy())
    output, probs = mha(x, x, x, need_weights=True, average_attn_weights=False, **masks)
    grads = None
    if upstream is not None:
        output.backward(torch.as_tensor(upstream, dtype=torch_dtype))
        grads = {"x": x.grad}
        for i, name in enumerate(LAYERS[:3]):
            grads[f"{name}.weight"] = mha.in_proj_weight.grad[i * H:(i + 1) * H]
            grads[f"{name}.bias"] = mha.in_proj_bias.grad[i * H:(i + 1) * H]
        grads["out.weight"], grads["out.bias"] = mha.out_proj.weight.grad, mha.out_proj.bias.grad
        grads = {k: v.numpy() for k, v in grads.items()}
    return output.detach().numpy(), probs.detach().numpy(), grads


# -- the catalogue of known mistakes ------------------------------------------------------

M = rubric.mistake
ATTENTION_CAPTION = ("Attention probabilities of head 0 for the first sequence "
                     "(rows: query position, columns: key position)")
SCALE_BY_D = M("scale_by_d", "the scores are divided by d_k instead of sqrt(d_k)",
               "divide q @ k^T by math.sqrt(d_k)")
UNSCALED = M("unscaled_scores", "the scores are not scaled", "divide q @ k^T by math.sqrt(d_k)")
SOFTMAX_OVER_QUERIES = M("softmax_over_queries", "the softmax is taken over the queries (dim -2)",
                         "take it over the keys, dim=-1, so that each row of probs sums to 1")
MASK_INVERTED = M("mask_inverted", "the mask is inverted: the scores are hidden where the mask is True",
                  "True means attending is allowed (as in F.scaled_dot_product_attention): "
                  "scores.masked_fill(~mask, float('-inf'))")
MASK_AFTER_SOFTMAX = M("mask_after_softmax", "the mask is applied after the softmax, so the rows no longer sum to 1",
                       "fill the masked scores with -inf before the softmax")
VIEW_WITHOUT_PERMUTE = M("tp_attn_view_without_permute", "tp_attn views (B, S, H) straight as (B, nh, S, hd), "
                         "without permute", "view to (B, S, nh, hd), then permute(0, 2, 1, 3)")
MERGE_WRONG_PERMUTATION = M("merge_heads_wrong_permutation", "merge_heads permutes (0, 2, 3, 1), which puts the "
                            "head size before the heads", "permute(0, 2, 1, 3) to (B, S, nh, hd), then reshape "
                            "to (B, S, H)")
MERGE_WITHOUT_PERMUTE = M("merge_heads_without_permute", "merge_heads reshapes (B, nh, S, hd) to (B, S, H) "
                          "without permute", "permute(0, 2, 1, 3) to (B, S, nh, hd), then reshape to (B, S, H)")
NO_OUTPUT_PROJECTION = M("no_output_projection", "forward returns merge_heads(probs @ v) without the output "
                         "layer", "apply self.out to the merged heads")
ONLY_OUTPUT = M("forward_returns_only_output", "forward returns only the output, not (output, probs)",
                "return self.out(...), probs")
DROPOUT_IN_EVAL = M("dropout_in_eval_mode", "dropout acts in eval mode",
                    "use nn.Dropout, or F.dropout(probs, p, training=self.training)")
PROBS_BEFORE_DROPOUT = M("probs_returned_before_dropout", "forward returns the probabilities from before dropout",
                         "return the probabilities after dropout, the ones that multiply v")
DROPOUT_ON_OUTPUT = M("dropout_on_the_output", "dropout is applied to the output instead of to the probabilities",
                      "apply dropout to probs, before probs @ v")
DROPOUT_TWICE = M("dropout_on_probs_and_output", "dropout is applied to the attention output as well as to "
                  "the probabilities", "apply dropout once, to probs before probs @ v; leave probs @ v and the "
                  "output of self.out without dropout")
DROPOUT_NOT_SCALED = M("dropout_not_scaled", "dropout zeroes probabilities without scaling the rest by 1 / (1 - p)",
                       "use nn.Dropout(p), which scales the kept values")
NO_VALUE_ERROR = M("no_value_error", "MultiHeadSelfAttention accepts a hidden size that num_heads does not divide",
                   "raise ValueError in __init__ when hidden_size % num_heads != 0")

SDPA_MISTAKES = ((SCALE_BY_D, {"scale": "d"}), (UNSCALED, {"scale": "none"}),
                 (SOFTMAX_OVER_QUERIES, {"softmax_dim": -2}), (MASK_INVERTED, {"invert_mask": True}),
                 (MASK_AFTER_SOFTMAX, {"mask_after_softmax": True}))
MHSA_MISTAKES = SDPA_MISTAKES + ((VIEW_WITHOUT_PERMUTE, {"split": "view"}),
                                 (MERGE_WRONG_PERMUTATION, {"merge": "wrong"}),
                                 (MERGE_WITHOUT_PERMUTE, {"merge": "view"}),
                                 (NO_OUTPUT_PROJECTION, {"project": False}))


def self_attention(weights, x, mask=None, **mistake):
    """(output, probs) of the written-out math (float64) with one known mistake switched on,
    or none: `probs=` given replaces the probabilities."""
    return mistaken().self_attention(weights, x, mask, heads=NH, **mistake)


# -- comparing ----------------------------------------------------------------------------

def matches(found, wrong, dtype: str) -> bool:
    """`found` equals `wrong` within TOL[dtype], relative to wrong's largest entry."""
    wrong = np.asarray(wrong, dtype=float)
    scale = max(1.0, float(np.nanmax(np.abs(wrong), initial=0.0)))
    return same(found, wrong, rtol=TOL[dtype], atol=TOL[dtype] * scale)


def recognised(found, mistakes, dtype: str):
    """The first of `mistakes` ((Mistake, what it gives), ...) `found` matches within TOL[dtype]."""
    return next((mistake for mistake, wrong in mistakes if matches(found, wrong, dtype)), None)


def judge(name: str, found, expected, dtype: str, mistakes=()) -> float:
    """`found` has the shape and dtype of `expected` and equals it within TOL[dtype] (relative
    to its largest entry); on failure the first of `mistakes` ((Mistake, what it gives), ...)
    whose result `found` matches is named. Returns the largest error."""
    expected = np.asarray(expected, dtype=float)
    found = as_array(name, found, expected.shape)
    if found.dtype != np.dtype(dtype):
        raise CheckFailed(f"{name}: expected dtype {dtype} (the dtype of the input), found {found.dtype}; "
                          f"compute in the input's dtype (no .float() or .double(), no tensors made "
                          f"with a fixed dtype).")
    tol = TOL[dtype]
    try:
        expect_close(name, found, expected, rtol=tol, atol=tol * max(1.0, float(np.abs(expected).max())))
    except CheckFailed as failure:
        raise CheckFailed(str(failure), recognised(found, mistakes, dtype)) from None
    return float(np.abs(found - expected).max())


def pair(name: str, found) -> tuple:
    """A returned (output, probs)."""
    return expect_tuple(name, found, 2)


# -- tp_attn and merge_heads: exact on numbered entries -------------------------------------

SPLIT = (2, 3, 4, 5)  # B, S, nh, hd of the shape checks: all different


@rubric.check("tp_attn.split", "tp_attn splits (B, S, H) into heads (B, nh, S, hd) with view and permute", 2,
              timeout=TIMEOUT)
def tp_attn_split(ctx):
    b, s, nh, hd = SPLIT
    x = inputs.numbered(10, b, s, nh * hd)  # distinct entries: each says where it came from
    found = ctx.probe("tp_attn", nh * hd, nh, x, device=ctx.device,
                      label=f"MultiHeadSelfAttention({nh * hd}, {nh}).tp_attn(x)")
    name = f"tp_attn(x) for x of shape {x.shape} and {nh} heads"
    expected = np.asarray(ref().MultiHeadSelfAttention(nh * hd, nh).tp_attn(torch.as_tensor(x)))
    expect_close(name, found, expected, rtol=0, atol=0,
                 mistakes=[(VIEW_WITHOUT_PERMUTE, x.reshape(b, nh, s, hd))])  # head h holds positions


@rubric.check("merge_heads.inverse", "merge_heads turns (B, nh, S, hd) back into (B, S, H)", 2, timeout=TIMEOUT)
def merge_heads_inverse(ctx):
    b, s, nh, hd = SPLIT
    y = inputs.numbered(11, b, nh, s, hd)
    found = ctx.probe("merge_heads", nh * hd, nh, y, device=ctx.device,
                      label=f"MultiHeadSelfAttention({nh * hd}, {nh}).merge_heads(y)")
    name = f"merge_heads(y) for y of shape {y.shape}"
    expected = np.asarray(ref().MultiHeadSelfAttention(nh * hd, nh).merge_heads(torch.as_tensor(y)))
    expect_close(name, found, expected, rtol=0, atol=0,
                 mistakes=[(MERGE_WITHOUT_PERMUTE, y.reshape(b, s, nh * hd)),
                           (MERGE_WRONG_PERMUTATION, y.transpose(0, 2, 3, 1).reshape(b, s, nh * hd))])


# -- scaled_dot_product_attention against F.scaled_dot_product_attention ------------------

QKV = ((2, 3, 5, 4), (2, 3, 7, 4), (2, 3, 7, 6))  # q, k, v: S_q = 5, S_k = 7, d = 4, d_v = 6


def qkv(seed: int):
    return tuple(normal(seed + i, *shape) for i, shape in enumerate(QKV))


def sdpa_mistakes(q, k, mask) -> list:
    """[(Mistake, the probabilities it gives), ...] for the mistakes of scaled dot-product attention."""
    return [(m, mistaken().attention_probs(q, k, mask, **switch)) for m, switch in SDPA_MISTAKES]


def judge_sdpa(ctx, q, k, v, mask, dtype: str, what: str) -> None:
    label = f"scaled_dot_product_attention(q, k, v, {what}) in {dtype}"
    out, probs = pair(label, ctx.probe("sdpa", q, k, v, mask, dtype, device=ctx.device, label=label))
    tq, tk, tv = (torch.as_tensor(a, dtype=getattr(torch, dtype)) for a in (q, k, v))
    attn_mask = None if mask is None else torch.as_tensor(mask)
    expected_out = F.scaled_dot_product_attention(tq, tk, tv, attn_mask=attn_mask).numpy()
    variants = sdpa_mistakes(q, k, mask)
    judge(f"probs of {label}", probs, mistaken().attention_probs(q, k, mask), dtype, variants)
    judge(f"out of {label}", out, expected_out, dtype, [(m, wrong @ v) for m, wrong in variants])


@rubric.check("sdpa.no_mask", "scaled_dot_product_attention equals F.scaled_dot_product_attention", 3,
              timeout=TIMEOUT)
def sdpa_no_mask(ctx):
    q, k, v = qkv(20)
    for dtype in ("float64", "float32"):
        judge_sdpa(ctx, q, k, v, None, dtype, "mask=None")


@rubric.check("sdpa.mask", "scaled_dot_product_attention with a boolean mask (True: may attend)", 2,
              timeout=TIMEOUT)
def sdpa_mask(ctx):
    q, k, v = qkv(30)
    scattered = inputs.rng(31).random((5, 7)) < 0.6  # (S_q, S_k)
    scattered[:, 0] = True  # every query keeps a key
    judge_sdpa(ctx, q, k, v, scattered, "float64", "mask of shape (5, 7)")
    padding = padding_mask(padded_lengths(33, (7, 3), 7), 7)  # (2, 1, 1, S_k)
    judge_sdpa(ctx, q, k, v, padding, "float32", "padding mask of shape (2, 1, 1, 7)")


def invalid_probs(probs: np.ndarray, mask: np.ndarray, dtype: str) -> str:
    """"" when `probs` (..., S_q, S_k) are probabilities: finite, non-negative and summing to 1
    over the keys in every row where the mask allows a key; else what is wrong with them."""
    if not np.all(np.isfinite(probs)):
        return "some are not finite"
    if np.any(probs < 0):
        index = tuple(int(i) for i in np.argwhere(probs < 0)[0])
        return f"{probs[index]:.3g} at index {index} is negative"
    allowed = np.broadcast_to(mask.any(axis=-1), probs.shape[:-1])
    sums = probs.sum(axis=-1)
    off = allowed & (np.abs(sums - 1) > TOL[dtype] * probs.shape[-1])
    if off.any():
        index = tuple(int(i) for i in np.argwhere(off)[0])
        return f"the row at index {index} sums to {sums[index]:.6g} over the keys"
    return ""


@rubric.check("sdpa.masked_zero", "Masked probabilities are exactly 0", 1, timeout=TIMEOUT)
def sdpa_masked_zero(ctx):
    """The masked probabilities are exactly 0, and the probabilities are valid (invalid_probs):
    all-zero or constant probabilities are no attention. Accepts -inf, torch.finfo(dtype).min
    or -1e9 as the fill before the softmax."""
    q, k, v = qkv(40)
    mask = np.tril(np.ones((5, 7), dtype=bool), k=1)  # (S_q, S_k)
    label = "scaled_dot_product_attention(q, k, v, mask) in float32"
    _, probs = pair(label, ctx.probe("sdpa", q, k, v, mask, "float32", device=ctx.device, label=label))
    probs = as_array(f"probs of {label}", probs, (2, 3, 5, 7))
    variants = sdpa_mistakes(q, k, mask)  # before judging, so that a release records them
    hidden = np.broadcast_to(~mask, probs.shape)
    leaked = hidden & (probs != 0)
    if leaked.any():
        index = tuple(int(i) for i in np.argwhere(leaked)[0])
        raise CheckFailed(f"probs at masked positions must be exactly 0; found {probs[index]:.3g} at index "
                          f"{index} ({int(leaked.sum())} of {int(hidden.sum())} masked entries are not 0). "
                          f"Fill the masked scores with -inf or torch.finfo(dtype).min before the softmax.",
                          recognised(probs, variants, "float32"))
    wrong = invalid_probs(probs, mask, "float32")
    if wrong:
        raise CheckFailed(f"probs of {label} are not probabilities: {wrong}; each must be at least 0 and each row "
                          f"sum to 1 over the keys (a softmax over the last dim).",
                          recognised(probs, variants, "float32"))


# -- MultiHeadSelfAttention: construction -------------------------------------------------

@rubric.check("mhsa.init", "MultiHeadSelfAttention keeps num_heads, attn_head_size and four nn.Linear layers", 2,
              timeout=TIMEOUT)
def mhsa_init(ctx):
    heads, head_size = module_sizes(44)
    hidden = heads * head_size
    found = ctx.probe("attributes", hidden, heads, label=f"MultiHeadSelfAttention({hidden}, {heads})")
    if not found["is_module"]:
        raise CheckFailed("MultiHeadSelfAttention must be a subclass of torch.nn.Module.")
    for attribute, want in (("num_heads", heads), ("attn_head_size", head_size)):
        value = found[attribute]
        if value is None or not np.isfinite(as_float(attribute, value)) or as_float(attribute, value) != want:
            raise CheckFailed(f"MultiHeadSelfAttention({hidden}, {heads}).{attribute}: expected {want}, found "
                              f"{describe(value) if value is not None else 'no such attribute'}.")
    for name, layer in found["layers"].items():
        if not layer["linear"] or layer["weight"] != [hidden, hidden] or not layer["bias"]:
            seen = (f"a weight of shape {tuple(layer['weight'])}, bias {layer['bias']}"
                    if layer["linear"] else "no nn.Linear")
            raise CheckFailed(f"self.{name}: expected nn.Linear({hidden}, {hidden}) with a bias "
                              f"(weight ({hidden}, {hidden})), found {seen}.")


@rubric.check("mhsa.value_error", "hidden_size not divisible by num_heads raises ValueError", 1, hidden=True,
              timeout=TIMEOUT)
def mhsa_value_error(ctx):
    """ValueError (or a subclass) for a hidden size num_heads does not divide, and none for one it
    divides: a constructor that always raises earns nothing."""
    heads, head_size = module_sizes(116)
    raised = ctx.probe("construct_error", heads * head_size, heads,
                       label=f"MultiHeadSelfAttention({heads * head_size}, {heads})")
    if raised is not None:
        raise CheckFailed(f"MultiHeadSelfAttention({heads * head_size}, {heads}) raised {raised[0]}, although "
                          f"{heads} divides {heads * head_size}; raise only when hidden_size % num_heads != 0.")
    for hidden, heads in (inputs.indivisible(110, 3), inputs.indivisible(113, 5)):
        raised = ctx.probe("construct_error", hidden, heads, label=f"MultiHeadSelfAttention({hidden}, {heads})")
        if raised is None or "ValueError" not in raised:
            found = "no exception" if raised is None else raised[0]
            raise CheckFailed(f"MultiHeadSelfAttention({hidden}, {heads}) should raise ValueError "
                              f"({hidden} is not a multiple of {heads}), found {found}.",
                              NO_VALUE_ERROR if raised is None else None)


# -- MultiHeadSelfAttention against nn.MultiheadAttention -----------------------------------

def run_mhsa(ctx, seed, weights, x, mask, dtype, *, dropout=0.0, train=False, upstream=None, what=""):
    """The student's (output, probs) and gradients, and the label naming the call; torch's
    generator in the child (dropout's) starts from a seed drawn from `seed` (0 unsalted)."""
    label = f"MultiHeadSelfAttention({H}, {NH}, dropout={dropout})({what or 'x'}) in {dtype}" \
            f"{', training mode' if train else ''}"
    found = ctx.probe("mhsa", H, NH, dropout, weights, x, mask, dtype, device=ctx.device, train=train,
                      seed=inputs.integer(seed, 0, 2 ** 31), upstream=upstream, label=label)
    result = found["result"]
    if isinstance(result, np.ndarray) and result.shape == (B, S, H):
        raise CheckFailed(f"{label}: expected a tuple (output, probs), found only an array of shape {result.shape}.",
                          ONLY_OUTPUT)
    return pair(label, result), found["grads"], label


def mistakes_of(weights, x, mask) -> tuple[list, list]:
    """The known mistakes as [(Mistake, output), ...] and [(Mistake, probs), ...]."""
    variants = [(m, self_attention(weights, x, mask, **switch)) for m, switch in MHSA_MISTAKES]
    return [(m, o) for m, (o, _) in variants], [(m, p) for m, (_, p) in variants]


def judge_mhsa(ctx, seed: int, mask, what: str, dtypes=("float64", "float32")) -> None:
    weights, x = layer_weights(seed), normal(seed + 1, B, S, H)
    outputs, probs_ = mistakes_of(weights, x, mask)
    for dtype in dtypes:
        (out, probs), _, label = run_mhsa(ctx, seed + 2, weights, x, mask, dtype, what=what)
        expected_out, expected_probs, _ = oracle(weights, x, mask, dtype)
        if dtype == dtypes[0] and np.shape(probs) == expected_probs.shape:  # head 0 of sequence 0, for the picture
            ctx.record("attention_head", np.asarray(probs, dtype=float)[0, 0].tolist())
            ctx.record("picture_texts", {"attention_head": {"caption": ATTENTION_CAPTION}})
        judge(f"probs of {label}", probs, expected_probs, dtype, probs_)
        ctx.record(f"largest_error_{dtype}", judge(f"output of {label}", out, expected_out, dtype, outputs))


@rubric.check("mhsa.no_mask", "MultiHeadSelfAttention equals nn.MultiheadAttention (float64 and float32)", 4,
              timeout=TIMEOUT)
def mhsa_no_mask(ctx):
    judge_mhsa(ctx, 50, None, "x")


@rubric.check("mhsa.padding_mask", "MultiHeadSelfAttention with a padding mask (B, 1, 1, S)", 3, timeout=TIMEOUT)
def mhsa_padding_mask(ctx):
    judge_mhsa(ctx, 60, sequence_mask(63), "x, padding mask of shape (3, 1, 1, 6)")


@rubric.check("mhsa.causal_mask", "MultiHeadSelfAttention with a causal mask (S, S)", 2, hidden=True,
              timeout=TIMEOUT)
def mhsa_causal_mask(ctx):
    judge_mhsa(ctx, 70, causal_mask(), "x, causal mask of shape (6, 6)")


@rubric.check("mhsa.gradients", "Gradients with respect to the input and every weight equal autograd's", 4,
              hidden=True, timeout=TIMEOUT)
def mhsa_gradients(ctx):
    weights, x, upstream, mask = layer_weights(80), normal(81, B, S, H), normal(82, B, S, H), sequence_mask(84)
    (out, _), grads, label = run_mhsa(ctx, 83, weights, x, mask, "float64", upstream=upstream,
                                      what="x, padding mask of shape (3, 1, 1, 6)")
    expected_out, _, expected = oracle(weights, x, mask, "float64", upstream=upstream)
    judge(f"output of {label}", out, expected_out, "float64", mistakes_of(weights, x, mask)[0])
    for key, want in expected.items():
        of = "the input x" if key == "x" else f"self.{key}"
        if grads is None or grads.get(key) is None:
            raise CheckFailed(f"no gradient reached {of} from sum(output * g); is it used in forward, "
                              f"without .detach() or torch.no_grad()?")
        judge(f"the gradient with respect to {of}", grads[key], want, "float64")


# -- dropout ------------------------------------------------------------------------------

@rubric.check("mhsa.dropout_eval", "In eval mode dropout does nothing", 1, timeout=TIMEOUT)
def mhsa_dropout_eval(ctx):
    p, weights, x = 0.5, layer_weights(90), normal(91, B, S, H)
    (out, probs), _, label = run_mhsa(ctx, 92, weights, x, None, "float64", dropout=p)
    expected_out, expected_probs, _ = oracle(weights, x, None, "float64", dropout=p)  # eval: no dropout
    outputs, probs_ = mistakes_of(weights, x, None)
    probs = as_array(f"probs of {label}", probs, expected_probs.shape)
    kept = probs != 0
    if not kept.all() and matches(probs[kept], expected_probs[kept] / (1 - p), "float64"):
        raise CheckFailed(f"probs of {label}: {int((~kept).sum())} of {kept.size} are 0 and the rest scaled by "
                          f"1/(1 - p), in eval mode (model.eval()).", DROPOUT_IN_EVAL)
    judge(f"probs of {label}", probs, expected_probs, "float64", probs_)
    judge(f"output of {label}", out, expected_out, "float64", outputs)


@rubric.check("mhsa.dropout_train", "In training mode dropout zeroes probabilities and scales the rest by 1/(1-p)",
              2, hidden=True, timeout=TIMEOUT)
def mhsa_dropout_train(ctx):
    p, weights, x = 0.5, layer_weights(100), normal(101, B, S, H)
    (out, probs), _, label = run_mhsa(ctx, 102, weights, x, None, "float64", dropout=p, train=True)
    probs = as_array(f"probs of {label}", probs, (B, NH, S, S))
    expected_out, expected_probs, _ = oracle(weights, x, None, "float64")
    dropped = probs == 0
    ctx.record("dropped_fraction", float(dropped.mean()))
    if not 0.25 <= dropped.mean() <= 0.75:
        mistake = dropout_elsewhere(out, expected_out) if not dropped.any() else None
        advice = "" if mistake else (" Apply dropout to the probabilities in training mode and return those: "
                                     "the probabilities after dropout, the ones that multiply v.")
        raise CheckFailed(f"probs of {label}: expected about half of them 0 (dropout p={p} on the probabilities), "
                          f"found {dropped.mean():.0%}.{advice}", mistake)
    kept = probs[~dropped]
    if matches(kept, expected_probs[~dropped], "float64"):
        raise CheckFailed(f"probs of {label}: the kept probabilities are not scaled; dropout divides them by "
                          f"1 - p = {1 - p:g}.", DROPOUT_NOT_SCALED)
    judge(f"the kept probs of {label} (eval-mode probs / (1 - p))", kept, expected_probs[~dropped] / (1 - p),
          "float64")
    from_probs = self_attention(weights, x, probs=probs)[0]
    try:
        judge(f"output of {label}, computed from the probs it returned as out(merge_heads(probs @ v))", out,
              from_probs, "float64")
    except CheckFailed as failure:
        raise CheckFailed(str(failure), failure.mistake or (DROPOUT_TWICE if dropped_out_again(
            out, from_probs, weights, p) else None)) from None


def dropped_out_again(out, from_probs, weights, p: float) -> bool:
    """Whether a training-mode output is `from_probs` (the output its own dropped-out probs give)
    with dropout p applied once more: to the output (about half its entries 0, the rest scaled by
    1/(1 - p)), or to probs @ v before self.out (the same, seen through the inverse of self.out)."""
    if not isinstance(out, np.ndarray) or out.shape != from_probs.shape:
        return False
    out = np.asarray(out, dtype=float)
    undo = np.linalg.inv(np.asarray(weights["out"]["weight"]).T)  # nn.Linear: y = a @ W.T + b
    bias = np.asarray(weights["out"]["bias"])
    for found, full in ((out, from_probs), ((out - bias) @ undo, (from_probs - bias) @ undo)):
        scale = max(1.0, float(np.abs(full).max()))
        zero = np.abs(found) <= 1e-8 * scale
        if 0.25 <= zero.mean() <= 0.75 and np.allclose(found[~zero], full[~zero] / (1 - p), rtol=1e-6,
                                                       atol=1e-8 * scale):
            return True
    return False


def dropout_elsewhere(out, eval_out):
    """Which mistake a training-mode output shows when no probability was dropped: many exact
    zeros (dropout on the output), or a result unlike eval mode (dropout before probs @ v)."""
    out = np.asarray(out, dtype=float) if isinstance(out, np.ndarray) else None
    if out is None or out.shape != eval_out.shape:
        return None
    if 0.25 <= np.mean(out == 0) <= 0.75:
        return DROPOUT_ON_OUTPUT
    return None if matches(out, eval_out, "float64") else PROBS_BEFORE_DROPOUT
