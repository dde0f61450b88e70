"""Where datasets live, how they are verified, and how they are fetched.

A dataset is a folder of files with known SHA-256 sums. It is looked for under these roots,
in order: an explicit ``data_dir``, the ``COURSE_DATA_DIR`` environment variable, and the
per-user cache (``COURSE_CACHE_DIR`` or the platform's cache folder). The first root whose copy
of the dataset's folder verifies (every file there, with its SHA-256) is used; a copy with a
missing or corrupt file is passed over for the next.
"""
from __future__ import annotations

import hashlib
import io
import os
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import platformdirs

from course_lib.errors import DataError

DATA_DIR_ENV = "COURSE_DATA_DIR"
CACHE_DIR_ENV = "COURSE_CACHE_DIR"


@dataclass(frozen=True)
class Dataset:
    name: str
    folder: str  # relative to a data root, e.g. "air_quality/beijing"
    sha256: Mapping[str, str]  # file name -> expected SHA-256
    source: str  # the official download address
    archive: bool  # True when `source` is a zip that holds the files (zips inside are searched)
    about: str

    def fetch_hint(self) -> str:
        return (f"run `course data fetch {self.name}` (downloads from {self.source}), "
                f"or set {DATA_DIR_ENV} to a folder that holds {self.folder}/")


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_DIR_ENV) or platformdirs.user_cache_dir("course-grader"))


def search_roots(data_dir: str | os.PathLike | None = None) -> list[tuple[str, Path]]:
    """The places datasets are looked for, in order, each with where the setting came from."""
    roots = []
    if data_dir is not None:
        roots.append(("--data-dir", Path(data_dir)))
    if os.environ.get(DATA_DIR_ENV):
        roots.append((DATA_DIR_ENV, Path(os.environ[DATA_DIR_ENV])))
    roots.append(("user cache", cache_root()))
    return roots


def _places(dataset: Dataset, roots) -> str:
    return "; ".join(f"{root / dataset.folder} ({origin})" for origin, root in roots)


_verified: dict[tuple[str, int, int], str] = {}


def sha256_of(path: Path) -> str:
    """The file's SHA-256, remembered for as long as its size and modification time stay."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if key not in _verified:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        _verified[key] = digest.hexdigest()
    return _verified[key]


@dataclass(frozen=True)
class FileStatus:
    dataset: str
    name: str
    path: Path
    state: str  # "ok" | "missing" | "corrupt"


def verify(dataset: Dataset, data_dir=None) -> list[FileStatus]:
    """The state of every file of `dataset` in the folder `locate` uses: the first copy found
    whose every file verifies, else the first copy found (or, with none, the first root)."""
    roots = search_roots(data_dir)
    copies = [_states(dataset, folder) for folder in _folders(dataset, roots)]
    good = next((states for states in copies if _all_ok(states)), None)
    return good or (copies[0] if copies else _states(dataset, roots[0][1] / dataset.folder))


def _states(dataset: Dataset, folder: Path) -> list[FileStatus]:
    statuses = []
    for name, expected in dataset.sha256.items():
        path = folder / name
        if not path.is_file():
            state = "missing"
        else:
            state = "ok" if sha256_of(path) == expected else "corrupt"
        statuses.append(FileStatus(dataset.name, name, path, state))
    return statuses


def _all_ok(states: list[FileStatus]) -> bool:
    return all(s.state == "ok" for s in states)


def _folders(dataset: Dataset, roots) -> list[Path]:
    """The dataset's folder under each root that has one, in the order of the roots."""
    return [root / dataset.folder for _, root in roots if (root / dataset.folder).is_dir()]


def locate(dataset: Dataset, data_dir=None) -> Path:
    """The first folder holding every file of `dataset`, each verified: a copy with a missing
    or corrupt file is passed over for the next one. DataError says what is wrong with each
    copy, and what to do, when none is whole."""
    roots = search_roots(data_dir)
    copies = {folder: _states(dataset, folder) for folder in _folders(dataset, roots)}
    for folder, states in copies.items():
        if _all_ok(states):
            return folder
    if not copies:
        raise DataError(f"dataset '{dataset.name}' not found; looked in: {_places(dataset, roots)}. "
                        f"To get it, {dataset.fetch_hint()}.")
    problems = "; ".join(_problem(dataset, folder, states) for folder, states in copies.items())
    raise DataError(f"dataset '{dataset.name}': {problems}; looked in: {_places(dataset, roots)}. "
                    f"Delete what is corrupt and {dataset.fetch_hint()}.")


def _problem(dataset: Dataset, folder: Path, states: list[FileStatus]) -> str:
    """What is wrong with one copy of `dataset`: its first missing or corrupt file."""
    bad = next(s for s in states if s.state != "ok")
    if bad.state == "missing":
        return f"file {bad.name} is missing from {folder}"
    return f"file {bad.path} is corrupt (its SHA-256 is not {dataset.sha256[bad.name]})"


def fetch(dataset: Dataset, source: str | None = None, dest_root=None, timeout: float = 60.0) -> Path:
    """Download `dataset` from its official source (or `source`) into the cache and verify it.

    Files are written only once their SHA-256 matches, each by an atomic rename, so an
    interrupted or corrupt download never leaves a bad file behind.
    """
    url = source or dataset.source
    dest = Path(dest_root or cache_root()) / dataset.folder
    dest.mkdir(parents=True, exist_ok=True)
    wanted = {name for name in dataset.sha256 if not (dest / name).is_file()
              or sha256_of(dest / name) != dataset.sha256[name]}
    if not wanted:
        return dest
    if dataset.archive:
        found = _members_of_zip(_download(url, timeout), wanted)
    else:
        found = {name: _download(url.rstrip("/") + "/" + name, timeout) for name in sorted(wanted)}
    missing = wanted - found.keys()
    if missing:
        raise DataError(f"the download from {url} does not contain {', '.join(sorted(missing))}; "
                        f"check the address, or get the files by hand and set {DATA_DIR_ENV}.")
    for name, data in found.items():
        if hashlib.sha256(data).hexdigest() != dataset.sha256[name]:
            raise DataError(f"{name} downloaded from {url} does not match its SHA-256 "
                            f"{dataset.sha256[name]}; nothing was written. Try again later or "
                            f"get the files by hand and set {DATA_DIR_ENV}.")
    for name, data in found.items():
        with tempfile.NamedTemporaryFile(dir=dest, delete=False) as tmp:
            tmp.write(data)
        os.replace(tmp.name, dest / name)
    return dest


def _download(url: str, timeout: float) -> bytes:
    try:
        import urllib.request  # only a download needs it (an import of 30-100 ms)
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.read()
    except (OSError, ValueError) as err:
        raise DataError(f"could not download {url}: {err}. Check the network or the address, or get "
                        f"the files by hand and set {DATA_DIR_ENV}.") from None


def _members_of_zip(blob: bytes, wanted: set[str]) -> dict[str, bytes]:
    """The wanted files, found by base name anywhere in the zip or in zips inside it."""
    found = {}
    try:
        with zipfile.ZipFile(io.BytesIO(blob)) as archive:
            for info in archive.infolist():
                base = Path(info.filename).name
                if base in wanted:
                    found[base] = archive.read(info)
                elif base.endswith(".zip"):
                    found.update(_members_of_zip(archive.read(info), wanted - found.keys()))
    except (zipfile.BadZipFile, zlib.error) as err:
        raise DataError(f"the downloaded archive is damaged ({err}); nothing was written. "
                        f"Try again, or get the files by hand and set {DATA_DIR_ENV}.") from None
    return found


def save_atomically(path: Path, array) -> None:
    """`array` as the .npy file `path`, whole or not at all (other processes may read it)."""
    import numpy as np
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".tmp", delete=False) as tmp:
        np.save(tmp, array)
    os.chmod(tmp.name, 0o644)  # public data: the sandbox's unprivileged child memory-maps it
    os.replace(tmp.name, path)
