"""`course similarity`: the pairs of a class whose code is alike, ranked, with where it matches.

    read  (sources)     every submission as grade-all finds it; bad entries are a line each
    -> tokens           a normalised token stream per submission, chunked by definition
    -> fingerprints     winnowed k-grams; the stub's, the code all solutions share (excluded)
    -> index            candidate pairs from shared fingerprints only; common code ignored; Jaccard
    -> regions          for the top pairs only: where they match, side by side
    -> report           similarity.json and similarity.html
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from course_lib.errors import CourseError
from grader import course
from grader.formats.escape import terminal
from grader.similarity import THRESHOLD, TOP, excluded, index, regions, report, sources, tokens
from grader.similarity.fingerprints import fingerprints
from grader.submission_files import shown

MIN_SHARED = 4  # fingerprints a pair must share to be reported (a few alone prove nothing)
SHOWN = 10  # pairs the terminal summary lists


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    match: index.Match
    regions: tuple[regions.Region, ...]


@dataclass
class Result:
    assignment: str
    threshold: float
    compared: list[sources.Source]
    pairs: list[Pair]  # the top ones, best first
    above_threshold: int  # how many pairs reached the threshold, the top ones and the rest
    unread: list[sources.Unread]
    skipped: list[str]
    left_out: dict[str, int]  # k-gram hashes left out of every submission, by reason
    notes: list[str] = field(default_factory=list)  # about the exclusions
    seconds: dict[str, float] = field(default_factory=dict)  # by stage


def main(*, assignment_id: str, submissions: Path, out: Path, threshold: float = THRESHOLD,
         top: int = TOP) -> Result:
    """Compare the class in `submissions` and write out/similarity.json and out/similarity.html."""
    if not 0 < threshold <= 1:
        raise CourseError(f"--threshold {threshold} is not a score; give one above 0 and at most 1 (e.g. 0.5).")
    if top < 1:
        raise CourseError(f"--top {top}: give how many pairs to report, at least 1.")
    result = compare(course.get(assignment_id), Path(submissions), threshold, top)
    with _timed(result.seconds, "reports"):
        report.write(result, Path(out))
    return result


def compare(assignment, submissions: Path, threshold: float = THRESHOLD, top: int = TOP,
            pairs_by=index.indexed_pairs) -> Result:
    """The Result of comparing the class in `submissions` (nothing written). `pairs_by`: how
    the pairs sharing fingerprints are found (`index.all_pairs` for the benchmark's baseline)."""
    seconds: dict[str, float] = {}
    with _timed(seconds, "read"):
        read, unread, skipped = sources.read_class(submissions, assignment)
    with _timed(seconds, "fingerprints"):
        left_out = excluded.for_assignment(assignment)
        streams = [tokens.stream(list(source.codes)) for source in read]
        prints = [fingerprints(stream) for stream in streams]
        sets = [frozenset(found) - left_out.hashes for found in prints]
    with _timed(seconds, "pairs"):
        matches, common = pairs_by(sets, threshold, MIN_SHARED)
        ranked = sorted(matches, key=lambda m: (-m.score, read[m.a].student, read[m.b].student))
    with _timed(seconds, "regions"):
        pairs = [Pair(read[m.a].student, read[m.b].student, m,
                      tuple(regions.regions(streams[m.a], prints[m.a], streams[m.b], prints[m.b],
                                            (sets[m.a] & sets[m.b]) - common)))
                 for m in ranked[:top]]
    read = [_with_problems(source, stream) for source, stream in zip(read, streams)]
    return Result(assignment.id, threshold, read, pairs, len(ranked), unread, skipped,
                  {"stub": len(left_out.stub), "solutions": len(left_out.solutions - left_out.stub),
                   "common": len(common)}, list(left_out.notes), seconds)


@contextlib.contextmanager
def _timed(seconds: dict[str, float], stage: str):
    start = time.perf_counter()
    yield
    seconds[stage] = seconds.get(stage, 0.0) + time.perf_counter() - start


def _with_problems(source: sources.Source, stream: tokens.Stream) -> sources.Source:
    """The source with what did not tokenize added to its notes."""
    if not stream.problems:
        return source
    return sources.Source(source.student, source.codes, source.notes + tuple(stream.problems))


def describe(result: Result, out: Path) -> list[str]:
    """The terminal summary: counts, the top pairs, a line per submission not (fully) read."""
    lines = [f"{result.assignment}: {len(result.compared)} submissions compared in "
             f"{sum(result.seconds.values()):.1f} s, "
             f"{result.above_threshold} pairs at or above {result.threshold:g}"
             + (f" (the top {len(result.pairs)} in the reports)" if result.above_threshold > len(result.pairs) else "")]
    if not result.compared and not result.unread:
        lines.append("warning: no submission found; SUBMISSIONS should hold one folder, zip, notebook or .py per "
                     "student (the name is the student id), or nbgrader's submitted/ folder.")
    for rank, pair in enumerate(result.pairs[:SHOWN], 1):
        m = pair.match
        lines.append(f"{rank:4d}. {m.score:.2f}  {shown(pair.a)} ~ {shown(pair.b)}  "
                     f"({m.shared} fingerprints shared of {m.a_size} and {m.b_size}, {len(pair.regions)} regions)")
    if len(result.pairs) > SHOWN:
        lines.append(f"      ... {len(result.pairs) - SHOWN} more in the reports")
    lines += [f"could not read {shown(u.student)}: {terminal(u.why)}" for u in result.unread]
    lines += [f"read {shown(s.student)} with a problem: {terminal('; '.join(s.notes))}"
              for s in result.compared if s.notes]
    if result.skipped:
        lines.append(f"skipped {len(result.skipped)} entries that are no submission (not a folder, zip, notebook "
                     f"or .py): " + ", ".join(shown(name) for name in result.skipped))
    lines += result.notes
    lines.append(f"reports: {out / report.JSON_NAME}, {out / report.HTML_NAME}")
    return lines
