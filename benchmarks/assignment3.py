"""Assignment 3 timings: grading the reference end to end, and the reference's forward pass
against torch.nn.MultiheadAttention. Prints numbers and ratios; asserts nothing.

    .venv/bin/python benchmarks/assignment3.py [--runs 7] [--grade-runs 3]

Targets: grading under 10 s on 2 cores (torch imports included); the forward pass at batch 8,
sequence 512, hidden 512, 8 heads within 1.5x of nn.MultiheadAttention (eval mode, no grad).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def grading_seconds(runs: int) -> list[float]:
    """Wall time of `course grade assignment3 --reference`, each in a fresh process."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "grader.cli", "grade", "assignment3", "--reference",
                        "--format", "json"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def median_seconds(runs: dict, repeats: int, warmup: int = 2) -> dict:
    """Median seconds of each of `runs` (name -> callable), timed in turn so that a busy
    machine slows them all alike."""
    for run in runs.values():
        for _ in range(warmup):
            run()
    times = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def forward_seconds(runs: int, batch=8, seq=512, hidden=512, heads=8) -> dict:
    import torch

    from grader import course
    torch.manual_seed(0)
    ours = course.get("assignment3").reference().MultiHeadSelfAttention(hidden, heads).eval()
    theirs = torch.nn.MultiheadAttention(hidden, heads, batch_first=True).eval()
    with torch.no_grad():  # the same weights in both
        theirs.in_proj_weight.copy_(torch.cat([ours.query.weight, ours.key.weight, ours.value.weight]))
        theirs.in_proj_bias.copy_(torch.cat([ours.query.bias, ours.key.bias, ours.value.bias]))
        theirs.out_proj.weight.copy_(ours.out.weight)
        theirs.out_proj.bias.copy_(ours.out.bias)
    x = torch.randn(batch, seq, hidden)
    with torch.no_grad():
        assert torch.allclose(ours(x)[0], theirs(x, x, x, need_weights=False)[0], atol=1e-4)
        return median_seconds({
            "reference": lambda: ours(x),
            "nn.MultiheadAttention (need_weights=True, per-head probs)":
                lambda: theirs(x, x, x, need_weights=True, average_attn_weights=False),
            "nn.MultiheadAttention (need_weights=False)": lambda: theirs(x, x, x, need_weights=False),
        }, runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--grade-runs", type=int, default=3)
    args = parser.parse_args()
    import torch
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")
    times = grading_seconds(args.grade_runs)
    print(f"grading assignment3 --reference: median {statistics.median(times):.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in times)}; target < 10 s)")
    timings = forward_seconds(args.runs)
    reference = timings.pop("reference")
    print(f"forward, batch 8, seq 512, hidden 512, 8 heads, float32, eval, no grad "
          f"(median of {args.runs}):")
    print(f"  {'reference MultiHeadSelfAttention':<58} {reference * 1e3:8.1f} ms")
    for name, seconds in timings.items():
        print(f"  {name:<58} {seconds * 1e3:8.1f} ms   reference / this = {reference / seconds:.2f}x")
    print("target: reference within 1.5x of nn.MultiheadAttention")


if __name__ == "__main__":
    main()
