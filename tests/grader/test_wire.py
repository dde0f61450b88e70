import numpy as np
import pandas as pd
import pytest

from grader.sandbox import wire


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
