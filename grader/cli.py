"""The `course` command line. It only wires options to the `main` functions that do the work;
`CourseError`s become clean messages here and nowhere else.
"""
from __future__ import annotations

import contextlib
import os
import sys
from functools import wraps
from pathlib import Path

import click

from course_lib.errors import CourseError
from grader.formats import FORMATS, render
from grader.i18n import LANGS, localized
from grader import similarity as similarity_defaults

COURSE_FILE = click.option(
    "--course-file", "course_file_path", type=click.Path(dir_okay=False, path_type=Path),
    default=lambda: Path("course.toml") if Path("course.toml").exists() else None,
    help="Points, visibility, due dates and late policy (default: ./course.toml when present).")
DATA_DIR = click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                        help="Folder holding the datasets (else $COURSE_DATA_DIR, else the user cache).")

FILE = click.option("--file", "file", metavar="NAME", default=None,
                    help="Grade this file of the folder: the module (e.g. mean.py) or the notebook "
                         "(hw1.ipynb). Default: the one changed from the stub.")


TIME_SCALE = click.option("--time-scale", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
                          help="Multiply every check's time limit, a number above 0 (slow machines: 2).")


def output_file(ctx, param, path: Path | None) -> Path | None:
    """The rule for every file a command writes (--output, --out, --gradebook): its folder is
    created now, before any work, or the command stops here saying why."""
    if path is None:
        return None
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise click.BadParameter(f"cannot create the folder {click.format_filename(folder)} for "
                                 f"{click.format_filename(path)} ({err.strerror}); give a path in a folder "
                                 f"you can write to.") from None
    if not os.access(folder, os.W_OK | os.X_OK):
        raise click.BadParameter(f"the folder {click.format_filename(folder)} is not writable; give a path "
                                 f"in a folder you can write to.")
    return path


def output_folder(ctx, param, path: Path | None) -> Path | None:
    """output_file's rule for a folder a command writes its files into (--out DIR): the folder
    is created now, before any work."""
    if path is not None:
        output_file(ctx, param, path / "file")  # makes `path`, the folder of a file in it
    return path


ALLOW_UNISOLATED = click.option(
    "--allow-unisolated", is_flag=True,
    help="Grade submissions even without bubblewrap, whose absence lets student code read and rewrite the "
         "reference, the gradebook and other students' files (docs/threat-model.md).")


def friendly(command):
    """Turn CourseError into a one-line message and exit code 1."""
    @wraps(command)
    def run(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except CourseError as err:
            raise click.ClickException(str(err)) from None
    return run


@contextlib.contextmanager
def _usage_exits_1():
    """Click's usage errors (a bad option or value, a missing path) exit 1, like every other
    usage problem (README: 0 graded, 1 usage, 3 not a final grade)."""
    try:
        yield
    except click.UsageError as err:
        err.exit_code = 1
        raise


STUDENT_COMMANDS = ("check", "list", "data")  # all that a student bundle runs


class CourseGroup(click.Group):
    """The commands: one exit code (1) for every usage problem, whichever layer finds it; in a
    student bundle only the student's are listed, and each of the others answers in one line
    that it is for the instructor's copy of the course."""

    def make_context(self, *args, **kwargs):
        with _usage_exits_1():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx):
        with _usage_exits_1():
            return super().invoke(ctx)

    def list_commands(self, ctx):
        from grader import course
        return [n for n in super().list_commands(ctx) if n in STUDENT_COMMANDS or not course.in_bundle()]

    def get_command(self, ctx, name):
        from grader import course
        command = super().get_command(ctx, name)
        if command is None or name in STUDENT_COMMANDS or not course.in_bundle():
            return command
        ids = list(course.current().assignments)
        return _refusal(name, f"`course {name}` is for the instructor's copy of the course; this student "
                              f"bundle of {', '.join(ids)} runs `course check {ids[0]}`, "
                              f"`course list` and `course data`.")


def _refusal(name: str, message: str) -> click.Command:
    """A command that takes any arguments and only fails with `message`."""
    def refuse(args):
        raise click.ClickException(message)
    return click.Command(name, callback=refuse, params=[click.Argument(["args"], nargs=-1)], add_help_option=False,
                         context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
                         help=message)


SUBMISSION_HELP = ("The submission: a folder holding the module, a notebook (.ipynb), a zip or a lone .py (as "
                   "grade-all takes them), or nbgrader's submitted/<student>/<id>/ folder")


def _point_at_course(ctx, param, path: Path | None) -> Path | None:
    """--course-dir: the engine, and every process it starts, works on the course there."""
    if path is not None:
        from grader import course
        try:
            course.use(path)
        except CourseError as err:
            raise click.BadParameter(str(err)) from None
    return path


@click.group(cls=CourseGroup)
@click.version_option(package_name="course-grader")
@click.option("--course-dir", type=click.Path(file_okay=False, path_type=Path), default=None, expose_value=False,
              callback=_point_at_course, is_eager=True,
              help="The course folder (holding course-grader.toml); else $COURSE_DIR, else the current folder "
                   "or the nearest folder above it that holds one.")
def cli():
    """Autograded assignments: grade, check, release and self-test a course's assignments."""


@cli.command()
@click.argument("assignment_id")
@click.option("--submission", type=click.Path(exists=True, path_type=Path), default=None,
              help=SUBMISSION_HELP + " (default: the assignment's own folder).")
@click.option("--reference", is_flag=True, help="Grade the reference solution instead.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", *FORMATS]), default="table", show_default=True,
              help="gradescope: results.json; markdown, html: a feedback page for the student.")
@click.option("--lang", type=click.Choice(LANGS), default="en", show_default=True,
              help="Language of the student-facing titles and messages (ko: Korean).")
@click.option("--show-hidden", is_flag=True,
              help="markdown, html: show the hidden checks' messages and pictures too (grades published).")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None, callback=output_file,
              help="Write the report to this file instead of the terminal (its folder is created).")
@TIME_SCALE
@click.option("--device", type=click.Choice(["auto", "cpu", "cuda"]), default="auto", show_default=True,
              help="Where PyTorch assignments run the student's tensors; auto: CUDA when there is a GPU.")
@ALLOW_UNISOLATED
@click.option("--submitted-at", metavar="TIME|FILE", default=None,
              help="When it was submitted, for course.toml's late penalty: an ISO 8601 time with its offset "
                   "(2026-12-01T23:59:00+09:00), or a CSV file with columns student,submitted_at (e.g. from the "
                   "LMS) holding the submission's student id (its folder or file name; the student folder in "
                   "nbgrader's layout). Default: nbgrader's timestamp.txt in nbgrader's submitted/<student>/<id>/ "
                   "layout; times inside a submission are the student's own and never used.")
@FILE
@COURSE_FILE
@DATA_DIR
@friendly
def grade(assignment_id, submission, reference, fmt, lang, show_hidden, output, time_scale, device, allow_unisolated,
          submitted_at, file, course_file_path, data_dir):
    """Grade a submission of ASSIGNMENT_ID and print or write its report.

    Exit status: 0 when graded, 1 on a usage problem, 3 when the grader itself failed on a
    check (the report is written but is not a final grade).

    Example: course grade hw1 --submission students/kim --format json --output kim.json
    """
    from grader import course_file, grade as grading, writers
    with writers.progress_per_check(assignment_id) as progress:
        report = grading.main(assignment_id=assignment_id, submission=submission, reference=reference,
                              data_dir=data_dir, time_scale=time_scale, device=device,
                              course_file_path=course_file_path, allow_unisolated=allow_unisolated,
                              submitted_at=submitted_at, progress=progress, file=file)
    student = course_file.student_of(submission, assignment_id) if submission is not None else None
    _emit(report, fmt, output, lang, show_hidden, student)
    if not report.complete:
        sys.exit(3)


def _emit(report, fmt, output, lang="en", show_hidden=False, student=None):
    from grader import writers
    if fmt == "table" and output:
        with open(output, "w", encoding="utf-8") as f:
            from rich.console import Console
            writers.table(localized(report, lang), Console(file=f, width=120), lang)
    elif fmt == "table":
        writers.table(localized(report, lang), lang=lang)
    else:
        text = writers.to_json(localized(report, lang)) if fmt == "json" else \
            render(report, fmt, lang, show_hidden, student)
        if output:
            output.write_text(text, encoding="utf-8")
        else:
            click.echo(text, nl=False)
    if output:
        click.echo(f"{report.assignment}: {report.score:g} / {report.max_score:g} -> {output}", err=True)


@cli.command()
@click.argument("assignment_id")
@click.option("--submission", type=click.Path(exists=True, path_type=Path), default=None,
              help=SUBMISSION_HELP + " (default: your working copy, the assignment's own folder).")
@TIME_SCALE
@click.option("--lang", type=click.Choice(LANGS), default="en", show_default=True,
              help="Language of the titles, messages and table (ko: Korean).")
@FILE
@DATA_DIR
@friendly
def check(assignment_id, submission, time_scale, lang, file, data_dir):
    """Run the visible checks on your working copy (students; works in a released bundle).

    It grades the module or the notebook, whichever you changed, and says which.

    Example: course check hw1
    """
    from grader import grade as grading, writers
    from grader.i18n import translate
    with writers.progress_per_check(assignment_id) as progress:
        report = grading.main(assignment_id=assignment_id, submission=submission, data_dir=data_dir,
                              time_scale=time_scale, visible_only=True, progress=progress, file=file)
    writers.table(localized(report, lang), lang=lang)
    click.echo(translate("These are the visible checks only; your grade also includes hidden ones.", lang))


@cli.command()
@click.argument("assignment_id")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="New folder to write the student bundle into.")
@friendly
def release(assignment_id, out):
    """Write the student bundle of ASSIGNMENT_ID, after auditing it for leaks.

    The bundle holds the stub, README, notebook, visible checks and course_lib; never the
    reference or hidden checks. A leak stops the release and names the file and line.

    Example: course release hw1 --out release/hw1
    """
    from grader import release as releasing
    files = releasing.main(assignment_id=assignment_id, out=out)
    click.echo(f"{assignment_id}: {len(files)} files written to {out}; leak audit passed.")


@cli.command()
@click.option("--check", "check_only", is_flag=True, help="Only say which notebooks are out of date (exit 1).")
@friendly
def notebooks(check_only):
    """Write the student notebooks assignments/<id>/<id>.ipynb from solutions/<id>/notebook.py.

    Example: course notebooks --check
    """
    from grader import course, notebooks as building
    stale = building.write_student_notebooks(course.current().assignments.values(), check_only=check_only)
    verb = "out of date" if check_only else "written"
    click.echo(f"{len(stale)} notebook(s) {verb}" + "".join(f"\n  {s}" for s in stale))
    if check_only and stale:
        sys.exit(1)


@cli.group()
def nbgrader():
    """Run the course through the real nbgrader."""


@nbgrader.command("export")
@click.argument("assignment_id")
@click.option("--course-dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The nbgrader course folder (created if missing).")
@click.option("--course-id", default="course", show_default=True,
              help="nbgrader's course id (c.CourseDirectory.course_id), written into a new nbgrader_config.py.")
@friendly
def nbgrader_export(assignment_id, course_dir, course_id):
    """Write nbgrader_config.py and source/<id>/<id>.ipynb with our checks as test cells.

    Then: nbgrader generate_assignment <id>, autograde, generate_feedback, export.

    Example: course nbgrader export hw1 --course-dir my-course
    """
    from grader import nbgrader_export as exporting
    path = exporting.main(assignment_id=assignment_id, course_dir=course_dir, course_id=course_id)
    click.echo(f"wrote {path}; next: cd {course_dir} && nbgrader generate_assignment {assignment_id}")


@cli.command("grade-all")
@click.argument("assignment_id")
@click.argument("submissions", type=click.Path(file_okay=False, path_type=Path))
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Parallel grading processes (default: the number of cores).")
@click.option("--gradebook", type=click.Path(dir_okay=False, path_type=Path), default=Path("gradebook.sqlite"),
              show_default=True, callback=output_file,
              help="SQLite gradebook to add this run's grades to (created, with its folder, if missing).")
@click.option("--resume", is_flag=True, help="Finish the last unfinished run instead of starting one.")
@click.option("--regrade", is_flag=True, help="Grade unchanged submissions again too.")
@TIME_SCALE
@click.option("--cluster", metavar="ADDRESS", default=None,
              help="Grade on the Dask cluster whose scheduler is at ADDRESS (tcp://HOST:8786), or on local:N, "
                   "N local Dask worker processes (docs/cluster.md).")
@click.option("--submitted-at", "submitted_at", metavar="FILE", default=None,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="CSV with columns student,submitted_at (ISO 8601 with its offset, e.g. from the LMS): the "
                   "submission times for course.toml's late penalty. Else nbgrader's timestamp.txt in nbgrader's "
                   "layout; times inside a submission are the student's own and never used.")
@ALLOW_UNISOLATED
@COURSE_FILE
@DATA_DIR
@friendly
def grade_all(assignment_id, submissions, workers, gradebook, resume, regrade, time_scale, cluster,
              submitted_at, allow_unisolated, course_file_path, data_dir):
    """Grade every submission in SUBMISSIONS (one folder, zip or notebook per student, or
    nbgrader's submitted/ folder) into the gradebook, in parallel.

    Interrupted (Ctrl-C, a killed process)? Run it again with --resume: what was graded stays.
    With --cluster, Dask's workers grade (GPU checks on workers with a GPU resource) and this
    process still writes the gradebook.

    \b
    Example: course grade-all hw1 submitted/ --workers 2 --gradebook grades.sqlite
    Example: course grade-all hw3 submitted/ --cluster tcp://head-node:8786
    """
    from grader import batch
    try:
        summary = batch.main(assignment_id=assignment_id, submissions=submissions, gradebook=gradebook,
                             workers=workers, resume=resume, regrade=regrade, data_dir=data_dir,
                             time_scale=time_scale, course_file_path=course_file_path, cluster=cluster,
                             submitted_at=submitted_at, allow_unisolated=allow_unisolated)
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted; what was graded is in {gradebook}. Continue with --resume.", err=True)
        sys.exit(130)
    click.echo("\n".join(batch.describe(summary, assignment_id)))
    if summary.failed:
        sys.exit(3)


@cli.command()
@click.argument("assignment_id")
@click.argument("submissions", type=click.Path(file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, callback=output_folder,
              help="Folder to write similarity.json and similarity.html into (created if missing).")
@click.option("--threshold", type=click.FloatRange(min=0, max=1, min_open=True), default=similarity_defaults.THRESHOLD,
              show_default=True,
              help="Report the pairs whose score (the Jaccard index of their fingerprints) is at least this; "
                   "lower it (0.5) to see partial copies too.")
@click.option("--top", type=click.IntRange(min=1), default=similarity_defaults.TOP, show_default=True,
              help="Report at most this many pairs, the highest scores first.")
@friendly
def similarity(assignment_id, submissions, out, threshold, top):
    """Rank the pairs of submissions in SUBMISSIONS whose code is alike, with the matching
    regions side by side (similarity.html) and as data (similarity.json).

    Robust to renamed identifiers, reordered functions, rewritten comments and a new layout.
    The stub and the code every correct solution shares are left out, so independent correct
    solutions are not flagged. SUBMISSIONS is what grade-all takes; each entry that cannot be
    read gets a line, and the others are compared.

    \b
    Example: course similarity hw1 submitted/ --out similarity/ --threshold 0.6
    """
    from grader.similarity import detect
    result = detect.main(assignment_id=assignment_id, submissions=submissions, out=out, threshold=threshold,
                         top=top)
    click.echo("\n".join(detect.describe(result, out)))


@cli.group()
def gradebook():
    """Read the SQLite gradebook."""


@gradebook.command("export")
@click.option("--gradebook", "path", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              default=Path("gradebook.sqlite"), show_default=True,
              help="The SQLite gradebook grade-all wrote.")
@click.option("--assignment", "assignment_ids", multiple=True, help="Only these assignments (repeatable).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("grades.csv"),
              show_default=True, callback=output_file,
              help="The CSV file to write: student, assignment, score, max_score, percent, complete, ... "
                   "(its folder is created).")
@friendly
def gradebook_export(path, assignment_ids, out):
    """Write the newest grade of every student as CSV for an LMS.

    Example: course gradebook export --gradebook grades.sqlite --out grades.csv
    """
    from grader.gradebook import Gradebook
    with Gradebook(path) as book:
        rows = book.export_csv(out, list(assignment_ids) or book.assignments())
    click.echo(f"{rows} grade(s) written to {out}")


GRADEBOOK = click.option("--gradebook", "path", type=click.Path(dir_okay=False, path_type=Path),
                         default=Path("gradebook.sqlite"), show_default=True, help="The SQLite gradebook to read.")
ASSIGNMENT = click.option("--assignment", "assignment_id", default=None,
                          help="Which assignment (default: the only one in the gradebook).")


@gradebook.command("show")
@click.argument("student")
@GRADEBOOK
@ASSIGNMENT
@click.option("--format", "fmt", type=click.Choice(["table", "json", *FORMATS]), default="table", show_default=True,
              help="As `course grade --format`.")
@click.option("--lang", type=click.Choice(LANGS), default="en", show_default=True,
              help="Language of the student-facing titles and messages (ko: Korean).")
@click.option("--show-hidden", is_flag=True, help="markdown, html: show the hidden checks' details too.")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report to this file instead of the terminal.")
@friendly
def gradebook_show(student, path, assignment_id, fmt, lang, show_hidden, output):
    """Show the newest stored report of STUDENT (the id grade-all gave: folder or file name).

    Example: course gradebook show kim --gradebook grades.sqlite --assignment hw1
    """
    from grader import feedback
    report = feedback.stored(gradebook=path, student=student, assignment_id=assignment_id)
    _emit(report, fmt, output, lang, show_hidden, student)


@gradebook.command("feedback")
@GRADEBOOK
@ASSIGNMENT
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write <student>.html, <student>.md and index.csv into (created if missing).")
@click.option("--lang", type=click.Choice(LANGS), default="en", show_default=True,
              help="Language of the pages (ko: Korean).")
@click.option("--show-hidden", is_flag=True,
              help="Show the hidden checks' messages and pictures too (once the grades are published).")
@friendly
def gradebook_feedback(path, assignment_id, out, lang, show_hidden):
    """Write each student's feedback page from their newest grade, in HTML and Markdown.

    File names are the student ids made safe for any file system; index.csv says whose each is.

    Example: course gradebook feedback --gradebook grades.sqlite --out feedback/
    """
    from grader import feedback
    from grader.submission_files import shown
    written, unreadable = feedback.write_pages(gradebook=path, out=out, assignment_id=assignment_id, lang=lang,
                                               show_hidden=show_hidden)
    click.echo(f"{len(written)} feedback page(s) written to {out} (HTML and Markdown; index.csv says whose)")
    for _, why in unreadable:
        click.echo(f"no page: {why}", err=True)
    incomplete = [shown(student) for student, _, report in written if not report.complete]
    if incomplete:
        click.echo(f"{len(incomplete)} of them incomplete (the grader failed on a check; not a final grade): "
                   + ", ".join(incomplete), err=True)


@cli.command("class-report")
@click.argument("assignment_id")
@GRADEBOOK
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write class-report.html and class-report.json into (created if missing).")
@click.option("--lang", type=click.Choice(LANGS), default="en", show_default=True,
              help="Language of the page, its check titles and mistakes (ko: Korean).")
@click.option("--with-feedback", is_flag=True,
              help="Also write each student's feedback pages into OUT/feedback/, where the page links to them "
                   "(as `gradebook feedback --out OUT/feedback` writes them).")
@friendly
def class_report(assignment_id, path, out, lang, with_feedback):
    """Write the class report of ASSIGNMENT_ID from each student's newest grade: for instructors,
    an HTML page (no script, opens from a file) and its JSON.

    Score histogram, pass rate per check (hidden ones labelled), known mistakes by how many
    students made them, late penalties, the slowest and incomplete gradings, and a row per
    student linking to their feedback page (feedback/<student>.html).

    Example: course class-report hw1 --gradebook grades.sqlite --out class/ --with-feedback
    """
    from grader import class_report as reporting
    data, unreadable = reporting.main(assignment_id=assignment_id, gradebook=path, out=out, lang=lang,
                                      with_feedback=with_feedback)
    pages = out / reporting.FEEDBACK
    click.echo(f"{data['assignment']}: class report of {data['summary']['students']} student(s) -> "
               f"{out / reporting.PAGE}, {out / reporting.DATA}; " + (
                   f"each student's feedback pages in {pages}" if with_feedback else
                   f"its links open the students' pages once they are in {pages} (--with-feedback writes them)"))
    for why in unreadable:
        click.echo(f"left out: {why}", err=True)


@cli.command()
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path), default=".")
@click.option("--name", default=None, help="The course's name (default: the folder's).")
@friendly
def init(folder, name):
    """Make FOLDER (default: the current one) a course folder: write its course-grader.toml.

    Example: course init my-course
    """
    from grader import scaffold
    click.echo(f"wrote {scaffold.init(folder, name)}; next: cd {folder} && course new hw1")


@cli.command()
@click.argument("assignment_id")
@click.option("--module", default=None, help="The file students edit, without .py (default: the id).")
@click.option("--title", default=None, help="The assignment's title (default: '<id>: the mean').")
@friendly
def new(assignment_id, module, title):
    """Write a working skeleton of assignment ASSIGNMENT_ID into the course: a stub with one
    function, its reference, a rubric with a visible and a hidden check, a known mistake with
    its mutant, a notebook source and a README. It grades, releases and self-tests at once.

    Example: course new hw4 --module statistics
    """
    from grader import scaffold
    files = scaffold.new(assignment_id, module=module, title=title)
    notebook = scaffold.write_notebook(assignment_id)
    files += [notebook] if notebook else []
    click.echo(f"{assignment_id}: {len(files)} files written" + "".join(f"\n  {f}" for f in files))
    if notebook is None:
        click.echo("no student notebook yet: install the instructor extra (jupytext), then run `course notebooks`.")
    click.echo(f"next: course grade {assignment_id} --reference   (docs/writing-an-assignment.md)")


@cli.command("list")
@friendly
def list_assignments():
    """List the assignments with their total points and number of checks.

    Example: course list
    """
    from grader import course
    current = course.current()
    for a in current.assignments.values():
        rubric = a.rubric
        hidden = sum(c.hidden for c in rubric.checks)
        counted = (f"{len(rubric.checks)} visible checks (the grade adds hidden ones)" if current.is_bundle
                   else f"{len(rubric.checks)} checks ({hidden} hidden)")
        click.echo(f"{a.id}  {rubric.max_score:g} points  {counted}  {a.title}")


@cli.command()
@click.argument("assignment_ids", nargs=-1)
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="Processes grading in parallel (default: the number of cores).")
@click.option("--list", "list_only", is_flag=True, help="Only list each assignment's catalogue of known mistakes.")
@DATA_DIR
@friendly
def selftest(assignment_ids, workers, list_only, data_dir):
    """Measure the grader on its mutation corpus: every known mistake must lose points and be
    named, every correct variant must get full marks (exit 1 otherwise). Instructors only.

    Example: course selftest hw1 --workers 2
    """
    import os

    from grader import course, selftest as corpus
    from grader.course import get
    ids = [get(a).id for a in assignment_ids] or list(course.current().assignments)
    for aid in ids:
        if not get(aid).has_reference:
            raise CourseError(f"selftest of {aid} needs the instructor's course (the reference solution and the "
                              f"mutation corpus in {get(aid).solution_dir}); a student bundle has neither.")
    if list_only:
        for aid in ids:
            click.echo(f"{aid}:")
            for mistake in get(aid).rubric.mistakes.values():
                click.echo(f"  {mistake.id}: {mistake.what}. Fix: {mistake.fix}.")
        return
    results = []
    for aid in ids:
        click.echo(f"grading the {aid} corpus ...", err=True)
        results.append(corpus.run(aid, data_dir=data_dir, workers=workers or os.cpu_count() or 1))
    rows, misses = corpus.describe(results)
    click.echo("\n".join(rows))
    for miss in misses:
        click.echo(f"MISSED {miss}")
    if misses:
        raise click.ClickException(f"{len(misses)} corpus submission(s) missed a target.")
    click.echo("every mistake lost points and was named; every correct submission got full marks.")


@cli.group()
def data():
    """Check and fetch the course datasets."""


@data.command()
@click.argument("names", nargs=-1)
@DATA_DIR
@friendly
def verify(names, data_dir):
    """Check every dataset file (or those of NAMES) against its SHA-256.

    Example: course data verify --data-dir ../shared/data
    """
    from course_lib.datasets import store
    problems = 0
    for dataset in _datasets(names):
        for status in store.verify(dataset, data_dir):
            problems += status.state != "ok"
            colour = "green" if status.state == "ok" else "red"
            click.echo(f"{click.style(status.state.upper(), fg=colour):>8}  {dataset.name}  {status.path}")
        if any(s.state != "ok" for s in store.verify(dataset, data_dir)):
            click.echo(f"  to fix: {dataset.fetch_hint()}")
    if problems:
        raise click.ClickException(f"{problems} file(s) missing or corrupt.")


@data.command()
@click.argument("names", nargs=-1)
@click.option("--source", default=None, help="Download from this address instead of the official one.")
@click.option("--dest", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Data root to write into (default: the user cache).")
@friendly
def fetch(names, source, dest):
    """Download datasets (all, or NAMES) from their official source and verify them.

    Example: course data fetch air_quality
    """
    from course_lib.datasets import store
    for dataset in _datasets(names):
        click.echo(f"fetching {dataset.name} from {source or dataset.source} ...")
        folder = store.fetch(dataset, source=source, dest_root=dest)
        click.echo(f"{dataset.name}: {len(dataset.sha256)} files verified in {folder}")


def _datasets(names):
    from course_lib.datasets import DATASETS
    unknown = [n for n in names if n not in DATASETS]
    if unknown:
        raise CourseError(f"unknown dataset(s) {', '.join(unknown)}; the course has {', '.join(DATASETS)}.")
    return [DATASETS[n] for n in names] if names else list(DATASETS.values())


if __name__ == "__main__":
    cli()
