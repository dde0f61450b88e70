"""Assignment 5: the transformer in PyTorch: positional encoding, the causal mask, a post-norm
encoder layer, and a vision transformer (ViT) that reads images as sequences of patches.

Fill in every place marked `TODO(student)`; each raises NotImplementedError until you do.
You may use PyTorch (`torch`, `torch.nn`, `torch.nn.functional`, but not its ready-made
transformer parts: `nn.TransformerEncoderLayer`, `nn.MultiheadAttention` and
`F.scaled_dot_product_attention` are what the grader compares you against), `math` and the
standard library. Check your work with `course grade assignment5` (add `--device cuda` to run
on a GPU).

Shapes, with B the batch, S the sequence length, D = d_model, nh = num_heads, hd = D / nh,
C the image channels, p the patch size and N = (H / p) * (W / p) the number of patches:

    x, a layer's output      (B, S, D)
    q, k, v of each head     (B, nh, S, hd)
    attention scores         (B, nh, S, S)
    images                   (B, C, H, W)
    patchify(images, p)      (B, N, C * p * p)
    ViT tokens               (B, N + 1, D)       the class token first
    logits                   (B, num_classes)

Masks are boolean and True where attending is allowed (as in assignment 3):
`nn.TransformerEncoderLayer` uses the opposite convention, which the grader converts.
"""
import math  # noqa: F401  (you will want math.sqrt)

import torch  # noqa: F401
from torch import nn


def positional_encoding(seq_len, d_model):
    """The sinusoidal positional encoding of "Attention is all you need", (seq_len, d_model):

        PE[pos, 2i]     = sin(pos / 10000 ** (2i / d_model))
        PE[pos, 2i + 1] = cos(pos / 10000 ** (2i / d_model))

    for pos = 0 ... seq_len - 1 and i = 0 ... d_model / 2 - 1: columns 2i and 2i + 1 share one
    angle, whose exponent is 2i / d_model (the even column's index over d_model). Build the
    angles as positions (S, 1) over 10000 ** (torch.arange(0, d_model, 2) / d_model) (d_model / 2,),
    which broadcast to (S, d_model / 2), then fill the even columns with sin and the odd ones
    with cos (`pe[:, 0::2]`, `pe[:, 1::2]`).

    Returns a float32 tensor (compute in float64 and convert with .float() for the most
    accurate result). Raise ValueError for an odd d_model.
    """
    # TODO(student)
    raise NotImplementedError


def causal_mask(seq_len, device=None):
    """Boolean (seq_len, seq_len) on `device`: True where position i may attend to j, j <= i
    (the diagonal included), False above it. E.g. `torch.tril` of a tensor of ones.
    """
    # TODO(student)
    raise NotImplementedError


class TransformerEncoderLayer(nn.Module):
    """The post-norm encoder layer of the original transformer:

        h   = norm1(x + dropout(attention(x, mask)))
        out = norm2(h + dropout(linear2(dropout(relu(linear1(h))))))

    Post-norm: each sublayer's output is added to its input first, and the sum is normalised.
    (Pre-norm layers, x + attention(norm1(x)), are another design; not this one.)
    """

    def __init__(self, d_model, num_heads, d_ff, dropout=0.0):
        """Raise ValueError when d_model is not a multiple of num_heads. Then keep
        `self.num_heads`, four layers `self.query`, `self.key`, `self.value`, `self.out`, each
        `nn.Linear(d_model, d_model)`, the feed-forward `self.linear1 = nn.Linear(d_model, d_ff)`
        and `self.linear2 = nn.Linear(d_ff, d_model)`, `self.norm1` and `self.norm2`, each
        `nn.LayerNorm(d_model)`, and a dropout, e.g. `self.dropout = nn.Dropout(dropout)`.
        """
        super().__init__()
        # TODO(student)
        raise NotImplementedError

    def attention(self, x, mask=None):
        """Multi-head self-attention, as in assignment 3 (write it here again):

            q, k, v = query(x), key(x), value(x)       (B, S, D) -> view (B, S, nh, hd)
                                                        -> transpose (B, nh, S, hd)
            probs   = dropout(softmax(q @ k^T / sqrt(hd)))           (B, nh, S, S)
            return out(probs @ v)                      (B, nh, S, hd) -> (B, S, nh, hd) -> (B, S, D)

        mask: None, or boolean broadcastable to (B, nh, S, S), True where attending is allowed:
        set the other scores to -inf before the softmax (`scores.masked_fill(~mask, float("-inf"))`).
        """
        # TODO(student)
        raise NotImplementedError

    def forward(self, x, mask=None):
        """x: (B, S, D); mask as in `attention`. Returns (B, S, D), by the formulas above."""
        # TODO(student)
        raise NotImplementedError


def patchify(images, patch_size):
    """Cut images (B, C, H, W) into N = (H / p) * (W / p) patches of p x p: (B, N, C * p * p).

    Patch (r, c) is images[:, :, r*p:(r+1)*p, c*p:(c+1)*p], flattened in (C, p, p) order, and
    the patches go row by row: patch (r, c) is number r * (W / p) + c. With reshape and permute:

        (B, C, H, W) -> reshape (B, C, H/p, p, W/p, p) -> permute (B, H/p, W/p, C, p, p)
                     -> reshape (B, N, C * p * p)

    Raise ValueError when p does not divide H or W.
    """
    # TODO(student)
    raise NotImplementedError


class PatchEmbedding(nn.Module):
    """Each patch projected to d_model: proj(patchify(images, p)), (B, N, d_model).

    (This is what nn.Conv2d(C, d_model, p, stride=p) computes, which the grader compares with.)
    """

    def __init__(self, in_channels, patch_size, d_model):
        """Keep `self.patch_size` and `self.proj = nn.Linear(in_channels * patch_size ** 2, d_model)`."""
        super().__init__()
        # TODO(student)
        raise NotImplementedError

    def forward(self, images):
        """images (B, C, H, W) -> (B, N, d_model)."""
        # TODO(student)
        raise NotImplementedError


class VisionTransformer(nn.Module):
    """A vision transformer for images of image_size x image_size:

        tokens = patch_embed(images)                        (B, N, D)
        x      = cat([cls, tokens], dim=1)                  (B, N + 1, D)   the class token first
        x      = x + positional_encoding(N + 1, D)          every token, the class token included
        x      = layers[num_layers - 1](... layers[0](x))   (B, N + 1, D)
        logits = head(x[:, 0])                              (B, num_classes) the class token's state
    """

    def __init__(self, image_size=28, patch_size=7, in_channels=1, d_model=64, num_heads=4, d_ff=128,
                 num_layers=2, num_classes=10):
        """Keep `self.patch_embed = PatchEmbedding(in_channels, patch_size, d_model)`, a learned
        class token `self.cls = nn.Parameter(torch.zeros(1, 1, d_model))`, `self.layers`, an
        `nn.ModuleList` of `num_layers` TransformerEncoderLayer(d_model, num_heads, d_ff), and
        `self.head = nn.Linear(d_model, num_classes)`.
        """
        super().__init__()
        # TODO(student)
        raise NotImplementedError

    def forward(self, images):
        """images (B, C, H, W) -> logits (B, num_classes). Expand the class token to the batch,
        (1, 1, D) -> (B, 1, D), and put the positional encoding on the device and in the dtype
        of the tokens (`.to(x)`)."""
        # TODO(student)
        raise NotImplementedError
