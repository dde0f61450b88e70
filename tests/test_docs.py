"""docs/writing-an-assignment.md documents the whole rubric API and every command."""
import dataclasses
import inspect
from pathlib import Path

import click

from grader import compare, inputs, rubric
from grader.cli import cli

DOC = (Path(__file__).resolve().parent.parent / "docs" / "writing-an-assignment.md").read_text()


def public(namespace) -> list[str]:
    return [name for name in vars(namespace) if not name.startswith("_")]


def rubric_api() -> list[str]:
    """What a rubric may use: grader.rubric's classes and their public members, every function
    of grader.compare, the input draws, timing's Measured and the corpus's Mutant."""
    names = []
    for name, value in vars(rubric).items():
        if inspect.isclass(value) and value.__module__ == rubric.__name__:
            names.append(name)
            fields = {f.name for f in dataclasses.fields(value)} if dataclasses.is_dataclass(value) else set()
            names += [f"{name}.{member}" for member in public(value) if member not in fields]
    names += [f"{name}(" for name, value in vars(compare).items()
              if inspect.isfunction(value) and value.__module__ == compare.__name__ and not name.startswith("_")]
    names += [f"inputs.{name}(" for name in ("rng", "integer", "fixed_or_drawn", "numbered", "indivisible")]
    return names + ["Measured(", "Mutant(", "StudentFault"]


def commands(group: click.Group, prefix: str = "course") -> list[str]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        found += commands(command, path) if isinstance(command, click.Group) else [path]
    return found


def test_every_public_name_of_the_rubric_api_is_documented():
    api = rubric_api()
    assert "Context.probe" in api and "Rubric.check" in api and "expect_close(" in api  # the list is real
    assert [name for name in api if name not in DOC] == []


def test_every_command_is_documented():
    found = commands(cli)
    assert "course new" in found and "course nbgrader export" in found
    text = " ".join(DOC.split())  # a name may wrap across lines
    assert [command for command in found if command not in text] == []


def test_the_check_fails_on_an_undocumented_name():
    assert "Context.teleport" not in DOC and "course teleport" not in " ".join(DOC.split())
