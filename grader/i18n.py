"""Student-facing text in English or Korean, without touching the sites that build it.

`locales/<lang>.json` holds `phrases` (exact strings: check titles, statuses, headings) and
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

LANGS = ("en", "ko")
LOCALES = Path(__file__).with_name("locales")
PLACEHOLDER = re.compile(r"\{(\w+)\}")
SENTENCE_END = re.compile(r"(?<=[.?]) ")


@lru_cache(maxsize=None)
def _catalog(lang: str) -> tuple[dict, list]:
    """(phrases, [(pattern, target)]) with the most specific template (most literal text) first."""
    data = json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))
    templates = []
    for english, target in data["templates"].items():
        names = PLACEHOLDER.findall(english)
        if sorted(names) != sorted(PLACEHOLDER.findall(target)) or len(set(names)) != len(names):
            raise ValueError(f"{lang}.json: the placeholders of {english!r} and its translation differ")
        parts = PLACEHOLDER.split(english)  # literal, name, literal, name, ..., literal
        pattern = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts))
        templates.append((len(PLACEHOLDER.sub("", english)), re.compile(pattern, re.DOTALL), target))
    templates.sort(key=lambda t: -t[0])
    return data["phrases"], [(pattern, target) for _, pattern, target in templates]


@lru_cache(maxsize=4096)
def translation(text: str, lang: str) -> str | None:
    """`text` in `lang`, or None when the catalog cannot translate all of it."""
    if lang == "en":
        return text
    phrases, templates = _catalog(lang)
    if text in phrases:
        return phrases[text]
    for split in SENTENCE_END.finditer(text):
        first = translation(text[:split.start()], lang)
        rest = first is not None and translation(text[split.end():], lang)
        if rest:
            return f"{first} {rest}"
    for pattern, target in templates:
        match = pattern.fullmatch(text)
        if match:
            values = {k: translate(v, lang) for k, v in match.groupdict().items()}
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
