"""One bad entry in SUBMISSIONS costs only that student: a .zip that is not a zip, a zip with
two members of one name or an unsafe path, a zip bomb, a link to /proc/self/mem or to a FIFO,
a FIFO, a student id given twice, a garbage nbgrader timestamp.txt. Mixed among honest
students, each bad entry gets a report of 0 points that says why and the fix, every honest
student is graded once, and the run finishes."""
from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest

from grader import batch, course, submission_files
from grader.gradebook import Gradebook
from tests.hostile.bombs import crc_of_zeros, deflated_zeros, zip_of_one

A1 = course.get("assignment1")
ROOT = Path(__file__).resolve().parents[2]
HONEST = ("ann", "cat", "dan")
COURSE = "[assignments.assignment1]\ndue = 2000-01-01T00:00:00+00:00\nlate_penalty_per_day = 0.5\n"
BOMB_MIB = 3072  # 3 GiB of zeros in a 3 MB zip


def reference() -> str:
    return (A1.solution_dir / "linear_regression.py").read_text()


def bad_class(folder: Path, outside: Path) -> dict[str, str]:
    """Honest students (HONEST, and `late` in nbgrader's layout with a garbage timestamp.txt)
    and every kind of bad entry in `folder`; bad student id -> words its message must hold."""
    folder.mkdir(parents=True)
    outside.mkdir(parents=True)
    for name in HONEST:
        (folder / name).mkdir()
        (folder / name / "linear_regression.py").write_text(reference())
    late = folder / "late" / "assignment1"
    late.mkdir(parents=True)
    (late / "linear_regression.py").write_text(reference())
    (late / "timestamp.txt").write_text("the day before yesterday\n")

    (folder / "notzip.zip").write_bytes(b"this is no zip at all\n")
    with warnings.catch_warnings(), zipfile.ZipFile(folder / "twins.zip", "w") as z:
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate it writes
        z.writestr("linear_regression.py", reference())
        z.writestr("linear_regression.py", "def mae(a, b):\n    return 0.0\n")
    with zipfile.ZipFile(folder / "escapes.zip", "w") as z:
        z.writestr("../../escaped.py", "x = 1\n")
    (folder / "bomb.zip").write_bytes(zip_of_one("linear_regression.py", deflated_zeros(BOMB_MIB), BOMB_MIB << 20,
                                                 crc_of_zeros(BOMB_MIB)))
    for name, target in (("proc", "/proc/self/mem"), ("pipe_link", str(outside / "pipe"))):
        (folder / name).mkdir()
        (folder / name / "linear_regression.py").write_text(reference())
        (folder / name / "data.bin").symlink_to(target)
    os.mkfifo(outside / "pipe")
    (folder / "pipe").mkdir()
    (folder / "pipe" / "linear_regression.py").write_text(reference())
    os.mkfifo(folder / "pipe" / "notes.txt")
    os.mkfifo(folder / "fifo.py")  # the entry itself
    (folder / "kim.rar").write_bytes(b"Rar!\x1a\x07\x00")  # no submission kind: skipped, and said so
    for entry in ("bob", "bob.py"):  # one student id, twice
        path = folder / entry
        (path / "linear_regression.py" if entry == "bob" else path).parent.mkdir(exist_ok=True)
        (path / "linear_regression.py" if entry == "bob" else path).write_text(reference())
    return {"notzip": "is not a zip file", "twins": "two members named linear_regression.py",
            "escapes": "unsafe path ../../escaped.py", "bomb": "more than 200 MB",
            "proc": "a link to /proc/self/mem, outside the submission", "pipe_link": "outside the submission",
            "pipe": "holds notes.txt, a named pipe", "fifo": "a named pipe",
            "bob": "2 entries in the submissions folder (bob/, bob.py)"}


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    (root / "course.toml").write_text(COURSE)
    return root, bad_class(root / "class", root / "outside")


def run(root: Path, book: Path, data_dir, **kw):
    return batch.main(assignment_id="assignment1", submissions=root / "class", gradebook=book, data_dir=data_dir,
                      time_scale=0.1, progress=False, course_file_path=root / "course.toml", **kw)


def assert_every_bad_entry_costs_only_its_student(summary, book: Path, bad: dict[str, str]) -> None:
    graded = {s: r for s, r, _ in summary.graded}
    assert sorted(graded) == sorted([*HONEST, "late"]) and not summary.failed and summary.finished
    assert all(r["score"] == r["max_score"] == A1.rubric.max_score for r in graded.values())
    assert any("timestamp.txt holds 'the day before yesterday'" in note for note in graded["late"]["notes"])
    assert graded["late"]["adjustments"] == []  # a garbage time: graded, never penalised
    refused = dict(summary.refused)
    assert sorted(refused) == sorted(bad)
    for student, words in bad.items():
        assert words in refused[student], (student, refused[student])
    lines = "\n".join(batch.describe(summary, "assignment1"))
    assert all(f"could not grade {student}: " in lines for student in bad) and "unfinished" not in lines
    assert summary.skipped == ["kim.rar"] and "skipped 1 entries that are no submission" in lines
    with Gradebook(book) as gb:
        latest = gb.latest("assignment1")
        assert sorted(latest) == sorted([*HONEST, "late", *bad])
        for student in bad:
            report = latest[student].report
            assert latest[student].score == 0 and report["complete"]
            assert {c["status"] for c in report["checks"]} == {"error"}
            assert {c["message"] for c in report["checks"]} == {refused[student]}
    with sqlite3.connect(book) as db:
        assert db.execute("SELECT count(*) FROM runs WHERE finished_at IS NOT NULL").fetchone() == (1,)
        assert dict(db.execute("SELECT student, count(*) FROM grades GROUP BY student")) == \
            dict.fromkeys([*HONEST, "late", *bad], 1)


def test_every_bad_entry_costs_only_its_student_and_the_run_finishes(klass, tmp_path, data_dir):
    root, bad = klass
    summary = run(root, tmp_path / "gb.sqlite", data_dir, workers=2)
    assert_every_bad_entry_costs_only_its_student(summary, tmp_path / "gb.sqlite", bad)
    assert not (root / "escaped.py").exists() and not (root.parent / "escaped.py").exists()
    again = run(root, tmp_path / "gb.sqlite", data_dir, workers=2)  # honest ones unchanged, bad ones said again
    assert sorted(again.unchanged) == sorted([*HONEST, "late"]) and sorted(dict(again.refused)) == sorted(bad)
    assert again.finished


def test_reading_a_zip_bomb_stops_at_the_budget_in_bytes_and_memory(klass):
    """Hashing and unpacking the 3 GiB bomb, in a process of its own so that its peak memory can be read."""
    root, _ = klass
    # VmHWM, this program's own peak: ru_maxrss would count the pytest process it was forked from
    code = ("import sys, tempfile\nfrom pathlib import Path\nfrom grader import submission_files as f\n"
            "for read in (lambda p: f.content_sha256(p), lambda p: f.materialize(p, Path(tempfile.mkdtemp()), 'm')):\n"
            "    try:\n        read(Path(sys.argv[1]))\n    except f.BadSubmission as err:\n        print(err)\n"
            "print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM:')))\n")
    done = subprocess.run([sys.executable, "-c", code, str(root / "class" / "bomb.zip")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)
    *refusals, peak_kib = done.stdout.strip().splitlines()
    assert done.returncode == 0 and len(refusals) == 2, done.stdout + done.stderr
    assert all("bomb.zip holds more than 200 MB of files (unpacked)" in r for r in refusals)
    assert int(peak_kib) < 400 << 10, f"peak memory {int(peak_kib) >> 10} MiB"


@pytest.mark.parametrize("make, words", [
    (lambda f: (f / "a").mkdir() or (f / "a" / "x.py").symlink_to("../../outside.py"), "outside the submission"),
    (lambda f: (f / "x.py").symlink_to(f / "y.py"), "outside the submission"),  # absolute, even if inside
    (lambda f: [(f / f"{i}.py").write_text("") for i in range(submission_files.MAX_ENTRIES + 1)], "more than"),
])
def test_a_folder_that_reaches_out_or_is_too_big_is_refused(tmp_path, make, words):
    folder = tmp_path / "kim"
    folder.mkdir()
    make(folder)
    with pytest.raises(submission_files.BadSubmission, match=words):
        submission_files.materialize(folder, tmp_path / "copy", "linear_regression")


def test_a_link_out_is_hashed_by_its_target_text_and_never_followed(tmp_path):
    folder = tmp_path / "kim"
    folder.mkdir()
    (folder / "memory").symlink_to("/proc/self/mem")
    first = submission_files.content_sha256(folder)
    os.remove(folder / "memory")
    (folder / "memory").symlink_to("/proc/self/maps")
    assert submission_files.content_sha256(folder) != first


def test_links_inside_stay_links_hashed_by_their_target_and_copied_as_links(tmp_path):
    folder = tmp_path / "kim"
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "lr.py").write_text(reference())
    (folder / "linear_regression.py").symlink_to("src/lr.py")
    (folder / "__pycache__").mkdir()
    os.mkfifo(folder / "__pycache__" / "ignored")  # never graded, never read
    digest = submission_files.content_sha256(folder)
    copy = submission_files.materialize(folder, tmp_path / "copy", "linear_regression")
    assert os.readlink(copy / "linear_regression.py") == "src/lr.py"
    assert (copy / "linear_regression.py").read_text() == reference() and not (copy / "__pycache__").exists()
    (folder / "src" / "lr.py").write_text("changed = True\n")
    assert submission_files.content_sha256(folder) != digest
    os.remove(folder / "linear_regression.py")
    (folder / "linear_regression.py").symlink_to("src/other.py")  # another target: another digest
    assert submission_files.content_sha256(folder) not in (digest, submission_files.content_sha256(folder / "src"))


def test_a_zip_is_read_like_the_folder_it_was_made_of(tmp_path):
    folder = tmp_path / "kim"
    folder.mkdir()
    (folder / "linear_regression.py").write_text(reference())
    (folder / "notes.txt").write_text("hello")
    with zipfile.ZipFile(tmp_path / "kim.zip", "w", zipfile.ZIP_DEFLATED) as z:
        for name in ("notes.txt", "linear_regression.py"):
            z.write(folder / name, name)
    assert submission_files.content_sha256(tmp_path / "kim.zip") == submission_files.content_sha256(folder)
    copy = submission_files.materialize(tmp_path / "kim.zip", tmp_path / "copy", "linear_regression")
    assert (copy / "linear_regression.py").read_text() == reference()
