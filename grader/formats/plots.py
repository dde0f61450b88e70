"""The pictures of a feedback page, drawn from checks' diagnostics only, as PNG data URIs.

The images hold numbers and symbols only; their words are captions in the page's language.
"""
from __future__ import annotations

import base64
import io

import numpy as np
from matplotlib.figure import Figure

from grader.report import CheckResult

FITTED = "Test data and your fitted line (x: PM10, y: PM2.5; a sample of 400 test hours)"
LOSS = "Mean training loss per epoch"
CONFUSION = "Confusion matrix on the 10,000 test images (rows: true digit, columns: predicted digit)"
ATTENTION = "Attention probabilities of head 0 for the first sequence (rows: query position, columns: key position)"


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def fitted_line(check: CheckResult) -> str:
    """Assignment 1: the sampled test hours (PM10, PM2.5) and the student's line."""
    sample, (bias, slope) = check.diagnostics["test_sample"], check.diagnostics["weights"]
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    ax.scatter(sample["pm10"], sample["pm25"], s=6, alpha=0.4, color="#4c72b0")
    x = np.linspace(0, max(sample["pm10"], default=1), 50)
    ax.plot(x, bias + slope * x, color="#dd3333", linewidth=2)
    ax.set(xlabel="PM10", ylabel="PM2.5")
    return _png(fig)


def loss_curves(checks: list[CheckResult]) -> str:
    """Assignment 2: each training check's loss per epoch, labelled by its activation."""
    fig = Figure(figsize=(6, 4))
    ax = fig.subplots()
    for check in checks:
        losses = check.diagnostics["loss_history"]
        ax.plot(range(1, len(losses) + 1), losses, marker="o", label=check.id.split(".")[-1])
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.legend()
    return _png(fig)


def heatmap(matrix, *, counts: bool) -> str:
    """A matrix with its values written in (the confusion matrix, an attention map)."""
    matrix = np.asarray(matrix, dtype=float)
    fig = Figure(figsize=(5.5, 5))
    ax = fig.subplots()
    image = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(image, ax=ax, shrink=0.8)
    ax.set_xticks(range(matrix.shape[1]))
    ax.set_yticks(range(matrix.shape[0]))
    limit = np.nanmax(matrix, initial=0) / 2
    for (i, j), value in np.ndenumerate(matrix):
        text = f"{value:.0f}" if counts else f"{value:.2f}"
        ax.text(j, i, text, ha="center", va="center", fontsize=7, color="white" if value > limit else "black")
    return _png(fig)


def pictures(checks: list[CheckResult]) -> list[tuple[str, str]]:
    """(English caption, data URI) for every picture these checks' diagnostics allow."""
    def having(key):
        return [c for c in checks if c.diagnostics.get(key) is not None]
    found = []
    if having("test_sample"):
        found.append((FITTED, fitted_line(having("test_sample")[0])))
    trained = having("confusion_matrix")  # the checks that train at the defaults
    if [c for c in trained if c.diagnostics.get("loss_history")]:
        found.append((LOSS, loss_curves([c for c in trained if c.diagnostics.get("loss_history")])))
    if trained:
        found.append((CONFUSION, heatmap(trained[0].diagnostics["confusion_matrix"], counts=True)))
    if having("attention_head"):
        found.append((ATTENTION, heatmap(having("attention_head")[0].diagnostics["attention_head"], counts=False)))
    return found
