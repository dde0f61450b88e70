# %% [markdown]
# # Assignment 3: multi-head self-attention
#
# Build the attention layer of a transformer in PyTorch: scaled dot-product attention, the
# split of the hidden size into heads with `view` and `permute`, and the merge back.
# The grader compares your layer with PyTorch's own `nn.MultiheadAttention`, loaded with
# the same weights, on the CPU and on a GPU when there is one.
#
# Fill in every place marked `TODO(student)`, run the cell, then run the check cells below it.
# The checks grade the code you have run in this notebook, in the order you ran it.

# %%
# course: code imports

# %% [markdown]
# ## 1. Scaled dot-product attention
# For queries $Q$, keys $K$ and values $V$ with key size $d$:
#
# $$\text{Attention}(Q, K, V) = \text{softmax}\!\left(\frac{Q K^\top}{\sqrt{d}}\right) V .$$
#
# The scale is $1/\sqrt{d}$, not $1/d$. A boolean mask is `True` where attending is allowed;
# masked scores become $-\infty$ before the softmax, so their probabilities are exactly 0.

# %%
# course: code scaled_dot_product_attention

# %%
# course: check sdpa.no_mask

# %%
# course: check sdpa.mask

# %%
# course: check sdpa.masked_zero

# %% [markdown]
# ## 2. Heads: split, attend, merge
# With $n_h$ heads of size $h_d = H / n_h$, each head attends within its own slice of the
# features:
#
# `(B, S, H) -view-> (B, S, nh, hd) -permute(0, 2, 1, 3)-> (B, nh, S, hd)`
#
# and `merge_heads` undoes it. The layer computes
# $\text{out}(\text{merge}(\text{softmax}(q k^\top / \sqrt{h_d})\, v))$ with
# $q, k, v$ = `tp_attn` of the `query`, `key` and `value` projections of $x$.

# %%
# course: code MultiHeadSelfAttention

# %%
# course: check mhsa.init

# %%
# course: check mhsa.value_error

# %%
# course: check tp_attn.split

# %%
# course: check merge_heads.inverse

# %%
# course: check mhsa.no_mask

# %%
# course: check mhsa.padding_mask

# %%
# course: check mhsa.causal_mask

# %%
# course: check mhsa.gradients

# %% [markdown]
# ## 3. Dropout on the attention probabilities
# In training mode (`model.train()`) dropout zeroes probabilities with probability $p$ and
# scales the rest by $1/(1-p)$; in `model.eval()` it does nothing.

# %%
# course: check mhsa.dropout_eval

# %%
# course: check mhsa.dropout_train
