"""The course secret and the salt every check's inputs are drawn with (grader/inputs.py)."""
import numpy as np
import pytest

from course_lib.errors import CourseError
from grader import inputs


def test_the_secret_file_is_made_once_private_and_kept(tmp_path, monkeypatch):
    monkeypatch.delenv(inputs.SECRET_ENV, raising=False)
    first = inputs.course_secret(tmp_path)
    assert len(first) == 64 and inputs.course_secret(tmp_path) == first
    assert (tmp_path / inputs.SECRET_FILE).stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv(inputs.SECRET_ENV, "set by the instructor")
    assert inputs.course_secret(tmp_path) == b"set by the instructor"


def test_an_unusable_secret_file_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.delenv(inputs.SECRET_ENV, raising=False)
    (tmp_path / inputs.SECRET_FILE).write_text("\n")
    with pytest.raises(CourseError, match="is empty"):
        inputs.course_secret(tmp_path)
    with pytest.raises(CourseError, match=f"set {inputs.SECRET_ENV}"):
        inputs.course_secret(tmp_path / "missing" / "folder")


def test_the_salt_depends_on_the_secret_the_assignment_and_the_submission():
    salts = {inputs.salt_for(secret, aid, sha) for secret in (b"a", b"b") for aid in ("x", "y")
             for sha in ("0" * 64, "1" * 64)}
    assert len(salts) == 8 and inputs.salt_for(None, "x", "0" * 64) is None
    assert inputs.salt_for(b"a", "x", "0" * 64) == inputs.salt_for(b"a", "x", "0" * 64)
    assert inputs.fingerprint(b"a") != inputs.fingerprint(b"b") and len(inputs.fingerprint(b"a")) == 16


def test_unsalted_draws_are_the_plain_seeds_and_salted_ones_are_not():
    assert np.array_equal(inputs.rng(7).random(5), np.random.default_rng(7).random(5))
    assert inputs.integer(3, 10, 20) == 10 and not inputs.salted()
    with inputs.drawn_with(inputs.salt_for(b"a", "x", "0" * 64)):
        assert inputs.salted()
        salted = inputs.rng(7).random(5)
        assert 10 <= inputs.integer(3, 10, 20) < 20
    assert not np.array_equal(salted, np.random.default_rng(7).random(5)) and not inputs.salted()
