"""The transformer written out in NumPy, float64, with switches for the known mistakes, for the
grader's expectations and recognisers.

Hidden from students like the reference: a release records the values these give on the
visible checks' inputs, never this code. Weights are {parameter name: array}, named as the
assignment names the modules' parameters ("query.weight", "layers.0.norm1.bias", ...).
"""
import math

import numpy as np


def positional_encoding(seq_len, d_model, *, exponent="2i", swapped=False):
    """PE (seq_len, d_model): sin at the even columns 2i, cos at the odd ones 2i + 1, of
    pos / 10000 ** (2i / d_model); exponent="i" writes i / d_model, swapped puts cos first."""
    pair = np.arange(d_model // 2)
    angles = np.arange(seq_len)[:, None] / 10000 ** ((2 * pair if exponent == "2i" else pair) / d_model)
    first, second = (np.cos, np.sin) if swapped else (np.sin, np.cos)
    pe = np.empty((seq_len, d_model))
    pe[:, 0::2], pe[:, 1::2] = first(angles), second(angles)
    return pe


def causal_mask(seq_len, *, mistake=None):
    """(S, S), True where j <= i; "inverted": True where j > i; "strict": where j < i."""
    diagonal = {None: 0, "strict": -1}.get(mistake, 0)
    lower = np.tril(np.ones((seq_len, seq_len), dtype=bool), k=diagonal)
    return ~lower if mistake == "inverted" else lower


def patchify(images, p, *, order="chw", by="rows"):
    """(B, C, H, W) -> (B, N, C * p * p); order="hwc" flattens each patch as (p, p, C),
    by="columns" takes the patches column by column."""
    B, C, H, W = images.shape
    grid = np.asarray(images).reshape(B, C, H // p, p, W // p, p)  # (B, C, H/p, p, W/p, p)
    rows = (2, 4) if by == "rows" else (4, 2)
    inner = (1, 3, 5) if order == "chw" else (3, 5, 1)
    return grid.transpose(0, *rows, *inner).reshape(B, -1, C * p * p)


def _linear(weights, name, t):
    return t @ np.asarray(weights[f"{name}.weight"]).T + np.asarray(weights[f"{name}.bias"])


def _norm(weights, name, t, eps=1e-5):
    centred = t - t.mean(axis=-1, keepdims=True)
    scaled = centred / np.sqrt((centred ** 2).mean(axis=-1, keepdims=True) + eps)
    return scaled * np.asarray(weights[f"{name}.weight"]) + np.asarray(weights[f"{name}.bias"])


def attention(weights, x, mask=None, *, heads, invert_mask=False):
    """Multi-head self-attention (B, S, D); mask True where attending is allowed."""
    B, S, D = x.shape
    q, k, v = (_linear(weights, n, x).reshape(B, S, heads, D // heads).transpose(0, 2, 1, 3)
               for n in ("query", "key", "value"))  # (B, nh, S, hd)
    scores = q @ k.transpose(0, 1, 3, 2) / math.sqrt(D // heads)  # (B, nh, S, S)
    if mask is not None:
        scores = np.where(np.asarray(mask) != invert_mask, scores, -np.inf)
    with np.errstate(invalid="ignore"):  # a row with every key hidden is NaN, as in torch
        probs = np.exp(scores - scores.max(axis=-1, keepdims=True))
        probs /= probs.sum(axis=-1, keepdims=True)
    return _linear(weights, "out", (probs @ v).transpose(0, 2, 1, 3).reshape(B, S, D))


def encoder_layer(weights, x, mask=None, *, heads, norm="post", relu=True, invert_mask=False):
    """The post-norm encoder layer; norm="pre": norm before each sublayer, norm="after": the
    residual added after the norm (x + norm(sublayer(x))); relu=False: no ReLU in the feed-forward."""
    def attend(t):
        return attention(weights, t, mask, heads=heads, invert_mask=invert_mask)

    def feed(t):
        hidden = _linear(weights, "linear1", t)
        return _linear(weights, "linear2", np.maximum(hidden, 0) if relu else hidden)

    def n1(t):
        return _norm(weights, "norm1", t)

    def n2(t):
        return _norm(weights, "norm2", t)

    x = np.asarray(x, dtype=float)
    if norm == "pre":
        h = x + attend(n1(x))
        return h + feed(n2(h))
    if norm == "after":
        h = x + n1(attend(x))
        return h + n2(feed(h))
    h = n1(x + attend(x))
    return n2(h + feed(h))


def vit_logits(weights, images, *, heads, patch_size, num_layers, order="chw", by="rows", exponent="2i",
               swapped=False, cls="front", pe="all", head="cls", **layer):
    """The vision transformer's logits (B, classes); cls="end": the class token appended after the
    patches (and read there), pe="patches": the encoding added to the patches only, head="mean":
    the head reads the mean of the tokens; `layer` switches a mistake of the encoder layer on."""
    patches = _linear(weights, "patch_embed.proj", patchify(images, patch_size, order=order, by=by))  # (B, N, d)
    B, N, d = patches.shape
    token = np.broadcast_to(np.asarray(weights["cls"]), (B, 1, d))
    encoding = positional_encoding(N + 1, d, exponent=exponent, swapped=swapped)
    if pe == "patches":
        x = np.concatenate([token, patches + encoding[:N]], axis=1)
    else:
        x = (np.concatenate([token, patches], axis=1) if cls == "front"
             else np.concatenate([patches, token], axis=1)) + encoding
    for i in range(num_layers):
        prefix = f"layers.{i}."
        x = encoder_layer({k[len(prefix):]: v for k, v in weights.items() if k.startswith(prefix)}, x,
                          heads=heads, **layer)
    state = x.mean(axis=1) if head == "mean" else x[:, -1] if cls == "end" else x[:, 0]
    return _linear(weights, "head", state)
