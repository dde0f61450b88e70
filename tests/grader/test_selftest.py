"""`course selftest`: every catalogued mistake has a mutant, the corpus meets every target,
and the self-test fails when the grader misses."""
import dataclasses

import pytest
from click.testing import CliRunner

from grader import course, selftest
from grader.cli import cli
from tests import support
from tests.support import IDS, RULES


@pytest.mark.parametrize("aid", IDS)
def test_every_catalogued_mistake_has_a_mutant_and_every_mutant_a_catalogue_entry(aid):
    mistakes, correct = selftest.corpus(aid)
    catalogue = course.get(aid).rubric.mistakes
    assert len(catalogue) >= RULES.min_mistakes
    assert set(mistakes) == set(catalogue)
    assert all(m.breaks for m in mistakes.values()) and not any(m.breaks for m in correct.values())
    assert len(correct) >= RULES.min_correct_variants


@pytest.mark.parametrize("aid", IDS)
def test_each_rubric_holds_a_hidden_check_where_the_course_requires_one(aid):
    hidden = [c.id for c in course.get(aid).rubric.checks if c.hidden]
    assert hidden or not RULES.hidden_checks


@pytest.mark.slow
@pytest.mark.parametrize("aid", IDS)
def test_the_corpus_meets_every_target(aid, data_dir):
    """The same run as `course selftest`, sharing the test session's gradings."""
    result = selftest.run(aid, grade=lambda a, folder: support.grade(a, folder, data_dir).to_dict())
    counts = result.counts()
    assert counts["mistakes"] == counts["lost_points"] == counts["diagnosed"] == counts["exact"] \
        == len(course.get(aid).rubric.mistakes)
    assert counts["correct"] == counts["full_marks"] == len(selftest.corpus(aid)[1]) + 1  # + the reference
    assert result.ok, selftest.describe([result])[1]


@pytest.mark.parametrize("aid", IDS)
def test_the_stub_gets_no_diagnosis(aid, data_dir):
    report = support.grade(aid, course.get(aid).stub_dir, data_dir)
    assert report.score == 0 and not any(c.diagnosis for c in report.checks)


def without_diagnoses(report: dict) -> dict:
    return {**report, "checks": [{**c, "diagnosis": None} for c in report["checks"]]}


def test_selftest_reports_a_grader_that_names_no_mistake(data_dir):
    result = selftest.run("assignment1", grade=lambda a, f: without_diagnoses(
        support.grade(a, f, data_dir).to_dict()))
    assert not result.ok and result.counts()["diagnosed"] == 0
    rows, misses = selftest.describe([result])
    assert len(misses) == result.counts()["mistakes"]
    assert "assignment1: bias_column_last: diagnosed nothing" in misses


def test_selftest_reports_a_correct_variant_that_loses_points_or_gets_a_diagnosis(data_dir):
    def harsh(aid, folder):
        report = support.grade(aid, folder, data_dir)
        if folder.name == "solve":  # as if a recogniser fired on a correct submission
            first = dataclasses.replace(report.checks[0], status="failed", points=0.0, diagnosis="bias_column_last")
            report = dataclasses.replace(report, checks=(first,) + report.checks[1:])
        return report.to_dict()
    result = selftest.run("assignment1", grade=harsh)
    assert not result.ok
    assert selftest.describe([result])[1] == [
        "assignment1: solve (correct): 23/25, failed ['drop_missing.rows'], diagnosed ['bias_column_last']"]


def test_selftest_reports_a_mistake_that_lost_no_points(data_dir):
    result = selftest.run("assignment1", grade=lambda a, f: support.grade(a, a_reference(a), data_dir).to_dict())
    problems = selftest.describe([result])[1]
    assert "assignment1: rmse_without_sqrt: lost no points; diagnosed nothing; passed ['metrics.rmse'], " \
           "declared to fail" in problems


def a_reference(aid):
    return course.get(aid).solution_dir


def test_course_selftest_prints_the_figures_and_exits_0(data_dir):
    result = CliRunner().invoke(cli, ["selftest", "assignment1", "--workers", "2", "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if line.startswith("assignment1 "))
    n, correct = len(course.get("assignment1").rubric.mistakes), len(selftest.corpus("assignment1")[1]) + 1
    assert row.split()[1:7] == [str(n)] * 4 + [str(correct)] * 2
    assert "every mistake lost points and was named" in result.output


def test_course_selftest_list_shows_each_catalogue():
    result = CliRunner().invoke(cli, ["selftest", "--list"])
    assert result.exit_code == 0
    for aid in IDS:
        for mistake in course.get(aid).rubric.mistakes.values():
            assert f"  {mistake.id}: {mistake.what}. Fix: {mistake.fix}." in result.output


def test_course_selftest_names_an_unknown_assignment():
    result = CliRunner().invoke(cli, ["selftest", "assignment9"])
    assert result.exit_code == 1 and "unknown assignment 'assignment9'" in result.output
