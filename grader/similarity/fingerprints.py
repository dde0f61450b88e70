"""Fingerprints of a token stream: hashed k-grams chosen by winnowing (Schleimer, Wilkerson
and Aiken, "Winnowing: local algorithms for document fingerprinting", SIGMOD 2003; MOSS).

Every run of K consecutive tokens of a chunk (`tokens.Stream.chunks`) is hashed. Of each
window of W consecutive hashes the smallest is kept (the rightmost of equal ones), so that
two streams sharing a run of at least K + W - 1 tokens share at least one fingerprint, and a
match shorter than K tokens is never seen (too short to mean anything). About 2 / (W + 1) of
the hashes are kept; where the same k-gram occurs twice, its hash is kept once with both places.
"""
from __future__ import annotations

from grader.similarity.tokens import Stream

K = 12  # tokens in a k-gram: the noise threshold (`def V(V, V): return V` is 10)
W = 4  # k-grams in a window: any match of K + W - 1 = 15 tokens is found


def kgram_hashes(kinds: list[int], start: int, end: int, k: int = K) -> list[int]:
    """The hash of each k-gram of kinds[start:end], by its first token (a chunk shorter than k has none).
    Hashes of tuples of ints are the same in every process (only str hashes are salted)."""
    return [hash(tuple(kinds[i:i + k])) for i in range(start, end - k + 1)]


def winnow(hashes: list[int], w: int = W) -> list[int]:
    """The indices chosen: in each window of w hashes the rightmost smallest, each index once.
    A sequence shorter than a window is one window."""
    chosen: list[int] = []
    for left in range(max(1, len(hashes) - w + 1)):
        window = hashes[left:left + w]
        if not window:
            break
        smallest = min(window)
        index = left + len(window) - 1 - window[::-1].index(smallest)
        if not chosen or chosen[-1] != index:
            chosen.append(index)
    return chosen


def fingerprints(tokens: Stream, k: int = K, w: int = W) -> dict[int, list[int]]:
    """The winnowed fingerprints of a stream: hash -> the first token of each k-gram that has it."""
    found: dict[int, list[int]] = {}
    for start, end in tokens.chunks():
        hashes = kgram_hashes(tokens.kinds, start, end, k)
        for index in winnow(hashes, w):
            found.setdefault(hashes[index], []).append(start + index)
    return found


def every_kgram(tokens: Stream, k: int = K) -> set[int]:
    """The hashes of all k-grams of a stream, not only the winnowed ones: what to exclude from
    others' fingerprints (the stub, the solutions) must hold every hash a fingerprint could have."""
    return {h for start, end in tokens.chunks() for h in kgram_hashes(tokens.kinds, start, end, k)}
