"""Assignment 2 timings: grading the reference, loading MNIST, NumPy vs PyTorch training.

    COURSE_DATA_DIR=../shared/data .venv/bin/python benchmarks/assignment2.py

Prints: the wall time of `course grade assignment2 --reference` (target < 15 s on 2 cores),
MNIST load times cold and cached (target < 0.2 s cached), the reference NumPy training time
against the same network trained with PyTorch on the CPU (same init, batches, lr, epochs;
target: NumPy <= 1.2x PyTorch) with both test accuracies, and sigmoid vs ReLU next to the
original course's figures.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from course_lib.datasets import load_mnist  # noqa: E402
from grader.course import get  # noqa: E402

ORIGINAL = {"sigmoid": 0.915, "relu": 0.952}  # the original course's test accuracies
THRESHOLD = {"sigmoid": 0.90, "relu": 0.95}


def grading_time() -> tuple[float, dict]:
    course = Path(sys.executable).with_name("course")
    start = time.perf_counter()
    out = subprocess.run([str(course), "grade", "assignment2", "--reference", "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    wall = time.perf_counter() - start
    return wall, json.loads(out)


LOAD_SNIPPET = """
import time; t0 = time.perf_counter()
from course_lib.datasets import load_mnist
t1 = time.perf_counter(); load_mnist(); t2 = time.perf_counter(); load_mnist(); t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def load_times() -> dict:
    """Seconds for a cold load (verify + decode), a cached load in a new process, and a repeat."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "COURSE_CACHE_DIR": cache}
        run = [sys.executable, "-c", LOAD_SNIPPET]
        _, cold, again = map(float, subprocess.run(run, env=env, cwd=ROOT, capture_output=True, text=True,
                                                   check=True).stdout.split())
        _, fresh, _ = map(float, subprocess.run(run, env=env, cwd=ROOT, capture_output=True, text=True,
                                                check=True).stdout.split())
    return {"cold (verify SHA-256 + decode + write cache)": cold,
            "cached, new process (verify SHA-256 + map)": fresh,
            "cached, same process": again}


def train_torch(X, Y, activation, num_hiddens=128, epochs=10, batch_size=128, lr=0.1, seed=0):
    """The reference's network and schedule in PyTorch: same init, same batch order, plain SGD."""
    import torch
    ref = get("assignment2").reference()
    params = {k: torch.tensor(v, dtype=torch.float32, requires_grad=True)
              for k, v in ref.init_params(X.shape[1], num_hiddens, Y.shape[1], seed).items()}
    act = torch.relu if activation == "relu" else torch.sigmoid
    X_t, labels = torch.from_numpy(X), torch.from_numpy(Y.argmax(axis=1))
    rng = np.random.default_rng(seed + 1)  # the reference's shuffling
    losses = []
    for _ in range(epochs):
        order = torch.from_numpy(rng.permutation(len(X)))
        total = 0.0
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            z2 = act(X_t[batch] @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]
            loss = torch.nn.functional.cross_entropy(z2, labels[batch])
            loss.backward()
            with torch.no_grad():
                for p in params.values():
                    p -= lr * p.grad
                    p.grad = None
            total += loss.item() * len(batch)
        losses.append(total / len(X))
    return {k: v.detach().numpy() for k, v in params.items()}, {"loss": losses}


def accuracy(params, X, y, activation) -> float:
    return float(np.mean(get("assignment2").reference().predict(params, X, activation) == y))


def main() -> None:
    import torch
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; numpy {np.__version__}, "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads)\n")

    times = load_times()
    print("MNIST load")
    for what, seconds in times.items():
        print(f"  {what:48} {seconds:7.3f} s")

    wall, report = grading_time()
    checks = {c["id"]: c for c in report["checks"]}
    print(f"\ngrading `course grade assignment2 --reference`: {wall:.2f} s wall (target < 15 s), "
          f"score {report['score']:g}/{report['max_score']:g}")
    for cid in ("train.history", "train.relu", "train.sigmoid"):
        print(f"  {cid:16} {checks[cid]['duration_s']:6.2f} s")

    data = load_mnist()
    X, y, X_test, y_test = data["X_train"], data["y_train"], data["X_test"], data["y_test"]
    Y = np.eye(10, dtype=np.float32)[y]
    ref = get("assignment2").reference()
    rows = []
    for activation in ("relu", "sigmoid"):
        start = time.perf_counter()
        params, _ = ref.train(X, Y, activation=activation)
        numpy_s = time.perf_counter() - start
        start = time.perf_counter()
        torch_params, _ = train_torch(X, Y, activation)
        torch_s = time.perf_counter() - start
        rows.append((activation, numpy_s, accuracy(params, X_test, y_test, activation),
                     torch_s, accuracy(torch_params, X_test, y_test, activation)))

    print("\ntraining at the defaults (H=128, 10 epochs, batch 128, lr 0.1, float32, same init and batches)")
    print(f"  {'activation':10} {'NumPy s':>8} {'acc':>7} {'PyTorch s':>10} {'acc':>7} {'NumPy/PyTorch':>14}")
    for activation, numpy_s, numpy_acc, torch_s, torch_acc in rows:
        print(f"  {activation:10} {numpy_s:8.2f} {numpy_acc:7.4f} {torch_s:10.2f} {torch_acc:7.4f} "
              f"{numpy_s / torch_s:13.2f}x")
    print("  target: NumPy/PyTorch <= 1.2x")

    print("\nsigmoid vs ReLU (test accuracy on the 10,000 test images)")
    print(f"  {'activation':10} {'this course':>12} {'original course':>16} {'grader threshold':>17}")
    for activation, _, numpy_acc, _, _ in sorted(rows, key=lambda r: r[0] != "sigmoid"):
        print(f"  {activation:10} {numpy_acc:12.4f} {ORIGINAL[activation]:16.3f} {THRESHOLD[activation]:17.2f}")


if __name__ == "__main__":
    main()
