"""Student-facing text in English or Korean, without touching the sites that build it.

A catalog is the engine's `grader/locales/<lang>.json` merged with each assignment's own
(`solutions/<id>/locales/<lang>.json`, in a bundle `checks/<id>/locales/`). Each holds `phrases` (exact strings: check titles, statuses, headings) and
`templates`: English message templates whose `{name}` placeholders match any text, mapped to
the translated template. A placeholder's text is translated in turn when the catalog knows it
(a label, a nested message) and kept as it is otherwise (code, numbers, values). A message
that no template matches as a whole is translated sentence by sentence. `translate` falls back
to English; `translation` says None instead, so tests can find what the catalog lacks.
"""
from __future__ import annotations

import dataclasses
import json
import re
from functools import lru_cache
from pathlib import Path

from course_lib.errors import CourseError
from grader import course

LANGS = ("en", "ko")
LOCALES = Path(__file__).with_name("locales")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
SENTENCE_END = re.compile(r"(?<=[.?]) ")


def _catalog(lang: str) -> tuple[dict, list]:
    """(phrases, [(pattern, target)]) of the engine and the current course's assignments, with the
    most specific template (most literal text) first."""
    return _merged(lang, _course_root(), course.generation)


def _course_root() -> Path | None:
    try:
        return course.find()
    except CourseError:  # the engine alone: its own messages
        return None


def catalog_files(lang: str, root: Path | None) -> list[Path]:
    """The engine's catalog for `lang`, then each assignment's of the course in `root`, where present."""
    files = [LOCALES / f"{lang}.json"]
    if root is not None:
        files += [a.locales_dir / f"{lang}.json" for a in course.open_course(root).assignments.values()]
    return [f for f in files if f.is_file()]


@lru_cache(maxsize=None)
def _merged(lang: str, root: Path | None, generation: int) -> tuple[dict, list]:
    phrases, all_templates = {}, {}
    for path in catalog_files(lang, root):
        data = json.loads(path.read_text(encoding="utf-8"))
        phrases.update(data.get("phrases", {}))
        for english, target in data.get("templates", {}).items():
            names = PLACEHOLDER.findall(english)
            if sorted(names) != sorted(PLACEHOLDER.findall(target)) or len(set(names)) != len(names):
                raise ValueError(f"{path}: the placeholders of {english!r} and its translation differ")
            all_templates[english] = target
    templates = []
    for english, target in all_templates.items():
        names = PLACEHOLDER.findall(english)
        parts = PLACEHOLDER.split(english)  # literal, name, literal, name, ..., literal
        pattern = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
        templates.append((len(PLACEHOLDER.sub("", english)), re.compile(pattern, re.DOTALL), target))
    templates.sort(key=lambda t: -t[0])
    return phrases, [(pattern, target) for _, pattern, target in templates]


def translation(text: str, lang: str) -> str | None:
    """`text` in `lang`, or None when the catalog cannot translate all of it."""
    return text if lang == "en" else _translation(text, lang, _course_root(), course.generation)


@lru_cache(maxsize=4096)
def _translation(text: str, lang: str, root: Path | None, generation: int) -> str | None:
    phrases, templates = _merged(lang, root, generation)
    if text in phrases:
        return phrases[text]
    for split in SENTENCE_END.finditer(text):
        first = _translation(text[:split.start()], lang, root, generation)
        rest = first is not None and _translation(text[split.end():], lang, root, generation)
        if rest:
            return f"{first} {rest}"
    for pattern, target in templates:
        match = pattern.fullmatch(text)
        if match:
            values = {k: _translation(v, lang, root, generation) or v for k, v in match.groupdict().items()}
            return PLACEHOLDER.sub(lambda m: values[m.group(1)], target)
    return None


def translate(text: str, lang: str) -> str:
    """`text` in `lang`; English where the catalog has no translation."""
    return translation(text, lang) or text


def localized(report, lang: str):
    """A copy of `report` whose titles, messages, notes and adjustments are in `lang`; same points."""
    if lang == "en":
        return report
    checks = [dataclasses.replace(c, title=translate(c.title, lang), message=translate(c.message, lang))
              for c in report.checks]
    adjustments = [dataclasses.replace(a, reason=translate(a.reason, lang)) for a in report.adjustments]
    return dataclasses.replace(report, checks=checks, notes=[translate(n, lang) for n in report.notes],
                               adjustments=adjustments)
