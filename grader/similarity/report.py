"""The reports of `course similarity`: similarity.json, and similarity.html, a self-contained
page (inline CSS, no script, no external resource: it opens from a file, offline) ranking the
pairs, each with its matching regions side by side.

Student ids, file names, code and messages are hostile text: every one of them goes through
`escape.html` on the page. The JSON (documented in docs/similarity.md) holds the same:

    {"assignment", "threshold", "method": {...}, "compared", "pairs_above_threshold",
     "left_out": {"stub", "solutions", "common"}, "notes": [...],
     "pairs": [{"rank", "a", "b", "score", "shared", "a_fingerprints", "b_fingerprints",
                "regions": [{"fingerprints", "a": SIDE, "b": SIDE}]}],
     "problems": [{"student", "problem", "compared"}], "skipped": [...]}
    SIDE = {"file", "lines": [first, last], "from", "to", "code"}
"""
from __future__ import annotations

import json
from pathlib import Path

from grader.formats.escape import html as escape
from grader.similarity import fingerprints, tokens

JSON_NAME, HTML_NAME = "similarity.json", "similarity.html"
MAX_REGIONS = 40  # regions shown per pair
MAX_LINES = 80  # lines shown per side of a region

METHOD = {"tokens": "Python tokens (stdlib tokenize): identifiers one placeholder, strings and numbers one each; "
                    "comments, docstrings, layout and grouping parentheses dropped; one chunk per definition",
          "k": fingerprints.K, "window": fingerprints.W, "fingerprints": "winnowing (Schleimer et al. 2003)",
          "score": "Jaccard index of the two fingerprint sets, the stub's, the solutions' shared code and "
                   "code common to the class left out"}


def write(result, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    data = to_dict(result)
    (out / JSON_NAME).write_text(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n",
                                 encoding="utf-8")
    (out / HTML_NAME).write_text(page(data), encoding="utf-8")


def to_dict(result) -> dict:
    by_student = {source.student: source for source in result.compared}
    return {
        "assignment": result.assignment, "threshold": result.threshold, "method": METHOD,
        "compared": len(result.compared), "pairs_above_threshold": result.above_threshold,
        "left_out": result.left_out, "notes": result.notes,
        "pairs": [_pair(rank, pair, by_student[pair.a], by_student[pair.b])
                  for rank, pair in enumerate(result.pairs, 1)],
        "problems": [{"student": u.student, "problem": u.why, "compared": False} for u in result.unread]
                    + [{"student": s.student, "problem": "; ".join(s.notes), "compared": True}
                       for s in result.compared if s.notes],
        "skipped": result.skipped,
    }


def _pair(rank: int, pair, a, b) -> dict:
    m = pair.match
    return {"rank": rank, "a": pair.a, "b": pair.b, "score": round(m.score, 4), "shared": m.shared,
            "a_fingerprints": m.a_size, "b_fingerprints": m.b_size,
            "regions": [{"fingerprints": r.fingerprints, "a": _side(a, r.a), "b": _side(b, r.b)}
                        for r in pair.regions[:MAX_REGIONS]]}


def _side(source, side) -> dict:
    code: tokens.Code = source.codes[side.file]
    lines = code.text.splitlines()[side.first - 1:min(side.last, side.first - 1 + MAX_LINES)]
    return {"file": code.name, "lines": [side.first, side.last], "from": code.place(side.first),
            "to": code.place(side.last), "code": "\n".join(lines)}


CSS = """
body { font-family: sans-serif; margin: 2em auto; max-width: 1300px; color: #222; line-height: 1.4; }
table { border-collapse: collapse; width: 100%; margin: 0.5em 0 1.5em; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.score { text-align: right; font-weight: bold; }
table.side td { width: 50%; } .where { color: #555; font-size: 0.85em; }
pre { margin: 0.2em 0; padding: 0.4em; background: #fff8e1; overflow-x: auto; font-size: 0.85em; white-space: pre; }
.problem { background: #fdecea; } .note { color: #555; }
"""


def page(data: dict) -> str:
    """The HTML page of a report's dict: every text escaped."""
    e = escape
    body = [f"<h1>{e(data['assignment'])}: similar code</h1>",
            f"<p>{data['compared']} submissions compared; {data['pairs_above_threshold']} pairs score at least "
            f"{e(str(data['threshold']))} ({e(data['method']['score'])}; k = {data['method']['k']} tokens, "
            f"window {data['method']['window']}). Each pair shows the code that counts: what the stub gives, "
            f"what every correct solution shares and what is common to the class is left out.</p>"]
    body += [f'<p class="note">{e(note)}</p>' for note in data["notes"]]
    body.append("<table><tr><th>rank</th><th>score</th><th>students</th><th>shared fingerprints</th></tr>")
    for pair in data["pairs"]:
        body.append(f'<tr><td><a href="#pair-{pair["rank"]}">{pair["rank"]}</a></td>'
                    f'<td class="score">{pair["score"]:.2f}</td><td>{e(pair["a"])} ~ {e(pair["b"])}</td>'
                    f'<td>{pair["shared"]} ({_share(pair, "a")} of {e(pair["a"])}\'s, '
                    f'{_share(pair, "b")} of {e(pair["b"])}\'s)</td></tr>')
    body.append("</table>")
    if data["problems"] or data["skipped"]:
        body.append("<h2>Submissions not read, or read with a problem</h2><ul>")
        body += [f'<li class="problem">{"read" if p["compared"] else "could not read"} {e(p["student"])}'
                 f'{" with a problem" if p["compared"] else ""}: {e(p["problem"])}</li>' for p in data["problems"]]
        body += [f'<li class="problem">skipped {e(name)}: no folder, zip, notebook or .py</li>'
                 for name in data["skipped"]]
        body.append("</ul>")
    for pair in data["pairs"]:
        body.append(f'<h2 id="pair-{pair["rank"]}">{pair["rank"]}. {e(pair["a"])} ~ {e(pair["b"])}: '
                    f'{pair["score"]:.2f}</h2>')
        body.append(f'<table class="side"><tr><th>{e(pair["a"])}</th><th>{e(pair["b"])}</th></tr>')
        for region in pair["regions"]:
            body.append(f"<tr><td>{_code(region['a'])}</td><td>{_code(region['b'])}</td></tr>")
        body.append("</table>")
    return (f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{e(data['assignment'])}: similar code</title><style>{CSS}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def _share(pair: dict, side: str) -> str:
    size = pair[f"{side}_fingerprints"]
    return f"{100 * pair['shared'] / size:.0f}%" if size else "-"


def _code(side: dict) -> str:
    prefix = f"{side['file']}, "  # "hw1.py, line 3 to line 9", "hw1.ipynb, cell 2, line 1 to cell 3, line 4"
    to = side["to"][len(prefix):] if side["to"].startswith(prefix) else side["to"]
    where = side["from"] if side["from"] == side["to"] else f"{side['from']} to {to}"
    return f'<div class="where">{escape(where)}</div><pre>{escape(side["code"])}</pre>'
