"""A stand-in for the sandbox, for tests of a rubric's inputs: each probe runs here, in this
process, on a module loaded here, and every call is kept (what the student's code would be given)."""
import importlib.util
import inspect
import sys
from pathlib import Path

from grader import inputs, oracle
from grader.grade import run_check
from grader.sandbox import NotImplementedYet, StudentFault, wire


SANDBOX = Path(wire.__file__).parent  # where a child finds the engine's probe helpers (torch_probes)


def load(path, name: str):
    """The probes file at `path`, loaded here as the worker loads it in a child."""
    if str(SANDBOX) not in sys.path:
        sys.path.append(str(SANDBOX))
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class InProcess:
    """Runs the probes of `probes` on `module` here, and keeps each call as
    [(probe, {parameter: digest of its value})] (the values as the probe received them)."""

    def __init__(self, probes, module):
        self.probes, self.module, self.calls = probes, module, []

    def call(self, probe: str, *args, label: str, timeout: float, limit=None, **kwargs) -> dict:
        function = getattr(self.probes, probe)
        bound = inspect.signature(function).bind(self.module, *args, **kwargs).arguments
        self.calls.append((probe, {name: oracle.key(name, (value,)) for name, value in bound.items()
                                   if name != "module"}))
        try:
            value = function(self.module, *args, **kwargs)
        except NotImplementedError as err:
            raise NotImplementedYet(f"{label}: not implemented yet ({err})") from None
        except Exception as err:  # noqa: BLE001 - as the sandbox reports a student's exception
            raise StudentFault(f"{label} raised {type(err).__name__}: {err}") from None
        arrays: dict = {}
        return {"value": wire.decode(wire.encode(value, arrays), arrays)}  # plain data, as it crosses


def graded(check, probes, module, salt):
    """(the CheckResult of `check` on `module` with inputs drawn with `salt`, its probe calls)."""
    sandbox = InProcess(probes, module)
    with inputs.drawn_with(salt):
        result = run_check(check, sandbox, None)
    return result, sandbox.calls
