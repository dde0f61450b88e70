"""`course class-report`: what a whole class made of an assignment, for its instructor.

From the gradebook's newest grade of each student (`Gradebook.latest`), `summarise` computes
plain data, written as `class-report.json`: the score histogram, each check's pass rate, the
known mistakes ranked by how many students made them (with the catalogue's sentence: what to
teach again), late submissions and their penalties, the slowest and the incomplete gradings,
and a row per student linking to the page `course gradebook feedback` writes for them
(`feedback/<stem>.html`, the same file names). The page (grader/formats/class_page.py) only
presents these numbers. Texts (check titles, mistakes, late reasons) are in `lang`; the
numbers never depend on it. A stored report that cannot be read is a line, never a crash.
"""
from __future__ import annotations

import datetime as dt
import json
import statistics
from collections import Counter
from pathlib import Path

import grader
from course_lib.errors import CourseError
from grader import course, feedback
from grader.batch import bin_counts
from grader.i18n import translate
from grader.report import Report, shown_points

FEEDBACK = "feedback"  # the folder beside the page that holds the students' own pages
PAGE, DATA = "class-report.html", "class-report.json"
BINS, SLOWEST = 10, 5


def main(*, assignment_id: str, gradebook: Path, out: Path, lang: str = "en",
         with_feedback: bool = False) -> tuple[dict, list[str]]:
    """Write `class-report.html` and `class-report.json` into `out` (and with `with_feedback`
    each student's pages into `out/feedback/`); (the report's data, a line per unreadable report)."""
    assignment = course.get(assignment_id)
    if out.exists() and not out.is_dir():
        raise CourseError(f"--out {out} is a file; give a folder for the class report.")
    with feedback.open_existing(gradebook) as book:
        feedback.the_assignment(book, gradebook, assignment.id)
        reports, unreadable = feedback.readable(book.latest(assignment.id, parse=False), gradebook)
    data = summarise(assignment, reports, unreadable, lang)
    out.mkdir(parents=True, exist_ok=True)
    if with_feedback:
        feedback.write_pages(gradebook=gradebook, out=out / FEEDBACK, assignment_id=assignment.id, lang=lang)
    from grader.formats import class_page
    (out / DATA).write_text(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n", encoding="utf-8")
    (out / PAGE).write_text(class_page.page(data, lang), encoding="utf-8")
    return data, [why for _, why in unreadable]


def summarise(assignment, reports: dict[str, Report], unreadable: list[tuple[str, str]], lang: str = "en") -> dict:
    """The class report's data, from each student's newest `reports` (by student) and the
    [(student, why)] whose stored report could not be read."""
    percents = {student: percent(r) for student, r in reports.items()}
    stems = feedback.stems([*reports, *(student for student, _ in unreadable)])
    step = 100 // BINS
    return {
        "assignment": assignment.id, "title": translate(assignment.title, lang), "lang": lang,
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "grader_version": grader.__version__,
        "summary": {"students": len(reports), "unreadable": len(unreadable),
                    "complete": sum(r.complete for r in reports.values()),
                    "mean_percent": round(statistics.mean(percents.values()), 2) if percents else None,
                    "median_percent": round(statistics.median(percents.values()), 2) if percents else None},
        "histogram": [{"from": i * step, "to": (i + 1) * step, "students": n}
                      for i, n in enumerate(bin_counts(list(percents.values()), BINS))],
        "checks": pass_rates(reports, lang),
        "mistakes": mistakes(assignment, reports, lang),
        "late": [{"student": s, "submitted_at": r.submitted_at, "penalty": penalty(r),
                  "reasons": [translate(a.reason, lang) for a in r.adjustments]}
                 for s, r in reports.items() if r.adjustments],
        "slowest": [{"student": s, "seconds": round(seconds(r), 2)}
                    for s, r in sorted(reports.items(), key=lambda item: -seconds(item[1]))[:SLOWEST]],
        "incomplete": [{"student": s, "checks": [{"id": c.id, "message": translate(c.message, lang)}
                                                 for c in r.checks if c.status == "grader_error"]}
                       for s, r in reports.items() if not r.complete],
        "students": [{"student": s, "score": shown_points(r.score), "max_score": shown_points(r.max_score),
                      "percent": round(percents[s], 2), "complete": r.complete, "penalty": penalty(r),
                      "mistakes": sorted({c.diagnosis for c in r.checks if c.diagnosis}),
                      "feedback": f"{FEEDBACK}/{stems[s]}.html"} for s, r in reports.items()],
        "unreadable": [{"student": s, "problem": translate(why, lang)} for s, why in unreadable],
    }


def percent(report: Report) -> float:
    return 100 * report.score / report.max_score if report.max_score else 0.0


def penalty(report: Report) -> float:
    """The points the adjustments (a late penalty) took, as a negative number; 0 for none."""
    return shown_points(sum(a.points for a in report.adjustments))


def seconds(report: Report) -> float:
    return sum(c.duration_s for c in report.checks)


def pass_rates(reports: dict[str, Report], lang: str) -> list[dict]:
    """Per check, in the reports' order: its title, whether hidden, how many passed of how many
    were graded, and how many got each other status."""
    by_id: dict[str, dict] = {}
    for report in reports.values():
        for c in report.checks:
            row = by_id.setdefault(c.id, {"id": c.id, "title": translate(c.title, lang),
                                          "hidden": c.visibility == "hidden", "passed": 0, "total": 0,
                                          "statuses": Counter()})
            row["passed"] += c.passed
            row["total"] += 1
            row["statuses"][c.status] += not c.passed
    return [{**row, "pass_rate": round(row["passed"] / row["total"], 4),
             "statuses": {k: n for k, n in sorted(row["statuses"].items()) if n}} for row in by_id.values()]


def mistakes(assignment, reports: dict[str, Report], lang: str) -> list[dict]:
    """The known mistakes the grader recognised, most students first: each with the catalogue's
    sentence (what it is, and the fix), the checks that named it and who made it."""
    who: dict[str, set[str]] = {}
    checks: dict[str, set[str]] = {}
    for student, report in reports.items():
        for c in report.checks:
            if c.diagnosis:
                who.setdefault(c.diagnosis, set()).add(student)
                checks.setdefault(c.diagnosis, set()).add(c.id)
    catalogue = assignment.rubric.mistakes
    return [{"id": name, "text": translate(catalogue[name].text, lang) if name in catalogue else "",
             "students": len(students), "share": round(len(students) / len(reports), 4),
             "checks": sorted(checks[name]), "who": sorted(students)}
            for name, students in sorted(who.items(), key=lambda item: (-len(item[1]), item[0]))]
