"""The MNIST loader against the facts in shared/data/README.md, its cache and its errors."""
import gzip
import shutil
import time

import numpy as np
import pytest

from course_lib.datasets import DATASETS, load_mnist
from course_lib.datasets.mnist import MNIST, read_idx
from course_lib.errors import DataError

TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def mnist(data_dir, tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("COURSE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        yield load_mnist(data_dir)


def test_registered_as_a_course_dataset():
    assert DATASETS["mnist"] is MNIST and len(MNIST.sha256) == 4 and not MNIST.archive


def test_shapes_dtypes_and_range(mnist):
    assert mnist["X_train"].shape == (60000, 784) and mnist["X_test"].shape == (10000, 784)
    assert mnist["y_train"].shape == (60000,) and mnist["y_test"].shape == (10000,)
    assert mnist["X_train"].dtype == np.float32 and mnist["y_train"].dtype == np.int64
    assert mnist["X_train"].min() == 0.0 and mnist["X_train"].max() == 1.0
    assert np.all(mnist["X_train"] * 255 == np.round(mnist["X_train"] * 255))  # grey levels / 255


def test_label_counts(mnist):
    assert np.bincount(mnist["y_train"]).tolist() == TRAIN_COUNTS
    assert np.bincount(mnist["y_test"]).tolist() == TEST_COUNTS


def test_pixel_mean_and_std(mnist):
    assert mnist["X_train"].mean(dtype=np.float64) == pytest.approx(0.1306605, abs=1e-7)
    assert mnist["X_train"].std(dtype=np.float64) == pytest.approx(0.3081078, abs=1e-7)


def test_arrays_are_writable_without_touching_the_cache(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    load_mnist(data_dir)["X_test"][:] = 7
    assert load_mnist(data_dir)["X_test"].max() == 1.0


def test_second_load_comes_from_the_cache_fast(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path))
    load_mnist(data_dir)  # decodes into tmp_path
    assert len(list((tmp_path / "decoded" / "mnist").glob("*/*.npy"))) == 4
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        load_mnist(data_dir)
        best = min(best, time.perf_counter() - start)
    assert best < 0.2, f"a cached load took {best:.3f} s"


def copy_of_data(data_dir, tmp_path):
    shutil.copytree(data_dir / "mnist", tmp_path / "mnist")
    for path in (tmp_path / "mnist").iterdir():
        path.chmod(0o644)
    return tmp_path


def test_corrupt_file_is_named(data_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)  # else its whole copy is used instead
    root = copy_of_data(data_dir, tmp_path / "data")
    with open(root / "mnist" / "t10k-labels-idx1-ubyte.gz", "r+b") as f:
        f.seek(100)
        f.write(b"\x00\x01")
    with pytest.raises(DataError, match="t10k-labels-idx1-ubyte.gz is corrupt"):
        load_mnist(root)


def test_missing_dataset_says_how_to_fetch_it(isolated, tmp_path):
    with pytest.raises(DataError, match="course data fetch mnist"):
        load_mnist(tmp_path / "nothing")


@pytest.mark.parametrize("content, words", [
    (b"\x00\x00\x08\x03" + b"\x00" * 12, "magic number 2049"),  # an image header in a label file
    (b"\x00\x00\x08\x01\x00\x00\x00\x05abc", "truncated"),  # promises 5 labels, holds 3
])
def test_bad_idx_content_is_named(tmp_path, content, words):
    path = tmp_path / "labels.gz"
    path.write_bytes(gzip.compress(content))
    with pytest.raises(DataError, match=words) as error:
        read_idx(path, 2049)
    assert str(path) in str(error.value)


def test_not_gzip_is_named(tmp_path):
    path = tmp_path / "images.gz"
    path.write_bytes(b"not gzip at all")
    with pytest.raises(DataError, match="not a readable gzip file"):
        read_idx(path, 2051)


def test_fetch_downloads_each_file_from_the_source_folder(data_dir, tmp_path, monkeypatch):
    from course_lib.datasets import fetch
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    folder = fetch(MNIST, source=(data_dir / "mnist").resolve().as_uri(), dest_root=tmp_path / "data")
    assert sorted(p.name for p in folder.iterdir()) == sorted(MNIST.sha256)
    assert load_mnist(tmp_path / "data")["y_test"].shape == (10000,)
