"""The pictures of a feedback page, drawn from checks' diagnostics only, as PNG data URIs.

A page gets only the checks it may show (`view.shown`), so before grades are published each
assignment's picture comes from a visible check's data: assignment 1 the fitted values of
`linear_regression.weights`, assignment 2 the loss curves of the training checks, assignment 3
an attention map of `mhsa.no_mask`. The hidden ones (the Beijing test hours) add theirs once
shown. Axis labels are in the page's language where a font for it is installed, else English.
"""
from __future__ import annotations

import base64
import io
from contextlib import contextmanager
from functools import lru_cache

import matplotlib
import numpy as np
from matplotlib import font_manager
from matplotlib.figure import Figure

from grader.i18n import translate
from grader.report import CheckResult

FITTED_VALUES = ("Your fitted values against the targets of the check linear_regression.weights "
                 "(60 rows, 3 features; on the diagonal: a perfect fit)")
FITTED = "Test data and your fitted line (x: PM10, y: PM2.5; a sample of 400 test hours)"
LOSS = "Mean training loss per epoch"
CONFUSION = "Confusion matrix on the 10,000 test images (rows: true digit, columns: predicted digit)"
ATTENTION = "Attention probabilities of head 0 for the first sequence (rows: query position, columns: key position)"

TARGET, PREDICTION = "target y", "your fitted value"
EPOCH, MEAN_LOSS = "epoch", "mean training loss"
TRUE_DIGIT, PREDICTED_DIGIT = "true digit", "predicted digit"
QUERY, KEY = "query position", "key position"
AXIS_LABELS = (TARGET, PREDICTION, EPOCH, MEAN_LOSS, TRUE_DIGIT, PREDICTED_DIGIT, QUERY, KEY)

FONTS = {"ko": ("NanumGothic", "Noto Sans CJK KR", "Noto Sans KR", "Malgun Gothic", "AppleGothic")}


@lru_cache(maxsize=None)
def _fonts(lang: str) -> tuple[str, ...] | None:
    """The installed fonts that write `lang` (DejaVu Sans first, for digits and symbols);
    None when `lang` needs a font that is not installed."""
    if lang not in FONTS:
        return ("DejaVu Sans",)
    installed = {font.name for font in font_manager.fontManager.ttflist}
    found = tuple(name for name in FONTS[lang] if name in installed)
    return ("DejaVu Sans", *found) if found else None


@contextmanager
def _figure(size: tuple[float, float], lang: str):
    """A figure whose texts use the fonts of `lang` (fonts are chosen as texts are made)."""
    with matplotlib.rc_context({"font.family": list(_fonts(lang) or _fonts("en"))}):
        yield Figure(figsize=size)


def _axes(fig: Figure, x: str, y: str, lang: str):
    """One set of axes with its labels, in `lang` where a font can write it."""
    ax = fig.subplots()
    said = (lambda text: translate(text, lang)) if _fonts(lang) else (lambda text: text)
    ax.set(xlabel=said(x), ylabel=said(y))
    return ax


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def fitted_values(check: CheckResult, lang: str = "en") -> str:
    """Assignment 1, visible: the student's fitted values against the targets, and the diagonal."""
    data = check.diagnostics["fitted_values"]
    target, fitted = np.asarray(data["target"], dtype=float), np.asarray(data["fitted"], dtype=float)
    with _figure((5, 4.5), lang) as fig:
        ax = _axes(fig, TARGET, PREDICTION, lang)
        ax.scatter(target, fitted, s=14, alpha=0.7, color="#4c72b0")
        ends = [min(target.min(), fitted.min()), max(target.max(), fitted.max())]
        ax.plot(ends, ends, color="#dd3333", linewidth=1.5)
        return _png(fig)


def fitted_line(check: CheckResult, lang: str = "en") -> str:
    """Assignment 1, hidden: the sampled test hours (PM10, PM2.5) and the student's line."""
    sample, (bias, slope) = check.diagnostics["test_sample"], check.diagnostics["weights"]
    with _figure((6, 4), lang) as fig:
        ax = _axes(fig, "PM10", "PM2.5", lang)
        ax.scatter(sample["pm10"], sample["pm25"], s=6, alpha=0.4, color="#4c72b0")
        x = np.linspace(0, max(sample["pm10"], default=1), 50)
        ax.plot(x, bias + slope * x, color="#dd3333", linewidth=2)
        return _png(fig)


def loss_curves(checks: list[CheckResult], lang: str = "en") -> str:
    """Assignment 2: each training check's loss per epoch (a diverged one's gaps left open),
    labelled by its check id."""
    with _figure((6, 4), lang) as fig:
        ax = _axes(fig, EPOCH, MEAN_LOSS, lang)
        for check in checks:
            losses = np.array(check.diagnostics["loss_history"], dtype=float)  # null (NaN, inf in JSON): NaN
            ax.plot(range(1, len(losses) + 1), losses, marker="o", label=check.id)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend()
        return _png(fig)


def heatmap(matrix, *, counts: bool, rows: str, columns: str, lang: str = "en") -> str:
    """A matrix with its values written in (the confusion matrix, an attention map)."""
    matrix = np.asarray(matrix, dtype=float)
    with _figure((5.5, 5), lang) as fig:
        ax = _axes(fig, columns, rows, lang)
        image = ax.imshow(matrix, cmap="Blues")
        fig.colorbar(image, ax=ax, shrink=0.8)
        ax.set_xticks(range(matrix.shape[1]))
        ax.set_yticks(range(matrix.shape[0]))
        limit = np.nanmax(matrix, initial=0) / 2
        for (i, j), value in np.ndenumerate(matrix):
            text = f"{value:.0f}" if counts else f"{value:.2f}"
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color="white" if value > limit else "black")
        return _png(fig)


def _has_losses(check: CheckResult) -> bool:
    """Whether the check recorded a loss history with a number to draw (null: a NaN in JSON)."""
    losses = check.diagnostics.get("loss_history")
    if not isinstance(losses, (list, tuple)):
        return False
    numbers = [v for v in losses if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return len(numbers) + losses.count(None) == len(losses) and any(np.isfinite(numbers))


def pictures(checks: list[CheckResult], lang: str = "en") -> list[tuple[str, str]]:
    """(English caption, data URI) for every picture these checks' diagnostics allow; give only
    the checks the page may show."""
    def having(key):
        return [c for c in checks if c.diagnostics.get(key) is not None]
    found = []
    if having("fitted_values"):
        found.append((FITTED_VALUES, fitted_values(having("fitted_values")[0], lang)))
    if having("test_sample"):
        found.append((FITTED, fitted_line(having("test_sample")[0], lang)))
    trained = [c for c in checks if _has_losses(c)]
    if trained:
        found.append((LOSS, loss_curves(trained, lang)))
    if having("confusion_matrix"):
        found.append((CONFUSION, heatmap(having("confusion_matrix")[0].diagnostics["confusion_matrix"],
                                         counts=True, rows=TRUE_DIGIT, columns=PREDICTED_DIGIT, lang=lang)))
    if having("attention_head"):
        found.append((ATTENTION, heatmap(having("attention_head")[0].diagnostics["attention_head"],
                                         counts=False, rows=QUERY, columns=KEY, lang=lang)))
    return found
