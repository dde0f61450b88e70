import dataclasses
import io
import json
import re
import zipfile

import numpy as np
import pandas as pd
import pytest

from grader.sandbox import wire
from grader.sandbox.isolation import Limits


def roundtrip(value, tmp_path):
    wire.write(tmp_path, "v", value)
    return wire.read(tmp_path, "v")


def test_plain_values_round_trip_exactly(tmp_path):
    value = {"a": (1, 2.5, float("nan")), "b": [None, True, "x"], "c": np.arange(6).reshape(2, 3),
             "d": np.float32(1.5), "e": np.array(["ab", "c"])}
    back = roundtrip(value, tmp_path)
    assert back["a"][:2] == (1, 2.5) and np.isnan(back["a"][2]) and isinstance(back["a"], tuple)
    assert back["b"] == [None, True, "x"] and back["d"] == 1.5
    assert np.array_equal(back["c"], value["c"]) and back["c"].dtype == value["c"].dtype
    assert back["e"].tolist() == ["ab", "c"]


@pytest.mark.parametrize("dtype", ["<f8", "<f4", ">i4", "<i8", "|u1", "|b1", "<c16", "<U7", "|S3"])
def test_every_plain_dtype_and_layout_reads_back_as_numpy_itself_reads_it(tmp_path, dtype):
    """wire parses the headers numpy writes for plain dtypes itself (numpy's parser compiles
    each one): the same arrays as np.load, whatever the shape and order."""
    arrays = [np.zeros((), dtype), np.zeros((0,), dtype), np.ones(5, dtype),
              np.asfortranarray(np.arange(6).reshape(2, 3).astype(dtype)), np.ones((2, 1, 3), dtype)]
    back = wire.read(written_value(tmp_path, arrays), "v", limits=LIMITS)
    with np.load(tmp_path / "v.npz") as stored:
        loaded = [stored[f"a{i}"] for i in range(len(arrays))]
    for sent, got, numpy_read in zip(arrays, back, loaded):
        assert got.dtype == numpy_read.dtype == sent.dtype and got.shape == numpy_read.shape == sent.shape
        assert got.tobytes("A") == numpy_read.tobytes("A") and np.array_equal(got, sent)
        assert got.flags.f_contiguous == numpy_read.flags.f_contiguous


def written_value(tmp_path, value):
    wire.write(tmp_path, "v", value)
    return tmp_path


def test_a_header_numpy_writes_otherwise_is_read_by_numpy_s_own_parser(tmp_path):
    """A version 2.0 header (numpy writes one for headers over 64 KiB) still reads."""
    member = io.BytesIO()
    np.lib.format.write_array(member, np.arange(3.0), version=(2, 0))
    (tmp_path / "v.json").write_text('{"__array__": "a0"}')
    with zipfile.ZipFile(tmp_path / "v.npz", "w") as z:
        z.writestr("a0.npy", member.getvalue())
    assert wire.read(tmp_path, "v", limits=LIMITS).tolist() == [0.0, 1.0, 2.0]


def test_a_value_without_arrays_writes_an_empty_archive(tmp_path):
    wire.write(tmp_path, "v", {"x": [1, "two"]})
    with zipfile.ZipFile(tmp_path / "v.npz") as z:
        assert z.namelist() == []
    assert wire.read(tmp_path, "v", limits=LIMITS) == {"x": [1, "two"]}


def test_dataframes_come_back_as_frames_built_from_plain_columns(tmp_path):
    frame = pd.DataFrame({"x": [1.0, np.nan], "s": ["a", "b"]}, index=[5, 9])
    back = roundtrip(frame, tmp_path)
    assert type(back) is pd.DataFrame and list(back.columns) == ["x", "s"]
    assert back.index.tolist() == [5, 9] and back["s"].tolist() == ["a", "b"]


@pytest.mark.parametrize("value", [object(), np.array([object()]), {1: 2}, np.array([1 + 2j])[0:0].astype("V8")])
def test_objects_that_are_not_plain_data_are_refused(value, tmp_path):
    with pytest.raises(wire.Unencodable):
        wire.write(tmp_path, "v", value)


def test_subclasses_of_plain_types_are_refused(tmp_path):
    class Liar(float):
        def __eq__(self, other):
            return True
    with pytest.raises(wire.Unencodable):
        wire.write(tmp_path, "v", Liar(1.0))


def test_an_array_subclass_crosses_as_a_plain_array(tmp_path):
    class Sneaky(np.ndarray):
        def __eq__(self, other):
            return True
    back = roundtrip(np.arange(3).view(Sneaky), tmp_path)
    assert type(back) is np.ndarray and not (back == np.array([9, 9, 9])).any()


def test_pickled_arrays_are_never_loaded(tmp_path):
    (tmp_path / "v.json").write_text('{"__array__": "a0"}')
    np.savez(tmp_path / "v.npz", a0=np.array([{"evil": 1}], dtype=object))
    with pytest.raises(ValueError):
        wire.read(tmp_path, "v")


# -- reading what a hostile child wrote: bounded before and while decoding ---------------------
LIMITS = Limits()


def written(tmp_path, tree, **arrays):
    """result.json holding `tree` (JSON text, or data to dump) and result.npz holding `arrays`."""
    (tmp_path / "v.json").write_text(tree if isinstance(tree, str) else json.dumps(tree))
    np.savez(tmp_path / "v.npz", **arrays)
    return tmp_path


def test_within_the_limits_a_written_value_reads_back_the_same(tmp_path):
    frame = pd.DataFrame({f"c{i}": np.arange(3.0) for i in range(200)})
    value = {"a": (1, 2.5), "frame": frame, "m": np.arange(6).reshape(2, 3).T}  # a Fortran-ordered array too
    wire.write(tmp_path, "v", value)
    back = wire.read(tmp_path, "v", limits=LIMITS)
    assert back["a"] == (1, 2.5) and back["frame"].equals(frame) and np.array_equal(back["m"], value["m"])
    back["m"][0, 0] = 7  # the parent's own, writable copy


@pytest.mark.parametrize("limits, words", [
    (dataclasses.replace(LIMITS, result_json_bytes=64), "v.json is larger than the limit"),
    (dataclasses.replace(LIMITS, result_nodes=10), "v.json may hold up to"),
    (dataclasses.replace(LIMITS, result_arrays=1), "declares 2 entries"),
    (dataclasses.replace(LIMITS, result_bytes=1000),
     "(as its zip entry declares) takes 8128 bytes, more than the 1000 bytes left"),
    (dataclasses.replace(LIMITS, result_seconds=0), "took longer than the limit of 0 s"),
])
def test_each_limit_refuses_a_result_over_it(tmp_path, limits, words):
    wire.write(tmp_path, "v", [np.zeros(1000), np.zeros(1000)] + list(range(20)))
    assert wire.read(tmp_path, "v")  # no limits: read as before
    with pytest.raises(wire.Malformed, match=re.escape(words)):
        wire.read(tmp_path, "v", limits=limits)


def test_an_array_counts_each_time_the_value_uses_it(tmp_path):
    written(tmp_path, [{"__array__": "a0"}] * 3, a0=np.zeros(1000))  # 8 KB stored, 24 KB used
    assert len(wire.read(tmp_path, "v", limits=dataclasses.replace(LIMITS, result_bytes=24_000))) == 3
    with pytest.raises(wire.Malformed, match="as the value uses them"):
        wire.read(tmp_path, "v", limits=dataclasses.replace(LIMITS, result_bytes=23_999))


def npy_member(header: dict, data: bytes) -> bytes:
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(head, header)
    return head.getvalue() + data


@pytest.mark.parametrize("member, words", [
    (npy_member({"descr": "<f8", "fortran_order": False, "shape": (1 << 30,)}, b""), "takes 8 GiB"),
    (npy_member({"descr": "<f8", "fortran_order": False, "shape": (4,)}, bytes(16)), "fewer bytes than"),
    (npy_member({"descr": "<f8", "fortran_order": False, "shape": (1,)}, bytes(16)), "more bytes than"),
    (npy_member({"descr": "<M8[s]", "fortran_order": False, "shape": (1,)}, bytes(8)), "dtype 'datetime64[s]'"),
    (npy_member({"descr": [("x", "<f8")], "fortran_order": False, "shape": (1,)}, bytes(8)),
     "dtype \"[('x', '<f8')]\""),
    (b"\x93NUMPY\x09\x00garbage", "has .npy format (9, 0), not 1.0 or 2.0"),
    (b"\x93NUMPY\x01\x00\x10\x00{'descr': ?????}", "not an .npz that can be read"),
    (b"plain text", "not an .npz that can be read"),
])
def test_an_npy_header_is_checked_before_its_data_is_read(tmp_path, member, words):
    (tmp_path / "v.json").write_text('{"__array__": "a0"}')
    with zipfile.ZipFile(tmp_path / "v.npz", "w") as z:
        z.writestr("a0.npy", member)
    with pytest.raises(wire.Malformed, match=re.escape(words)):
        wire.read(tmp_path, "v", limits=LIMITS)


@pytest.mark.parametrize("tree, words", [
    ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ("not json", "v.json is not JSON"),
    ({"__array__": "a9"}, "an array 'a9' that result.npz does not hold"),
    ({"__float__": [1]}, "__float__ holds list, not str"),
    ({"__float__": "one"}, "not plain data (ValueError"),
    ({"__what__": 1}, "unknown tag '__what__'"),
    ({"a": 1, "b": 2}, "a mapping of 2 keys"),
    ({"__dataframe__": {"columns": ["x"], "data": [], "index": []}}, "matching lists of column names"),
])
def test_a_tree_that_encode_never_writes_is_malformed(tmp_path, tree, words):
    with pytest.raises(wire.Malformed, match=re.escape(words)):
        wire.read(written(tmp_path, tree), "v", limits=LIMITS)


def test_the_parent_never_maps_a_file_a_result_names(tmp_path):
    """Only the child reads a manifest of shared inputs (read with `shared`): a result that
    names a file to map, here one beside it, is an array the result does not hold."""
    np.save(tmp_path / "secret.npy", np.arange(3.0))
    (tmp_path / "result.json").write_text('{"__array__": "a0"}')
    (tmp_path / "result.npz").write_bytes(wire.EMPTY_ZIP)
    (tmp_path / "result.shared.json").write_text('{"a0": "secret.npy"}')
    with pytest.raises(wire.Malformed, match="does not hold"):
        wire.read(tmp_path, "result", limits=LIMITS)
    assert wire.read(tmp_path, "result", shared=tmp_path).tolist() == [0.0, 1.0, 2.0]  # as the child reads


def test_large_arrays_of_every_plain_dtype_cross_by_the_shared_file(tmp_path, monkeypatch):
    monkeypatch.setattr(wire, "SHARED_BYTES", 64)
    shared = tmp_path / "shared"
    shared.mkdir()
    sent = [np.arange(40.0).astype(complex), np.array(["text"] * 20), np.arange(40, dtype=">i4"), np.ones(80, bool)]
    wire.write(tmp_path, "v", sent, shared=shared)
    assert len(list(shared.glob("*.npy"))) == 4  # none left in the .npz
    back = wire.read(tmp_path, "v", shared=shared)
    assert len(back) == len(sent) and all(a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(sent, back))
