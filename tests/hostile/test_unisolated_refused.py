"""Without bubblewrap a submission runs as the grader's user: it could rewrite the reference
and every later honest student would lose points. Grading someone else's code that way is
refused unless the instructor opts out; one's own code (`course check`, the working copy,
the reference) needs no isolation."""
from __future__ import annotations

import hashlib
import json

import pytest
from click.testing import CliRunner

import grader
from grader import cluster
from grader.cli import cli
from tests.hostile.corpus import A1

REFERENCE = A1.solution_dir / "linear_regression.py"
REWRITER = f'''
with open({str(REFERENCE)!r}, "a") as f:
    f.write("\\nraise SystemExit('the reference was rewritten by a submission')\\n")
'''


def run(*args, **env):
    return CliRunner().invoke(cli, list(args), env={"COURSE_SANDBOX": "rlimits", **env}, catch_exceptions=False)


@pytest.fixture
def rewriter(tmp_path):
    folder = tmp_path / "mallory"
    folder.mkdir()
    (folder / "linear_regression.py").write_text(REWRITER)
    return folder


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_grading_a_submission_without_isolation_is_refused(rewriter, data_dir):
    before = digest(REFERENCE)
    result = run("grade", "assignment1", "--submission", str(rewriter), "--data-dir", str(data_dir))
    assert result.exit_code == 1
    assert "refusing to grade submissions without isolation" in result.output
    assert "apt-get install bubblewrap" in result.output and "--allow-unisolated" in result.output
    assert digest(REFERENCE) == before


def test_the_opt_out_grades_and_the_report_says_what_the_weaker_mode_allows(tmp_path, data_dir):
    folder = tmp_path / "honest"
    folder.mkdir()
    (folder / "linear_regression.py").write_text(REFERENCE.read_text())
    result = run("grade", "assignment1", "--submission", str(folder), "--allow-unisolated", "--format", "json",
                 "--data-dir", str(data_dir))
    assert result.exit_code == 0, result.output
    note = " ".join(json.loads(result.output)["notes"])
    for allowed in ("read every file", "the reference solutions", "rewrite", "the gradebook", "network"):
        assert allowed in note, note
    by_environment = run("grade", "assignment1", "--submission", str(folder), "--data-dir", str(data_dir),
                         COURSE_ALLOW_UNISOLATED="1")
    assert by_environment.exit_code == 0, by_environment.output


@pytest.mark.parametrize("command", [["check", "assignment1"], ["grade", "assignment1"],
                                     ["grade", "assignment1", "--reference"]])
def test_ones_own_code_needs_no_isolation(command, data_dir):
    result = run(*command, "--data-dir", str(data_dir))
    assert "refusing" not in result.output
    assert result.exit_code == 0, result.output


def test_grade_all_without_isolation_is_refused_before_anything_is_graded(rewriter, tmp_path, data_dir):
    before = digest(REFERENCE)
    book = tmp_path / "grades.sqlite"
    result = run("grade-all", "assignment1", str(rewriter.parent), "--gradebook", str(book), "--workers", "1",
                 "--data-dir", str(data_dir))
    assert result.exit_code == 1 and "refusing to grade submissions without isolation" in result.output
    assert digest(REFERENCE) == before and not book.exists()


def test_a_cluster_worker_without_isolation_is_named_before_anything_is_graded(monkeypatch):
    """The check runs on each worker (`cluster.problems`, in the preflight and in every task)."""
    monkeypatch.setenv("COURSE_SANDBOX", "rlimits")
    found = cluster.problems(cluster.Needs(grader.__version__, "assignment1", None, False))
    allowed = cluster.problems(cluster.Needs(grader.__version__, "assignment1", None, False, allow_unisolated=True))
    assert any("refusing to grade submissions without isolation" in f for f in found), found
    assert not any("isolation" in f for f in allowed), allowed
