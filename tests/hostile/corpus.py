"""Hostile submissions for assignment 1: each attacks the grader and must lose what it attacks.

An entry is the reference with `code` put at the top of `mae` (an attack inside a function),
or code appended to the reference (`append`, its definitions win), or a whole module
`source` (an attack at import), or a `build` function that lays out the folder itself.
`loses` names exactly the checks that must score 0 (ALL: every check), `words` what the
message of the first of them must hold. `isolation`: only bubblewrap stops it (without it the attack may
succeed: reading files, the network, writing outside). Sources may name @SOLUTION@ (the
reference file), @REPO@, @GRADEBOOK@ and @REPORT@ (files a grading run writes), @PORT@ (a
listener on 127.0.0.1 that must never hear from a submission) and @MARK@ (a token written
by successful attacks, so that the test can look for it).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grader import course

A1 = course.get("assignment1")
ALL = frozenset({"*"})
MAE = frozenset({"metrics.mae"})
REFERENCE_MAE = "    return float(np.mean(np.abs(np.asarray(y_true) - np.asarray(y_pred))))\n"


@dataclass(frozen=True)
class Hostile:
    loses: frozenset[str]
    words: str
    code: str = ""  # lines put at the top of mae, indented by four
    append: str = ""  # put after the reference (so its definitions win)
    source: str | bytes | None = None  # the whole module
    build: Callable[[Path], None] | None = None  # lays out the submission folder itself
    isolation: bool = False
    forks: bool = False  # needs the process limit, which does not bind root without bubblewrap or a cgroup
    cgroup: bool = False  # only a memory cgroup stops it (RLIMIT_DATA does not count it)
    time_scale: float = 0.1
    assignment: str = "assignment1"


def in_mae(code: str, words: str, **kwargs) -> Hostile:
    return Hostile(MAE, words, code=code, **kwargs)


def reading(path_expression: str) -> str:
    """mae that runs the reference's mae from the file it opens."""
    return (f"import os\nnamespace = {{}}\nexec(open({path_expression}).read(), namespace)\n"
            f"return namespace['mae'](y_true, y_pred)")


def writing(path: str) -> str:
    """mae that writes the mark into `path`, then answers correctly."""
    return f"with open({path!r}, 'a') as f:\n    f.write('@MARK@')\n" + REFERENCE_MAE.strip()


def _module_is_a_directory(folder: Path) -> None:
    (folder / "linear_regression.py").mkdir(parents=True)
    (folder / "linear_regression.py" / "__init__.py").write_text("def mae(a, b): return 0.0\n")


def _links_to_the_reference(folder: Path) -> None:
    folder.mkdir(parents=True)
    (folder / "helper.py").symlink_to(A1.solution_dir / "linear_regression.py")
    (folder / "linear_regression.py").write_text("from helper import *\n")


CORPUS = {
    # -- time ---------------------------------------------------------------------------
    "infinite_loop": in_mae("while True:\n    pass", "did not finish within the time limit"),
    "sleep_forever": in_mae("import time\ntime.sleep(10 ** 6)", "did not finish within the time limit"),
    "loop_at_import": Hostile(ALL, "did not finish within the time limit", source="while True:\n    pass\n"),
    "outlives_the_check": in_mae(
        "import os\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        os.chdir('/')\n"
        "        os.execvp('sleep', ['sleep', '1234.5'])\n    os._exit(0)\nreturn None",
        "expected a float, found NoneType"),
    # -- resources ----------------------------------------------------------------------
    # Filling 512 MiB takes ~0.6 s here: a 3 s limit, so that the memory limit is what ends these.
    "memory_bomb": in_mae("hoard = []\nwhile True:\n    hoard.append(bytearray(64 << 20))",
                          "the memory limit is 512 MiB", time_scale=0.3),
    "shared_mmap_2gib": in_mae(  # RLIMIT_DATA does not count shared mappings; a cgroup does
        "import mmap\nm = mmap.mmap(-1, 2 << 30, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)\n"
        "for i in range(0, 2 << 30, 4096):\n    m[i] = 1", "killed for using too much memory", cgroup=True,
        time_scale=0.3),
    "fills_tmp_with_2gib": in_mae(  # tmpfs pages count in the cgroup too (and /tmp is size-limited)
        "import os\nos.makedirs('/tmp/hoard', exist_ok=True)\nfor i in range(2048):\n"
        "    with open(f'/tmp/hoard/{i}', 'wb') as f:\n        f.write(b'x' * (1 << 20))",
        "`mae`", cgroup=True, isolation=True, time_scale=0.3),
    "fork_bomb": in_mae("import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass",
                        "did not finish within the time limit", forks=True),
    "output_flood_100mb": in_mae("import sys\nfor _ in range(100):\n    sys.stdout.write('x' * (1 << 20))",
                                 "files and output may hold at most 64 MiB"),
    "file_write_1gb": in_mae("with open('big.bin', 'wb') as f:\n    for _ in range(1024):\n"
                             "        f.write(b'x' * (1 << 20))", "files and output may hold at most 64 MiB"),
    "endless_recursion": in_mae("def down(n):\n    return down(n + 1)\nreturn down(0)", "RecursionError"),
    "segfault_via_ctypes": in_mae("import ctypes\nctypes.string_at(0)", "segmentation fault"),
    # -- exits --------------------------------------------------------------------------
    "sys_exit_at_import": Hostile(ALL, "called sys.exit(3)", source="import sys\nsys.exit(3)\n"),
    "os_exit_at_import": Hostile(ALL, "exit code 4", source="import os\nos._exit(4)\n"),
    "sys_exit_in_function": in_mae("import sys\nsys.exit(0)", "called sys.exit(0)"),
    "os_exit_in_function": in_mae("import os\nos._exit(0)", "ended without a result"),
    "kills_its_worker": in_mae("import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\nreturn 0.0", "`mae`"),
    # -- cheating -----------------------------------------------------------------------
    "reads_solution_by_absolute_path": in_mae(reading("'@SOLUTION@'"), "No such file or directory",
                                              isolation=True),
    "reads_solution_by_relative_path": in_mae(reading("os.path.relpath('@SOLUTION@')"),
                                              "No such file or directory", isolation=True),
    "imports_the_reference": Hostile(
        ALL, "importing linear_regression.py raised", isolation=True,
        source="from grader.course import get\n_ref = get('assignment1').reference()\n"
               "globals().update({k: v for k, v in vars(_ref).items() if not k.startswith('__')})\n"),
    "links_to_the_reference": Hostile(ALL, "importing linear_regression.py raised", isolation=True,
                                      build=_links_to_the_reference),
    "monkeypatches_numpy": Hostile(
        MAE, "mae(y_true, y_pred): expected",
        append="np.allclose = lambda *a, **k: True\nnp.isclose = lambda *a, **k: True\n"
               "np.array_equal = lambda *a, **k: True\nnp.testing.assert_allclose = lambda *a, **k: None\n"
               "def mae(y_true, y_pred):\n    return 0.0\n"),
    "monkeypatches_torch": Hostile(  # assignment 3, whose worker has torch loaded already
        frozenset({"sdpa.no_mask", "sdpa.mask", "mhsa.no_mask", "mhsa.padding_mask", "mhsa.causal_mask",
                   "mhsa.gradients", "mhsa.dropout_eval"}), "expected", time_scale=0.3, assignment="assignment3",
        append="torch.allclose = lambda *a, **k: True\ntorch.equal = lambda *a, **k: True\n"
               "torch.testing.assert_close = lambda *a, **k: None\n_sdpa = scaled_dot_product_attention\n"
               "def scaled_dot_product_attention(q, k, v, mask=None):\n    out, probs = _sdpa(q, k, v, mask)\n    return 2 * out, probs\n"),
    "lies_about_equality": in_mae(
        "class Anything(float):\n    def __eq__(self, other): return True\n"
        "    def __float__(self): return float('nan')\nreturn Anything(0.0)", "which the grader cannot read"),
    "pretends_to_be_an_array": in_mae(
        "class Fake:\n    def __array__(self, *a, **k): return np.zeros(())\n"
        "    def __eq__(self, other): return True\nreturn Fake()", "which the grader cannot read"),
    "array_subclass_lies": Hostile(
        frozenset({"add_bias.matrix", "add_bias.vector", "linear_regression.weights",
                   "linear_regression.predict", "end_to_end.r2"}), "expected",
        append="class Lying(np.ndarray):\n"
               "    def __eq__(self, other): return np.ones(self.shape, bool)\n"
               "    def __array__(self, *a, **k): return np.ones(self.shape)\n"
               "def add_bias(X):\n    X = np.asarray(X, dtype=float).reshape(len(X), -1)\n"
               "    return np.zeros((len(X), X.shape[1] + 1)).view(Lying)\n"),
    "returns_nan": in_mae("return float('nan')", "non-finite value nan"),
    "returns_inf": Hostile(frozenset({"metrics.mse", "metrics.rmse"}), "non-finite value inf",
                           append="def mse(y_true, y_pred):\n    return float('inf')\n"),
    "modifies_its_input": Hostile(
        frozenset({"drop_missing.input_unchanged"}), "must return a new frame",
        append="def drop_missing(df, columns=('PM10', 'PM2.5')):\n"
               "    result = df.dropna(subset=list(columns)).copy()\n    df.iloc[:, 0] = -1\n    return result\n"),
    # -- escaping -----------------------------------------------------------------------
    "writes_the_gradebook": in_mae(writing("@GRADEBOOK@"), "`mae` raised", isolation=True),
    "writes_the_report": in_mae(writing("@REPORT@"), "`mae` raised", isolation=True),
    "writes_into_the_solutions": in_mae(writing("@REPO@/solutions/assignment1/PWNED.py"), "`mae` raised",
                                        isolation=True),
    "links_its_output_to_the_reference": in_mae(  # the parent, which sees the reference, reads output.txt
        "import os\nos.remove('output.txt')\nos.symlink('@SOLUTION@', 'output.txt')\nos._exit(1)",
        "something other than a plain file", isolation=True),
    "rewrites_its_own_submission": in_mae("with open(__file__, 'a') as f:\n    f.write('# @MARK@')\n"
                                          + REFERENCE_MAE.strip(), "`mae` raised", isolation=True),
    "opens_a_network_socket": in_mae(
        "import socket\nwith socket.create_connection(('127.0.0.1', @PORT@), timeout=1) as s:\n"
        "    s.sendall(b'@MARK@')\n" + REFERENCE_MAE.strip(), "`mae` raised", isolation=True),
    # -- malformed ----------------------------------------------------------------------
    "non_utf8_source": Hostile(ALL, "SyntaxError", source=b"x = '\xff\xfe'\ndef mae(a, b):\n    return 0.0\n"),
    "module_is_a_directory": Hostile(ALL, "is not a file (a folder?)", build=_module_is_a_directory),
}


def write(name: str, folder: Path, fill: dict[str, str]) -> Path:
    """Lay out the submission `name` in `folder`, with the placeholders of `fill` put in."""
    hostile = CORPUS[name]
    assignment = course.get(hostile.assignment)
    if hostile.build:
        hostile.build(folder)
        return folder
    folder.mkdir(parents=True)
    module = folder / f"{assignment.module}.py"
    if isinstance(hostile.source, bytes):
        module.write_bytes(hostile.source)
        return folder
    source = hostile.source
    if source is None:
        source = (assignment.solution_dir / module.name).read_text()
        body = "".join(f"    {line}\n" for line in hostile.code.splitlines())
        source = source.replace("def mae(y_true, y_pred):\n", "def mae(y_true, y_pred):\n" + body, 1)
        source += "\n" + hostile.append
    for key, value in fill.items():
        source = source.replace(f"@{key}@", value)
    module.write_text(source)
    return folder
