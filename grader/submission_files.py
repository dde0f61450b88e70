"""A student's submission read as untrusted files: a folder, a zip, a notebook or a `.py`.

Whatever reads a submission on the grader's side (its digest, its copy for grading, its
bytes for a cluster worker) reads it through `entries`:

- lstat first: a link stays a link, never followed: hashed by its target text, and copied for
  grading only when it leads somewhere inside the submission (else refused); a FIFO, device
  or socket is refused, never opened;
- a file is opened without following links (O_NOFOLLOW, O_NONBLOCK) and checked to be a
  regular file once open, then read in chunks;
- one budget per submission: at most MAX_BYTES of content, counted as it is read (for a zip,
  the bytes it really inflates to, not the sizes it declares) and MAX_ENTRIES files, links
  and folders;
- a zip must be a zip, and is refused when it holds two members of one name, a member that
  is both a file and a folder, an absolute or parent path, a link, or an encrypted member.

What is refused raises `BadSubmission`, whose message says why and how to fix it: grade-all
records it as that student's result and goes on with the others.
"""
from __future__ import annotations

import hashlib
import os
import stat
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

from course_lib.errors import CourseError
from grader.sandbox.wire import Malformed, zip_directory_fits

MAX_BYTES = 200 << 20  # what one submission may hold, unpacked
MAX_ENTRIES = 10_000  # files, links and folders of one submission
CHUNK = 1 << 20
IGNORED = frozenset({"__pycache__", ".git", ".ipynb_checkpoints"})  # never graded: not read either
KINDS = (".zip", ".ipynb", ".py")  # the files grade-all takes as a submission
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
_LINK_MARK = b"\0symlink\0"  # in the digest, between a link's name and its target


class BadSubmission(CourseError):
    """A submission that cannot be read safely; the message says why, and the fix."""


@dataclass(frozen=True)
class Entry:
    """A file or a link of a submission. `chunks()` reads a file's bytes (once, in order, while
    `entries` is being iterated); a link has its target text instead."""
    name: str  # the path inside the submission, with "/" between folders
    link: str | None = None
    chunks: Callable[[], Iterator[bytes]] | None = None

    def read(self) -> bytes:
        return b"".join(self.chunks())


def shown(text) -> str:
    """A name from a submission, for a message: control characters made visible, at most 120 characters."""
    from grader.formats.escape import visible
    return visible(str(text), 120)


class _Budget:
    """What is left of one submission's limits while it is read."""

    def __init__(self, name: str, limit: int = MAX_BYTES):
        self.name, self.limit, self.bytes_left, self.entries_left = name, limit, limit, MAX_ENTRIES

    def spend(self, count: int) -> None:
        self.bytes_left -= count
        if self.bytes_left < 0:
            most = f"{self.limit >> 20} MB" if self.limit >= 1 << 20 else f"{self.limit} bytes"
            raise BadSubmission(f"{self.name} holds more than {most} of files (unpacked); submit only your "
                                f"code and what it needs, without data sets or outputs.")

    def enter(self) -> None:
        self.entries_left -= 1
        if self.entries_left < 0:
            raise BadSubmission(f"{self.name} holds more than {MAX_ENTRIES} files and folders; "
                                f"submit only your code and what it needs.")


# -- what a submission is ------------------------------------------------------------------
def kind(path: Path) -> str:
    """"folder", "zip" or "file" by lstat; BadSubmission for a link or a special file."""
    path = Path(path)
    try:
        mode = os.lstat(path).st_mode
    except OSError as err:
        raise BadSubmission(f"{shown(path.name)} cannot be read ({err.strerror}); check that it is there.") from None
    if stat.S_ISLNK(mode):
        raise BadSubmission(f"{shown(path.name)} is a link (to {shown(os.readlink(path))}), not a submission; "
                            f"put the folder or file itself in the submissions folder.")
    if stat.S_ISDIR(mode):
        return "folder"
    if not stat.S_ISREG(mode):
        raise BadSubmission(f"{shown(path.name)} is {_special(mode)}, not a file or a folder; "
                            f"submit a folder, a zip, a notebook or a .py file.")
    return "zip" if path.suffix == ".zip" else "file"


def _special(mode: int) -> str:
    for test, what in ((stat.S_ISFIFO, "a named pipe (FIFO)"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device")):
        if test(mode):
            return what
    return "a special file"


def entries(path: Path, *, outward_links: bool = False) -> Iterator[Entry]:
    """The files and links of a submission folder or zip, sorted by name, or the lone file
    itself; bounded and safe as the module says. `outward_links`: keep a link that leads out
    of the submission too (to hash it by its target text; it is never followed)."""
    path = Path(path)
    budget = _Budget(shown(path.name))
    found = kind(path)
    if found == "folder":
        yield from _folder_entries(path, budget, outward_links)
    elif found == "zip":
        yield from _zip_entries(path, budget)
    else:
        yield Entry(path.name, chunks=lambda: _file_chunks(path, budget))


def read_bytes(path: Path, limit: int = MAX_BYTES) -> bytes:
    """A lone regular file's bytes (never a link or a special file), at most `limit` of them."""
    if kind(path) == "folder":
        raise BadSubmission(f"{shown(path)} is a folder, not a file.")
    budget = _Budget(shown(Path(path).name), limit)
    return b"".join(_file_chunks(Path(path), budget))


# -- folders -----------------------------------------------------------------------------
def _folder_entries(root: Path, budget: _Budget, outward_links: bool) -> Iterator[Entry]:
    real_root = os.path.realpath(root)
    found = []  # (name, path, is link)
    pending = [(root, "")]
    while pending:
        folder, prefix = pending.pop()
        for item in _listing(folder, budget.name):
            if item.name in IGNORED:
                continue
            budget.enter()
            name = prefix + item.name
            if item.is_symlink():
                found.append((name, Path(item.path), True))
            elif item.is_dir(follow_symlinks=False):
                pending.append((Path(item.path), name + "/"))
            elif item.is_file(follow_symlinks=False):
                found.append((name, Path(item.path), False))
            else:
                what = _special(item.stat(follow_symlinks=False).st_mode)
                raise BadSubmission(f"{budget.name} holds {shown(name)}, {what}; remove it and submit "
                                    f"regular files only.")
    for name, path, is_link in sorted(found):
        if is_link:
            yield Entry(name, link=os.readlink(path) if outward_links else _inner_link(path, name, real_root,
                                                                                        budget.name))
        else:
            yield Entry(name, chunks=lambda path=path: _file_chunks(path, budget))


def _listing(folder: Path, submission: str) -> list[os.DirEntry]:
    try:
        with os.scandir(folder) as listing:
            return list(listing)
    except OSError as err:
        raise BadSubmission(f"{submission}: the folder {shown(folder.name)} cannot be read ({err.strerror}); "
                            f"make it readable (chmod -R u+rX) or submit a zip.") from None


def _inner_link(path: Path, name: str, real_root: str, submission: str) -> str:
    """The target text of a link that stays inside the submission; BadSubmission otherwise."""
    target = os.readlink(path)
    resolved = os.path.realpath(path)  # follows the chain without opening anything
    if os.path.isabs(target) or os.path.commonpath([real_root, resolved]) != real_root:
        raise BadSubmission(f"{submission} holds {shown(name)}, a link to {shown(target)}, outside the "
                            f"submission; put the file itself there instead of a link.")
    return target


def _open(path: Path, budget: _Budget):
    """A regular file opened for reading without following a link and never blocking on a FIFO."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as err:
        raise BadSubmission(f"{budget.name}: {shown(path.name)} cannot be opened ({err.strerror}); "
                            f"submit regular files only.") from None
    file = os.fdopen(fd, "rb")
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        file.close()
        raise BadSubmission(f"{budget.name}: {shown(path.name)} is {_special(mode)}; submit regular files only.")
    return file


def _file_chunks(path: Path, budget: _Budget) -> Iterator[bytes]:
    """A regular file's bytes, in chunks counted against the budget."""
    with _open(path, budget) as file:
        while chunk := file.read(min(CHUNK, budget.bytes_left + 1)):
            budget.spend(len(chunk))
            yield chunk


# -- zips --------------------------------------------------------------------------------
def _zip_entries(path: Path, budget: _Budget) -> Iterator[Entry]:
    with _open(path, budget) as file:
        try:
            if os.fstat(file.fileno()).st_size > MAX_BYTES:
                budget.spend(MAX_BYTES + 1)
            zip_directory_fits(file, MAX_ENTRIES, budget.name)  # before zipfile reads each entry of it
            archive = zipfile.ZipFile(file)
        except (Malformed, zipfile.BadZipFile, ValueError, EOFError, OSError) as err:
            why = str(err) if isinstance(err, Malformed) else f"{budget.name} is not a zip file that can be read " \
                                                              f"({err})"
            raise BadSubmission(f"{shown(why)}; make it again from your folder (e.g. `zip -r {budget.name} "
                                f"FOLDER`) and submit that.") from None
        with archive:
            for info, name in _members(archive, budget):
                yield Entry(name, chunks=lambda info=info: _member_chunks(archive, info, budget))


def _members(archive: zipfile.ZipFile, budget: _Budget) -> list[tuple[zipfile.ZipInfo, str]]:
    """The file members to read, sorted by name, after every member was checked."""
    infos = archive.infolist()
    for _ in infos:
        budget.enter()
    files, folders = {}, set()
    for info in infos:
        name = _member_name(info.filename, budget.name)
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise BadSubmission(f"{budget.name} holds {shown(info.filename)}, a link; zip the files themselves "
                                f"(zip without --symlinks) and submit that.")
        if info.flag_bits & 0x1:
            raise BadSubmission(f"{budget.name} is encrypted ({shown(info.filename)}); zip it again without "
                                f"a password.")
        if info.is_dir():
            folders.add(name)
            continue
        if name in files:
            raise BadSubmission(f"{budget.name} holds two members named {shown(name)}; zip your folder again "
                                f"into a new file (adding to an old zip keeps both) and submit that.")
        files[name] = info
    for name in files:
        folders |= {str(p) for p in PurePosixPath(name).parents if str(p) != "."}
    clash = folders & set(files)
    if clash:
        raise BadSubmission(f"{budget.name} holds {shown(min(clash))} both as a file and as a folder; "
                            f"zip your folder again into a new file and submit that.")
    return [(files[name], name) for name in sorted(files)
            if not IGNORED.intersection(PurePosixPath(name).parts)]


def _member_name(filename: str, submission: str) -> str:
    """A member's path, normalised; BadSubmission for an absolute or parent path."""
    parts = PurePosixPath(filename).parts
    if not parts or filename.startswith("/") or ".." in parts:
        raise BadSubmission(f"{submission} holds an unsafe path {shown(filename)} (absolute, or leading out "
                            f"of the folder); zip your folder from inside its parent and submit that.")
    return "/".join(parts)


def _member_chunks(archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: _Budget) -> Iterator[bytes]:
    """A member's inflated bytes, counted against the budget as they come (its declared size may lie)."""
    try:
        with archive.open(info) as member:
            while chunk := member.read(min(CHUNK, budget.bytes_left + 1)):
                budget.spend(len(chunk))
                yield chunk
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as err:
        raise BadSubmission(f"{budget.name}: member {shown(info.filename)} cannot be unpacked ({shown(err)}); "
                            f"zip your folder again and submit that.") from None


# -- what the grader does with them ----------------------------------------------------------
def content_sha256(path: Path) -> str:
    """A digest of the submission's files (names and bytes) and links (names and target
    texts, wherever they lead: never followed), the same for a folder or its zip."""
    digest = hashlib.sha256()
    for entry in entries(path, outward_links=True):
        digest.update(os.fsencode(entry.name))
        if entry.link is not None:
            digest.update(_LINK_MARK + os.fsencode(entry.link) + b"\0")
            continue
        digest.update(b"\0")
        for chunk in entry.chunks():
            digest.update(chunk)
        digest.update(b"\0")
    return digest.hexdigest()


def write(found, into: Path) -> None:
    """Write entries (`entries`, or ones packed from it) under `into`: files with their bytes, links as links."""
    for entry in found:
        target = into / entry.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if entry.link is not None:
            os.symlink(entry.link, target)
            continue
        with open(target, "xb") as out:
            for chunk in entry.chunks():
                out.write(chunk)


def materialize(path: Path, into: Path, module: str) -> Path:
    """A private copy of the submission under `into`, read as the module says; what to grade:
    a folder holding the module (or a notebook), or the notebook file itself."""
    path, into = Path(path), Path(into)
    found = kind(path)
    if found == "zip":
        write(entries(path), into)
        return _root(into)
    if found == "folder":
        write(entries(path), into / path.name)
        return into / path.name
    if path.suffix == ".py":  # a lone module file, whatever its name
        (into / f"{module}.py").write_bytes(read_bytes(path))
        return into
    write(entries(path), into)
    return into / path.name


def _root(folder: Path) -> Path:
    """The folder a zip was made of: its one top folder, if that is all it holds."""
    kept = [p for p in folder.iterdir() if not p.name.startswith(("__MACOSX", "."))]
    return kept[0] if len(kept) == 1 and kept[0].is_dir() and not kept[0].is_symlink() else folder
