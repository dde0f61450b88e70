"""`course similarity`: disguised copies rank above independent solutions, the stub is never
evidence, every input grade-all reads is read (bad entries a line each), student text is
escaped, and the index finds what all-pairs comparison finds."""
from __future__ import annotations

import ast
import json
import os
import random
import re
import shutil
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader import course
from grader.cli import cli
from grader.selftest.mutants import mutant_source
from grader.similarity import detect, excluded, index, report
from grader.similarity.fingerprints import fingerprints
from grader.similarity.tokens import Code, stream
from tests.disguise import disguise
from tests.hostile.test_bad_entries import bad_class

A1 = course.get("assignment1")
ROOT = Path(__file__).resolve().parents[2]
# Students who hand in the stub untouched. With the 12 solutions and copies, a class of 28: code
# in all 12 is not common to the class (over 14), so only the solutions rule leaves it out;
# in the class of 20 with 8 stubs, only the stub rule leaves out what the stub gives.
STUBS, FEWER_STUBS = 16, 8
EVERYTHING = {"threshold": 1e-9, "top": 10 ** 6}  # every pair sharing MIN_SHARED fingerprints


def solutions(assignment) -> dict[str, str]:
    """Independent correct solutions: the reference and the corpus's correct variants."""
    found = {"reference": (assignment.solution_dir / f"{assignment.module}.py").read_text()}
    return found | {name: mutant_source(assignment.id, m) for name, m in assignment.corpus().CORRECT.items()}


def notebook(code: str) -> str:
    """A notebook of one code cell holding `code`."""
    return json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                       "cells": [{"cell_type": "code", "metadata": {}, "source": code, "outputs": [],
                                  "execution_count": None}]})


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)


def make_class(root: Path, assignment, stubs: int = STUBS) -> dict[str, str]:
    """Each solution, a disguised copy of each, and `stubs` untouched stubs (as the module or the
    notebook); student -> the solution it comes from ("stub" for the stubs)."""
    origin = {}
    for seed, (name, source) in enumerate(solutions(assignment).items()):
        write(root / name, f"{assignment.module}.py", source)
        write(root / f"copy_of_{name}", f"{assignment.module}.py", disguise(source, seed))
        origin |= {name: name, f"copy_of_{name}": name}
    stub_notebook = (assignment.stub_dir / f"{assignment.id}.ipynb").read_text()
    for i in range(stubs):
        if i % 2:
            write(root / f"stub{i}", f"{assignment.id}.ipynb", stub_notebook)
        else:
            write(root / f"stub{i}", f"{assignment.module}.py", (assignment.stub_dir / f"{assignment.module}.py").read_text())
        origin[f"stub{i}"] = "stub"
    return origin


@pytest.fixture(scope="module", params=["assignment1", "assignment3"])
def compared(request, tmp_path_factory):
    assignment = course.get(request.param)
    root = tmp_path_factory.mktemp(request.param)
    origin = make_class(root, assignment)
    return origin, detect.compare(assignment, root, **EVERYTHING), detect.compare(assignment, root)


def test_every_disguised_copy_ranks_above_every_pair_of_independent_solutions(compared):
    origin, everything, default = compared
    scores = {(p.a, p.b): p.match.score for p in everything.pairs}
    disguised = {tuple(sorted((name, f"copy_of_{name}"))) for name, o in origin.items() if name == o}
    assert len(disguised) == 6 and disguised <= set(scores), sorted(disguised - set(scores))
    independent = {pair: score for pair, score in scores.items()
                   if "stub" not in (origin[pair[0]], origin[pair[1]]) and origin[pair[0]] != origin[pair[1]]}
    assert independent  # independent solutions do share code the task does not force: the test is real
    weakest = min(scores[pair] for pair in disguised)
    assert weakest > max(independent.values()), (weakest, max(independent.items(), key=lambda kv: kv[1]))
    ranked = [(p.a, p.b) for p in everything.pairs]
    assert set(ranked[:len(disguised)]) == disguised
    assert {(p.a, p.b) for p in default.pairs} == disguised  # flagged at the default threshold: those only


GIVEN = """\
import pandas as pd
import matplotlib.pyplot as plt


def load_station(path, station="Aotizhongxin"):
    frame = pd.read_csv(path)
    frame = frame[frame["station"] == station]
    hours = pd.to_datetime(frame[["year", "month", "day", "hour"]])
    return frame.assign(time=hours).set_index("time")[["PM10", "PM2.5"]]


def plot_fit(X, y, predicted, title="PM2.5 against PM10"):
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.scatter(X[:, 0], y, s=2, alpha=0.3, label="hours")
    order = X[:, 0].argsort()
    axes.plot(X[order, 0], predicted[order], color="red", label="fit")
    axes.set_xlabel("PM10")
    axes.set_ylabel("PM2.5")
    axes.set_title(title)
    axes.legend()
    return figure
"""


def course_with_given_code(root: Path) -> Path:
    """A copy of this course whose assignment1 notebook gives students a cell of code the
    reference does not hold (loading and plotting helpers): only the stub rule leaves it out."""
    root.mkdir(parents=True)
    shutil.copy(ROOT / "course-grader.toml", root / "course-grader.toml")
    shutil.copytree(A1.stub_dir, root / "assignments" / "assignment1")
    shutil.copytree(A1.solution_dir, root / "solutions" / "assignment1")
    path = root / "assignments" / "assignment1" / "assignment1.ipynb"
    book = json.loads(path.read_text())
    book["cells"].insert(1, json.loads(notebook(GIVEN))["cells"][0])
    path.write_text(json.dumps(book))
    return root


def test_an_untouched_stub_handed_in_by_many_students_is_not_flagged(compared):
    origin, everything, default = compared
    stubs = {s for s, o in origin.items() if o == "stub"}
    assert stubs <= {s.student for s in default.compared}  # read and compared, modules and notebooks alike
    assert not [(p.a, p.b) for p in everything.pairs if stubs & {p.a, p.b}]
    assert default.pairs and not [(p.a, p.b) for p in default.pairs if stubs & {p.a, p.b}]


def test_code_the_stub_gives_is_no_evidence_when_many_hand_it_in_untouched(tmp_path):
    with course.using(course_with_given_code(tmp_path / "course")):
        assignment = course.get("assignment1")
        given = prints_of(GIVEN) - excluded.for_assignment(assignment).solutions
        assert len(given) >= 3 * detect.MIN_SHARED  # what only the stub rule keeps from being evidence
        origin = make_class(tmp_path / "class", assignment, FEWER_STUBS)
        flagged = [(p.a, p.b) for p in detect.compare(assignment, tmp_path / "class", **EVERYTHING).pairs
                   if {p.a, p.b} & {s for s, o in origin.items() if o == "stub"}]
    assert flagged == []


def top_level_blocks(source: str) -> tuple[str, list[str]]:
    """The module's text before its first definition, and each top-level definition's text."""
    tree, lines = ast.parse(source), source.splitlines(keepends=True)
    defs = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    return "".join(lines[:defs[0].lineno - 1]), ["".join(lines[n.lineno - 1:n.end_lineno]) for n in defs]


def prints_of(source: str) -> set[int]:
    return set(fingerprints(stream([Code("m.py", source)])))


@pytest.mark.parametrize("assignment_id", ["assignment1", "assignment3"])
def test_reordering_functions_and_methods_changes_no_fingerprint(assignment_id):
    source = solutions(course.get(assignment_id))["reference"]
    head, blocks = top_level_blocks(source)
    shuffled = blocks[:]
    random.Random(1).shuffle(shuffled)
    assert shuffled != blocks
    assert prints_of(head + "\n\n".join(shuffled)) == prints_of(source)
    methods = "class M:\n    def a(self, x):\n        return x.view(x.size(0), -1) + self.w\n\n" \
              "    def b(self, y):\n        return [v * 2 for v in y if v is not None]\n"
    swapped = "class M:\n    def b(self, y):\n        return [v * 2 for v in y if v is not None]\n" \
              "    def a(self, x):\n        return x.view(x.size(0), -1) + self.w\n"
    assert prints_of(methods) == prints_of(swapped) and prints_of(methods)


def test_code_that_does_not_tokenize_is_compared_on_the_rest():
    head, blocks = top_level_blocks(solutions(A1)["reference"])
    broken = head + "".join(blocks[:3]) + 'NOTE = """never closed\n' + "".join(blocks[3:])
    tokens = stream([Code("linear_regression.py", broken)])
    assert len(tokens.problems) == 1 and "does not tokenize (EOF in multi-line string)" in tokens.problems[0]
    after = prints_of("".join(blocks[4:]))  # the definition right after the string is cut at its start
    assert after and after <= set(fingerprints(tokens))


def test_the_index_finds_exactly_the_pairs_that_comparing_every_pair_finds():
    rng = random.Random(0)
    sets = [frozenset(rng.sample(range(400), rng.randint(0, 40))) for _ in range(150)]
    sets += [s | {1000 + i} for i, s in enumerate(sets[:20])]  # near copies
    sets += [frozenset(range(30))] * 180  # common code: in more than half of the class
    def pairs(by, threshold, min_shared=1):
        found, common = by(sets, threshold, min_shared)
        assert common == frozenset(range(30))
        return sorted(found, key=lambda m: (m.a, m.b))
    indexed = pairs(index.indexed_pairs, 1e-9)
    assert indexed == pairs(index.all_pairs, 1e-9) and len(indexed) > 1000
    strong = pairs(index.indexed_pairs, 0.3, 5)
    assert strong == pairs(index.all_pairs, 0.3, 5) == [m for m in indexed if m.score >= 0.3 and m.shared >= 5]
    assert 10 <= len(strong) < len(indexed)  # the near copies with 5 or more


READ_AS = ("latin", "cookie", "nb", "lone", "zipped")  # each holds a correct variant of its own, as its twin does


def hostile_notebook_class(root: Path) -> None:
    """Beside tests.hostile's bad entries: text that is not UTF-8, a declared encoding, code that
    does not tokenize or parse, an empty folder, a notebook that is no JSON; and, each beside a
    plain folder holding the same variant, nbgrader's layout with a notebook, a lone notebook and
    a zip of a folder."""
    reference, *variants = solutions(A1).values()
    latin, cookie, nb, lone, zipped = variants
    for name, variant in zip(READ_AS, variants):
        write(root / f"twin_of_{name}", "linear_regression.py", variant)
    (root / "latin").mkdir()
    (root / "latin" / "linear_regression.py").write_bytes(latin.encode() + b"# caf\xe9\n")
    (root / "cookie.py").write_bytes(b"# -*- coding: latin-1 -*-\n" + cookie.encode() + b"# caf\xe9\n")
    write(root / "nb" / "assignment1", "assignment1.ipynb", notebook(nb))
    (root / "lone.ipynb").write_text(notebook(lone))
    with zipfile.ZipFile(root / "zipped.zip", "w") as z:
        z.writestr("work/linear_regression.py", zipped)
    write(root / "unclosed", "linear_regression.py", reference + '\nNOTE = """never closed\n')
    write(root / "syntax", "linear_regression.py", reference.replace("def mae(y_true, y_pred):", "def mae(y_true, y_pred)"))
    (root / "empty").mkdir()
    (root / "junk.ipynb").write_bytes(b"\xff\xfe{ not json")


def test_every_input_grade_all_reads_is_read_and_each_bad_entry_is_one_line(tmp_path):
    root = tmp_path / "class"
    bad = bad_class(root, tmp_path / "outside")
    hostile_notebook_class(root)
    bad |= {"empty": "holds no .py file and no notebook", "junk": "junk.ipynb is not a notebook that can be read",
            "bomb": "linear_regression.py holds null bytes"}  # its first MB: read no further
    noted = {"latin": "not text in the encoding it declares", "unclosed": "does not tokenize (EOF in multi-line string)",
             "syntax": "syntax error (expected ':')"}
    result = detect.compare(A1, root)
    assert {u.student: u.why for u in result.unread}.keys() == bad.keys()
    for u in result.unread:
        assert bad[u.student] in u.why, (u.student, u.why)
    assert {s.student for s in result.compared if s.notes} == noted.keys()
    for s in result.compared:
        assert not s.notes or noted[s.student] in "; ".join(s.notes), (s.student, s.notes)
    lines = detect.describe(result, tmp_path / "out")
    for student in [*bad, *noted]:
        said = [line for line in lines if re.match(rf"(could not read|read) {student}( with a problem)?: ", line)]
        assert len(said) == 1, (student, lines)
    scores = {(p.a, p.b): p.match.score for p in result.pairs}
    for student in READ_AS:  # read whole, whatever the form
        assert scores[tuple(sorted((f"twin_of_{student}", student)))] == 1.0, student
    assert scores[("ann", "late")] == 1.0  # nbgrader's layout, a module in it
    assert result.skipped == ["kim.rar"]


SCRIPT = "<script>alert(1)</script>"


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attributes = set(), []

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        self.attributes += attrs


def test_student_text_is_harmless_in_the_page_which_needs_nothing_from_outside(tmp_path):
    root, reference = tmp_path / "class", solutions(A1)["reference"]
    order = "order = np.random.default_rng(seed).permutation(len(X))"
    hostile = reference.replace(order, f'{order}  # </pre>{SCRIPT}')
    for student in ("<img src=x onerror=alert(1)>", "\x1b[2Jbob", "carol"):
        with zipfile.ZipFile((root.mkdir(exist_ok=True), root / f"{student}.zip")[1], "w") as z:
            z.writestr(f"{SCRIPT.replace('/', '')}.py", hostile)
    result = detect.main(assignment_id="assignment1", submissions=root, out=tmp_path / "out")
    page = (tmp_path / "out" / report.HTML_NAME).read_text()
    assert len(result.pairs) == 3 and "&lt;img src=x onerror=alert(1)&gt;" in page and "&lt;/pre&gt;" in page
    assert "<script" not in page and "<img" not in page and "\x1b" not in page
    parsed = Tags()
    parsed.feed(page)
    assert parsed.tags <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "table", "tr", "th",
                           "td", "a", "ul", "li", "div", "pre"}
    assert {name for name, _ in parsed.attributes} <= {"lang", "charset", "class", "id", "href"}
    assert all(value.startswith("#pair-") for name, value in parsed.attributes if name == "href")
    assert "url(" not in page and "@import" not in page and "//" not in page.split("<body>")[0]
    assert not any("\x1b" in line for line in detect.describe(result, tmp_path / "out"))
    data = json.loads((tmp_path / "out" / report.JSON_NAME).read_text())
    assert any(SCRIPT in r["a"]["code"] for r in data["pairs"][0]["regions"])  # the data keeps the text as it is


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_the_command_writes_both_reports_and_prints_the_ranking(tmp_path):
    root = tmp_path / "class"
    make_class(root, A1)
    result = run("similarity", "assignment1", root, "--out", tmp_path / "new" / "out", "--top", "3")
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "new" / "out" / "similarity.json").read_text())
    assert data["compared"] == 12 + STUBS and len(data["pairs"]) == 3 and data["pairs"][0]["score"] == 1.0
    assert data["pairs_above_threshold"] > 3 and (tmp_path / "new" / "out" / "similarity.html").is_file()
    assert "   1. 1.00  " in result.output and "the top 3 in the reports" in result.output


@pytest.mark.parametrize("option", [("--threshold", "0"), ("--threshold", "1.5"), ("--top", "0")])
def test_a_bad_option_or_a_missing_folder_exits_1_before_any_work(tmp_path, option):
    result = run("similarity", "assignment1", tmp_path, "--out", tmp_path / "out", *option)
    assert result.exit_code == 1 and f"Invalid value for '{option[0]}'" in result.output
    missing = run("similarity", "assignment1", tmp_path / "nobody", "--out", tmp_path / "out")
    assert missing.exit_code == 1 and "does not exist" in missing.output
    assert not (tmp_path / "out" / "similarity.json").exists()


def test_an_empty_submissions_folder_is_a_warning(tmp_path):
    (tmp_path / "class").mkdir()
    result = run("similarity", "assignment1", tmp_path / "class", "--out", tmp_path / "out")
    assert result.exit_code == 0 and "0 submissions compared" in result.output
    assert "warning: no submission found" in result.output


def test_the_reports_folder_is_made_before_any_work_or_the_command_stops(tmp_path):
    (tmp_path / "taken").write_text("a file, not a folder")
    result = run("similarity", "assignment1", tmp_path, "--out", tmp_path / "taken" / "out")
    assert result.exit_code == 1 and "cannot create the folder" in result.output
    assert os.path.isfile(tmp_path / "taken")
