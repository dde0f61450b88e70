"""Where two submissions match, for the side-by-side view: their shared fingerprints grouped
into regions of lines, each a stretch of one submission's code and the stretch of the other's
that matches it.

Fingerprints are joined into one region while they follow each other in both submissions at
the same distance (give or take a few tokens), with at most a k-gram's length between them;
a reordered function is a region of its own, at its place in each.
"""
from __future__ import annotations

from dataclasses import dataclass

from grader.similarity.fingerprints import K
from grader.similarity.tokens import Stream

PLACES = 4  # the places of one fingerprint looked at in each submission (a k-gram repeated more says no more)
SLACK = 3  # tokens by which two fingerprints of one region may be nearer or farther apart in one submission
RECENT = 8  # open regions a fingerprint may join


@dataclass(frozen=True)
class Side:
    file: int  # which of the submission's files (an index into its Source.codes)
    first: int  # lines, 1-based, both included
    last: int


@dataclass(frozen=True)
class Region:
    a: Side
    b: Side
    fingerprints: int


def regions(a: Stream, a_prints: dict[int, list[int]], b: Stream, b_prints: dict[int, list[int]],
            shared: set[int], k: int = K) -> list[Region]:
    """The regions where `a` and `b` share the fingerprints `shared`, in the order of `a`."""
    hits = sorted((pa, pb) for f in shared for pa in a_prints[f][:PLACES] for pb in b_prints[f][:PLACES])
    runs: list[list[int]] = []  # [a start, a end, b start, b end, fingerprints], k-gram starts
    for pa, pb in hits:
        for run in reversed(runs[-RECENT:]):
            step_a, step_b = pa - run[1], pb - run[3]
            if (0 <= step_a <= k and abs(step_b - step_a) <= SLACK
                    and a.files[pa] == a.files[run[0]] and b.files[pb] == b.files[run[2]]):
                run[1], run[3], run[4] = pa, max(run[3], pb), run[4] + 1
                break
        else:
            runs.append([pa, pa, pb, pb, 1])
    return [Region(_side(a, run[0], run[1], k), _side(b, run[2], run[3], k), run[4]) for run in runs]


def _side(tokens: Stream, start: int, end: int, k: int) -> Side:
    last = min(end + k - 1, len(tokens.kinds) - 1)
    return Side(tokens.files[start], tokens.lines[start], tokens.lines[last])
