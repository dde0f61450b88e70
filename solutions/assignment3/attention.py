"""Reference solution for assignment 3: multi-head self-attention."""
import math

import torch
from torch import nn


def scaled_dot_product_attention(q, k, v, mask=None):
    scores = (q / math.sqrt(q.size(-1))) @ k.transpose(-2, -1)  # (..., S_q, S_k)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    probs = torch.softmax(scores, dim=-1)
    return probs @ v, probs  # (..., S_q, d_v), (..., S_q, S_k)


class MultiHeadSelfAttention(nn.Module):
    def __init__(self, hidden_size, num_heads, dropout=0.0):
        super().__init__()
        if hidden_size % num_heads != 0:
            raise ValueError(f"hidden_size {hidden_size} is not a multiple of num_heads {num_heads}")
        self.num_heads = num_heads
        self.attn_head_size = hidden_size // num_heads
        self.query = nn.Linear(hidden_size, hidden_size)
        self.key = nn.Linear(hidden_size, hidden_size)
        self.value = nn.Linear(hidden_size, hidden_size)
        self.out = nn.Linear(hidden_size, hidden_size)
        self.dropout = nn.Dropout(dropout)

    def tp_attn(self, x):
        B, S, _ = x.shape
        x = x.view(B, S, self.num_heads, self.attn_head_size)  # (B, S, nh, hd)
        return x.permute(0, 2, 1, 3)  # (B, nh, S, hd)

    def merge_heads(self, x):
        B, _, S, _ = x.shape
        return x.permute(0, 2, 1, 3).reshape(B, S, -1)  # (B, S, nh * hd)

    def forward(self, x, attention_mask=None):
        q, k, v = (self.tp_attn(layer(x)) for layer in (self.query, self.key, self.value))
        attended, probs = scaled_dot_product_attention(q, k, v, attention_mask)  # (B, nh, S, hd), (B, nh, S, S)
        if self.training and self.dropout.p > 0:  # dropout acts on the probabilities that multiply v
            probs = self.dropout(probs)
            attended = probs @ v
        return self.out(self.merge_heads(attended)), probs
