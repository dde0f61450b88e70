"""The reference as the checks see it: the real module, or a replay of its recorded answers.

A student bundle holds no reference code. `course release` runs the visible checks once
against the reference with a `Recorder` in front of it; every plain value the checks drew
from the reference is stored under a key made of the call path and its arguments. In the
bundle, `Replay` answers the same calls from that store, so visible checks judge exactly
as they do on the instructor's side. A call the store does not hold raises `NotRecorded`.
"""
from __future__ import annotations

import copy
import hashlib
import json
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from grader.sandbox import wire

OBJECT = "__object__"  # stored for a call whose result is an object to call further


recording: dict | None = None  # while `record` runs, the store every reference call fills


@contextmanager
def record(store: dict):
    """Within this block, `Assignment.reference()` hands out a Recorder filling `store`."""
    global recording
    recording = store
    try:
        yield store
    finally:
        recording = None


def save(store: dict, folder: Path, stem: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    wire.write(folder, stem, store)


def load(folder: Path, stem: str) -> dict:
    return wire.read(folder, stem)


class NotRecorded(LookupError):
    """The bundle's recording does not hold this reference call (it depends on the submission)."""


def key(path: str, args=(), kwargs=None) -> str:
    """A stable digest of a call path and its arguments (arrays by dtype, shape and bytes)."""
    arrays: dict = {}
    tree = wire.encode((list(args), dict(kwargs or {})), arrays)
    digest = hashlib.sha256(path.encode() + json.dumps(tree, sort_keys=True).encode())
    for name in sorted(arrays):
        array = arrays[name]
        digest.update(f"{name}{array.dtype.str}{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return f"{path}:{digest.hexdigest()[:24]}"


def _is_plain(value) -> bool:
    try:
        wire.encode(value, {})
        return True
    except wire.Unencodable:
        return False


class Recorder:
    """Wraps the reference; stores every plain value reached through attributes and calls."""

    def __init__(self, target, store: dict, path: str = "ref"):
        self._target, self._store, self._path = target, store, path

    def _wrap(self, value, path: str):
        if _is_plain(value):
            self._store[path] = copy.deepcopy(value)  # a snapshot: checks may mutate what they get
            return value
        self._store[path] = OBJECT
        return Recorder(value, self._store, path)

    def __getattr__(self, name):
        return self._wrap(getattr(self._target, name), f"{self._path}.{name}")

    def __call__(self, *args, **kwargs):
        return self._wrap(self._target(*args, **kwargs), key(self._path, args, kwargs))


class Replay:
    """Answers the calls a Recorder saw, from its store."""

    def __init__(self, store: dict, path: str = "ref"):
        self._store, self._path = store, path

    def _answer(self, path: str):
        if path not in self._store:
            raise NotRecorded(path)
        value = self._store[path]
        if isinstance(value, str) and value == OBJECT:
            return Replay(self._store, path)
        return copy.deepcopy(value)  # a fresh value each time, as the real call gives

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        return self._answer(f"{self._path}.{name}")

    def __call__(self, *args, **kwargs):
        return self._answer(key(self._path, args, kwargs))
