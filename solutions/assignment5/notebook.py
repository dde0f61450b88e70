# %% [markdown]
# # Assignment 5: the transformer
#
# Build the parts of a transformer in PyTorch, then a vision transformer (ViT) that reads a
# digit as a sequence of patches: the sinusoidal positional encoding, the causal mask, the
# post-norm encoder layer of the original paper, the patches and their embedding, and the model.
# The grader compares your layer with PyTorch's own `nn.TransformerEncoderLayer` and your patch
# embedding with `nn.Conv2d`, loaded with the same weights, then trains your model.
#
# Fill in every place marked `TODO(student)`, run the cell, then run the check cells below it.
# The checks grade the code you have run in this notebook, in the order you ran it.

# %%
# course: code imports

# %% [markdown]
# ## 1. Positional encoding
# Attention alone does not know the order of its tokens; the encoding adds it:
#
# $$PE_{pos,\,2i} = \sin\!\left(\frac{pos}{10000^{2i/d}}\right), \qquad
# PE_{pos,\,2i+1} = \cos\!\left(\frac{pos}{10000^{2i/d}}\right).$$
#
# Columns $2i$ and $2i+1$ share one angle, whose exponent is $2i/d$ (not $i/d$); sin fills the
# even columns, cos the odd ones. The result is float32 and `d_model` must be even.

# %%
# course: code positional_encoding

# %%
# course: check positional_encoding.values

# %%
# course: check positional_encoding.odd

# %% [markdown]
# ## 2. The causal mask
# A decoder's position $i$ may attend to the positions $j \le i$ only, itself included:
# `True` on and below the diagonal (`True` = may attend, as in assignment 3).

# %%
# course: code causal_mask

# %%
# course: check causal_mask.values

# %% [markdown]
# ## 3. The encoder layer (post-norm)
# $$h = \text{LayerNorm}_1\big(x + \text{Attention}(x)\big), \qquad
# \text{out} = \text{LayerNorm}_2\big(h + W_2\,\text{ReLU}(W_1 h + b_1) + b_2\big)$$
#
# Each sublayer's output is added to its input, and the *sum* is normalised (post-norm). The
# attention is assignment 3's multi-head self-attention, written here again with
# `query`, `key`, `value` and `out`. Dropout acts in training mode only.

# %%
# course: code TransformerEncoderLayer

# %%
# course: check encoder.init

# %%
# course: check encoder.value_error

# %%
# course: check encoder.no_mask

# %%
# course: check encoder.padding_mask

# %%
# course: check encoder.causal_mask

# %%
# course: check encoder.gradients

# %% [markdown]
# ## 4. Patches
# A ViT cuts an image $(C, H, W)$ into $N = (H/p)(W/p)$ patches of $p \times p$, each flattened
# in $(C, p, p)$ order, row by row: patch $(r, c)$ is number $r \cdot W/p + c$. A linear layer on
# the flattened patches is a convolution with kernel $p$ and stride $p$.

# %%
# course: code patchify

# %%
# course: check patchify.values

# %%
# course: check patchify.indivisible

# %%
# course: code PatchEmbedding

# %%
# course: check patch_embedding.conv

# %% [markdown]
# ## 5. The vision transformer
# A learned class token goes in front of the $N$ patch embeddings, the positional encoding is
# added to all $N + 1$ tokens, the encoder layers run, and the head reads the class token's final
# state (position 0). The grader then trains your model with its own loop on 256 MNIST digits.

# %%
# course: code VisionTransformer

# %%
# course: check vit.logits

# %%
# course: check vit.learns
