"""The gradebook: every grading of every submission, in SQLite, never overwritten.

One row per (grading run, student): the score, the whole report as JSON and the hash of the
submission's content. A run that stops midway (Ctrl-C, a killed process) is finished later
with `--resume`; a regrade starts a new run and adds rows, so history stays. Each row is
written in its own transaction as its report arrives, so a crash loses nothing graded.
"""
from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from grader.formats.escape import csv_cell

SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id INTEGER PRIMARY KEY,
    assignment TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,                -- NULL while the run is unfinished (resumable)
    grader_version TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS grades (
    run_id INTEGER NOT NULL REFERENCES runs(run_id),
    student TEXT NOT NULL,
    assignment TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    complete INTEGER NOT NULL,       -- 0 when the grader failed on a check
    graded_at TEXT NOT NULL,
    report TEXT NOT NULL,            -- the report's JSON (schema in grader/schemas)
    PRIMARY KEY (run_id, student)
);
"""


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Grade:
    run_id: int
    student: str
    assignment: str
    content_sha256: str
    score: float
    max_score: float
    complete: bool
    graded_at: str
    report: dict  # the stored text instead, where read with parse=False


class Gradebook:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # -- runs -----------------------------------------------------------------------------
    def start_run(self, assignment: str, grader_version: str) -> int:
        cursor = self.db.execute("INSERT INTO runs (assignment, started_at, grader_version) VALUES (?, ?, ?)",
                                 (assignment, _now(), grader_version))
        return cursor.lastrowid

    def unfinished_run(self, assignment: str) -> int | None:
        row = self.db.execute("SELECT max(run_id) FROM runs WHERE assignment = ? AND finished_at IS NULL",
                              (assignment,)).fetchone()
        return row[0]

    def drop_run_if_empty(self, run_id: int) -> None:
        """Forget a run that graded nothing (e.g. its cluster could not start)."""
        with self.db:
            self.db.execute("DELETE FROM runs WHERE run_id = ? AND NOT EXISTS "
                            "(SELECT 1 FROM grades WHERE grades.run_id = runs.run_id)", (run_id,))

    def finish_run(self, run_id: int) -> None:
        self.db.execute("UPDATE runs SET finished_at = ? WHERE run_id = ?", (_now(), run_id))

    # -- grades ---------------------------------------------------------------------------
    def record(self, run_id: int, student: str, content_sha256: str, report: dict) -> None:
        """Add one grade, atomically; a second grade of the same student in one run is refused."""
        with self.db:  # one transaction
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute(
                "INSERT INTO grades VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, student, report["assignment"], content_sha256, report["score"], report["max_score"],
                 int(report["complete"]), _now(), json.dumps(report)))

    def graded_in_run(self, run_id: int) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT student FROM grades WHERE run_id = ?", (run_id,))}

    def run_grades(self, run_id: int) -> dict[str, Grade]:
        """Every grade recorded in run `run_id`, by student."""
        rows = self.db.execute("SELECT * FROM grades WHERE run_id = ? ORDER BY student", (run_id,)).fetchall()
        return {r[1]: _grade(r) for r in rows}

    def latest(self, assignment: str, parse: bool = True) -> dict[str, Grade]:
        """The newest grade of each student of `assignment`. With `parse` False each report is left
        as its stored JSON text, for a reader that must get past one that does not parse."""
        rows = self.db.execute(
            "SELECT g.* FROM grades g JOIN (SELECT student, max(run_id) AS run_id FROM grades "
            "WHERE assignment = ? GROUP BY student) newest USING (student, run_id) WHERE g.assignment = ? "
            "ORDER BY g.student", (assignment, assignment)).fetchall()
        return {r[1]: _grade(r, parse) for r in rows}

    def history(self, assignment: str, student: str) -> list[Grade]:
        rows = self.db.execute("SELECT * FROM grades WHERE assignment = ? AND student = ? ORDER BY run_id",
                               (assignment, student)).fetchall()
        return [_grade(r) for r in rows]

    def count(self, assignment: str) -> int:
        return self.db.execute("SELECT count(*) FROM grades WHERE assignment = ?", (assignment,)).fetchone()[0]

    def export_csv(self, out: Path, assignments: list[str]) -> int:
        """The newest grade of every student, one row per student and assignment, for an LMS.

        Student ids are folder names, chosen by students: no cell is a formula a spreadsheet
        would run (`escape.csv_cell`); numbers stay numbers."""
        columns = ["student", "assignment", "score", "max_score", "percent", "complete",
                   "graded_at", "run_id", "content_sha256"]
        rows = 0
        with open(out, "w", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            for assignment in assignments:
                for g in self.latest(assignment).values():
                    percent = round(100 * g.score / g.max_score, 2) if g.max_score else 0.0
                    writer.writerow([csv_cell(value) for value in (
                        g.student, g.assignment, g.score, g.max_score, percent, int(g.complete),
                        g.graded_at, g.run_id, g.content_sha256)])
                    rows += 1
        return rows

    def assignments(self) -> list[str]:
        return [r[0] for r in self.db.execute("SELECT DISTINCT assignment FROM grades ORDER BY assignment")]


def _grade(row, parse: bool = True) -> Grade:
    run_id, student, assignment, sha, score, max_score, complete, graded_at, report = row
    return Grade(run_id, student, assignment, sha, score, max_score, bool(complete), graded_at,
                 json.loads(report) if parse else report)
