"""`course similarity` on 1,000 generated submissions of assignment 1, against a naive
all-pairs comparison on the same data.

Target: the whole run (read, fingerprint, pairs, regions, reports) under 60 s on 2 cores.
Baselines in the same run, on the same data:
- naive all-pairs full comparison: every pair compared as the reported ones are (shared
  fingerprints and matching regions), as a tool without an index does; timed on the first
  SUBSET students and extrapolated quadratically (it is too slow for all);
- all-pairs scores only: the same stages as the indexed run, but the pairs found by
  intersecting every pair's fingerprint sets (`index.all_pairs`), timed in full; both must
  find the same pairs;
- copydetect, if installed (its own all-pairs loop): on SUBSET students, extrapolated too.

Each generated student takes every function and method from a random one of the corpus's
sources (the reference, its correct variants and its known mistakes), adds a few lines of
their own, and disguises the whole (tests/disguise.py: renamed, reordered, new layout);
COPIES of them are disguised copies of another student. A tenth are notebooks, a tenth zips.
Run: .venv/bin/python benchmarks/similarity.py [--students 1000]
"""
from __future__ import annotations

import argparse
import ast
import json
import random
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from grader import course  # noqa: E402
from grader.selftest.mutants import mutant_source  # noqa: E402
from grader.similarity import detect, excluded, index, regions, sources, tokens  # noqa: E402
from grader.similarity.fingerprints import fingerprints  # noqa: E402
from tests.disguise import disguise  # noqa: E402

ASSIGNMENT = "assignment1"
COPIES = 0.05  # of the class: disguised copies of another student
TARGET_S = 60.0
SUBSET = 200  # students for the baselines too slow to run on all
OPERATORS = ("+", "-", "*", "/", "**", "%")


def pool() -> list[ast.Module]:
    """Every source of the corpus, parsed."""
    assignment = course.get(ASSIGNMENT)
    corpus = assignment.corpus()
    mutants = [*corpus.CORRECT.values(), *corpus.MISTAKES.values()]
    reference = (assignment.solution_dir / f"{assignment.module}.py").read_text()
    return [ast.parse(reference)] + [ast.parse(mutant_source(ASSIGNMENT, m)) for m in mutants]


def expression(rng: random.Random, names: list[str], depth: int = 0) -> str:
    """A random expression over `names`: what a student's own line might compute."""
    roll = rng.random()
    if depth > 2 or roll < 0.3:
        return rng.choice(names) if rng.random() < 0.7 else str(rng.randint(1, 99))
    if roll < 0.6:
        return f"({expression(rng, names, depth + 1)} {rng.choice(OPERATORS)} {expression(rng, names, depth + 1)})"
    call = rng.choice(("abs", "len", "float", "max", "min", "round"))
    arguments = ", ".join(expression(rng, names, depth + 1) for _ in range(1 + (call in ("max", "min"))))
    return f"{call}({arguments})"


def own_lines(function: ast.FunctionDef, rng: random.Random) -> None:
    """A few lines of the student's own at the top of `function`."""
    names = [a.arg for a in function.args.args] or ["0"]
    for _ in range(rng.randint(0, 2)):
        line = ast.parse(f"check_{rng.randint(0, 999)} = {expression(rng, names)}").body[0]
        function.body.insert(0, line)


def student(sources: list[ast.Module], rng: random.Random) -> str:
    """One generated submission: each definition from a random source, lines of its own, disguised."""
    module = ast.parse(ast.unparse(sources[0]))
    for i, node in enumerate(module.body):
        if isinstance(node, ast.FunctionDef):
            module.body[i] = node = ast.parse(ast.unparse(rng.choice(sources).body[i])).body[0]
            own_lines(node, rng)
        elif isinstance(node, ast.ClassDef):
            for j, method in enumerate(node.body):
                if isinstance(method, ast.FunctionDef):
                    node.body[j] = method = ast.parse(ast.unparse(rng.choice(sources).body[i].body[j])).body[0]
                    own_lines(method, rng)
    return disguise(ast.unparse(module), rng.randrange(1 << 30))


def notebook(code: str) -> str:
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "metadata": {}, "source": code, "outputs": [], "execution_count": None}]})


def make_class(root: Path, count: int, seed: int = 0) -> int:
    """`count` submissions in `root`; how many are copies of another."""
    rng, sources = random.Random(seed), pool()
    module = course.get(ASSIGNMENT).module
    codes: list[str] = []
    for number in range(count):
        copy = codes and rng.random() < COPIES
        code = disguise(rng.choice(codes), rng.randrange(1 << 30)) if copy else student(sources, rng)
        codes.append(code)
        name = f"student{number:04d}"
        if number % 10 == 1:
            (root / f"{name}.ipynb").write_text(notebook(code))
        elif number % 10 == 2:
            with zipfile.ZipFile(root / f"{name}.zip", "w") as z:
                z.writestr(f"{name}/{module}.py", code)
        else:
            (root / name).mkdir()
            (root / name / f"{module}.py").write_text(code)
    return round(count * COPIES)


def full_comparison_seconds(root: Path, count: int) -> float:
    """Seconds to compare every pair of the first `count` submissions in full, without an index."""
    assignment = course.get(ASSIGNMENT)
    read = sources.read_class(root, assignment)[0][:count]
    left_out = excluded.for_assignment(assignment).hashes
    streams = [tokens.stream(list(source.codes)) for source in read]
    prints = [fingerprints(stream) for stream in streams]
    sets = [frozenset(found) - left_out for found in prints]
    start = time.perf_counter()
    for a in range(len(sets)):
        for b in range(a + 1, len(sets)):
            regions.regions(streams[a], prints[a], streams[b], prints[b], sets[a] & sets[b])
    return time.perf_counter() - start


def copydetect_seconds(root: Path, count: int) -> float | None:
    """copydetect's seconds on the first `count` submissions (folders only); None if it is not installed."""
    try:
        from copydetect import CopyDetector
    except ImportError:
        return None
    folders = [str(p.parent) for p in sorted(root.glob("*/*.py"))[:count]]
    start = time.perf_counter()
    CopyDetector(test_dirs=folders, extensions=["py"], display_t=0.8, silent=True, autoopen=False).run()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=1000)
    count = parser.parse_args().students
    subset = min(count, SUBSET)
    quadratic = count * (count - 1) / (subset * (subset - 1))
    root = Path(tempfile.mkdtemp(prefix="bench-similarity-"))
    (root / "class").mkdir()
    start = time.perf_counter()
    make_class(root / "class", count)
    print(f"generated {count} submissions of {ASSIGNMENT} in {time.perf_counter() - start:.1f} s "
          f"({COPIES:.0%} disguised copies, a tenth notebooks, a tenth zips)")

    start = time.perf_counter()
    indexed = detect.main(assignment_id=ASSIGNMENT, submissions=root / "class", out=root / "out")
    total = time.perf_counter() - start
    stages = "  ".join(f"{stage} {s:.2f} s" for stage, s in indexed.seconds.items())
    print(f"indexed run, the whole command:  {total:7.2f} s   [{stages}]")
    print(f"  flagged at {indexed.threshold:g}: {indexed.above_threshold} pairs (about {round(count * COPIES)} "
          f"disguised copies were made)")

    full = full_comparison_seconds(root / "class", subset) * quadratic
    naive_total = total - indexed.seconds["pairs"] + full
    print(f"naive all-pairs full comparison: {naive_total:7.2f} s   (pairs {full:.1f} s: {count * (count - 1) // 2} "
          f"pairs with their regions; timed on {subset} students, x{quadratic:.1f} quadratically)")
    print(f"  ratio naive / indexed: {naive_total / total:.1f}x the whole command, "
          f"{full / indexed.seconds['pairs']:.0f}x the pair stage")

    naive = detect.compare(course.get(ASSIGNMENT), root / "class", pairs_by=index.all_pairs)
    assert [(p.a, p.b, p.match) for p in indexed.pairs] == [(p.a, p.b, p.match) for p in naive.pairs], \
        "the index and all pairs disagree"
    scores_total = total - indexed.seconds["pairs"] + naive.seconds["pairs"]
    print(f"all-pairs scores only:           {scores_total:7.2f} s   (pairs {naive.seconds['pairs']:.2f} s, "
          f"timed in full: every pair's fingerprint sets intersected; the same pairs found)")
    print(f"  ratio all-pairs scores / indexed: {scores_total / total:.2f}x the whole command, "
          f"{naive.seconds['pairs'] / indexed.seconds['pairs']:.1f}x the pair stage")

    seconds = copydetect_seconds(root / "class", subset)
    print("copydetect: not installed, not timed" if seconds is None else
          f"copydetect (all pairs, numpy):   {seconds * quadratic:7.2f} s   ({seconds:.1f} s on {subset} students, "
          f"x{quadratic:.1f} quadratically: an upper bound, as its reading is linear)")
    print(f"target: {count} submissions in under {TARGET_S:.0f} s on 2 cores: {'MET' if total < TARGET_S else 'MISSED'}")


if __name__ == "__main__":
    main()
