# %% [markdown]
# # Assignment 1: linear regression with the normal equation
#
# Predict the PM2.5 concentration from PM10 on the Beijing multi-site air-quality data
# (12 stations, hourly, 2013-2017). You will drop missing rows, split the data by hand,
# fold the bias into the weights, solve the normal equation and measure the fit.
#
# Fill in every cell marked `TODO(student)`, run it, then run the check cell below it.
# The checks grade the code you have run in this notebook, in the order you ran it.

# %%
# course: code imports

# %% [markdown]
# ## 1. Missing values
# The station files mark missing measurements as `NA`. Keep only the rows where both
# PM10 and PM2.5 were measured; keep the other columns and the row order.

# %%
# course: code drop_missing

# %%
# course: check drop_missing.rows

# %%
# course: check drop_missing.columns

# %%
# course: check drop_missing.input_unchanged

# %% [markdown]
# ## 2. A train/test split by hand
# Shuffle the row indices with `np.random.default_rng(seed)`, put the first
# $n_{test} = \lceil n \cdot \text{test\_size} \rceil$ rows in the test part and the rest in the
# training part. Each row of $X$ must stay with its $y$.

# %%
# course: code train_test_split

# %%
# course: check train_test_split.sizes

# %%
# course: check train_test_split.partition

# %%
# course: check train_test_split.shuffled

# %%
# course: check train_test_split.seeded

# %% [markdown]
# ## 3. The bias trick and the normal equation
# With a column of ones in front, $X_b = [\mathbf{1}, X]$, the model $\hat y = X_b w$ has the
# bias as $w_0$. The least-squares weights solve the normal equation
#
# $$X_b^\top X_b \, w = X_b^\top y \quad\Rightarrow\quad w = (X_b^\top X_b)^{-1} X_b^\top y .$$

# %%
# course: code add_bias

# %%
# course: check add_bias.matrix

# %%
# course: check add_bias.vector

# %%
# course: code LinearRegression

# %%
# course: check linear_regression.weights

# %%
# course: check linear_regression.fit_returns_self

# %%
# course: check linear_regression.predict

# %%
# course: check linear_regression.predict_before_fit

# %% [markdown]
# ## 4. How good is the fit?
# $\text{MAE} = \frac1n\sum|y-\hat y|$, $\text{MSE} = \frac1n\sum(y-\hat y)^2$,
# $\text{RMSE} = \sqrt{\text{MSE}}$, $R^2 = 1 - \frac{\sum(y-\hat y)^2}{\sum(y-\bar y)^2}$.

# %%
# course: code mae

# %%
# course: code mse

# %%
# course: code rmse

# %%
# course: code r2_score

# %%
# course: check metrics.mae

# %%
# course: check metrics.mse

# %%
# course: check metrics.rmse

# %%
# course: check metrics.r2_score

# %% [markdown]
# ## 5. On the real data
# The grader fits your `LinearRegression` on 80% of the 12-station data (PM10 -> PM2.5) and
# measures $R^2$ on the rest with your weights. A correct solution reaches about 0.78.

# %%
# course: check end_to_end.r2
