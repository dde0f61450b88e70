"""MNIST (LeCun, Cortes, Burges): 60,000 training and 10,000 test digits, 28x28 grey levels.

The four IDX gzip files are verified against their SHA-256 sums, decoded once, and kept as
`.npy` files in the user cache (``<cache>/decoded/mnist/<key>/``), so later loads only map
them into memory.
"""
from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import numpy as np

from course_lib.datasets.store import Dataset, cache_root, locate, save_atomically
from course_lib.errors import DataError

MNIST = Dataset(
    name="mnist",
    folder="mnist",
    sha256={
        "train-images-idx3-ubyte.gz": "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
        "train-labels-idx1-ubyte.gz": "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
        "t10k-images-idx3-ubyte.gz": "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
        "t10k-labels-idx1-ubyte.gz": "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
    },
    source="https://ossci-datasets.s3.amazonaws.com/mnist",
    archive=False,
    about="MNIST handwritten digits (LeCun, Cortes, Burges), CC BY-SA 3.0",
)

PARTS = {  # array name -> (file, IDX magic number)
    "X_train": ("train-images-idx3-ubyte.gz", 2051),
    "y_train": ("train-labels-idx1-ubyte.gz", 2049),
    "X_test": ("t10k-images-idx3-ubyte.gz", 2051),
    "y_test": ("t10k-labels-idx1-ubyte.gz", 2049),
}
CACHE_FORMAT = "v1"  # bump when the decoded layout changes


def read_idx(path: Path, magic: int) -> np.ndarray:
    """The uint8 array in an IDX gzip file: (n,) for labels (magic 2049), (n, rows, cols) for images (2051)."""
    try:
        data = gzip.decompress(Path(path).read_bytes())
    except (OSError, EOFError) as err:
        raise DataError(f"{path} is not a readable gzip file ({err}); delete it and "
                        f"{MNIST.fetch_hint()}.") from None
    ndim = magic - 2048
    header = 4 * (1 + ndim)
    if len(data) < header or int.from_bytes(data[:4], "big") != magic:
        found = int.from_bytes(data[:4], "big") if len(data) >= 4 else None
        raise DataError(f"{path} is not an IDX file with magic number {magic} (found {found}); "
                        f"delete it and {MNIST.fetch_hint()}.")
    shape = tuple(int.from_bytes(data[4 * i:4 * i + 4], "big") for i in range(1, 1 + ndim))
    if len(data) != header + int(np.prod(shape)):
        raise DataError(f"{path} is truncated or too long: its header promises shape {shape} "
                        f"({header + int(np.prod(shape))} bytes), it holds {len(data)}; delete it and "
                        f"{MNIST.fetch_hint()}.")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def _decode(folder: Path, name: str) -> np.ndarray:
    file, magic = PARTS[name]
    raw = read_idx(folder / file, magic)
    if name.startswith("X"):
        return (raw.reshape(len(raw), -1) / np.float32(255)).astype(np.float32)  # (n, 784) in [0, 1]
    return raw.astype(np.int64)  # (n,)


def decoded_files(data_dir=None) -> dict[str, Path]:
    """Verify the IDX files, decode them into the cache if not done yet; name -> `.npy` path."""
    folder = locate(MNIST, data_dir)
    key = hashlib.sha256("".join(sorted(MNIST.sha256.values())).encode()).hexdigest()[:16]
    cache = cache_root() / "decoded" / "mnist" / f"{CACHE_FORMAT}-{key}"
    paths = {name: cache / f"{name}.npy" for name in PARTS}
    missing = [name for name, path in paths.items() if not path.is_file()]
    if missing:
        cache.mkdir(parents=True, exist_ok=True)
        for name in missing:
            save_atomically(paths[name], _decode(folder, name))
    return paths


def load_mnist(data_dir=None) -> dict[str, np.ndarray]:
    """MNIST as arrays: ``X_train (60000, 784) float32`` in [0, 1], ``y_train (60000,) int64``,
    ``X_test (10000, 784)``, ``y_test (10000,)``.

    The arrays are copy-on-write maps of the decoded cache: writable, and writing never
    touches the cache. Raises `DataError` naming the file and the fix when a file is missing
    or corrupt.
    """
    arrays = {}
    for name, path in decoded_files(data_dir).items():
        try:
            arrays[name] = np.load(path, mmap_mode="c").view(np.ndarray)
        except (OSError, ValueError):  # a damaged cache entry: decode it again
            path.unlink(missing_ok=True)
            return load_mnist(data_dir)
    return arrays
