"""Result files as bombs: student code writes result.json and result.npz into its call folder
itself (as the worker would) and leaves with os._exit(0). The grader's own process reads them,
so each is bounded before and while it is decoded (grader/sandbox/wire.py): whatever is too big
or malformed costs the check that ran it, as the student's fault with a clear message, never
a grader error, and the grader's memory stays where it was."""
from __future__ import annotations

import inspect
import resource

import pytest

from grader import course
from grader.grade import grade_submission
from tests.hostile import bombs
from tests.support import failing

A1 = course.get("assignment1")
MAE = {"metrics.mae"}
CANNOT_READ = "`mae`: your code left a result the grader cannot read: "

HELPERS = "import json, os, struct, zlib\nimport numpy as np\n" + "".join(
    inspect.getsource(f) + "\n" for f in (bombs.deflated_zeros, bombs.zip_of_one)) + f"BLOCK = {bombs.BLOCK}\n"

LEAVE = "os._exit(0)\n"
ATTACKS = {
    # a .npy header declaring 8 GiB of float64, and 8 GiB of zeros really there (an 8 MB file)
    "npz_declares_8_gib": (
        "import io\nhead = io.BytesIO()\nnp.lib.format.write_array_header_1_0(head, {'descr': '<f8', "
        "'fortran_order': False, 'shape': (1 << 30,)})\n"
        "data = deflated_zeros(8192, head.getvalue())\n"
        "open('result.npz', 'wb').write(zip_of_one('a0.npy', data, len(head.getvalue()) + (8 << 30)))\n"
        "open('result.json', 'w').write('{\"__dict__\": {\"ok\": true, \"value\": {\"__array__\": \"a0\"}}}')\n",
        "array 'a0' of result.npz (as its zip entry declares) takes 8 GiB"),
    # one array of 16 MiB as the index and all 200 columns of a frame: 3.2 GiB once rebuilt
    "one_array_aliased_by_200_columns": (
        "np.savez_compressed('result.npz', a0=np.zeros(2 << 20))\n"
        "frame = {'columns': [f'c{i}' for i in range(200)], 'index': {'__array__': 'a0'},\n"
        "         'data': [{'__array__': 'a0'}] * 200}\n"
        "json.dump({'__dict__': {'ok': True, 'value': {'__dataframe__': frame}}}, open('result.json', 'w'))\n",
        "its arrays come to more than the limit of 256 MiB as the value uses them"),
    "result_is_an_empty_list": (
        "np.savez('result.npz')\nopen('result.json', 'w').write('[]')\n",
        "expected a mapping with a boolean 'ok', found list"),
    "result_nested_100000_deep": (
        "np.savez('result.npz')\nopen('result.json', 'w').write('[' * 100000 + ']' * 100000)\n",
        "result.json is nested too deeply"),
    "result_nested_past_the_wire_depth": (
        "np.savez('result.npz')\nvalue = 0.0\nfor _ in range(40):\n    value = [value]\n"
        "json.dump({'__dict__': {'ok': True, 'value': value}}, open('result.json', 'w'))\n",
        "it is nested more than 32 levels deep"),
    "result_without_its_value": (
        "np.savez('result.npz')\nopen('result.json', 'w').write('{\"__dict__\": {\"ok\": true}}')\n",
        "it has no 'value'"),
    "error_of_the_wrong_shape": (
        "np.savez('result.npz')\njson.dump({'__dict__': {'ok': False, 'error': {'__dict__': {'stage': 'call', "
        "'type': 5}}}}, open('result.json', 'w'))\n",
        "its error's 'type' is missing or not a str"),
    "npz_is_not_a_zip": (
        "open('result.npz', 'wb').write(b'PK not really')\n"
        "open('result.json', 'w').write('{\"__dict__\": {\"ok\": true, \"value\": 1}}')\n",
        "result.npz is not a zip file"),
}


def submission(folder, code: str):
    """The reference with `code` run at the top of `mae`, which then leaves without a word."""
    source = (A1.solution_dir / "linear_regression.py").read_text()
    body = "".join(f"    {line}\n" for line in (code + LEAVE).splitlines())
    folder.mkdir()
    (folder / "linear_regression.py").write_text(
        HELPERS + source.replace("def mae(y_true, y_pred):\n", "def mae(y_true, y_pred):\n" + body, 1))
    return folder


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_a_result_bomb_costs_its_check_and_not_the_grader(name, tmp_path, data_dir):
    code, words = ATTACKS[name]
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = grade_submission(A1, submission(tmp_path / name, code), data_dir=data_dir, time_scale=0.3)
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) >> 10
    assert failing(report) == MAE and report.complete, [(c.id, c.message) for c in report.checks if not c.passed]
    mae, = (c for c in report.checks if c.id in MAE)
    assert mae.status == "error" and mae.points == 0, mae
    assert mae.message.startswith(CANNOT_READ) and words in mae.message, mae.message
    assert grown < 300, f"the grader's own process grew by {grown} MiB reading the result"


def test_the_same_files_written_honestly_are_read(tmp_path, data_dir):
    """The bounds leave alone what `wire.write` writes, even when student code writes it and leaves."""
    code = ("import pandas as pd\nfrom wire import write\nfrom pathlib import Path\n"
            "write(Path('.'), 'result', {'ok': True, 'value': float(np.mean(np.abs(np.asarray(y_true) - "
            "np.asarray(y_pred))))})\n")
    report = grade_submission(A1, submission(tmp_path / "honest", code), data_dir=data_dir, time_scale=0.3)
    assert failing(report) == set(), [(c.id, c.message) for c in report.checks if not c.passed]
