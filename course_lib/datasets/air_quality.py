"""The UCI Beijing multi-site air-quality data: 12 stations, hourly, 2013-03 to 2017-02."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from course_lib.datasets.store import Dataset, cache_root, locate, save_atomically

if TYPE_CHECKING:
    import pandas as pd

BEIJING = Dataset(
    name="air_quality",
    folder="air_quality/beijing",
    sha256={
        "PRSA_Data_Aotizhongxin_20130301-20170228.csv": "a94fbcfc71708b6ffdc033360163d91efb7f675e496f6b5860929aa96b96351b",
        "PRSA_Data_Changping_20130301-20170228.csv": "a2e21402a6d95fb7043f87959e6e3dcbecb957aac356a6f8028a85b047c772e7",
        "PRSA_Data_Dingling_20130301-20170228.csv": "3d8dff81f18a80d9f455876a785642bffe1e9b9924ec1e6b7ce8cca790432eeb",
        "PRSA_Data_Dongsi_20130301-20170228.csv": "9c0020214425e5ee2a64d42f97a1f632e1d8f6b53ad50edd85a686cc7999f27e",
        "PRSA_Data_Guanyuan_20130301-20170228.csv": "59390fee3b032597b387491f5230e7edb90a8558e30217ebd6d9befbe669fbf9",
        "PRSA_Data_Gucheng_20130301-20170228.csv": "10ae48801ea55869fee56a48b885fb1127859c130551888d71673f34216ba951",
        "PRSA_Data_Huairou_20130301-20170228.csv": "812dcbe848b3ba2c2d25731064797bff803c46eb0c602156a1fa044df136dc26",
        "PRSA_Data_Nongzhanguan_20130301-20170228.csv": "572cf87b65ef543cd55d3a711b28474def224a46b0ec3fc8add8aaf13b67a487",
        "PRSA_Data_Shunyi_20130301-20170228.csv": "520b59e4ead3b0cfe7f1ed673e30275de8441e999db6f413d5172d2277b8c15a",
        "PRSA_Data_Tiantan_20130301-20170228.csv": "0743e34799cf1ee36195b73321b91baa5625276532e7263c588f68cdef3b4daa",
        "PRSA_Data_Wanliu_20130301-20170228.csv": "0b1a6d754a07f0def2f55434ddfa3870dcd0063b7f766a6f66b6c11bb05a377a",
        "PRSA_Data_Wanshouxigong_20130301-20170228.csv": "ab1d6a356d6997a45f6d657ad47de1e05a4a08d4a7015b38a329a90665ab74d0",
    },
    source="https://archive.ics.uci.edu/static/public/501/beijing+multi+site+air+quality+data.zip",
    archive=True,
    about="Beijing Multi-Site Air-Quality Data (Zhang et al., 2017), UCI, CC BY 4.0",
)


NUMERIC = ("No", "year", "month", "day", "hour", "PM2.5", "PM10", "SO2", "NO2", "CO", "O3", "TEMP", "PRES",
           "DEWP", "RAIN", "WSPM")  # in the files' order; kept decoded, one .npy each (not `wd`, `station`)
CACHE_FORMAT = 1  # bump when the decoded form changes


def load_air_quality(data_dir=None, columns=None) -> pd.DataFrame:
    """All 12 station files concatenated in file-name order, with a fresh 0..n-1 index.

    `columns` keeps only those columns (faster); missing values (`NA` in the files) are NaN.
    Numeric columns asked for by name are parsed once and then memory-mapped from the decoded
    cache (0.3 s of CSV parsing saved in every grading process). Raises `DataError` naming
    the file and the fix when a file is missing or corrupt.
    """
    import pandas as pd  # here: the bundles of the other assignments run without pandas

    folder = locate(BEIJING, data_dir)
    if columns is not None and all(c in NUMERIC for c in columns):
        in_file_order = sorted(set(columns), key=NUMERIC.index)  # as read_csv's usecols gives them
        return pd.DataFrame({c: _decoded_column(folder, c) for c in in_file_order})
    return _parsed(folder, columns)


def _parsed(folder: Path, columns) -> pd.DataFrame:
    import pandas as pd
    frames = [pd.read_csv(folder / name, usecols=columns) for name in sorted(BEIJING.sha256)]
    return pd.concat(frames, ignore_index=True)


def _decoded_column(folder: Path, column: str) -> np.ndarray:
    """One column of all stations, (n,), from the cache of the verified files' checksums
    (parsed and saved on first use); a copy-on-write map, writable without touching the cache."""
    key = hashlib.sha256("".join(sorted(BEIJING.sha256.values())).encode()).hexdigest()[:16]
    path = cache_root() / "decoded" / "air_quality" / f"{CACHE_FORMAT}-{key}" / f"{column}.npy"
    try:
        return np.load(path, mmap_mode="c").view(np.ndarray)
    except (OSError, ValueError):  # not decoded yet, or a damaged entry: decode it again
        path.parent.mkdir(parents=True, exist_ok=True)
        values = _parsed(folder, [column])[column].to_numpy()
        save_atomically(path, values)
        return values
