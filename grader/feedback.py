"""Reports back out of the gradebook: one student's stored report (`course gradebook show`),
and every student's feedback page, ready to send (`course gradebook feedback`).

A page is the student's newest grade of the assignment, rendered from the stored report as
`course grade --format html|markdown` renders a fresh one, with the student's id in its
header. Student ids are folder names the students chose: each page's file name is made safe
(`file_stem`), and `index.csv` says which files are whose.
"""
from __future__ import annotations

import csv
import hashlib
import json
import re
import sqlite3
from pathlib import Path

from course_lib.errors import CourseError
from grader.formats import render
from grader.formats.escape import csv_cell, visible
from grader.gradebook import Grade, Gradebook
from grader.report import Report
from grader.submission_files import shown

UNSAFE = re.compile(r"[^\w.\-]")  # \w: letters and digits of every script (Hangul names stay)
RESERVED = {"con", "prn", "aux", "nul", *(f"{port}{i}" for port in ("com", "lpt") for i in range(1, 10))}
MAX_STEM = 80


def file_stem(student: str, taken: set[str]) -> str:
    """A file name stem for `student` that is safe on every file system: only letters, digits,
    `_`, `.` and `-`, not starting with `.` or `-`, not a device name (NUL, COM1.txt), at most 80
    characters. A stem that had to change, or that is already in `taken` (compared without
    case), ends in the first 8 hex digits of the id's SHA-256, so two ids never share a file."""
    stem = UNSAFE.sub("_", student).lstrip(".-")[:MAX_STEM] or "student"
    if stem.split(".")[0].lower() in RESERVED:  # NUL.txt is the device too
        stem = f"_{stem}"
    if stem != student or stem.lower() in taken:
        stem = f"{stem[:MAX_STEM - 9]}-{hashlib.sha256(student.encode('utf-8', 'surrogatepass')).hexdigest()[:8]}"
    taken.add(stem.lower())
    return stem


def the_assignment(book: Gradebook, path: Path, assignment_id: str | None) -> str:
    """`assignment_id`, or the one assignment the gradebook holds; CourseError naming the choices."""
    held = book.assignments()
    if assignment_id is None and len(held) == 1:
        return held[0]
    if assignment_id in held:
        return assignment_id
    if not held:
        raise CourseError(f"the gradebook {path} holds no grade yet; grade with `course grade-all "
                          f"ASSIGNMENT SUBMISSIONS --gradebook {path}` first.")
    if assignment_id is None:
        raise CourseError(f"the gradebook {path} holds grades of {', '.join(held)}; say which with --assignment.")
    raise CourseError(f"the gradebook {path} holds no grade of {shown(assignment_id)}; it holds {', '.join(held)}.")


def stored(*, gradebook: Path, student: str, assignment_id: str | None = None) -> Report:
    """The newest stored report of `student`; CourseError naming the students there are."""
    with open_existing(gradebook) as book:
        assignment = the_assignment(book, gradebook, assignment_id)
        grades = book.latest(assignment)
    if student not in grades:
        some = sorted(grades)[:10]
        more = f" and {len(grades) - len(some)} more" if len(grades) > len(some) else ""
        raise CourseError(f"no grade of {shown(student)} for {assignment} in {gradebook}; its students are "
                          f"{', '.join(shown(s) for s in some)}{more}. Give the id as grade-all named it "
                          f"(the folder or file name in SUBMISSIONS).")
    return Report.from_dict(grades[student].report)


def write_pages(*, gradebook: Path, out: Path, assignment_id: str | None = None, lang: str = "en",
                show_hidden: bool = False) -> tuple[list[tuple[str, str, Report]], list[tuple[str, str]]]:
    """Write `<stem>.html` and `<stem>.md` for each student's newest grade into `out`, and
    `index.csv` (student, files, score). ([(student, stem, report)], sorted by student; [(student,
    why)] for each stored report that cannot be read, which gets no page)."""
    with open_existing(gradebook) as book:
        assignment = the_assignment(book, gradebook, assignment_id)
        reports, unreadable = readable(book.latest(assignment, parse=False), gradebook)
    if out.exists() and not out.is_dir():
        raise CourseError(f"--out {out} is a file; give a folder for the feedback pages.")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for student, stem in stems(sorted(reports) + [s for s, _ in unreadable]).items():
        if student in reports:
            for suffix, fmt in ((".html", "html"), (".md", "markdown")):
                text = render(reports[student], fmt, lang, show_hidden, student)
                (out / f"{stem}{suffix}").write_text(text, encoding="utf-8")
            written.append((student, stem, reports[student]))
    with open(out / "index.csv", "w", newline="", encoding="utf-8") as f:
        rows = csv.writer(f)
        rows.writerow(["student", "assignment", "score", "max_score", "complete", "html", "markdown"])
        for student, stem, report in written:
            rows.writerow([csv_cell(v) for v in (student, assignment, report.score, report.max_score,
                                                 int(report.complete), f"{stem}.html", f"{stem}.md")])
    return written, unreadable


def stems(students) -> dict[str, str]:
    """Each student's page file stem (`file_stem`), given out in sorted order, so that every
    command that links to a page names the file `gradebook feedback` writes."""
    taken: set[str] = set()
    return {student: file_stem(student, taken) for student in sorted(students)}


def readable(grades: dict[str, Grade], gradebook: Path) -> tuple[dict[str, Report], list[tuple[str, str]]]:
    """({student: report}, [(student, why)]) of grades read with `Gradebook.latest(..., parse=False)`:
    a stored report that does not parse is a line saying so, never a crash."""
    reports, unreadable = {}, []
    for student, grade in sorted(grades.items()):
        try:
            reports[student] = Report.from_dict(json.loads(grade.report))
        except (ValueError, KeyError, TypeError, AttributeError) as err:  # JSONDecodeError is a ValueError
            unreadable.append((student, (
                f"the stored report of {shown(student)} (run {grade.run_id}) cannot be read "
                f"({type(err).__name__}: {visible(str(err), 200)}); grade it again with `course grade-all "
                f"{grade.assignment} SUBMISSIONS --regrade --gradebook {gradebook}`.")))
    return reports, unreadable


def open_existing(gradebook: Path) -> Gradebook:
    """The gradebook at `gradebook`, which must exist (opening a missing one would create an
    empty gradebook) and be one; CourseError saying which file to give otherwise."""
    if not Path(gradebook).is_file():
        raise CourseError(f"gradebook {gradebook} not found; give the file grade-all wrote with --gradebook "
                          f"(default gradebook.sqlite in the folder it ran in).")
    book = None
    try:
        book = Gradebook(Path(gradebook))
        book.assignments()
    except sqlite3.DatabaseError as err:
        if book is not None:
            book.close()
        raise CourseError(f"{gradebook} is not a gradebook ({err}); give the SQLite file grade-all wrote "
                          f"with --gradebook.") from None
    return book
