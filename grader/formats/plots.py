"""The pictures of a feedback page, drawn from checks' diagnostics only, as PNG data URIs.

A check asks for a picture by recording its data under one of these kinds: `fitted_values`
({"target": [...], "fitted": [...]}: the values against the targets, and the diagonal),
`test_sample` ({"x": [...], "y": [...]}, with `weights` [bias, slope]: the points and the
line), `loss_history` (a list per training check: the curves), `confusion_matrix` (counts) and
`attention_head` (probabilities), both drawn as heat maps, `curves` ({label: [values]}: each
check's own named series against 0, 1, ..., e.g. a learning rate per epoch) and `image_grid`
({"images": rows of 2-D grey-level arrays, "labels": rows of captions}: e.g. digits beside their
nearest neighbours), both one picture per check that records them. Its texts may go beside them in
`picture_texts`: {kind: {"caption": ..., "x": ..., "y": ...}}, English that the assignment's
locales translate; without them a kind's generic texts are used. A page gets only the checks
it may show (`view.shown`), so before grades are published a hidden check adds no picture.
Axis labels are in the page's language where a font for it is installed, else English.
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

# The generic texts of each kind: (caption, x axis, y axis).
GENERIC = {
    "fitted_values": ("Your fitted values against the targets (on the diagonal: a perfect fit)",
                      "target y", "your fitted value"),
    "test_sample": ("Data and your fitted line", "x", "y"),
    "loss_history": ("Mean training loss per epoch", "epoch", "mean training loss"),
    "confusion_matrix": ("Confusion matrix (rows: true class, columns: predicted class)",
                         "predicted class", "true class"),
    "attention_head": ("Attention probabilities (rows: query position, columns: key position)",
                       "key position", "query position"),
    "curves": ("Values per epoch", "epoch", "value"),
    "image_grid": ("Images", "", ""),
}
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


def _said(lang: str):
    """A text as a picture says it: in `lang` where a font can write it, else in English."""
    return (lambda text: translate(text, lang)) if _fonts(lang) else (lambda text: text)


def _axes(fig: Figure, x: str, y: str, lang: str):
    """One set of axes with its labels, in `lang` where a font can write it."""
    ax = fig.subplots()
    said = _said(lang)
    ax.set(xlabel=said(x), ylabel=said(y))
    return ax


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def texts(check: CheckResult, kind: str) -> tuple[str, str, str]:
    """(caption, x label, y label) of `kind`'s picture: the check's own where it gave them
    (strings only: a report is data), else the kind's generic ones."""
    given = check.diagnostics.get("picture_texts")
    given = given.get(kind) if isinstance(given, dict) else None
    given = given if isinstance(given, dict) else {}
    return tuple(value if isinstance(value := given.get(key), str) and value else default
                 for key, default in zip(("caption", "x", "y"), GENERIC[kind]))


def fitted_values(check: CheckResult, lang: str = "en") -> str:
    """The student's fitted values against the targets, and the diagonal."""
    data = check.diagnostics["fitted_values"]
    target, fitted = np.asarray(data["target"], dtype=float), np.asarray(data["fitted"], dtype=float)
    _, x, y = texts(check, "fitted_values")
    with _figure((5, 4.5), lang) as fig:
        ax = _axes(fig, x, y, lang)
        ax.scatter(target, fitted, s=14, alpha=0.7, color="#4c72b0")
        ends = [min(target.min(), fitted.min()), max(target.max(), fitted.max())]
        ax.plot(ends, ends, color="#dd3333", linewidth=1.5)
        return _png(fig)


def fitted_line(check: CheckResult, lang: str = "en") -> str:
    """A sample of the data (x, y) and the student's line bias + slope * x."""
    sample, (bias, slope) = check.diagnostics["test_sample"], check.diagnostics["weights"]
    xs, ys = np.asarray(sample["x"], dtype=float), np.asarray(sample["y"], dtype=float)
    _, x, y = texts(check, "test_sample")
    with _figure((6, 4), lang) as fig:
        ax = _axes(fig, x, y, lang)
        ax.scatter(xs, ys, s=6, alpha=0.4, color="#4c72b0")
        line = np.linspace(min(0.0, xs.min(initial=0)), xs.max(initial=1), 50)
        ax.plot(line, bias + slope * line, color="#dd3333", linewidth=2)
        return _png(fig)


def loss_curves(checks: list[CheckResult], lang: str = "en") -> str:
    """Each training check's loss per epoch (a diverged one's gaps left open), labelled by its
    check id."""
    _, x, y = texts(checks[0], "loss_history")
    with _figure((6, 4), lang) as fig:
        ax = _axes(fig, x, y, lang)
        for check in checks:
            losses = np.array(check.diagnostics["loss_history"], dtype=float)  # null (NaN, inf in JSON): NaN
            ax.plot(range(1, len(losses) + 1), losses, marker="o", label=check.id)
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend()
        return _png(fig)


def heatmap(matrix, *, counts: bool, rows: str, columns: str, lang: str = "en") -> str:
    """A matrix with its values written in (a confusion matrix, an attention map)."""
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


def curves(check: CheckResult, lang: str = "en") -> str:
    """The check's named series, each against 0, 1, ..., with a legend."""
    _, x, y = texts(check, "curves")
    with _figure((6, 4), lang) as fig:
        ax = _axes(fig, x, y, lang)
        for label, values in check.diagnostics["curves"].items():
            values = np.array(values, dtype=float)  # null (NaN, inf in JSON): NaN
            ax.plot(range(len(values)), values, marker="o", markersize=3, label=_said(lang)(label))
        ax.xaxis.get_major_locator().set_params(integer=True)
        ax.legend()
        return _png(fig)


def image_grid(check: CheckResult, lang: str = "en") -> str:
    """Rows of small grey-level images, each with its caption above it (dark: high values)."""
    grid = check.diagnostics["image_grid"]
    rows, labels = grid["images"], grid.get("labels") or []
    columns = max(len(row) for row in rows)
    with _figure((1.1 * columns, 1.3 * len(rows)), lang) as fig:
        for (i, j), ax in np.ndenumerate(fig.subplots(len(rows), columns, squeeze=False)):
            ax.axis("off")
            if j < len(rows[i]):
                ax.imshow(np.asarray(rows[i][j], dtype=float), cmap="gray_r")
                label = labels[i][j] if i < len(labels) and j < len(labels[i]) else ""
                ax.set_title(_said(lang)(label) if isinstance(label, str) else "", fontsize=8)
        return _png(fig)


def _numbers(values) -> bool:
    """Whether `values` is a list of numbers (null, a NaN in JSON, allowed) with a finite one."""
    if not isinstance(values, (list, tuple)):
        return False
    numbers = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return len(numbers) + values.count(None) == len(values) and any(np.isfinite(numbers))


def _has_curves(check: CheckResult) -> bool:
    series = check.diagnostics.get("curves")
    return isinstance(series, dict) and bool(series) and all(
        isinstance(label, str) and _numbers(values) for label, values in series.items())


def _has_images(check: CheckResult) -> bool:
    """Whether the check recorded rows of 2-D arrays of numbers to draw."""
    grid = check.diagnostics.get("image_grid")
    rows = grid.get("images") if isinstance(grid, dict) else None
    if not isinstance(rows, list) or not rows or not all(isinstance(row, list) and row for row in rows):
        return False
    try:
        return all(np.asarray(image, dtype=float).ndim == 2 for row in rows for image in row)
    except (TypeError, ValueError):
        return False


def _has_losses(check: CheckResult) -> bool:
    """Whether the check recorded a loss history with a number to draw (null: a NaN in JSON)."""
    return _numbers(check.diagnostics.get("loss_history"))


def pictures(checks: list[CheckResult], lang: str = "en") -> list[tuple[str, str]]:
    """(English caption, data URI) for every picture these checks' diagnostics allow; give only
    the checks the page may show."""
    def first(kind):
        return next((c for c in checks if c.diagnostics.get(kind) is not None), None)
    found = []
    if check := first("fitted_values"):
        found.append((texts(check, "fitted_values")[0], fitted_values(check, lang)))
    if check := first("test_sample"):
        found.append((texts(check, "test_sample")[0], fitted_line(check, lang)))
    if trained := [c for c in checks if _has_losses(c)]:
        found.append((texts(trained[0], "loss_history")[0], loss_curves(trained, lang)))
    for kind, counts in (("confusion_matrix", True), ("attention_head", False)):
        if check := first(kind):
            caption, columns, rows = texts(check, kind)
            found.append((caption, heatmap(check.diagnostics[kind], counts=counts, rows=rows, columns=columns,
                                           lang=lang)))
    found += [(texts(c, "curves")[0], curves(c, lang)) for c in checks if _has_curves(c)]
    found += [(texts(c, "image_grid")[0], image_grid(c, lang)) for c in checks if _has_images(c)]
    return found
