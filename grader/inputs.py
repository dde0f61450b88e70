"""Where a check's inputs come from: fixed seeds, mixed with the course secret when grading.

A student bundle holds the visible checks' source, so their fixed-seed inputs, and the
reference's recorded answers for exactly those inputs (`grader.oracle`). A submission that
only looks its answers up in that recording must not earn the points, so the instructor's
grading draws every input from the check's seed *and* a salt that the bundle cannot know:

    salt = HMAC-SHA256(course secret, assignment id + submission SHA-256)

The course secret is `$COURSE_SECRET`, else the file `.course-secret` of the course (made with
random bytes on first use, never released); a student bundle has none, so `course check`
draws the same fixed inputs its recording answers. The salt depends on the submission's
content: a regrade of the same files draws the same inputs (the report names the secret by
its fingerprint), and what a report reveals about its inputs says nothing about the inputs
of any other submission.

Checks draw through `rng(seed)` (never `np.random.default_rng(seed)` directly); `grade`
sets the salt for the duration of one grading with `drawn_with`.
"""
from __future__ import annotations

import contextlib
import contextvars
import hashlib
import hmac
import math
import os
import secrets
from pathlib import Path

import numpy as np

from course_lib.errors import CourseError

SECRET_ENV = "COURSE_SECRET"
SECRET_FILE = ".course-secret"

_salt: contextvars.ContextVar[tuple[int, ...] | None] = contextvars.ContextVar("input_salt", default=None)


def course_secret(course_root: Path) -> bytes:
    """The course secret: $COURSE_SECRET, else `course_root/.course-secret`, created when missing."""
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV].encode()
    path = Path(course_root) / SECRET_FILE
    try:
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32) + "\n")
        secret = path.read_text().strip()
    except FileExistsError:  # another grader made it meanwhile
        secret = path.read_text().strip()
    except OSError as err:
        raise CourseError(f"the course secret {path} could not be read or created ({err.strerror}); set "
                          f"{SECRET_ENV} to a long random string, or make {course_root} writable.") from None
    if not secret:
        raise CourseError(f"the course secret {path} is empty; delete it (a new one is made) or fill it.")
    return secret.encode()


def fingerprint(secret: bytes | None) -> str:
    """A name for the secret that reveals nothing of it ("" for none)."""
    return hashlib.sha256(b"course-secret:" + secret).hexdigest()[:16] if secret else ""


def salt_for(secret: bytes | None, assignment_id: str, submission_sha256: str) -> tuple[int, ...] | None:
    """The salt of one grading (eight 32-bit words), or None without a secret."""
    if not secret:
        return None
    digest = hmac.new(secret, f"{assignment_id}\0{submission_sha256}".encode(), hashlib.sha256).digest()
    return tuple(int.from_bytes(digest[i:i + 4], "little") for i in range(0, 32, 4))


@contextlib.contextmanager
def drawn_with(salt: tuple[int, ...] | None):
    """Within this block `rng` mixes `salt` into every seed."""
    token = _salt.set(salt)
    try:
        yield
    finally:
        _salt.reset(token)


def salted() -> bool:
    """Whether inputs are being drawn with a salt (the instructor's grading)."""
    return _salt.get() is not None


def current_salt() -> tuple[int, ...] | None:
    """The salt in force, for caches whose values depend on it (None when unsalted)."""
    return _salt.get()


def rng(seed: int) -> np.random.Generator:
    """The generator a check draws its inputs from: `default_rng(seed)` unsalted, else seeded
    with the seed and the salt together."""
    salt = _salt.get()
    return np.random.default_rng(seed if salt is None else [seed, *salt])


def fixed_or_drawn(fixed, seed: int, draw):
    """An input that is a literal in the released checks: `fixed` unsalted (what a release
    records), else `draw(rng(seed))`."""
    return draw(rng(seed)) if salted() else fixed


def integer(seed: int, low: int, high: int) -> int:
    """A whole number in [low, high) for a check's input (a size, an offset): `low` unsalted."""
    return low if _salt.get() is None else int(rng(seed).integers(low, high))


def numbered(seed: int, *shape) -> np.ndarray:
    """Distinct whole numbers 0, 1, ... of `shape`, so that every entry says where it came from
    (a reshape, a permute or a patch shows as a rearrangement): in order unsalted (entry = its
    flat index), shuffled when salted."""
    size = math.prod(shape)
    order = fixed_or_drawn(np.arange(size), seed, lambda rng: rng.permutation(size))
    return order.astype(float).reshape(shape)


def indivisible(seed: int, fewest: int) -> tuple[int, int]:
    """(size, divisor) with size = divisor * m + r, 0 < r < divisor, so that the divisor (e.g. a
    number of heads) does not divide the size: (3 * fewest + 1, fewest) unsalted."""
    divisor = integer(seed, fewest, fewest + 3)
    return divisor * integer(seed + 1, 3, 6) + integer(seed + 2, 1, divisor), divisor
