"""Plain data across the trust boundary: a JSON tree plus an .npz of arrays, never pickle.

Both sides use this module. `encode` turns a value into a JSON-able tree whose arrays are
replaced by references into a dict of arrays; `decode` rebuilds it. The parent only ever
calls `read` / `decode` on what the child wrote, and receives plain Python scalars, strings,
lists, tuples, dicts, NumPy arrays of numbers, booleans or strings, and pandas DataFrames it
builds itself from those.

What the child wrote is hostile, so `read` with `limits` (`isolation.Limits`) bounds it before
and while decoding: result.json's size and its count of values (before parsing) and nesting;
result.npz's entry count (from its end record, before zipfile reads the directory), each
member's declared size and the shape times item size its .npy header declares (read here with
`numpy.lib.format`, never `np.load`), the bytes actually read, the total of the arrays as the
value uses them (an array used by 200 frame columns counts 200 times) and the time taken.
Whatever is not what `write` writes raises `Malformed`, whose message says what.
"""
from __future__ import annotations

import hashlib
import io
import json
import math
import os
import re
import struct
import sys
import time
import zipfile
import zlib
from pathlib import Path

import numpy as np
from numpy.lib import format as npy

MAX_DEPTH = 32
PLAIN_KINDS = "biufcUS?"  # numbers, booleans and fixed-width strings


CHUNK = 1 << 20
SHARED_BYTES = 16 << 20  # an input this large goes by a file of its content that the child maps
SHARED_KEPT_BYTES = 2 << 30  # what a shared folder keeps, least recently used removed first
EMPTY_ZIP = b"PK\x05\x06" + bytes(18)  # an .npz of no arrays: the end record alone
MAX_HEADER = 10_000  # bytes of a .npy header (numpy's own bound when it reads one)
# the header numpy writes for a plain dtype, e.g. {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
NPY_HEADER = re.compile(rb"\{'descr': '([<>|=][a-zA-Z]\d{0,9})', 'fortran_order': (True|False), "
                        rb"'shape': \(((?:\d{1,18}, )*(?:\d{1,18},?)?)\), \} *\n")
DIRECTORY_ENTRY_BYTES = 46 + 512  # a zip directory entry: its fixed part, a name and extras


class Unencodable(TypeError):
    """A value that cannot cross the boundary as plain data."""


class Malformed(ValueError):
    """Files that are not what `write` writes, or larger than the limits allow; the message says which."""


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
        arrays[key] = np.ascontiguousarray(array).reshape(array.shape)  # 0-d stays 0-d
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


def decode(tree, arrays: dict, tensors: bool = False, budget: "_Budget | None" = None, depth: int = 0):
    """Rebuild what `encode` wrote. Tensors come back as arrays unless `tensors` is True.
    `budget` counts the arrays each time the value uses them, and the time (see `read`)."""
    budget = budget or _Budget(None)
    budget.tick()
    if depth > MAX_DEPTH:
        raise Malformed(f"it is nested more than {MAX_DEPTH} levels deep")
    if isinstance(tree, list):
        return [decode(v, arrays, tensors, budget, depth + 1) for v in tree]
    if not isinstance(tree, dict):
        return tree
    if len(tree) != 1:
        raise Malformed(f"a mapping of {len(tree)} keys where one tag was expected")
    (tag, inner), = tree.items()
    if tag == "__float__":
        return float(_typed(inner, str, tag))
    if tag == "__tuple__":
        return tuple(decode(v, arrays, tensors, budget, depth + 1) for v in _typed(inner, list, tag))
    if tag == "__dict__":
        return {k: decode(v, arrays, tensors, budget, depth + 1) for k, v in _typed(inner, dict, tag).items()}
    if tag == "__array__":
        array = arrays.get(_typed(inner, str, tag))
        if array is None:
            raise Malformed(f"it uses an array {_shown(inner)} that result.npz does not hold")
        budget.use(array.nbytes, f"array {_shown(inner)}")
        return array
    if tag == "__tensor__":
        array = decode(inner, arrays, tensors, budget, depth + 1)
        if not isinstance(array, np.ndarray):
            raise Malformed("a tensor that is not an array")
        return sys.modules["torch"].from_numpy(array.copy()) if tensors else array
    if tag == "__dataframe__":
        return _frame(_typed(inner, dict, tag), arrays, tensors, budget, depth)
    raise Malformed(f"unknown tag {_shown(tag)} in plain data")


def _frame(inner: dict, arrays: dict, tensors: bool, budget: "_Budget", depth: int):
    import pandas as pd
    columns, data = inner.get("columns"), inner.get("data")
    if type(columns) is not list or type(data) is not list or len(columns) != len(data) \
            or not all(type(c) is str for c in columns) or "index" not in inner:
        raise Malformed("a data frame without matching lists of column names and columns, or without an index")
    decoded = {c: decode(col, arrays, tensors, budget, depth + 1) for c, col in zip(columns, data)}
    index = decode(inner["index"], arrays, tensors, budget, depth + 1)
    try:
        return pd.DataFrame(decoded, index=index, columns=columns)
    except (ValueError, TypeError) as err:
        raise Malformed(f"its data frame cannot be built ({_shown(err)})") from None


def _typed(value, kind: type, tag: str):
    if type(value) is not kind:
        raise Malformed(f"{tag} holds {type(value).__name__}, not {kind.__name__}")
    return value


def _shown(value, limit: int = 80) -> str:
    """Text of the child's, for a message: its repr, shortened."""
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _size(count: float) -> str:
    if count >= 1 << 30:
        return f"{count / (1 << 30):.3g} GiB"
    return f"{count / (1 << 20):.3g} MiB" if count >= 1 << 20 else f"{count:g} bytes"


class _Budget:
    """What is left of `limits` (isolation.Limits; None: no bounds) while one value is read:
    bytes of arrays stored and as used, and time."""

    def __init__(self, limits):
        self.limits = limits
        self.stored = self.used = limits.result_bytes if limits else math.inf
        self.deadline = time.monotonic() + limits.result_seconds if limits else math.inf

    def fits(self, count: int, what: str) -> None:
        """Refuse `count` bytes more of stored arrays, should they not fit."""
        if count > self.stored:
            raise Malformed(f"{what} takes {_size(count)}, more than the {_size(self.stored)} left of the limit "
                            f"of {_size(self.limits.result_bytes)} on a result's arrays")

    def store(self, count: int, what: str) -> None:
        self.fits(count, what)
        self.stored -= count

    def use(self, count: int, what: str) -> None:
        if count > self.used:
            raise Malformed(f"its arrays come to more than the limit of {_size(self.limits.result_bytes)} as the "
                            f"value uses them ({what} counts each time it is used)")
        self.used -= count

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise Malformed(f"reading it took longer than the limit of {self.limits.result_seconds:g} s")


def write(folder: Path, stem: str, value, shared: Path | None = None) -> None:
    """Write `value` as `<stem>.json` plus `<stem>.npz` in `folder`. With `shared` (the parent
    writing a request), each array of SHARED_BYTES or more goes to a file in that folder named
    by the SHA-256 of its content, written once and then reused by every call given the same
    data, and `<stem>.shared.json` says which: the child maps it (`read` with `shared`) instead
    of reading a copy. A call can open only the files whose content it knows: the folder is
    not listable."""
    arrays: dict = {}
    tree = encode(value, arrays)
    if shared is not None:
        (folder / f"{stem}.shared.json").write_text(json.dumps(_share(arrays, Path(shared))))
    _write_arrays(folder / f"{stem}.npz", arrays)
    (folder / f"{stem}.json").write_text(json.dumps(tree))


def _share(arrays: dict, shared: Path) -> dict:
    """Move the large arrays of `arrays` into files of `shared`; {key: file name}."""
    moved = {}
    for key, array in list(arrays.items()):
        if array.nbytes < SHARED_BYTES:
            continue
        digest = hashlib.sha256(f"{array.dtype.str} {array.shape}\n".encode())
        digest.update(memoryview(array).cast("B"))  # contiguous: encode made it so
        name = f"{digest.hexdigest()}.npy"
        path = shared / name
        if not path.exists():
            temporary = shared / f".{name}.{os.getpid()}"
            with open(temporary, "wb") as f:
                npy.write_array(f, array, allow_pickle=False)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
            _keep_recent(shared, SHARED_KEPT_BYTES, path)
        os.utime(path)  # recently used
        moved[key] = name
        del arrays[key]
    return moved


def _keep_recent(shared: Path, most: int, kept: Path) -> None:
    """Remove the least recently used files of `shared` until it holds at most `most` bytes
    (never `kept`, the file the call being written uses)."""
    files = sorted((p for p in shared.glob("*.npy") if p != kept), key=lambda p: p.stat().st_mtime)
    total = kept.stat().st_size + sum(p.stat().st_size for p in files)
    for path in files:
        if total <= most:
            break
        total -= path.stat().st_size
        path.unlink(missing_ok=True)


def _write_arrays(path: Path, arrays: dict) -> None:
    """What np.savez writes (an uncompressed zip of .npy members), without its temporary files."""
    if not arrays:
        path.write_bytes(EMPTY_ZIP)
        return
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as archive:
        for key, array in arrays.items():
            member = io.BytesIO()
            npy.write_array(member, array, allow_pickle=False)
            archive.writestr(f"{key}.npy", member.getvalue())


def read(folder: Path, stem: str, tensors: bool = False, limits=None, shared: Path | str | None = None):
    """Read what `write` wrote; arrays are never unpickled and must be plain dtypes.

    With `limits` (the parent reading a child's result) everything is bounded as the module
    says; anything that is not what `write` writes raises `Malformed`. `shared`: the folder of
    the request's shared arrays (the child reading its request), mapped copy-on-write; the
    parent never passes one, so nothing a child writes can make it open another file.
    """
    budget = _Budget(limits)
    tree = _read_json(Path(folder) / f"{stem}.json", limits)
    arrays = _read_arrays(Path(folder) / f"{stem}.npz", budget)
    if shared is not None:
        arrays.update(_mapped(Path(folder) / f"{stem}.shared.json", Path(shared)))
    try:
        return decode(tree, arrays, tensors, budget)
    except RecursionError:
        raise Malformed(f"{stem}.json is nested too deeply") from None
    except (TypeError, ValueError, KeyError, AttributeError, IndexError, OverflowError) as err:
        if isinstance(err, Malformed):
            raise
        raise Malformed(f"{stem}.json is not plain data ({type(err).__name__}: {_shown(err)})") from None


def _mapped(manifest: Path, shared: Path) -> dict:
    """The shared arrays a request names, each a private (copy-on-write) map of its file: the
    call may change its inputs in place, as it may a copy, and the file stays as it was."""
    names = json.loads(manifest.read_text()) if manifest.exists() else {}
    return {key: np.load(shared / name, mmap_mode="c", allow_pickle=False).view(np.ndarray)
            for key, name in names.items()}


def _read_json(path: Path, limits):
    """The JSON tree of `path`, after its size and (an upper bound of) its count of values passed `limits`."""
    most = limits.result_json_bytes if limits else math.inf
    with open(path, "rb") as f:
        text = f.read(most + 1 if limits else -1)
    if len(text) > most:
        raise Malformed(f"{path.name} is larger than the limit of {_size(most)}")
    values = 1 + text.count(b",") + text.count(b"[") + text.count(b"{")  # at least as many as it holds
    if limits and values > limits.result_nodes:
        raise Malformed(f"{path.name} may hold up to {values} values, more than the limit of {limits.result_nodes}")
    try:
        return json.loads(text)
    except RecursionError:
        raise Malformed(f"{path.name} is nested too deeply") from None
    except ValueError as err:
        raise Malformed(f"{path.name} is not JSON ({_shown(err)})") from None


def _read_arrays(path: Path, budget: _Budget) -> dict:
    """The arrays of the .npz at `path`, each checked before it is read (see the module)."""
    limits = budget.limits
    with open(path, "rb") as f:
        if f.read(len(EMPTY_ZIP) + 1) == EMPTY_ZIP:
            return {}
        f.seek(0)
        try:
            if limits:
                zip_directory_fits(f, limits.result_arrays, path.name)
            with zipfile.ZipFile(f) as archive:
                infos = archive.infolist()
                if limits and len(infos) > limits.result_arrays:
                    raise Malformed(f"{path.name} holds {len(infos)} entries, more than the limit of "
                                    f"{limits.result_arrays}")
                arrays = {}
                for info in infos:
                    key = info.filename[:-4] if info.filename.endswith(".npy") else None
                    if key is None or key in arrays:
                        raise Malformed(f"{path.name} holds {_shown(info.filename)}, which is not one more array")
                    arrays[key] = _read_array(archive, info, key, budget)
                return arrays
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, struct.error, OverflowError) as err:
            raise Malformed(f"{path.name} is not an .npz that can be read ({_shown(err)})") from None
        except ValueError as err:  # numpy's own for a damaged .npy header
            if isinstance(err, Malformed):
                raise
            raise Malformed(f"{path.name} is not an .npz that can be read ({_shown(err)})") from None


def zip_directory_fits(file, most: int, name: str) -> None:
    """Refuse a zip whose end record declares more than `most` entries, or a central directory
    larger than that many entries need, before zipfile reads (and builds an object for) each."""
    end = zipfile._EndRecData(file)  # the very record zipfile goes by; private, stable since Python 2
    if end is None:
        raise Malformed(f"{name} is not a zip file")
    entries, size = end[zipfile._ECD_ENTRIES_TOTAL], end[zipfile._ECD_SIZE]
    if entries > most or size > most * DIRECTORY_ENTRY_BYTES:
        raise Malformed(f"{name} declares {entries} entries in a directory of {size} bytes, more than the "
                        f"limit of {most} entries")


def _read_array(archive: zipfile.ZipFile, info: zipfile.ZipInfo, key: str, budget: _Budget) -> np.ndarray:
    """One .npy member: its header checked (dtype, declared size) before any memory is taken for
    its data, which must then be exactly as long as declared."""
    what = f"array {_shown(key)} of result.npz"
    if info.flag_bits & 0x1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise Malformed(f"{what} is encrypted or compressed in a way np.savez never writes")
    budget.fits(info.file_size, f"{what} (as its zip entry declares)")
    with archive.open(info) as member:
        shape, fortran, dtype = _read_header(member, what)
        if dtype.kind not in PLAIN_KINDS or dtype.hasobject or dtype.fields is not None or dtype.subdtype:
            raise Malformed(f"{what} has dtype {_shown(str(dtype))}; only numbers, booleans and strings cross")
        if any(d < 0 for d in shape) or dtype.itemsize == 0:
            raise Malformed(f"{what} declares the impossible shape {_shown(shape)} of {dtype}")
        budget.store(math.prod(shape) * dtype.itemsize, f"{what} (shape {_shown(shape)}, {dtype})")
        array = np.empty(shape[::-1] if fortran else shape, dtype)
        _fill(member, array.reshape(-1).view(np.uint8), what, budget)
    return array.T if fortran else array


def _read_header(member, what: str) -> tuple[tuple[int, ...], bool, np.dtype]:
    """(shape, fortran order, dtype) of a .npy header: what numpy writes for a plain dtype is
    parsed here; any other header by numpy's own (safe) parser, whose errors are Malformed."""
    version = npy.read_magic(member)
    if version not in ((1, 0), (2, 0)):
        raise Malformed(f"{what} has .npy format {version}, not 1.0 or 2.0")
    size_field = member.read(2 if version == (1, 0) else 4)
    size, = struct.unpack("<H" if version == (1, 0) else "<I", size_field)
    if size > MAX_HEADER:
        raise Malformed(f"{what} has a header of {size} bytes, more than the {MAX_HEADER} numpy allows")
    header = member.read(size)
    found = NPY_HEADER.fullmatch(header)
    if found is None:
        read = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
        return read(io.BytesIO(size_field + header))
    descr, fortran, shape = found.groups()
    return tuple(int(d) for d in shape.split(b",") if d.strip()), fortran == b"True", _dtype(descr)


def _dtype(descr: bytes) -> np.dtype:
    try:
        return np.dtype(descr.decode())
    except TypeError:
        raise Malformed(f"a .npy header names the unknown dtype {_shown(descr.decode())}") from None


def _fill(member, buffer: np.ndarray, what: str, budget: _Budget) -> None:
    """Read exactly len(buffer) bytes of `member` into `buffer`, and check that nothing follows."""
    view, done = memoryview(buffer), 0
    while done < len(view):
        count = member.readinto(view[done:done + CHUNK])
        if not count:
            raise Malformed(f"{what} holds fewer bytes than its header declares")
        done += count
        budget.tick()
    if member.read(1):
        raise Malformed(f"{what} holds more bytes than its header declares")
