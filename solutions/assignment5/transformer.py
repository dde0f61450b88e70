"""Reference solution for assignment 5: the transformer encoder and a vision transformer."""
import math

import torch
from torch import nn


def positional_encoding(seq_len, d_model):
    if d_model % 2:
        raise ValueError(f"d_model must be even, found {d_model}")
    position = torch.arange(seq_len, dtype=torch.float64)[:, None]  # (S, 1)
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)  # (d_model / 2,)
    angles = position / 10000 ** (two_i / d_model)  # (S, d_model / 2)
    pe = torch.empty(seq_len, d_model, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angles)
    pe[:, 1::2] = torch.cos(angles)
    return pe.float()


def causal_mask(seq_len, device=None):
    return torch.ones(seq_len, seq_len, dtype=torch.bool, device=device).tril()


class TransformerEncoderLayer(nn.Module):
    def __init__(self, d_model, num_heads, d_ff, dropout=0.0):
        super().__init__()
        if d_model % num_heads:
            raise ValueError(f"d_model {d_model} is not a multiple of num_heads {num_heads}")
        self.num_heads = num_heads
        self.query, self.key, self.value, self.out = (nn.Linear(d_model, d_model) for _ in range(4))
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.norm1 = nn.LayerNorm(d_model)
        self.norm2 = nn.LayerNorm(d_model)
        self.dropout = nn.Dropout(dropout)

    def attention(self, x, mask=None):
        B, S, D = x.shape
        q, k, v = (layer(x).view(B, S, self.num_heads, -1).transpose(1, 2)  # (B, nh, S, hd)
                   for layer in (self.query, self.key, self.value))
        scores = q @ k.transpose(-2, -1) / math.sqrt(q.size(-1))  # (B, nh, S, S)
        if mask is not None:
            scores = scores.masked_fill(~mask, float("-inf"))
        probs = self.dropout(torch.softmax(scores, dim=-1))
        return self.out((probs @ v).transpose(1, 2).reshape(B, S, D))  # (B, S, d_model)

    def forward(self, x, mask=None):
        h = self.norm1(x + self.dropout(self.attention(x, mask)))
        return self.norm2(h + self.dropout(self.linear2(self.dropout(torch.relu(self.linear1(h))))))


def patchify(images, patch_size):
    B, C, H, W = images.shape
    p = patch_size
    if H % p or W % p:
        raise ValueError(f"the image size {H}x{W} is not divisible by the patch size {p}")
    patches = images.reshape(B, C, H // p, p, W // p, p)  # (B, C, H/p, p, W/p, p)
    return patches.permute(0, 2, 4, 1, 3, 5).reshape(B, (H // p) * (W // p), C * p * p)  # (B, N, C*p*p)


class PatchEmbedding(nn.Module):
    def __init__(self, in_channels, patch_size, d_model):
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Linear(in_channels * patch_size * patch_size, d_model)

    def forward(self, images):
        return self.proj(patchify(images, self.patch_size))  # (B, N, d_model)


class VisionTransformer(nn.Module):
    def __init__(self, image_size=28, patch_size=7, in_channels=1, d_model=64, num_heads=4, d_ff=128,
                 num_layers=2, num_classes=10):
        super().__init__()
        self.patch_embed = PatchEmbedding(in_channels, patch_size, d_model)
        self.cls = nn.Parameter(torch.zeros(1, 1, d_model))
        self.layers = nn.ModuleList(TransformerEncoderLayer(d_model, num_heads, d_ff) for _ in range(num_layers))
        self.head = nn.Linear(d_model, num_classes)

    def forward(self, images):
        patches = self.patch_embed(images)  # (B, N, d_model)
        x = torch.cat([self.cls.expand(len(images), -1, -1), patches], dim=1)  # (B, N + 1, d_model)
        x = x + positional_encoding(x.size(1), x.size(2)).to(x)
        for layer in self.layers:
            x = layer(x)
        return self.head(x[:, 0])  # (B, num_classes)
