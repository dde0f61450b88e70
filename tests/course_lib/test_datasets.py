"""Dataset location, verification, loading and fetching (from a local HTTP server only)."""
import hashlib
from pathlib import Path

import pytest

from course_lib.datasets import load_air_quality
from course_lib.datasets.air_quality import BEIJING
from course_lib.datasets.store import Dataset, fetch, locate, verify
from course_lib.errors import DataError


def linked_root(root: Path, data_dir: Path) -> Path:
    """A data root whose Beijing files are symlinks to the shared copies."""
    folder = root / BEIJING.folder
    folder.mkdir(parents=True)
    for name in BEIJING.sha256:
        (folder / name).symlink_to((data_dir / BEIJING.folder / name).resolve())
    return root


def test_roots_are_searched_explicit_then_environment_then_cache(isolated, data_dir, monkeypatch):
    cache = linked_root(isolated / "cache", data_dir)
    assert locate(BEIJING) == cache / BEIJING.folder
    env = linked_root(isolated / "env", data_dir)
    monkeypatch.setenv("COURSE_DATA_DIR", str(env))
    assert locate(BEIJING) == env / BEIJING.folder
    explicit = linked_root(isolated / "explicit", data_dir)
    assert locate(BEIJING, explicit) == explicit / BEIJING.folder


def test_nowhere_to_be_found_names_every_place_and_the_fix(isolated):
    with pytest.raises(DataError) as caught:
        locate(BEIJING, isolated / "mine")
    message = str(caught.value)
    assert "mine/air_quality/beijing (--data-dir)" in message
    assert "cache/air_quality/beijing (user cache)" in message
    assert "course data fetch air_quality" in message and "COURSE_DATA_DIR" in message


def test_a_missing_file_is_named(isolated, data_dir):
    root = linked_root(isolated / "root", data_dir)
    (root / BEIJING.folder / "PRSA_Data_Dongsi_20130301-20170228.csv").unlink()
    with pytest.raises(DataError, match="PRSA_Data_Dongsi_20130301-20170228.csv is missing"):
        locate(BEIJING, root)
    states = {s.name: s.state for s in verify(BEIJING, root)}
    assert states["PRSA_Data_Dongsi_20130301-20170228.csv"] == "missing"
    assert list(states.values()).count("ok") == 11


def test_a_corrupt_file_is_named(isolated, data_dir):
    root = linked_root(isolated / "root", data_dir)
    victim = root / BEIJING.folder / "PRSA_Data_Tiantan_20130301-20170228.csv"
    data = victim.read_bytes()
    victim.unlink()
    victim.write_bytes(data.replace(b"Tiantan", b"Tiantam", 1))
    with pytest.raises(DataError, match="Tiantan_20130301-20170228.csv is corrupt"):
        load_air_quality(root)


def test_the_twelve_stations_load_as_one_frame(data_dir):
    frame = load_air_quality(data_dir)
    assert frame.shape == (420_768, 18)
    assert frame["station"].nunique() == 12 and frame.index.is_unique
    missing = frame.groupby("station")[["PM2.5", "PM10"]].apply(lambda g: g.isna().sum())
    assert missing["PM2.5"].between(382, 953).all() and missing["PM10"].between(284, 777).all()
    corr = frame.groupby("station")[["PM2.5", "PM10"]].corr().xs("PM10", level=1)["PM2.5"]
    assert corr.between(0.855, 0.905).all()  # "0.86-0.90", rounded


# -- fetch, against the `server` on 127.0.0.1 (tests/conftest.py) -------------------

def test_fetch_downloads_unpacks_and_verifies_into_the_cache(isolated, server):
    folder = fetch(BEIJING, source=f"{server}/good.zip")
    assert folder == isolated / "cache" / BEIJING.folder
    assert all(s.state == "ok" for s in verify(BEIJING))
    assert load_air_quality(columns=["PM10"]).shape == (420_768, 1)


def test_a_corrupt_download_writes_nothing(isolated, server):
    with pytest.raises(DataError, match="archive is damaged.*nothing was written"):
        fetch(BEIJING, source=f"{server}/bad.zip")
    assert not any((isolated / "cache" / BEIJING.folder).glob("*.csv"))


def test_an_unreachable_source_says_what_to_do(isolated, server):
    with pytest.raises(DataError, match="could not download .*COURSE_DATA_DIR"):
        fetch(BEIJING, source=f"{server}/nothing-here.zip")


def single_file_dataset(content: bytes) -> Dataset:
    return Dataset("tiny", "tiny", {"a.txt": hashlib.sha256(content).hexdigest()},
                   source="unused", archive=False, about="a test dataset of one file")


def test_plain_files_are_fetched_one_by_one_and_verified(isolated, server):
    assert (fetch(single_file_dataset(b"hello"), source=f"{server}/files") / "a.txt").read_bytes() == b"hello"
    with pytest.raises(DataError, match="a.txt downloaded from .* does not match its SHA-256"):
        fetch(single_file_dataset(b"hello!"), source=f"{server}/files", dest_root=isolated / "other")
    assert not (isolated / "other" / "tiny" / "a.txt").exists()


def corrupt(root: Path, name: str = "PRSA_Data_Tiantan_20130301-20170228.csv") -> Path:
    """Replace one linked file of `root` by a copy with one byte changed."""
    victim = root / BEIJING.folder / name
    data = victim.read_bytes()
    victim.unlink()
    victim.write_bytes(data.replace(b"Tiantan", b"Tiantam", 1))
    return victim


def test_a_corrupt_copy_is_passed_over_for_a_good_one_further_down(isolated, data_dir, monkeypatch):
    explicit = linked_root(isolated / "explicit", data_dir)
    corrupt(explicit)
    env = linked_root(isolated / "env", data_dir)
    monkeypatch.setenv("COURSE_DATA_DIR", str(env))
    assert locate(BEIJING, explicit) == env / BEIJING.folder
    assert {s.path.parent for s in verify(BEIJING, explicit)} == {env / BEIJING.folder}
    assert all(s.state == "ok" for s in verify(BEIJING, explicit))
    assert load_air_quality(explicit, columns=["PM10"]).shape == (420_768, 1)


def test_when_no_copy_is_whole_each_ones_fault_is_named(isolated, data_dir, monkeypatch):
    explicit = linked_root(isolated / "explicit", data_dir)
    victim = corrupt(explicit)
    env = linked_root(isolated / "env", data_dir)
    (env / BEIJING.folder / "PRSA_Data_Dongsi_20130301-20170228.csv").unlink()
    monkeypatch.setenv("COURSE_DATA_DIR", str(env))
    with pytest.raises(DataError) as caught:
        locate(BEIJING, explicit)
    message = str(caught.value)
    assert f"file {victim} is corrupt" in message
    assert f"PRSA_Data_Dongsi_20130301-20170228.csv is missing from {env / BEIJING.folder}" in message
    assert "course data fetch air_quality" in message
    assert {s.state for s in verify(BEIJING, explicit)} == {"ok", "corrupt"}  # the first copy, as it is


def test_numeric_columns_come_decoded_and_equal_to_the_csv(data_dir, monkeypatch, tmp_path):
    """The decoded cache gives the frame parsing the CSVs gives, and a second load parses nothing."""
    from course_lib.datasets import air_quality
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    parsed = air_quality._parsed(air_quality.locate(air_quality.BEIJING, data_dir), ["PM10", "PM2.5", "year"])
    first = load_air_quality(data_dir, columns=["PM10", "PM2.5", "year"])
    assert first.equals(parsed) and list(first.dtypes) == list(parsed.dtypes)
    monkeypatch.setattr(air_quality, "_parsed", lambda *a: pytest.fail("parsed the CSVs again"))
    again = load_air_quality(data_dir, columns=["PM2.5"])
    assert again.equals(parsed[["PM2.5"]])
    again.loc[0, "PM2.5"] = -1.0  # a copy-on-write map: the cache stays as it was
    assert load_air_quality(data_dir, columns=["PM2.5"]).equals(parsed[["PM2.5"]])
