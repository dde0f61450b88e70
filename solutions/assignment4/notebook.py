# %% [markdown]
# # Assignment 4: k-nearest neighbours and a softmax linear classifier
#
# Two classifiers of MNIST digits in NumPy: k-nearest neighbours, which only remembers the
# training images and votes among the nearest, and a linear classifier $S = XW$ trained by
# mini-batch SGD on the softmax cross-entropy, with a learning-rate schedule.
# Images are flattened to 784 pixels in [0, 1]; labels are integers 0..9.
#
# Fill in every function marked `TODO(student)`, run the cell, then run the check cells below.
# The checks grade the code you have run in this notebook, in the order you ran it.

# %%
# course: code imports

# %% [markdown]
# ## 1. Distances
# $D^{(1)}_{ij} = \sum_k |A_{ik} - B_{jk}|$ may loop over the rows of $A$: a full broadcast builds an
# $(n, m, d)$ array, 6 GB for 500 x 2,000 MNIST rows. The Euclidean distances need no loop:
# $D^{(2)}_{ij} = \sqrt{\|A_i\|^2 + \|B_j\|^2 - 2 A_i \cdot B_j}$, clipped at 0 before the root.

# %%
# course: code l1_distances

# %%
# course: check l1_distances.values

# %%
# course: check l1_distances.mnist

# %%
# course: code l2_distances

# %%
# course: check l2_distances.values

# %%
# course: check l2_distances.identical_rows

# %%
# course: check l2_distances.speed

# %%
# course: check distances.independent

# %% [markdown]
# ## 2. k-nearest neighbours
# The most common label among the $k$ nearest training rows; ties in distance go to the lower
# training index (a stable sort), ties in the vote to the smallest label.

# %%
# course: code KNearestNeighbor

# %%
# course: check knn.misuse

# %%
# course: check knn.ties

# %%
# course: check knn.mnist

# %% [markdown]
# ## 3. Standardisation
# Both sets are scaled with the *training* set's per-feature mean and standard deviation: at test
# time there is one image at a time, and it has no statistics of its own.

# %%
# course: code standardize

# %%
# course: check standardize.values

# %%
# course: check standardize.inputs_unchanged

# %% [markdown]
# ## 4. The softmax loss
# $L = -\frac1N \sum_i \log P_{i, y_i} + \lambda \sum W^2$ with $P = \text{softmax}(XW)$ by rows, and
# $\frac{\partial L}{\partial W} = X^\top (P - Y)/N + 2\lambda W$. Subtract each row's maximum
# score and take $\log P$ by log-sum-exp, so that scores of $10^4$ stay finite.

# %%
# course: code softmax_loss

# %%
# course: check softmax_loss.values

# %%
# course: check softmax_loss.gradient

# %%
# course: check softmax_loss.stable

# %%
# course: check softmax_loss.independent

# %% [markdown]
# ## 5. Learning-rate schedules and SGD
# Constant, step ($\eta\,\gamma^{\lfloor e / s \rfloor}$) and cosine
# ($\eta\,(1 + \cos(\pi e / T))/2$), one rate per epoch $e$ counted from 0. `train_sgd` draws a new
# order of the rows every epoch and walks it in batches. The grader then standardises MNIST,
# trains with your `train_sgd` at its defaults and measures the test accuracy itself: at least 0.90.

# %%
# course: code lr_at

# %%
# course: check lr_at.schedules

# %%
# course: check lr_at.pytorch

# %%
# course: code train_sgd

# %%
# course: check train_sgd.loop

# %%
# course: check train_sgd.reference

# %%
# course: check train_sgd.mnist
