import functools
import http.server
import io
import os
import threading
import zipfile
from pathlib import Path

import pytest

# One BLAS/OpenMP thread per test process (and per sandboxed call, which inherits it): xdist runs
# a process per core, and more threads than cores made one NumPy training 35x slower here.
for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_variable, "1")

from course_lib.datasets.air_quality import BEIJING  # noqa: E402
from tests import support  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# One course secret for the whole suite, so that every grading draws reproducible inputs
# (grader/inputs.py); tests that need another set their own.
os.environ.setdefault("COURSE_SECRET", "the test suite's course secret")
# The tests grade this repository's course (the reference course), from whatever folder pytest
# runs in; tests of another course (a bundle, a course made with `course new`) choose theirs.
os.environ.setdefault("COURSE_DIR", str(ROOT))


@pytest.fixture(scope="session", autouse=True)
def shared_reports(tmp_path_factory, worker_id):
    """One folder of graded reports for every test process of this run (tests/support.grade):
    pytest-xdist's workers share their base temporary folder's parent."""
    base = tmp_path_factory.getbasetemp()
    folder = (base if worker_id == "master" else base.parent) / "shared-reports"
    folder.mkdir(exist_ok=True)
    support.SHARED = folder
    yield folder
    support.SHARED = None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The course datasets: $COURSE_DATA_DIR, else ../shared/data beside the checkout."""
    path = Path(os.environ.get("COURSE_DATA_DIR") or ROOT.parent / "shared" / "data")
    if not path.is_dir():
        pytest.fail(f"datasets not found at {path}; set COURSE_DATA_DIR to the shared data folder")
    return path


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No COURSE_DATA_DIR, and a private empty cache."""
    monkeypatch.delenv("COURSE_DATA_DIR", raising=False)
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def uci_like_zip(data_dir: Path) -> bytes:
    """The UCI layout: an outer zip holding the zip of the 12 station CSVs in a folder."""
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w", zipfile.ZIP_STORED) as z:
        for name in BEIJING.sha256:
            z.write(data_dir / BEIJING.folder / name, f"PRSA_Data_20130301-20170228/{name}")
    outer = io.BytesIO()
    with zipfile.ZipFile(outer, "w", zipfile.ZIP_STORED) as z:
        z.writestr("PRSA2017_Data_20130301-20170228.zip", inner.getvalue())
    return outer.getvalue()


@pytest.fixture(scope="module")
def server(tmp_path_factory, data_dir):
    """An HTTP server on 127.0.0.1 serving good.zip (UCI-like) and bad.zip (one byte changed)."""
    folder = tmp_path_factory.mktemp("served")
    good = uci_like_zip(data_dir)
    (folder / "good.zip").write_bytes(good)
    at = good.index(b'"Aotizhongxin"') + 1  # inside a row, not a file name
    (folder / "bad.zip").write_bytes(good[:at] + b"X" + good[at + 1:])
    (folder / "files").mkdir()
    (folder / "files" / "a.txt").write_bytes(b"hello")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))
    handler.log_message = lambda *args: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
