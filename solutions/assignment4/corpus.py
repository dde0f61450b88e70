"""Assignment 4's mutation corpus, for `course selftest` and the tests: `MISTAKES`, one
submission per known mistake of the rubric's catalogue (named by the mistake's id; `breaks`
lists exactly the checks it must fail); `CORRECT` variants that must get full marks, each an
edit of the reference solution."""

from grader.selftest.mutants import Mutant

# An edit at the end of a function leaves out the final newline: a notebook cell's last line has none.
L1_BODY = ("    D = np.empty((len(A), len(B)))  # (n, m)\n    diff = np.empty(B.shape)  # (m, d), reused: one row of "
           "A at a time, never (n, m, d)\n    for i, a in enumerate(A):\n        np.subtract(B, a, out=diff)\n"
           "        np.abs(diff, out=diff).sum(axis=1, out=D[i])\n    return D")
L2_BODY = ("    squared = (A ** 2).sum(axis=1)[:, None] + (B ** 2).sum(axis=1) - 2 * A @ B.T  # (n, m)\n"
           "    return np.sqrt(np.maximum(squared, 0))")
VOTE = "        return np.array([np.bincount(labels).argmax() for labels in self.y_train[nearest]])"
SCALED = "    return (X_train - mean) / std, (X_test - mean) / std"
LOG_PROBS = ("    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, C)\n"
             "    loss = -log_probs[np.arange(N), y].mean() + reg * np.sum(W * W)\n"
             "    dscores = np.exp(log_probs)\n")
EPOCH = ("    for epoch in range(epochs):\n        lr_e = lr_at(schedule, lr, epoch, epochs)\n"
         "        order = rng.permutation(len(X))\n")
BATCHES = ("        for start in range(0, len(X), batch_size):\n            batch = order[start:start + batch_size]\n"
           "            loss, dW = softmax_loss(W, X[batch], y[batch], reg)\n            W -= lr_e * dW\n"
           "            total += loss * len(batch)\n        history[\"loss\"].append(total / len(X))\n")
L1_CHECKS = frozenset({"l1_distances.values", "l1_distances.mnist", "distances.independent"})
LOOP_CHECKS = frozenset({"train_sgd.loop", "train_sgd.reference"})

MISTAKES = {
    "l1_abs_of_sum": Mutant(
        (("np.abs(diff, out=diff).sum(axis=1, out=D[i])", "D[i] = np.abs(diff.sum(axis=1))"),),
        L1_CHECKS | {"knn.mnist"}),
    "distances_full_broadcast": Mutant(  # fine on small inputs, 6 GB on 500 x 2,000 MNIST rows
        ((L1_BODY, "    return np.abs(A[:, None, :] - B[None, :, :]).sum(axis=2)"),),
        frozenset({"l1_distances.mnist", "distances.independent"})),
    "l2_without_sqrt": Mutant(
        (("return np.sqrt(np.maximum(squared, 0))", "return np.maximum(squared, 0)"),),
        frozenset({"l2_distances.values", "l2_distances.identical_rows", "distances.independent"})),
    "l2_not_clipped": Mutant(
        (("return np.sqrt(np.maximum(squared, 0))", "return np.sqrt(squared)"),),
        frozenset({"l2_distances.identical_rows"})),
    "l2_distances_too_slow": Mutant(  # the L1 loop, squared: right values, 20 x the time or more
        ((L2_BODY, "    D = np.empty((len(A), len(B)))\n    for i, a in enumerate(A):\n"
                   "        D[i] = np.sqrt(((B - a) ** 2).sum(axis=1))\n    return D"),),
        frozenset({"l2_distances.speed"})),
    "knn_tie_to_largest_label": Mutant(
        (("np.bincount(labels).argmax()", "len(np.bincount(labels)) - 1 - np.bincount(labels)[::-1].argmax()"),),
        frozenset({"knn.ties", "knn.mnist"})),
    "knn_tie_to_nearest_label": Mutant(
        (("import math\n", "import math\nfrom collections import Counter\n"),
         ("np.bincount(labels).argmax()", "Counter(labels.tolist()).most_common(1)[0][0]")),
        frozenset({"knn.ties", "knn.mnist"})),
    "standardize_test_with_own_statistics": Mutant(
        ((SCALED, "    return (X_train - mean) / std, (X_test - X_test.mean(axis=0)) / X_test.std(axis=0)"),),
        frozenset({"standardize.values"})),
    "standardize_divides_by_zero_deviation": Mutant(
        (("    std = np.where(std < 1e-12, 1.0, std)\n", ""),),
        frozenset({"standardize.values"})),
    "standardize_in_place": Mutant(
        ((SCALED, "    X_train -= mean\n    X_train /= std\n    X_test -= mean\n    X_test /= std\n"
                  "    return X_train, X_test"),),
        frozenset({"standardize.inputs_unchanged"})),
    "softmax_loss_summed": Mutant(  # the loss alone: summed with dW too, training still reaches 0.908
        (("-log_probs[np.arange(N), y].mean()", "-log_probs[np.arange(N), y].sum()"),),
        frozenset({"softmax_loss.values", "softmax_loss.stable", "softmax_loss.independent"})),
    "reg_gradient_without_factor_2": Mutant(
        (("X.T @ dscores / N + 2 * reg * W", "X.T @ dscores / N + reg * W"),),
        frozenset({"softmax_loss.values", "softmax_loss.gradient", "softmax_loss.independent"})),
    "softmax_loss_without_max": Mutant(
        (("    shifted = scores - scores.max(axis=1, keepdims=True)\n", "    shifted = scores\n"),),
        frozenset({"softmax_loss.stable"})),
    "softmax_loss_log_of_clipped_probability": Mutant(
        (("    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # (N, C)\n",
          "    log_probs = np.log(np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True) + 1e-12)\n"),),
        frozenset({"softmax_loss.values", "softmax_loss.stable", "softmax_loss.independent"})),
    "step_schedule_off_by_one": Mutant(
        (("gamma ** (epoch // step_size)", "gamma ** ((epoch + 1) // step_size)"),),
        frozenset({"lr_at.schedules", "lr_at.pytorch"})),
    "same_shuffle_every_epoch": Mutant(
        ((EPOCH, "    order = rng.permutation(len(X))  # drawn once\n    for epoch in range(epochs):\n"
                 "        lr_e = lr_at(schedule, lr, epoch, epochs)\n"),),
        LOOP_CHECKS),
    "schedule_over_steps": Mutant(  # cosine annealed over the steps, as a per-batch scheduler does
        (('    history = {"loss": [], "lr": []}\n', '    history = {"loss": [], "lr": []}\n'
                                                  "    steps, step = epochs * math.ceil(len(X) / batch_size), 0\n"),
         ("            W -= lr_e * dW\n", "            lr_e = lr_at(schedule, lr, step, steps)\n"
                                        "            step += 1\n            W -= lr_e * dW\n")),
        LOOP_CHECKS),
    "epoch_loss_unweighted": Mutant(
        (("total += loss * len(batch)", "total += loss"),
         ('history["loss"].append(total / len(X))', 'history["loss"].append(total / math.ceil(len(X) / batch_size))')),
        frozenset({"train_sgd.loop"})),
    "last_batch_dropped": Mutant(
        (("range(0, len(X), batch_size)", "range(0, len(X) - batch_size + 1, batch_size)"),),
        LOOP_CHECKS),
}

CORRECT = {
    "l1_row_loop_allocating": Mutant(  # the textbook's loop: a new (m, d) array per row, 3 x the reference's time
        ((L1_BODY, "    D = np.empty((len(A), len(B)))\n    for i, a in enumerate(A):\n"
                   "        D[i] = np.abs(B - a).sum(axis=1)\n    return D"),),
        frozenset()),
    "einsum_norms_and_add_at_gradient": Mutant(
        (("(A ** 2).sum(axis=1)[:, None] + (B ** 2).sum(axis=1)",
          'np.einsum("ij,ij->i", A, A)[:, None] + np.einsum("ij,ij->i", B, B)[None, :]'),
         ("    dscores[np.arange(N), y] -= 1\n", "    np.add.at(dscores, (np.arange(N), y), -1)\n")),
        frozenset()),
    "l1_in_chunks_and_a_vectorised_vote": Mutant(
        ((L1_BODY, "    D = np.empty((len(A), len(B)))\n"
                   "    chunk = max(1, 2 ** 24 // max(1, B.size))  # rows of A per (chunk, m, d) block, 128 MB\n"
                   "    for start in range(0, len(A), chunk):\n"
                   "        D[start:start + chunk] = np.abs(A[start:start + chunk, None, :] - B[None, :, :]).sum(axis=2)\n"
                   "    return D"),
         (VOTE, "        labels = self.y_train[nearest]  # (n, k)\n"
                "        counts = (labels[:, :, None] == np.arange(labels.max() + 1)).sum(axis=1)  # (n, C)\n"
                "        return counts.argmax(axis=1)")),
        frozenset()),
    "loops_over_columns_and_probabilities": Mutant(
        ((L1_BODY, "    D = np.empty((len(A), len(B)))\n    for j, b in enumerate(B):  # one column of D at a time\n"
                   "        D[:, j] = np.abs(A - b).sum(axis=1)\n    return D"),
         (LOG_PROBS, "    probs = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)  # (N, C)\n"
                     "    loss = -np.log(probs[np.arange(N), y]).mean() + reg * np.sum(W * W)\n"
                     "    dscores = probs.copy()\n"),
         ("    std = np.where(std < 1e-12, 1.0, std)\n", "    std[std < 1e-12] = 1.0\n"),
         ("base_lr * (1 + math.cos(math.pi * epoch / total_epochs)) / 2",
          "0.5 * base_lr * (1 + np.cos(np.pi * epoch / total_epochs))"),
         (BATCHES, "        losses, sizes = [], []\n        for b in range(math.ceil(len(X) / batch_size)):\n"
                   "            batch = order[b * batch_size:(b + 1) * batch_size]\n"
                   "            loss, dW = softmax_loss(W, X[batch], y[batch], reg)\n"
                   "            W = W - lr_e * dW\n            losses.append(loss)\n            sizes.append(len(batch))\n"
                   "        history[\"loss\"].append(float(np.average(losses, weights=sizes)))\n")),
        frozenset()),
}
