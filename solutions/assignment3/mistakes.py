"""Multi-head self-attention written out in float64, with switches for the known mistakes,
for the grader's recognisers.

Hidden from students like the reference: a release records the values these give on the
visible checks' inputs, never this code. Arrays in, NumPy arrays out.
"""
import math

import numpy as np
import torch

SCALES = {"sqrt": math.sqrt, "d": float, "none": lambda d: 1.0}


def attention_probs(q, k, mask=None, *, scale="sqrt", softmax_dim=-1, invert_mask=False,
                    mask_after_softmax=False):
    """softmax(q @ k^T / sqrt(d)) (..., S_q, S_k), or what one of the known mistakes gives."""
    q, k = (torch.as_tensor(np.asarray(t), dtype=torch.float64) for t in (q, k))
    scores = torch.einsum("...id,...jd->...ij", q, k) / SCALES[scale](q.shape[-1])
    if mask is None:
        return torch.softmax(scores, dim=softmax_dim).numpy()
    allowed = torch.as_tensor(np.asarray(mask)) != invert_mask
    if mask_after_softmax:
        return (torch.softmax(scores, dim=softmax_dim) * allowed).numpy()
    return torch.softmax(scores.masked_fill(~allowed, -math.inf), dim=softmax_dim).numpy()


def _linear(weights, name, t):
    return t @ torch.as_tensor(weights[name]["weight"]).T + torch.as_tensor(weights[name]["bias"])


def _split(t, heads, split):
    """(B, S, H) -> (B, nh, S, hd); "view": the right shape without the permute."""
    B, S, H = t.shape
    return t.reshape(B, heads, S, H // heads) if split == "view" else torch.stack(t.split(H // heads, dim=-1), dim=1)


def _merge(t, merge):
    """(B, nh, S, hd) -> (B, S, H); "wrong": permute(0, 2, 3, 1); "view": no permute at all."""
    B, nh, S, hd = t.shape
    if merge == "wrong":
        return t.permute(0, 2, 3, 1).reshape(B, S, nh * hd)
    return t.reshape(B, S, nh * hd) if merge == "view" else torch.cat(t.unbind(1), dim=-1)


def self_attention(weights, x, mask=None, *, heads, split="heads", merge="heads", project=True, probs=None,
                   **mistake):
    """(output (B, S, H), probs (B, nh, S, S)) in float64; keywords switch on one known mistake,
    `probs` given replaces the computed probabilities."""
    x = torch.as_tensor(np.asarray(x), dtype=torch.float64)
    q, k, v = (_split(_linear(weights, n, x), heads, split) for n in ("query", "key", "value"))
    probs = torch.as_tensor(attention_probs(q.numpy(), k.numpy(), mask, **mistake) if probs is None else probs,
                            dtype=torch.float64)
    merged = _merge(probs @ v, merge)
    return (_linear(weights, "out", merged) if project else merged).numpy(), probs.numpy()
