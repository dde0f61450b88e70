"""Assignment 1 submissions: the selftest corpus (a mutant per known mistake, correct variants)
and broken ones."""
from grader.selftest.assignment1 import CORRECT, MISTAKES  # noqa: F401 - the corpus lives with `course selftest`

BROKEN = {  # name -> (module source, the status every check must get, words the message must hold)
    "syntax_error": ("def mae(y_true, y_pred)\n    return 0\n", "error", "SyntaxError"),
    "raises_at_import": ("raise ImportError('no such thing')\n", "error", "ImportError: no such thing"),
    "sys_exit_at_import": ("import sys\nsys.exit(1)\n", "error", "sys.exit"),
    "os_exit_at_import": ("import os\nos._exit(4)\n", "crashed", "exit code 4"),
    "loops_at_import": ("while True:\n    pass\n", "timeout", "did not finish"),
}
