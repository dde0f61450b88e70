import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The course datasets: $COURSE_DATA_DIR, else ../shared/data beside the checkout."""
    path = Path(os.environ.get("COURSE_DATA_DIR") or ROOT.parent / "shared" / "data")
    if not path.is_dir():
        pytest.fail(f"datasets not found at {path}; set COURSE_DATA_DIR to the shared data folder")
    return path
