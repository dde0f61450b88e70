"""Assignment 5 rubric: the transformer in PyTorch (positional encoding, the causal mask, a
post-norm encoder layer, ViT patches, a vision transformer that learns).

Every check builds its inputs here (drawn through `grader.inputs`: fixed seeds as a release
records them, salted with the course secret when the instructor grades), runs student code only
through `ctx` on `ctx.device`, and judges the CPU arrays that come back against oracles computed
here on the CPU from PyTorch itself: `nn.TransformerEncoderLayer(..., batch_first=True,
norm_first=False)` loaded with the same weights (forward and autograd), `nn.Conv2d` with stride p
for the patch embedding, and their composition for the vision transformer. The formulas
(positional encoding, causal mask, patches) and what each known mistake gives come from the
written-out math of solutions/assignment5/mistakes.py. Tolerances: 1e-5 in float32, 1e-10 in
float64, relative to the largest expected entry; the vision transformer's logits 1e-5.
"""
from __future__ import annotations

import math

import numpy as np
import torch

from course_lib.datasets.mnist import load_mnist
from grader import inputs
from grader.compare import as_array, describe, expect_close, same
from grader.rubric import CheckFailed, Rubric
from grader.sandbox import StudentFault
from grader.timing import Measured

rubric = Rubric()


def mistaken():
    return rubric.mistaken()


TOL = {"float32": 1e-5, "float64": 1e-10}
TIMEOUT = 30.0  # a child that runs on CUDA first pays for creating its context
B, S, D, NH, FF = 3, 6, 16, 4, 24  # batch, sequence, d_model, heads, d_ff of the encoder checks
DROPOUT = 0.1  # given to the layer, which runs in eval mode: it must do nothing there
LENGTHS = (6, 4, 2)  # of the three sequences, for the padding mask (unsalted)
ATTENTION = ("query", "key", "value", "out")
SMALL_VIT = {"image_size": 12, "patch_size": 4, "in_channels": 2, "d_model": 16, "num_heads": 2, "d_ff": 24,
             "num_layers": 2, "num_classes": 5}  # of the logits check: 9 patches of 2 x 4 x 4
VIT = {"image_size": 28, "patch_size": 7, "in_channels": 1, "d_model": 64, "num_heads": 4, "d_ff": 128,
       "num_layers": 2, "num_classes": 10}  # the defaults, which the learning check trains


# -- the catalogue of known mistakes ------------------------------------------------------

M = rubric.mistake
EXPONENT_I = M("exponent_i_not_2i", "the exponent is i / d_model, with i the index of the sin-cos pair, "
               "instead of 2i / d_model", "divide pos by 10000 ** (2i / d_model): the exponent of column 2i and "
               "2i + 1 is 2i / d_model, e.g. torch.arange(0, d_model, 2) / d_model")
SIN_COS_SWAPPED = M("sin_cos_swapped", "sin and cos are swapped: cos fills the even columns, sin the odd ones",
                    "PE[:, 0::2] = sin(angles) and PE[:, 1::2] = cos(angles)")
CAUSAL_INVERTED = M("causal_mask_inverted", "the causal mask is inverted: True where j > i, the future",
                    "True where position i may attend to j, j <= i: torch.tril of ones")
CAUSAL_STRICT = M("causal_mask_strictly_lower", "the causal mask is strictly lower triangular: a position may "
                  "not attend to itself", "keep the diagonal, j <= i: torch.tril(..., diagonal=0)")
PRE_NORM = M("pre_norm", "the layer is pre-norm, x + attn(norm1(x)), where post-norm is asked",
             "normalise after each residual sum: h = norm1(x + attn(x)), out = norm2(h + ff(h))")
RESIDUAL_AFTER_NORM = M("residual_after_norm", "the residual is added after the norm, x + norm1(attn(x))",
                        "normalise the sum: h = norm1(x + attn(x)), out = norm2(h + ff(h))")
NO_RELU = M("no_relu_in_feed_forward", "the feed-forward has no ReLU: linear2(linear1(h))",
            "linear2(relu(linear1(h)))")
ENCODER_MASK_INVERTED = M("encoder_mask_inverted", "the layer hides the keys where the mask is True "
                          "(nn.TransformerEncoderLayer's convention)",
                          "True means attending is allowed here: scores.masked_fill(~mask, float('-inf'))")
PATCH_HWC = M("patch_flattened_hwc", "each patch is flattened in (p, p, C) order",
              "flatten each patch in (C, p, p) order: permute to (B, H/p, W/p, C, p, p) before the reshape")
PATCH_COLUMNS = M("patches_column_by_column", "the patches are taken column by column",
                  "number patch (r, c) as r * (W / p) + c, row by row: the patch row before the patch column")
CLS_AT_END = M("cls_token_at_end", "the class token is appended after the patches",
               "put it in front, torch.cat([cls, patches], dim=1), and read position 0")
PE_PATCHES_ONLY = M("pe_added_to_patches_only", "the positional encoding is added to the patches only, "
                    "not to the class token", "add positional_encoding(N + 1, d_model) after putting the class "
                    "token in front, to every token")
HEAD_MEAN = M("head_reads_mean_of_tokens", "the head reads the mean of the tokens instead of the class token",
              "apply the head to the class token's final state, x[:, 0]")

LAYER_MISTAKES = ((PRE_NORM, {"norm": "pre"}), (RESIDUAL_AFTER_NORM, {"norm": "after"}), (NO_RELU, {"relu": False}))
PATCH_MISTAKES = ((PATCH_HWC, {"order": "hwc"}), (PATCH_COLUMNS, {"by": "columns"}))
VIT_MISTAKES = LAYER_MISTAKES + PATCH_MISTAKES + (
    (EXPONENT_I, {"exponent": "i"}), (SIN_COS_SWAPPED, {"swapped": True}), (CLS_AT_END, {"cls": "end"}),
    (PE_PATCHES_ONLY, {"pe": "patches"}), (HEAD_MEAN, {"head": "mean"}))


# -- inputs -------------------------------------------------------------------------------

def normal(seed: int, *shape, scale: float = 1.0) -> np.ndarray:
    return inputs.rng(seed).normal(scale=scale, size=shape)


def layer_weights(seed: int, d: int = D, ff: int = FF, prefix: str = "") -> dict:
    """{parameter name: array} of one encoder layer, with activations of order one."""
    rng = inputs.rng(seed)
    weights = {}
    for name, (n_out, n_in) in {**{n: (d, d) for n in ATTENTION}, "linear1": (ff, d), "linear2": (d, ff)}.items():
        weights[f"{prefix}{name}.weight"] = rng.normal(scale=1 / math.sqrt(n_in), size=(n_out, n_in))
        weights[f"{prefix}{name}.bias"] = rng.normal(scale=0.1, size=n_out)
    for name in ("norm1", "norm2"):
        weights[f"{prefix}{name}.weight"] = 1 + rng.normal(scale=0.2, size=d)
        weights[f"{prefix}{name}.bias"] = rng.normal(scale=0.2, size=d)
    return weights


def sequence_mask(seed: int) -> np.ndarray:
    """(B, 1, 1, S), True for the keys inside each sequence: the first full, the others shorter."""
    lengths = inputs.fixed_or_drawn(LENGTHS, seed, lambda rng: (S, *(int(n) for n in rng.integers(1, S, size=B - 1))))
    return (np.arange(S) < np.array(lengths)[:, None])[:, None, None, :]


def vit_weights(seed: int, config: dict) -> dict:
    """{parameter name: array} of a VisionTransformer of `config`."""
    d, c, p = config["d_model"], config["in_channels"], config["patch_size"]
    weights = {"patch_embed.proj.weight": normal(seed, d, c * p * p, scale=1 / math.sqrt(c * p * p)),
               "patch_embed.proj.bias": normal(seed + 1, d, scale=0.1), "cls": normal(seed + 2, 1, 1, d)}
    for i in range(config["num_layers"]):
        weights.update(layer_weights(seed + 10 + i, d, config["d_ff"], f"layers.{i}."))
    weights["head.weight"] = normal(seed + 3, config["num_classes"], d, scale=1 / math.sqrt(d))
    weights["head.bias"] = normal(seed + 4, config["num_classes"], scale=0.1)
    return weights


# -- oracles from PyTorch -----------------------------------------------------------------

def as_torch(array, dtype: str = "float64") -> torch.Tensor:
    return torch.as_tensor(np.asarray(array), dtype=getattr(torch, dtype))


def torch_layer(weights: dict, dtype: str, heads: int, prefix: str = "", dropout: float = DROPOUT):
    """nn.TransformerEncoderLayer (post-norm, batch first) in eval mode with `weights`, and
    {its parameter: the student's name}. (Run it with grad enabled: PyTorch's fused fast path,
    which only inference without grad takes, computes differently.)"""
    w = {name[len(prefix):]: value for name, value in weights.items() if name.startswith(prefix)}
    d, ff = w["linear1.weight"].shape[1], w["linear1.weight"].shape[0]
    layer = torch.nn.TransformerEncoderLayer(d, heads, ff, dropout=dropout, batch_first=True, norm_first=False,
                                             dtype=getattr(torch, dtype))
    names = {f"{sub}.{kind}": f"{sub}.{kind}" for sub in ("linear1", "linear2", "norm1", "norm2")
             for kind in ("weight", "bias")}
    names.update({"self_attn.out_proj.weight": "out.weight", "self_attn.out_proj.bias": "out.bias"})
    params = dict(layer.named_parameters())
    with torch.no_grad():
        for kind in ("weight", "bias"):
            params[f"self_attn.in_proj_{kind}"].copy_(torch.cat([as_torch(w[f"{n}.{kind}"], dtype)
                                                                  for n in ATTENTION[:3]]))
        for theirs, ours in names.items():
            params[theirs].copy_(as_torch(w[ours], dtype))
    return layer.eval(), names


def torch_masks(mask) -> dict:
    """Our mask (True: may attend) as nn.TransformerEncoderLayer's (True: may not): a padding mask
    (B, 1, 1, S) as its src_key_padding_mask (B, S), an (S, S) mask as its src_mask."""
    if mask is None:
        return {}
    mask = torch.as_tensor(np.asarray(mask))
    return {"src_key_padding_mask": ~mask[:, 0, 0, :]} if mask.dim() == 4 else {"src_mask": ~mask}


def encoder_oracle(weights: dict, x, mask, dtype: str, upstream=None):
    """(output, grads): nn.TransformerEncoderLayer's output and, when `upstream` is given, the
    gradients of sum(output * upstream) by autograd, named as the student's parameters."""
    layer, names = torch_layer(weights, dtype, NH)
    x = as_torch(x, dtype).requires_grad_(upstream is not None)
    output = layer(x, **torch_masks(mask))
    if upstream is None:
        return output.detach().numpy(), None
    output.backward(as_torch(upstream, dtype))
    params = dict(layer.named_parameters())
    grads = {"x": x.grad.numpy(), **{ours: params[theirs].grad.numpy() for theirs, ours in names.items()}}
    for kind in ("weight", "bias"):
        for name, part in zip(ATTENTION[:3], params[f"self_attn.in_proj_{kind}"].grad.chunk(3)):
            grads[f"{name}.{kind}"] = part.numpy()
    return output.detach().numpy(), grads


def conv_embedding(weight, bias, images, patch_size: int, dtype: str) -> torch.Tensor:
    """nn.Conv2d(C, d, p, stride=p) with the patch projection's weights, its output flattened to (B, N, d)."""
    d, c = weight.shape[0], images.shape[1]
    conv = torch.nn.Conv2d(c, d, patch_size, stride=patch_size, dtype=getattr(torch, dtype))
    with torch.no_grad():
        conv.weight.copy_(as_torch(weight, dtype).reshape(d, c, patch_size, patch_size))
        conv.bias.copy_(as_torch(bias, dtype))
    return conv(as_torch(images, dtype)).flatten(2).transpose(1, 2)  # (B, d, H/p, W/p) -> (B, N, d)


def vit_oracle(weights: dict, images, config: dict, dtype: str = "float64"):
    """(logits, layer 0's attention probabilities on image 0 averaged over the heads, (N + 1, N + 1))
    of the vision transformer composed from PyTorch's parts: nn.Conv2d for the patches, the class
    token in front, the positional encoding added to every token, nn.TransformerEncoderLayer per
    layer, the head on position 0."""
    tokens = conv_embedding(weights["patch_embed.proj.weight"], weights["patch_embed.proj.bias"], images,
                            config["patch_size"], dtype)  # (B, N, d)
    batch, n, d = tokens.shape
    cls = as_torch(weights["cls"], dtype).expand(batch, 1, d)
    x = torch.cat([cls, tokens], dim=1) + as_torch(mistaken().positional_encoding(n + 1, d), dtype)
    probs = None
    for i in range(config["num_layers"]):
        layer, _ = torch_layer(weights, dtype, config["num_heads"], f"layers.{i}.", dropout=0.0)
        if i == 0:
            probs = layer.self_attn(x[:1], x[:1], x[:1])[1][0].detach().numpy()
        x = layer(x)
    head = as_torch(weights["head.weight"], dtype)
    return (x[:, 0] @ head.T + as_torch(weights["head.bias"], dtype)).detach().numpy(), probs


# -- comparing ----------------------------------------------------------------------------

def matches(found, wrong, tol: float) -> bool:
    """`found` equals `wrong` within `tol`, relative to wrong's largest entry."""
    wrong = np.asarray(wrong, dtype=float)
    return same(found, wrong, rtol=tol, atol=tol * max(1.0, float(np.nanmax(np.abs(wrong), initial=0.0))))


def judge(name: str, found, expected, dtype: str, mistakes=(), tol: float | None = None) -> None:
    """`found` has the shape and dtype of `expected` and equals it within `tol` (TOL[dtype]),
    relative to its largest entry; on failure the first of `mistakes` ((Mistake, what it gives),
    ...) that `found` matches is named."""
    expected = np.asarray(expected, dtype=float)
    found = as_array(name, found, expected.shape)
    if found.dtype != np.dtype(dtype):
        raise CheckFailed(f"{name}: expected dtype {dtype} (the dtype of the input), found {found.dtype}; "
                          f"compute in the input's dtype (no .float() or .double(), no tensors made "
                          f"with a fixed dtype).")
    tol = TOL[dtype] if tol is None else tol
    try:
        expect_close(name, found, expected, rtol=tol, atol=tol * max(1.0, float(np.abs(expected).max())))
    except CheckFailed as failure:
        raise CheckFailed(str(failure), next((m for m, value in mistakes if matches(found, value, tol)), None)) from None


def expect_raises(ctx, call: str, probe: str, *args) -> None:
    """`call` (probe `probe` with `args`) raises ValueError or a subclass of it."""
    found = ctx.probe(probe, *args, label=call)
    if found is None or "ValueError" not in found:
        raise CheckFailed(f"{call} should raise ValueError, found {'no exception' if found is None else found[0]}.")


# -- positional_encoding ------------------------------------------------------------------

def pe_sizes(seed: int) -> list[tuple[int, int]]:
    """(seq_len, d_model) of the encoding checks: the largest graded, and smaller drawn ones."""
    return [(128, 64), *inputs.fixed_or_drawn(((50, 16), (9, 6)), seed, lambda rng: tuple(
        (int(rng.integers(2, 128)), 2 * int(rng.integers(1, 32))) for _ in range(2)))]


@rubric.check("positional_encoding.values", "positional_encoding gives sin and cos of pos / 10000^(2i/d_model)",
              3, timeout=TIMEOUT)
def positional_encoding_values(ctx):
    for index, (seq_len, d) in enumerate(pe_sizes(1)):
        call = f"positional_encoding({seq_len}, {d})"
        found = ctx.probe("positional_encoding", seq_len, d, label=call)
        if index == 0:  # the largest
            encoding_picture(ctx, found["value"], mistaken().positional_encoding(seq_len, d))
        wrong = [(m, mistaken().positional_encoding(seq_len, d, **switch))
                 for m, switch in ((EXPONENT_I, {"exponent": "i"}), (SIN_COS_SWAPPED, {"swapped": True}))]
        expect_close(call, found["value"], mistaken().positional_encoding(seq_len, d), rtol=0, atol=1e-5,
                     mistakes=wrong)
        if found["dtype"] != "float32":
            raise CheckFailed(f"{call}: expected a float32 tensor, found {found['dtype'] or describe(found['value'])}; "
                              f"convert the result with .float() (or compute in float32).")


def encoding_picture(ctx, found, expected) -> None:
    """The picture: the student's encoding matrix beside the expected one (rows: positions,
    columns: dimensions), where it has the expected shape."""
    if isinstance(found, np.ndarray) and found.shape == expected.shape and found.dtype.kind == "f":
        ctx.record("image_grid", {"images": [[np.round(found, 3).tolist(), np.round(expected, 3).tolist()]],
                                  "labels": [["yours", "expected"]]})
        ctx.record("picture_texts", {"image_grid": {
            "caption": f"Your positional encoding and the expected one, {expected.shape[0]} positions (rows) by "
                       f"{expected.shape[1]} dimensions (columns); dark: high values", "x": "", "y": ""}})


@rubric.check("positional_encoding.odd", "positional_encoding raises ValueError for an odd d_model", 1,
              hidden=True, timeout=TIMEOUT)
def positional_encoding_odd(ctx):
    d = 2 * inputs.integer(2, 1, 16) + 1
    expect_raises(ctx, f"positional_encoding(10, {d})", "raised", "positional_encoding", 10, d)


# -- causal_mask --------------------------------------------------------------------------

@rubric.check("causal_mask.values", "causal_mask is boolean (S, S), True where j <= i, on the device asked", 1,
              timeout=TIMEOUT)
def causal_mask_values(ctx):
    for seq_len in (inputs.integer(3, 7, 13), 1):
        call = f'causal_mask({seq_len}, device="{ctx.device}")'
        found = ctx.probe("causal_mask", seq_len, device=ctx.device, label=call)
        wrong = [(m, mistaken().causal_mask(seq_len, mistake=kind))
                 for m, kind in ((CAUSAL_INVERTED, "inverted"), (CAUSAL_STRICT, "strict"))]
        expect_close(call, found["value"], mistaken().causal_mask(seq_len), rtol=0, atol=0, mistakes=wrong)
        if found["dtype"] != "bool" or found["device"] != ctx.device:
            raise CheckFailed(f"{call}: expected a torch.bool tensor on {ctx.device}, found {found['dtype']} on "
                              f"{found['device']}; make it with dtype=torch.bool and device=device.")


# -- TransformerEncoderLayer: construction --------------------------------------------------

def layer_sizes(seed: int) -> tuple[int, int, int]:
    """(d_model, num_heads, d_ff) of the construction check: (16, 4, 24) unsalted."""
    heads = inputs.integer(seed, 4, 6)
    d = heads * inputs.integer(seed + 1, 4, 7)
    return d, heads, d + 8 * inputs.integer(seed + 2, 1, 4)


@rubric.check("encoder.init", "TransformerEncoderLayer holds query, key, value, out, linear1, linear2, norm1 "
              "and norm2", 1, timeout=TIMEOUT)
def encoder_init(ctx):
    d, heads, ff = layer_sizes(40)
    call = f"TransformerEncoderLayer({d}, {heads}, {ff})"
    found = ctx.probe("layer_facts", d, heads, ff, label=call)
    if not found["is_module"]:
        raise CheckFailed(f"{call} must be a subclass of torch.nn.Module.")
    linear = {n: (d, d) for n in ATTENTION} | {"linear1": (d, ff), "linear2": (ff, d)}
    want = {n: ("Linear", f"nn.Linear({i}, {o})", {"weight": [o, i], "bias": [o]}) for n, (i, o) in linear.items()}
    want |= {n: ("LayerNorm", f"nn.LayerNorm({d})", {"weight": [d], "bias": [d]}) for n in ("norm1", "norm2")}
    for name, (kind, made, shapes) in want.items():
        part = found["parts"][name]
        if part["kind"] != kind or part["shapes"] != shapes:
            seen = "nothing" if part["kind"] is None else f"{part['kind']} (parameters {part['shapes']})"
            raise CheckFailed(f"{call}.{name}: expected {made} (parameters {shapes}), found {seen}.")


@rubric.check("encoder.value_error", "d_model not divisible by num_heads raises ValueError", 1, hidden=True,
              timeout=TIMEOUT)
def encoder_value_error(ctx):
    """ValueError for a d_model num_heads does not divide, and none for one it divides."""
    d, heads, ff = layer_sizes(41)
    found = ctx.probe("raised", "TransformerEncoderLayer", d, heads, ff, label=f"TransformerEncoderLayer({d}, {heads}, {ff})")
    if found is not None:
        raise CheckFailed(f"TransformerEncoderLayer({d}, {heads}, {ff}) raised {found[0]}, although {heads} divides "
                          f"{d}; raise only when d_model % num_heads != 0.")
    for d, heads in (inputs.indivisible(42, 3), inputs.indivisible(45, 5)):
        expect_raises(ctx, f"TransformerEncoderLayer({d}, {heads}, 32)", "raised", "TransformerEncoderLayer", d,
                      heads, 32)


# -- TransformerEncoderLayer against nn.TransformerEncoderLayer -----------------------------

def layer_mistakes(weights, x, mask) -> list:
    """[(Mistake, the output it gives), ...] for the encoder layer's known mistakes."""
    switches = LAYER_MISTAKES + (((ENCODER_MASK_INVERTED, {"invert_mask": True}),) if mask is not None else ())
    return [(m, mistaken().encoder_layer(weights, x, mask, heads=NH, **s)) for m, s in switches]


def run_encoder(ctx, weights, x, mask, dtype: str, what: str, upstream=None):
    """The student's output and gradients, and the label naming the call."""
    label = f"TransformerEncoderLayer({D}, {NH}, {FF}, dropout={DROPOUT}).eval()({what}) in {dtype}"
    found = ctx.probe("encoder", D, NH, FF, weights, x, mask, dtype, device=ctx.device, dropout=DROPOUT,
                      upstream=upstream, label=label)
    return found["output"], found["grads"], label


def judge_encoder(ctx, seed: int, mask, what: str) -> None:
    weights, x = layer_weights(seed), normal(seed + 1, B, S, D)
    wrong = layer_mistakes(weights, x, mask)
    for dtype in ("float64", "float32"):
        output, _, label = run_encoder(ctx, weights, x, mask, dtype, what)
        judge(f"output of {label}", output, encoder_oracle(weights, x, mask, dtype)[0], dtype, wrong)


@rubric.check("encoder.no_mask", "TransformerEncoderLayer equals nn.TransformerEncoderLayer (post-norm, "
              "float64 and float32)", 3, timeout=TIMEOUT)
def encoder_no_mask(ctx):
    judge_encoder(ctx, 50, None, "x")


@rubric.check("encoder.padding_mask", "TransformerEncoderLayer with a padding mask (B, 1, 1, S)", 2,
              timeout=TIMEOUT)
def encoder_padding_mask(ctx):
    judge_encoder(ctx, 60, sequence_mask(63), f"x, padding mask of shape {(B, 1, 1, S)}")


@rubric.check("encoder.causal_mask", "TransformerEncoderLayer with a causal mask (S, S)", 2, hidden=True,
              timeout=TIMEOUT)
def encoder_causal_mask(ctx):
    judge_encoder(ctx, 70, mistaken().causal_mask(S), f"x, causal mask of shape {(S, S)}")


@rubric.check("encoder.gradients", "Gradients with respect to the input and every parameter equal autograd's",
              3, hidden=True, timeout=TIMEOUT)
def encoder_gradients(ctx):
    weights, x, upstream, mask = layer_weights(80), normal(81, B, S, D), normal(82, B, S, D), sequence_mask(84)
    output, grads, label = run_encoder(ctx, weights, x, mask, "float64", f"x, padding mask of shape {(B, 1, 1, S)}",
                                       upstream=upstream)
    expected_output, expected = encoder_oracle(weights, x, mask, "float64", upstream)
    judge(f"output of {label}", output, expected_output, "float64", layer_mistakes(weights, x, mask))
    for key, want in expected.items():
        of = "the input x" if key == "x" else f"self.{key}"
        if grads is None or grads.get(key) is None:
            raise CheckFailed(f"no gradient reached {of} from sum(output * g); is it used in forward, "
                              f"without .detach() or torch.no_grad()?")
        judge(f"the gradient with respect to {of}", grads[key], want, "float64")


# -- patchify and PatchEmbedding ----------------------------------------------------------

IMAGES = (2, 3, 8, 12)  # B, C, H, W of the patch checks: a grid of 2 x 3 patches of 4 x 4
P = 4


@rubric.check("patchify.values", "patchify cuts (B, C, H, W) into (B, N, C*p*p), patches row by row", 2,
              timeout=TIMEOUT)
def patchify_values(ctx):
    images = inputs.numbered(90, *IMAGES)  # distinct entries: each says where it came from
    call = f"patchify(images, {P}) (images of shape {IMAGES})"
    found = ctx.probe("patchify", images, P, device=ctx.device, label=call)
    patch_picture(ctx)
    wrong = [(m, mistaken().patchify(images, P, **s)) for m, s in PATCH_MISTAKES]
    expect_close(call, found, mistaken().patchify(images, P), rtol=0, atol=0, mistakes=wrong)


def patch_picture(ctx) -> None:
    """The picture (not graded): the first MNIST test digit cut by the student's patchify into
    the vision transformer's patches, drawn in the order patchify gives them, 4 to a row: patches
    taken row by row show the digit; any other order scrambles it."""
    p = VIT["patch_size"]
    side = VIT["image_size"] // p
    digit = np.asarray(load_mnist(ctx.data_dir)["X_test"][:1], dtype=float).reshape(1, 1, 28, 28)
    try:
        found = ctx.probe("patchify", digit, p, device=ctx.device, label=f"patchify(a digit, {p})")
    except StudentFault:  # the graded call above says what is wrong
        return
    if not (isinstance(found, np.ndarray) and found.shape == (1, side * side, p * p) and found.dtype.kind == "f"):
        return
    patches = np.round(found[0].reshape(side, side, p, p), 3)
    ctx.record("image_grid", {"images": [[patch.tolist() for patch in row] for row in patches],
                              "labels": [[str(side * i + j) for j in range(side)] for i in range(side)]})
    ctx.record("picture_texts", {"image_grid": {
        "caption": f"A test digit cut by your patchify into {side * side} patches of {p} x {p}, drawn in your "
                   f"order, {side} to a row: taken row by row, they show the digit", "x": "", "y": ""}})


@rubric.check("patchify.indivisible", "patchify raises ValueError when p does not divide H or W", 1, hidden=True,
              timeout=TIMEOUT)
def patchify_indivisible(ctx):
    for shape in ((1, 1, 10, 12), (1, 1, 8, 10)):
        expect_raises(ctx, f"patchify(torch.zeros{shape}, {P})", "patchify_error", shape, P)


@rubric.check("patch_embedding.conv", "PatchEmbedding equals nn.Conv2d(C, d_model, p, stride=p), flattened", 2,
              timeout=TIMEOUT)
def patch_embedding_conv(ctx):
    d, c = 10, IMAGES[1]
    weights = {"proj.weight": normal(100, d, c * P * P, scale=0.2), "proj.bias": normal(101, d, scale=0.1)}
    images = normal(102, *IMAGES)
    wrong = [(m, mistaken().patchify(images, P, **s) @ weights["proj.weight"].T + weights["proj.bias"])
             for m, s in PATCH_MISTAKES]
    for dtype in ("float64", "float32"):
        label = f"PatchEmbedding({c}, {P}, {d})(images of shape {IMAGES}) in {dtype}"
        found = ctx.probe("patch_embedding", c, P, d, weights, images, dtype, device=ctx.device, label=label)
        expected = conv_embedding(weights["proj.weight"], weights["proj.bias"], images, P, dtype).detach().numpy()
        judge(label, found, expected, dtype, wrong)


# -- VisionTransformer ----------------------------------------------------------------------

def call_of(config: dict) -> str:
    return "VisionTransformer(" + ", ".join(f"{k}={v}" for k, v in config.items()) + ")"


@rubric.check("vit.logits", "VisionTransformer's logits are the composition of its parts, and depend on the image",
              3, timeout=TIMEOUT)
def vit_logits(ctx):
    config = SMALL_VIT
    weights = vit_weights(110, config)
    images = normal(111, 4, config["in_channels"], config["image_size"], config["image_size"])
    label = f"{call_of(config)}(images of shape {images.shape}) in float64"
    found = as_array(f"the logits of {label}", ctx.probe("vit", config, weights, images, device=ctx.device,
                                                         label=label), (4, config["num_classes"]))
    expected, _ = vit_oracle(weights, images, config)
    sizes = {k: config[k] for k in ("num_layers", "patch_size")}
    wrong = [(m, mistaken().vit_logits(weights, images, heads=config["num_heads"], **sizes, **s))
             for m, s in VIT_MISTAKES]
    if np.ptp(found, axis=0).max() <= 1e-9 * max(1.0, float(np.abs(found).max())):
        raise CheckFailed(f"the logits of {label} are the same for all 4 images: they must come from the class "
                          f"token's final state, which attends to every patch.")
    judge(f"the logits of {label}", found, expected, "float64", wrong, tol=1e-5)


# -- learning -------------------------------------------------------------------------------

N_FIT, STEPS, LR, CHECK_EVERY, TARGET = 256, 200, 3e-3, 10, 0.98


def training_set(data_dir):
    """(images (256, 1, 28, 28) float32, labels (256,)): the first 256 MNIST training images
    unsalted; salted, a secret 256 with the digits renamed by a secret permutation."""
    data = load_mnist(data_dir)
    rows = inputs.fixed_or_drawn(np.arange(N_FIT), 120, lambda rng: np.sort(rng.choice(60_000, N_FIT, replace=False)))
    names = inputs.fixed_or_drawn(np.arange(10), 121, lambda rng: rng.permutation(10))
    return np.array(data["X_train"][rows]).reshape(N_FIT, 1, 28, 28), names[data["y_train"][rows]]


def training_budget(ctx):
    """The step budget's time: 10 x the reference's time for STEPS steps of the same loop on this
    machine (measured on 20 of them, just before), at least 60 s, at most 15 minutes."""
    images, labels = training_set(ctx.data_dir)
    ctx.probe("train_vit", images, labels, 20, LR, 0, 10 ** 6, device=ctx.device,
              label="the reference's VisionTransformer trained for 20 steps")


def trained_parameters(label: str, params) -> dict:
    """{name: float array} of the parameters the assignment names, each of its shape, from what
    the training call returned; anything else is refused."""
    if not isinstance(params, dict):
        raise CheckFailed(f"{label}: the training returned no parameters by name, found {describe(params)}.")
    trained = {}
    for name, value in vit_weights(0, VIT).items():
        if name not in params:
            raise CheckFailed(f"{label}: the model has no parameter {name}; VisionTransformer() must hold the "
                              f"parameters the assignment names (named_parameters()).")
        trained[name] = as_array(f"{label}: its parameter {name}", params[name], value.shape)
    return trained


@rubric.check("vit.learns", f"Trained by the grader's loop, VisionTransformer fits {N_FIT} MNIST images "
              f"({TARGET} training accuracy)", 4, timeout=300,
              measured=Measured(training_budget, share=20 / STEPS, multiple=10, floor_s=60, ceiling_s=900))
def vit_learns(ctx):
    """The accuracy of the trained model's own forward pass (whether that forward is right is
    vit.logits' business), measured by a second call that gets the trained parameters of the
    assignment's names and the images, never the labels: a model cannot answer from them. The
    picture is the attention of the grader's forward on the trained parameters."""
    images, labels = training_set(ctx.data_dir)
    label = f"VisionTransformer() trained on {N_FIT} MNIST images"
    found = ctx.probe("train_vit", images, labels, STEPS, LR, inputs.integer(122, 0, 2 ** 31), CHECK_EVERY,
                      device=ctx.device, label=label)
    ctx.record("loss_history", [float(v) for v in found["losses"]])
    texts = {"loss_history": {"caption": "Training loss per step of the grader's loop", "x": "step",
                              "y": "cross-entropy on the 256 images"}}
    trained = trained_parameters(label, found["params"])
    _, probs = vit_oracle(trained, images[:1], VIT, "float32")
    side = VIT["image_size"] // VIT["patch_size"]
    ctx.record("attention_head", np.round(probs[0, 1:].reshape(side, side), 3).tolist())  # the class token's
    texts["attention_head"] = {"caption": "Where the trained model's class token looks in the first image: its "
                                          "attention to each patch in the first layer, averaged over the heads",
                               "x": "patch column", "y": "patch row"}
    ctx.record("picture_texts", texts)
    logits = as_array(f"the logits of {label}", ctx.probe("vit", VIT, trained, images, device=ctx.device,
                                                          label=f"{label}, on its trained parameters"), (N_FIT, 10))
    accuracy = float(np.mean(logits.argmax(axis=1) == labels))
    ctx.record("training_accuracy", accuracy)
    if not accuracy >= TARGET:
        raise CheckFailed(f"{label}: after {found['steps']} steps of the grader's loop (full-batch Adam, lr={LR}) "
                          f"its training accuracy is {accuracy:.4f}; at least {TARGET} is needed (the reference "
                          f"fits them in about 50 steps). Check that every part gets a gradient: the class token "
                          f"an nn.Parameter, the head reading the class token's final state.")
    return f"training accuracy {accuracy:.4f} after {found['steps']} steps (at least {TARGET} needed)"
