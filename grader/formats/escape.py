"""Student text made harmless for each format that shows it.

Student code writes exception messages and output, students name their files and folders:
all of it is hostile. `visible` is the one place where control characters are neutralised,
at the source (the sandbox's fault messages) and again by every writer, since file and
folder names reach reports without passing the sandbox. Each format then adds its own
syntax on top:

- terminal (rich, click), `terminal`: no escape sequence (a clipboard write, an erased line),
  no `\\r` overwriting a line; writers wrap it in `rich.text.Text`, so no rich markup is parsed;
- Markdown, `markdown` and `markdown_code`: no raw HTML, forged bold, link, heading or cell;
- HTML, `html`: no tag or attribute, no bidi override reordering what is shown;
- CSV, `csv_cell`: no formula (`=HYPERLINK(...)`) that a spreadsheet would run (the OWASP rule).

JSON needs no escaping of its own (the encoder does it); the reports are strict JSON
(`allow_nan=False`, see `grader.report`).
"""
from __future__ import annotations

import re
from html import escape as _html_escape

# C0 and C1 controls but newline and tab, DEL, the line and paragraph separators, and the bidi
# marks, embeddings, overrides and isolates (U+061C, U+200E/F, U+202A-202E, U+2066-2069)
CONTROLS = frozenset([*range(0x00, 0x09), *range(0x0B, 0x20), *range(0x7F, 0xA0), 0x061C, 0x200E, 0x200F,
                      0x2028, 0x2029, *range(0x202A, 0x202F), *range(0x2066, 0x206A)])
_SHOWN = {c: "\\r" if c == 0x0D else f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}" for c in CONTROLS}
CUT = "\u2026"  # marks where `visible` shortened a text

# what can open structure, a link or raw HTML in a Markdown table cell or list item
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]|#~!])")
_CODE_SAFE = re.compile(r"[\w.\-]+")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def visible(text: str, limit: int | None = None, *, end: bool = False) -> str:
    """`text` with every control character but newline and tab shown as its escape (`\\x1b`,
    `\\r`, `\\u202e`), so that it can neither move the cursor, erase, ring nor reorder anything.

    With `limit`, the result holds at most `limit` characters: the start of `text` (the end
    with `end`), `…` marking the cut, never inside an escape.
    """
    text = str(text)
    if limit is None:
        return text.translate(_SHOWN)
    part = text[-limit:] if end else text[:limit]  # each character shows as one or more
    pieces = [_SHOWN.get(ord(c), c) for c in part]
    if len(part) == len(text) and sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    kept, size = [], len(CUT)
    for piece in reversed(pieces) if end else pieces:
        if size + len(piece) > limit:
            break
        kept.append(piece)
        size += len(piece)
    return CUT + "".join(reversed(kept)) if end else "".join(kept) + CUT


def terminal(text: str) -> str:
    """`text` for a terminal: nothing in it is an escape sequence or a carriage return.
    Print it as `rich.text.Text(terminal(text))` so that `[...]` is not read as rich markup."""
    return visible(text)


def markdown(text: str) -> str:
    """`text` as inline Markdown (a table cell, a list item) that renders as exactly `text`:
    `<`, `>`, `&` HTML-escaped, the characters that open emphasis, code, links, headings or
    cells backslash-escaped, newlines as `<br>`."""
    text = _html_escape(visible(text), quote=False)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text).replace("\n", "<br>")


def markdown_code(text: str) -> str:
    """`text` as a code span when it is an identifier such as a check id (`metrics.mae`);
    anything else as `markdown` text, since inside a code span no escape works."""
    return f"`{text}`" if _CODE_SAFE.fullmatch(text) else markdown(text)


def html(text: str) -> str:
    """`text` for HTML element content or a quoted attribute value."""
    return _html_escape(visible(text), quote=True)


def csv_cell(value):
    """A value for a CSV cell that a spreadsheet will not run: text starting with `=`, `+`, `-`,
    `@`, tab or carriage return gets a leading `'` (OWASP); numbers stay numbers, so a
    negative score is still a number."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = visible(value)
    return "'" + text if text.startswith(_FORMULA_START) else text
