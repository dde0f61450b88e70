"""Plain data across the trust boundary: a JSON tree plus an .npz of arrays, never pickle.

Both sides use this module. `encode` turns a value into a JSON-able tree whose arrays are
replaced by references into a dict of arrays; `decode` rebuilds it. The parent only ever
calls `read` / `decode` on what the child wrote, with `allow_pickle=False`, and receives
plain Python scalars, strings, lists, tuples, dicts, NumPy arrays of numbers, booleans or
strings, and pandas DataFrames it builds itself from those.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

MAX_DEPTH = 32
PLAIN_KINDS = "biufcUS?"  # numbers, booleans and fixed-width strings


class Unencodable(TypeError):
    """A value that cannot cross the boundary as plain data."""


def encode(value, arrays: dict, depth: int = 0):
    if depth > MAX_DEPTH:
        raise Unencodable("the value is nested too deeply")
    if value is None or isinstance(value, (bool, str)):
        return value
    if type(value) in (int, float):
        return value if type(value) is int else {"__float__": repr(value)}
    if isinstance(value, np.generic) and value.dtype.kind in "biuf":
        return encode(value.item(), arrays, depth + 1)
    if type(value) is tuple:
        return {"__tuple__": [encode(v, arrays, depth + 1) for v in value]}
    if type(value) is list:
        return [encode(v, arrays, depth + 1) for v in value]
    if type(value) is dict:
        if not all(type(k) is str for k in value):
            raise Unencodable("a dict whose keys are not all strings")
        return {"__dict__": {k: encode(v, arrays, depth + 1) for k, v in value.items()}}
    if _is_tensor(value):
        return {"__tensor__": encode(value.detach().cpu().numpy(), arrays, depth + 1)}
    if _is_pandas(value, "DataFrame"):
        return {"__dataframe__": {
            "columns": [str(c) for c in value.columns],
            "index": encode(np.asarray(value.index), arrays, depth + 1),
            "data": [encode(_column(value.iloc[:, i]), arrays, depth + 1) for i in range(value.shape[1])],
        }}
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        array = np.asarray(value)
        if array.dtype.kind == "O":
            raise Unencodable("a NumPy array of Python objects (dtype=object)")
        if array.dtype.kind not in PLAIN_KINDS:
            raise Unencodable(f"a NumPy array of dtype {array.dtype}")
        key = f"a{len(arrays)}"
        arrays[key] = np.ascontiguousarray(array)
        return {"__array__": key}
    raise Unencodable(f"an object of type {type(value).__module__}.{type(value).__qualname__}")


def _column(series):
    """A DataFrame column as a plain array: numbers stay numbers, text becomes fixed-width str."""
    array = series.to_numpy()
    if array.dtype.kind in "biuf?":
        return array
    return np.array(["" if v is None else str(v) for v in array.tolist()])


def _is_tensor(value) -> bool:
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(value, torch.Tensor)


def _is_pandas(value, name: str) -> bool:
    pandas = sys.modules.get("pandas")
    return pandas is not None and type(value) is getattr(pandas, name)


def decode(tree, arrays: dict, tensors: bool = False):
    """Rebuild what `encode` wrote. Tensors come back as arrays unless `tensors` is True."""
    if isinstance(tree, list):
        return [decode(v, arrays, tensors) for v in tree]
    if not isinstance(tree, dict):
        return tree
    (tag, inner), = tree.items()
    if tag == "__float__":
        return float(inner)
    if tag == "__tuple__":
        return tuple(decode(v, arrays, tensors) for v in inner)
    if tag == "__dict__":
        return {k: decode(v, arrays, tensors) for k, v in inner.items()}
    if tag == "__array__":
        return arrays[inner]
    if tag == "__tensor__":
        array = decode(inner, arrays, tensors)
        return sys.modules["torch"].from_numpy(array.copy()) if tensors else array
    if tag == "__dataframe__":
        import pandas as pd
        data = {c: decode(col, arrays, tensors) for c, col in zip(inner["columns"], inner["data"])}
        return pd.DataFrame(data, index=decode(inner["index"], arrays, tensors), columns=inner["columns"])
    raise ValueError(f"unknown tag {tag!r} in plain data")


def write(folder: Path, stem: str, value) -> None:
    """Write `value` as `<stem>.json` plus `<stem>.npz` in `folder`."""
    arrays: dict = {}
    tree = encode(value, arrays)
    np.savez(folder / f"{stem}.npz", **arrays)
    (folder / f"{stem}.json").write_text(json.dumps(tree))


def read(folder: Path, stem: str, tensors: bool = False):
    """Read what `write` wrote; arrays are loaded without pickle and must be plain dtypes."""
    tree = json.loads((folder / f"{stem}.json").read_text())
    with np.load(folder / f"{stem}.npz", allow_pickle=False) as npz:
        arrays = {key: npz[key] for key in npz.files}
    for key, array in arrays.items():
        if array.dtype.kind not in PLAIN_KINDS:
            raise Unencodable(f"array {key} has dtype {array.dtype}")
    return decode(tree, arrays, tensors)
