"""Assignment 3: multi-head self-attention in PyTorch.

Fill in every place marked `TODO(student)`; each raises NotImplementedError until you do.
You may use PyTorch (`torch`, `torch.nn`, `torch.nn.functional`, but not its ready-made
attention: `F.scaled_dot_product_attention` and `nn.MultiheadAttention` are what the grader
compares you against), `math` and the standard library. Check your work with
`course grade assignment3` (add `--device cuda` to run on a GPU).

Shapes, with B the batch, S the sequence length, H = hidden_size, nh = num_heads and
hd = attn_head_size = H / nh:

    x                      (B, S, H)
    q, k, v after tp_attn  (B, nh, S, hd)
    probs                  (B, nh, S, S)
    output                 (B, S, H)

Masks are boolean and True where attending is allowed (the convention of
`torch.nn.functional.scaled_dot_product_attention`; `nn.MultiheadAttention` uses the opposite
one). A mask only has to broadcast against the scores: a causal mask is (S, S), a padding mask
that hides the keys after each sequence's end is (B, 1, 1, S).
"""
import math  # noqa: F401  (you will want math.sqrt)

import torch  # noqa: F401
from torch import nn


def scaled_dot_product_attention(q, k, v, mask=None):
    """Attention of the queries `q` over the keys `k`, averaging the values `v`.

        scores = q @ k^T / sqrt(d)           (..., S_q, S_k)
        probs  = softmax(scores)             over the keys: the last dim
        out    = probs @ v                   (..., S_q, d_v)

    q: (..., S_q, d),  k: (..., S_k, d),  v: (..., S_k, d_v); `...` is any batch shape.
    mask: None, or boolean broadcastable to (..., S_q, S_k), True where attending is allowed.
    Masked probabilities must be exactly 0: set their scores to -inf (or to the dtype's
    smallest value, `torch.finfo(scores.dtype).min`) before the softmax, e.g. with
    `scores.masked_fill(~mask, float("-inf"))`. Every query keeps at least one key.

    Returns (out, probs), both of the dtype and on the device of q.
    """
    # TODO(student)
    raise NotImplementedError


class MultiHeadSelfAttention(nn.Module):
    """Self-attention with `num_heads` heads, each attending within its own hd-sized slice:

        q, k, v = tp_attn(query(x)), tp_attn(key(x)), tp_attn(value(x))   (B, nh, S, hd)
        probs   = dropout(softmax(q @ k^T / sqrt(hd)))  (masked)          (B, nh, S, S)
        output  = out(merge_heads(probs @ v))                             (B, S, H)

    forward returns (output, probs), where probs are the probabilities after dropout: the
    ones that multiply v (as torch.nn.MultiheadAttention returns them). Dropout acts in
    training mode only (`model.train()`); in `model.eval()` it does nothing.
    """

    def __init__(self, hidden_size, num_heads, dropout=0.0):
        """Raise ValueError when hidden_size is not a multiple of num_heads. Then keep
        `self.num_heads`, `self.attn_head_size = hidden_size // num_heads`, four layers
        `self.query`, `self.key`, `self.value`, `self.out`, each
        `nn.Linear(hidden_size, hidden_size)` (with its bias), and a dropout on the
        probabilities, e.g. `self.dropout = nn.Dropout(dropout)`.
        """
        super().__init__()
        # TODO(student)
        raise NotImplementedError

    def tp_attn(self, x):
        """Split the hidden size into heads: (B, S, H) -> (B, nh, S, hd).

        Head h owns the features h * hd ... (h + 1) * hd - 1 of each position, so first
        `view` the last dim as (nh, hd), then `permute` the head dim in front of the sequence:

            (B, S, H) -> (B, S, nh, hd) -> (B, nh, S, hd)

        A `view` straight to (B, nh, S, hd) has the right shape but the wrong numbers: it
        cuts the flat memory of the sequence into nh pieces instead of each position's
        features.
        """
        # TODO(student)
        raise NotImplementedError

    def merge_heads(self, x):
        """The inverse of tp_attn: (B, nh, S, hd) -> (B, S, nh, hd) -> (B, S, H).

        Permute the sequence dim back in front of the heads, then `reshape` (or
        `.contiguous().view`) the last two dims into one: a permuted tensor is not
        contiguous, so a plain `view` fails.
        """
        # TODO(student)
        raise NotImplementedError

    def forward(self, x, attention_mask=None):
        """x: (B, S, H); attention_mask: None or boolean, broadcastable to (B, nh, S, S), True
        where attending is allowed. Returns (output (B, S, H), probs (B, nh, S, S)).
        """
        # TODO(student)
        raise NotImplementedError
