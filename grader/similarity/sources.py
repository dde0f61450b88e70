"""The code of each submission in SUBMISSIONS, found as `grade-all` finds it (`batch.discover`:
folders, zips, notebooks, lone .py files, nbgrader's `submitted/<student>/<id>/` layout) and
read only through `submission_files`, with its limits.

A submission's code is every .py file and every notebook's code cells (`notebook_code`) at its
top: the folder's, the zip's or its one top folder's, or the lone file. Whichever of the module
and the notebook the student worked in, the other is still the stub, which is excluded anyway.

What cannot be read (a zip that is no zip, a link out, a FIFO, too big, a student id given
twice, nothing to compare) is `Unread`, one line each. What is read otherwise than written is a
note on that `Source` and still compared: bytes that are not text in the declared encoding are
replaced, code past MAX_CODE_BYTES per file left out (so a zip bomb's member is read no further),
a notebook that cannot be parsed and a .py holding null bytes left out.
"""
from __future__ import annotations

import codecs
import io
import tokenize
from dataclasses import dataclass
from pathlib import Path

from grader import batch, notebook_code
from grader.similarity.tokens import Code
from grader.submission_files import BadSubmission, entries, kind, shown

MAX_CODE_BYTES = 1 << 20  # of one .py file; past that it is cut
MAX_NOTEBOOK_BYTES = 64 << 20  # of one notebook (outputs included); past that it is left out
_MACOS = "__MACOSX"


@dataclass(frozen=True)
class Source:
    student: str
    codes: tuple[Code, ...]
    notes: tuple[str, ...] = ()  # how it was read otherwise than as written


@dataclass(frozen=True)
class Unread:
    student: str
    why: str  # and the fix


def read_class(root: Path, assignment) -> tuple[list[Source], list[Unread], list[str]]:
    """Every submission in `root`: those read, those that could not be, and the names that are no submission."""
    read, unread = [], []
    for submission in batch.discover(Path(root), assignment):
        if submission.problem:
            unread.append(Unread(submission.student, submission.problem))
            continue
        try:
            codes, notes = read_submission(submission.path)
        except BadSubmission as err:
            unread.append(Unread(submission.student, str(err)))
            continue
        if codes:
            read.append(Source(submission.student, tuple(codes), tuple(notes)))
        else:
            why = "; ".join(notes) + "; " if notes else ""
            unread.append(Unread(submission.student, f"{why}{shown(submission.path.name)} holds no .py file and no "
                                                     f"notebook to compare; submit the {assignment.module}.py "
                                                     f"or the notebook you worked in."))
    return read, unread, batch.skipped(Path(root), assignment)


def read_submission(path: Path) -> tuple[list[Code], list[str]]:
    """The code files at the top of a submission, and notes on how they were read; BadSubmission
    (why, and the fix) where the submission cannot be read safely."""
    found = kind(path)
    wanted: list[tuple[list[str], bytes, bool]] = []  # (path parts, bytes, cut)
    tops, at_top = set(), False
    for entry in entries(path):
        parts = entry.name.split("/")
        if parts[0].startswith((_MACOS, ".")):
            continue
        at_top = at_top or len(parts) == 1
        tops.add(parts[0])
        suffix = Path(entry.name).suffix
        if entry.link is None and suffix in (".py", ".ipynb") and len(parts) <= (1 if found != "zip" else 2):
            limit = MAX_CODE_BYTES if suffix == ".py" else MAX_NOTEBOOK_BYTES
            wanted.append((parts, *_read_up_to(entry, limit)))
    depth = 2 if found == "zip" and len(tops) == 1 and not at_top else 1  # a zip of one folder: its inside
    codes, notes = [], []
    for parts, data, cut in wanted:
        if len(parts) == depth:
            code, note = _code(parts[-1], data, cut)
            codes += [code] if code else []
            notes += [note] if note else []
    return codes, notes


def _read_up_to(entry, limit: int) -> tuple[bytes, bool]:
    """At most `limit` bytes of an entry, and whether there were more."""
    data, chunks = bytearray(), entry.chunks()
    try:
        for chunk in chunks:
            data += chunk
            if len(data) > limit:
                return bytes(data[:limit]), True
    finally:
        chunks.close()
    return bytes(data), False


def _code(name: str, data: bytes, cut: bool) -> tuple[Code | None, str]:
    """A file's code, and a note where it was read otherwise than as written."""
    if name.endswith(".ipynb"):
        return _notebook(name, data, cut)
    if b"\0" in data:
        return None, f"{shown(name)} holds null bytes, so it is no Python source; left out"
    text, decoded = _text(data, cut)
    note = "" if decoded else f"{shown(name)} is not text in the encoding it declares (UTF-8 unless it says); " \
                              f"compared with the bytes that are not replaced"
    if cut:
        note = "; ".join(filter(None, (note, f"{shown(name)} is over {MAX_CODE_BYTES >> 20} MB; its first "
                                             f"{MAX_CODE_BYTES >> 20} MB compared")))
    return Code(name, text), note


def _text(data: bytes, cut: bool) -> tuple[str, bool]:
    """Python source bytes as text, by the encoding they declare (PEP 263) else UTF-8, and
    whether they were that; a cut multi-byte character at the end is left out."""
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        return codecs.getincrementaldecoder(encoding)().decode(data, final=not cut), True
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return data.decode("utf-8", errors="replace"), False


def _notebook(name: str, data: bytes, cut: bool) -> tuple[Code | None, str]:
    if cut:
        return None, f"{shown(name)} is over {MAX_NOTEBOOK_BYTES >> 20} MB; left out (clear its outputs)"
    try:
        module = notebook_code.notebook_module_of(notebook_code.parse_notebook(data), name)
    except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as err:
        return None, f"{shown(name)} is not a notebook that can be read ({shown(str(err)[:200])}); left out"
    if len(module.code) > MAX_CODE_BYTES:
        return Code(name, module.code[:MAX_CODE_BYTES], module.origins), \
            f"{shown(name)} holds over {MAX_CODE_BYTES >> 20} MB of code; its first {MAX_CODE_BYTES >> 20} MB compared"
    return Code(name, module.code, module.origins), ""
