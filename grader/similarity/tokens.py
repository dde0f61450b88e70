"""A submission's code as a normalised token stream, read with the standard `tokenize`.

What a disguise changes is dropped or made equal, so that only the code's shape is left:

- every identifier (names of variables, functions, classes, arguments, attributes, modules)
  becomes one placeholder, so a consistent renaming changes nothing; keywords stay;
- every string becomes one token (so do strings written side by side) and every number another;
- parentheses that only group, `(a + b) * c` or `return (x, y)`, are dropped where they may be
  (a call's stay), so adding or removing redundant ones changes nothing;
- comments, docstrings (a statement that is only a string), blank lines, indentation, line
  breaks and spacing are dropped.

Each token keeps its file and line, for the side-by-side view. The stream is cut into chunks,
one per function or class definition (at any depth, its decorators included) and one per run
of other statements between them: fingerprints never span two chunks, so reordering functions
or methods changes none of them.

Code that does not tokenize (an unclosed string, a bad indentation) is compared on what does:
the tokenizer starts again after the error. That, or another syntax error, is kept to be said.
"""
from __future__ import annotations

import ast
import io
import keyword
import tokenize
import zlib
from dataclasses import dataclass, field

IDENTIFIER, STRING, NUMBER = "V", "S", "N"
KEYWORDS = frozenset(keyword.kwlist)
UNSEEN = frozenset({tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER})
MAX_RESTARTS = 100  # tokenizer restarts after errors in one file; the rest of it is left out


@dataclass(frozen=True)
class Code:
    """One file of a submission, as compared."""
    name: str  # e.g. "linear_regression.py", "hw1.ipynb"
    text: str
    origins: tuple[tuple[str, int], ...] = ()  # a notebook's: per line, (its cell's label, line in the cell)

    def place(self, line: int) -> str:
        """Where `line` of the text is, as a student would find it."""
        if self.origins and 1 <= line <= len(self.origins):
            label, in_cell = self.origins[line - 1]
            return f"{label}, line {in_cell}"
        return f"{self.name}, line {line}"


@dataclass
class Stream:
    """The normalised tokens of a submission's files, in order."""
    kinds: list[int] = field(default_factory=list)  # each token's normalised text, as a number
    files: list[int] = field(default_factory=list)  # each token's file (an index into the Code list)
    lines: list[int] = field(default_factory=list)  # each token's line in its file
    cuts: set[int] = field(default_factory=set)  # the tokens that start a chunk
    problems: list[str] = field(default_factory=list)  # what did not tokenize, per file

    def chunks(self) -> list[tuple[int, int]]:
        """The [start, end) token ranges that are fingerprinted apart."""
        bounds = sorted(self.cuts | {0, len(self.kinds)})
        return [(start, end) for start, end in zip(bounds, bounds[1:]) if end > start]


def _number(text: str) -> int:
    return zlib.crc32(text.encode())  # the same in every process, unlike hash(str)


_KIND = {text: _number(text) for text in (IDENTIFIER, STRING, NUMBER)}
_FSTRING_START, _FSTRING_END = getattr(tokenize, "FSTRING_START", -1), getattr(tokenize, "FSTRING_END", -1)
_DEF, _CLASS, _DECORATOR, _ASYNC = (_number(text) for text in ("def", "class", "@", "async"))
# a `(` after one of these (or first in its line) opens an expression, so it only groups:
# `return (x)`, `in (a, b)`, `= (p + q) * r`; after a name, `)`, `]` or a string it calls
_OPENS_EXPRESSION = frozenset(_number(text) for text in (
    *KEYWORDS, "(", "[", "{", ",", ":", ";", "=", "->", "+", "-", "*", "/", "//", "%", "@", "**", "~", "<", ">",
    "<=", ">=", "==", "!=", "&", "|", "^", "<<", ">>", "+=", "-=", "*=", "/=", "//=", "%=", "@=", "**=", "&=",
    "|=", "^=", "<<=", ">>=", ":="))


def stream(codes: list[Code]) -> Stream:
    """The normalised token stream of `codes`, one file after the other."""
    found = Stream()
    for index, code in enumerate(codes):
        _Reader(found, index).read(code)
    return found


class _Reader:
    """Appends one file's tokens to a Stream, cutting it into chunks."""

    def __init__(self, into: Stream, file: int):
        self.into, self.file = into, file
        self._restart()

    def _restart(self) -> None:
        self.depth = 0  # indentation level
        self.bodies: list[int] = []  # the levels of the definitions whose bodies we are in
        self.decorated = False  # the logical line before was a decorator
        self.line: list[tuple[int, int]] = []  # the logical line being read: (kind, line) per token
        self.strings_only = True  # the logical line is only strings so far
        self.fstring = 0  # how deep in an f-string (Python 3.12 tokenizes its parts)
        self.brackets: list[bool] = []  # the brackets open in the logical line: whether each is dropped
        self.into.cuts.add(len(self.into.kinds))

    def read(self, code: Code) -> None:
        lines = code.text.splitlines(keepends=True)
        start, restarts = 0, 0
        while start < len(lines):
            try:
                for token in tokenize.generate_tokens(io.StringIO("".join(lines[start:])).readline):
                    self._take(token, start)
                self._end_line()
                break
            except (tokenize.TokenError, SyntaxError) as err:  # IndentationError is a SyntaxError
                at = start + _error_line(err)
                restarts += 1
                if restarts > MAX_RESTARTS:
                    self.into.problems.append(f"{code.name}: more than {MAX_RESTARTS} places do not tokenize; "
                                              f"compared up to {code.place(at)}")
                    return
                if restarts == 1:
                    self.into.problems.append(f"{code.place(at)} does not tokenize ({_message(err)}); "
                                              f"compared on the rest")
                # again from a badly indented line itself, else from the line after the error (its
                # unfinished statement left out); always at least a line further
                start = max(at - 1 if isinstance(err, IndentationError) else at, start + 1)
                self._restart()
        if not restarts:
            self._check_syntax(code)

    def _check_syntax(self, code: Code) -> None:
        """Say where code that tokenizes is no Python (it is compared as it tokenizes all the same)."""
        try:
            ast.parse(code.text)
        except SyntaxError as err:
            self.into.problems.append(f"{code.place(err.lineno or 1)}: syntax error ({err.msg}); compared as it is")
        except (ValueError, RecursionError, MemoryError) as err:  # a null byte, too deeply nested
            self.into.problems.append(f"{code.name} is no Python ({type(err).__name__}); compared as it is")

    def _take(self, token: tokenize.TokenInfo, offset: int) -> None:
        kind = token.type
        if self.fstring or kind == _FSTRING_START:  # an f-string is one string, whatever it holds
            self.fstring += (kind == _FSTRING_START) - (kind == _FSTRING_END)
            if kind == _FSTRING_START and self.fstring == 1:
                self.line.append((_KIND[STRING], token.start[0] + offset))
            return
        if kind in UNSEEN or (kind == tokenize.ERRORTOKEN and not token.string.strip()):
            return
        if kind == tokenize.NEWLINE:
            self._end_line()
        elif kind == tokenize.INDENT:
            self.depth += 1
        elif kind == tokenize.DEDENT:
            self.depth -= 1
        elif kind == tokenize.STRING and self.line and self.line[-1][0] == _KIND[STRING]:
            return  # "a" "b" is one string
        elif not self._grouping(token):
            self.strings_only = self.strings_only and kind == tokenize.STRING
            self.line.append((_kind(token), token.start[0] + offset))

    def _grouping(self, token: tokenize.TokenInfo) -> bool:
        """Whether `token` is a parenthesis that only groups (or its closing one): dropped."""
        if token.type != tokenize.OP or token.string not in "()[]{}":
            return False
        if token.string in "([{":
            groups = not self.line or self.line[-1][0] in _OPENS_EXPRESSION
            self.brackets.append(token.string == "(" and groups)
            return self.brackets[-1]
        return self.brackets.pop() if self.brackets else False

    def _end_line(self) -> None:
        """A logical line was read: cut where a definition starts or ends, then keep its tokens
        (unless it is only strings: a docstring, or a string as a comment)."""
        line, strings_only, self.line, self.strings_only = self.line, self.strings_only, [], True
        self.brackets = []
        if not line or strings_only:
            return
        ended = False
        while self.bodies and self.depth <= self.bodies[-1]:  # the body of a definition ended
            self.bodies.pop()
            ended = True
        first = line[1][0] if line[0][0] == _ASYNC and len(line) > 1 else line[0][0]
        into = self.into
        if ended or (first in (_DEF, _CLASS, _DECORATOR) and not self.decorated):
            into.cuts.add(len(into.kinds))
        if first in (_DEF, _CLASS):
            self.bodies.append(self.depth)
        self.decorated = first == _DECORATOR
        for kind, number in line:
            into.kinds.append(kind)
            into.files.append(self.file)
            into.lines.append(number)


def _kind(token: tokenize.TokenInfo) -> int:
    if token.type == tokenize.NAME:
        return _number(token.string) if token.string in KEYWORDS else _KIND[IDENTIFIER]
    if token.type == tokenize.STRING:
        return _KIND[STRING]
    if token.type == tokenize.NUMBER:
        return _KIND[NUMBER]
    return _number(token.string)


def _error_line(err: Exception) -> int:
    """The line (1-based, within the text tokenized) where tokenize stopped."""
    if isinstance(err, SyntaxError):
        return err.lineno or 1
    position = err.args[1] if len(err.args) > 1 else None
    return position[0] if isinstance(position, tuple) and position else 1


def _message(err: Exception) -> str:
    return err.msg if isinstance(err, SyntaxError) else str(err.args[0] if err.args else err)
