"""Which pairs of submissions share fingerprints, found through an inverted index
(fingerprint -> the submissions holding it) rather than by comparing every pair.

Only pairs that share a fingerprint can score above 0, and each posting list names exactly
those pairs, so the index finds every pair that all-pairs comparison finds (`all_pairs` is
that comparison, kept for the benchmark and the tests), at a cost of the sum of the squared
posting lengths instead of n^2 / 2 set intersections.

A fingerprint held by more than `common_limit(n)` submissions is code common to the class
(given in a lecture, from a tutorial everybody follows), MOSS's -m rule: it is ignored, and
counts in no submission's size. Those long posting lists are also what would make the index
slow.

The score of a pair is the Jaccard index of their remaining fingerprint sets, |A & B| / |A | B|:
1 for the same code, whatever its disguise; symmetric, and low when one student's code holds
the other's within much of their own.
"""
from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass

COMMON_FRACTION = 0.5  # a fingerprint in more than this share of the class is common code...
COMMON_AT_LEAST = 10  # ...and in more than this many submissions


@dataclass(frozen=True)
class Match:
    a: int  # indices into the list of fingerprint sets, a < b
    b: int
    shared: int  # fingerprints the two have in common, common code left out
    a_size: int  # each one's fingerprints, common code left out
    b_size: int

    @property
    def score(self) -> float:
        union = self.a_size + self.b_size - self.shared
        return self.shared / union if union else 0.0


def common_limit(count: int) -> int:
    """The most submissions a fingerprint may be in before it counts as common code."""
    return max(COMMON_AT_LEAST, int(COMMON_FRACTION * count))


def indexed_pairs(sets: list[frozenset[int]], threshold: float, min_shared: int = 1) -> tuple[list[Match], frozenset[int]]:
    """The pairs sharing at least `min_shared` fingerprints whose score is at least `threshold`,
    and the fingerprints left out as common."""
    postings: dict[int, list[int]] = {}
    for number, fingerprints in enumerate(sets):
        for fingerprint in fingerprints:
            postings.setdefault(fingerprint, []).append(number)
    limit = common_limit(len(sets))
    common = frozenset(f for f, holders in postings.items() if len(holders) > limit)
    sizes = [0] * len(sets)
    shared: Counter = Counter()
    for fingerprint, holders in postings.items():
        if fingerprint in common:
            continue
        for number in holders:
            sizes[number] += 1
        if len(holders) > 1:
            shared.update(itertools.combinations(holders, 2))  # holders are in increasing order
    return _kept(((a, b, count) for (a, b), count in shared.items()), sizes, threshold, min_shared), common


def all_pairs(sets: list[frozenset[int]], threshold: float, min_shared: int = 1) -> tuple[list[Match], frozenset[int]]:
    """The same, by comparing every pair's sets: what the index saves (benchmarks/similarity.py)."""
    holders = Counter(fingerprint for fingerprints in sets for fingerprint in fingerprints)
    limit = common_limit(len(sets))
    common = frozenset(f for f, count in holders.items() if count > limit)
    kept = [fingerprints - common for fingerprints in sets]
    counts = ((a, b, len(kept[a] & kept[b])) for a, b in itertools.combinations(range(len(kept)), 2))
    return _kept(counts, [len(k) for k in kept], threshold, min_shared), common


def _kept(counts, sizes: list[int], threshold: float, min_shared: int) -> list[Match]:
    """The Matches of (a, b, shared count) that reach `min_shared` and `threshold`."""
    found = []
    for a, b, count in counts:
        if count >= min_shared:
            match = Match(a, b, count, sizes[a], sizes[b])
            if match.score >= threshold:
                found.append(match)
    return found
