"""The untrusted side: a fork server that runs student code, one forked child per call.

Started by `grader.sandbox.Sandbox` as ``python -I worker.py``; it imports only the standard
library, NumPy, this folder's `wire` module and the preloads it is told (e.g. torch), so
each call forks in milliseconds instead of paying the imports again. Protocol on stdin and
stdout, one JSON object per line:

    parent -> worker  {"submission": DIR, "module": NAME, "probes": FILE|null, "preload": [...]}
    worker -> parent  {"ready": true}
    parent -> worker  {"dir": CALL_DIR}         CALL_DIR holds request.json + request.npz
    worker -> parent  {"pid": PID}              the child running the call (its own session)
    worker -> parent  {"pid": PID, "status": S} os.waitpid status once the child is gone

The child writes result.json + result.npz into CALL_DIR, its stdout and stderr go to
CALL_DIR/output.txt, and it never speaks the protocol.
"""
import importlib
import importlib.util
import json
import os
import resource
import sys
import traceback
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # -I leaves the script's folder out
import wire  # noqa: E402

OUTPUT_LIMIT_BYTES = 64 << 20  # largest file a call may write (its output included)


def main() -> None:
    config = json.loads(sys.stdin.readline())
    for name in config["preload"]:
        importlib.import_module(name)
    probes = _load_file("course_probes", config["probes"]) if config["probes"] else None
    _send({"ready": True})
    for line in sys.stdin:
        call_dir = json.loads(line)["dir"]
        pid = os.fork()
        if pid == 0:
            _child(call_dir, config, probes)
        _send({"pid": pid})
        _, status = os.waitpid(pid, 0)
        _send({"pid": pid, "status": status})


def _send(message: dict) -> None:
    sys.stdout.write(json.dumps(message) + "\n")
    sys.stdout.flush()


def _child(call_dir: str, config: dict, probes) -> None:
    try:
        os.setsid()
        os.chdir(call_dir)
        null = os.open(os.devnull, os.O_RDONLY)
        out = os.open("output.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(out, 2)
        resource.setrlimit(resource.RLIMIT_FSIZE, (OUTPUT_LIMIT_BYTES, OUTPUT_LIMIT_BYTES))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        sys.stdin = open(os.devnull)
        result = _run(call_dir, config, probes)
        try:
            wire.write(Path(call_dir), "result", result)
        except wire.Unencodable as err:
            wire.write(Path(call_dir), "result", _error("return", "Unencodable", str(err), ""))
    except BaseException:  # noqa: BLE001 - nothing may escape the child
        traceback.print_exc()
        os._exit(70)
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _run(call_dir: str, config: dict, probes) -> dict:
    request = wire.read(Path(call_dir), "request", tensors="torch" in config["preload"])
    sys.path.insert(0, config["submission"])
    try:
        module = _load_file(config["module"], os.path.join(config["submission"], config["module"] + ".py"))
    except BaseException as err:  # noqa: BLE001 - student code may raise anything, SystemExit too
        return _error("import", type(err).__name__, _message(err), _where(err, config["submission"]))
    if request["probe"] == "import":
        return {"ok": True, "value": None}
    try:
        if request["probe"] == "call":
            function = getattr(module, request["target"], None)
            if function is None:
                return _error("lookup", "MissingName", request["target"], "")
            value = function(*request["args"], **request["kwargs"])
        else:
            value = getattr(probes, request["probe"])(module, *request["args"], **request["kwargs"])
    except BaseException as err:  # noqa: BLE001
        return _error("call", type(err).__name__, _message(err), _where(err, config["submission"]),
                      not_implemented=isinstance(err, NotImplementedError))
    result = {"ok": True, "value": value}
    if request.get("return_args"):
        result["args_after"] = request["args"]
    return result


def _load_file(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _message(err: BaseException) -> str:
    try:
        if isinstance(err, SyntaxError):
            return f"{err.msg} ({os.path.basename(err.filename or '')}, line {err.lineno})"
        return str(err)[:1000]
    except BaseException:  # noqa: BLE001 - a student exception whose __str__ fails
        return "<the exception's message could not be read>"


def _where(err: BaseException, submission: str) -> str:
    """The innermost line of the submission's own code in the traceback, e.g. 'file.py, line 3, in f'."""
    frames = [f for f in traceback.extract_tb(err.__traceback__)
              if os.path.abspath(f.filename).startswith(os.path.abspath(submission) + os.sep)]
    if not frames:
        return ""
    frame = frames[-1]
    return f"{os.path.basename(frame.filename)}, line {frame.lineno}, in {frame.name}"


def _error(stage: str, kind: str, message: str, where: str, not_implemented: bool = False) -> dict:
    return {"ok": False, "error": {"stage": stage, "type": kind, "message": message,
                                   "where": where, "not_implemented": not_implemented}}


if __name__ == "__main__":
    main()
