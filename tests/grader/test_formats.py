"""Gradescope, Markdown and HTML reports of real gradings: valid, self-contained, in both
languages, never leaking hidden checks, and rendered by headless Chromium."""
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import numpy as np
import pytest
from matplotlib.image import imread

from grader import course
from grader.formats import render
from grader.formats.escape import markdown
from grader.formats.gradescope import results
from grader.formats.view import HIDDEN_NOTICE
from grader.i18n import localized
from tests.support import corpus_of, grade, write_mutant

A1_MISTAKES, = corpus_of("assignment1", "MISTAKES")
A2_UNNAMED, = corpus_of("assignment2", "UNNAMED")
A3_MISTAKES, = corpus_of("assignment3", "MISTAKES")

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "grader" / "schemas" / "gradescope.schema.json").read_text())
MISTAKE = {"assignment1": A1_MISTAKES["bias_column_last"],
           "assignment2": A2_UNNAMED["train_learning_rate_too_small"],
           "assignment3": A3_MISTAKES["softmax_over_queries"]}
PICTURES = {"assignment1": 2, "assignment2": 2, "assignment3": 1}  # with the hidden checks shown
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=sorted(MISTAKE))
def graded(request, tmp_path_factory, data_dir):
    """(reference report, mistaken report) of one assignment."""
    aid = request.param
    folder = write_mutant(aid, MISTAKE[aid], tmp_path_factory.mktemp(aid) / "mistake")
    return grade(aid, course.get(aid).solution_dir, data_dir), grade(aid, folder, data_dir)


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_gradescope_results_validate_against_the_schema(graded, lang):
    for report in graded:
        found = json.loads(render(report, "gradescope", lang))
        jsonschema.validate(found, SCHEMA)
        assert found["score"] == report.score and found["extra_data"]["max_score"] == report.max_score
        assert [t["score"] for t in found["tests"]] == [c.points for c in report.checks]
        assert {t["visibility"] for t, c in zip(found["tests"], report.checks) if c.visibility == "hidden"} \
            == {"after_published"}
        assert all(t["status"] == ("passed" if c.passed else "failed") for t, c in zip(found["tests"], report.checks))


@pytest.mark.parametrize("broken", [
    {"status": "ok"}, {"visibility": "secret"}, {"score": "2"}, {"number": 1}, {"outptu": "typo"}])
def test_a_broken_gradescope_file_fails_the_schema(graded, broken):
    found = results(graded[1])
    found["tests"][0].update(broken)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(found, SCHEMA)


def test_writers_leave_the_report_and_the_points_unchanged(graded):
    for report in graded:
        before = report.to_dict()
        for fmt in ("gradescope", "markdown", "html"):
            render(report, fmt, "ko", show_hidden=True)
        assert report.to_dict() == before
        assert [c.points for c in localized(report, "ko").checks] == [c.points for c in report.checks]


def test_markdown_lists_every_check_and_hides_hidden_details(graded):
    reference, mistake = graded
    page = render(mistake, "markdown", "en")
    assert f"**total: {mistake.score:g} / {mistake.max_score:g}**" in page
    for check in mistake.checks:
        assert f"`{check.id}`" in page
        if check.visibility == "hidden" and not check.passed:
            assert markdown(check.message) not in page
    assert page.count(HIDDEN_NOTICE) == sum(c.visibility == "hidden" for c in mistake.checks)
    assert "총점" in render(reference, "markdown", "ko")


def test_html_is_self_contained_with_the_pictures_that_help(graded):
    reference, mistake = graded
    for report in graded:
        page = render(report, "html", "ko", show_hidden=True)
        assert "<script" not in page and not re.search(r'(src|href)="(?!data:image/png;base64,)', page)
        assert page.count('src="data:image/png;base64,') == PICTURES[report.assignment]
    visible = render(mistake, "html", "en")
    hidden_failures = [c for c in mistake.checks if c.visibility == "hidden" and not c.passed]
    assert all(c.message not in visible for c in hidden_failures)
    # before the grades are published, visible checks' data only: assignment 1 the fitted values of
    # linear_regression.weights, assignment 2 the training checks' loss curves and the ReLU check's
    # confusion matrix, assignment 3 the attention map of mhsa.no_mask
    assert visible.count("<img") == {"assignment1": 1, "assignment2": 2, "assignment3": 1}[mistake.assignment]


def screenshot(page: Path, png: Path, tmp_path: Path) -> subprocess.CompletedProcess:
    profile = tmp_path / f"profile-{png.stem}"
    profile.mkdir()
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--enable-logging=stderr", "--v=0", f"--user-data-dir={profile}", f"--screenshot={png}",
         "--window-size=1200,1600", page.as_uri()], capture_output=True, text=True, timeout=120)


@pytest.mark.skipif(not CHROMIUM and not os.environ.get("CI"),
                    reason="headless Chromium is not installed (apt-get install chromium); CI installs it")
def test_pages_render_in_headless_chromium_to_non_empty_screenshots(graded, tmp_path):
    for name, report in zip(("reference", "mistake"), graded):
        page = tmp_path / f"{report.assignment}-{name}.html"
        page.write_text(render(report, "html", "ko", show_hidden=True), encoding="utf-8")
        png = page.with_suffix(".png")
        run = screenshot(page, png, tmp_path)
        assert run.returncode == 0, run.stderr[-2000:]
        assert "CONSOLE" not in run.stderr and "Uncaught" not in run.stderr, run.stderr[-2000:]
        image = imread(png)
        assert image.shape[:2] == (1600, 1200)
        colours = np.unique((image[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)
        assert len(colours) > 50, f"{png.name} looks blank: {len(colours)} colours"
