# %% [markdown]
# # Assignment 2: a two-layer network with hand-written backpropagation
#
# Classify MNIST digits with a two-layer network written in NumPy only:
#
# $$\hat Y = \text{softmax}\big(\text{act}(X W_1 + b_1)\, W_2 + b_2\big), \qquad
# \text{act} \in \{\text{ReLU}, \text{sigmoid}\},$$
#
# trained by mini-batch SGD on the mean cross-entropy, with gradients you derive and code
# yourself. Images are flattened to 784 pixels scaled to [0, 1]; labels are one-hot.
#
# Fill in every function marked `TODO(student)`, run the cell, then run the check cells below.
# The checks grade the code you have run in this notebook, in the order you ran it.

# %%
# course: code imports

# %% [markdown]
# ## 1. Initialisation
# Xavier (Glorot) uniform: $W \sim U(-l, l)$ with $l = \sqrt{6 / (n_{in} + n_{out})}$,
# drawn from the generator you are given; biases start at zero.

# %%
# course: code xavier_uniform

# %%
# course: check xavier_uniform.bounds

# %%
# course: check xavier_uniform.spread

# %%
# course: check xavier_uniform.generator

# %%
# course: code init_params

# %%
# course: check init_params.shapes

# %%
# course: check init_params.seeded

# %% [markdown]
# ## 2. Activations, softmax and the loss
# $\sigma(x) = 1/(1+e^{-x})$ must not overflow for $|x|$ up to $10^4$;
# $\text{ReLU}(x) = \max(x, 0)$. The softmax subtracts each row's maximum first,
# $\text{softmax}(z)_i = e^{z_i - \max z} / \sum_j e^{z_j - \max z}$, which changes nothing
# mathematically and keeps $e^{z}$ finite. The loss is
# $L = -\frac1N \sum_n \sum_c Y_{nc} \log \hat Y_{nc}$, finite even when a probability is 0.

# %%
# course: code sigmoid

# %%
# course: code relu

# %%
# course: check sigmoid.values

# %%
# course: check sigmoid.stable

# %%
# course: check relu.values

# %%
# course: code softmax

# %%
# course: check softmax.values

# %%
# course: check softmax.stable

# %%
# course: code cross_entropy

# %%
# course: check cross_entropy.values

# %%
# course: check cross_entropy.zero_probability

# %% [markdown]
# ## 3. Forward and backward
# Forward: $z_1 = X W_1 + b_1$, $a_1 = \text{act}(z_1)$, $z_2 = a_1 W_2 + b_2$, $\hat Y = \text{softmax}(z_2)$.
#
# Backward, for the mean cross-entropy over a batch of $N$:
# $\frac{\partial L}{\partial z_2} = (\hat Y - Y)/N$,
# $\frac{\partial L}{\partial W_2} = a_1^\top \frac{\partial L}{\partial z_2}$,
# $\frac{\partial L}{\partial b_2} = \sum_n \frac{\partial L}{\partial z_2}$,
# $\frac{\partial L}{\partial z_1} = \frac{\partial L}{\partial z_2} W_2^\top \odot \text{act}'(z_1)$
# with $\sigma'(z) = \sigma(z)(1-\sigma(z))$ and $\text{ReLU}'(z) = [z > 0]$, then
# $\frac{\partial L}{\partial W_1} = X^\top \frac{\partial L}{\partial z_1}$,
# $\frac{\partial L}{\partial b_1} = \sum_n \frac{\partial L}{\partial z_1}$.
# `course_lib.gradcheck` compares your gradients with centred finite differences.

# %%
# course: code forward

# %%
# course: check forward.keys_shapes

# %%
# course: check forward.values

# %%
# course: code backward

# %%
# course: check backward.finite_differences

# %%
# course: check backward.reference

# %%
# course: code predict

# %%
# course: check predict.labels

# %% [markdown]
# ## 4. Training on MNIST
# Mini-batch SGD, reshuffled every epoch, at the defaults (128 hidden units, 10 epochs,
# batches of 128, learning rate 0.1). The grader trains your network itself and measures the
# test accuracy with its own forward pass: at least 0.95 with ReLU and 0.90 with sigmoid.

# %%
# course: code train

# %%
# course: check train.history

# %%
# course: check train.relu

# %%
# course: check train.sigmoid
