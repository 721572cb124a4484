"""testlib.h checkers under the checker-program protocol (sandbox/checking.py).

A testlib checker is called as `checker <input> <output> <answer>` and says its verdict by exit
code: 0 ok, 1 wrong answer, 2 presentation error, 3 fail (the checker's or the test's fault),
7 points, `_pc(n)` partial; the message goes to stderr ("wrong answer 1st numbers differ ...").
A checker program here runs with no arguments in a directory holding `input.txt`,
`expected.txt` and `output.txt`, so the checker's own `main` is renamed and called with exactly
the arguments testlib expects. The checker itself is not changed: it includes testlib.h from the
toolchain image (codesynth/languages/cpp.py) as any judge would.
"""

from __future__ import annotations

from codesynth.models import ExecutionResult, Status

#: argv[1:] of a testlib checker: input, the participant's output, the jury's answer.
ARGS = ("input.txt", "output.txt", "expected.txt")

# testlib.h first, so that it and the standard headers it pulls in are read before `main` is
# renamed. `_pc(n)` exits with PC_BASE_EXIT_CODE + n; testlib's default base is 0, which would
# make `_pc(3)` look like `_fail` and `_pc(0)` like `_ok`, so the base is TESTSYS's 50 (the
# checker is compiled as on a judge that reads partial scores from exit codes).
_PRE = """#define PC_BASE_EXIT_CODE 50
#include <testlib.h>
#define main cs_testlib_checker_main
#line 1
"""
_POST = "\n".join([
    "", "#undef main", "int main() {",
    '  static char a0[] = "checker", ' + ", ".join(f'a{i}[] = "{a}"' for i, a in enumerate(ARGS, 1)) + ";",
    "  static char *argv[] = {a0, a1, a2, a3, nullptr};",
    "  return cs_testlib_checker_main(4, argv);", "}", ""])

WA, PE, FAIL, DIRT, POINTS, UNEXPECTED_EOF = 1, 2, 3, 4, 7, 8  # testlib's defaults (0 is ok)
PC_BASE = 50
# UNEXPECTED_EOF only where a checker defines ENABLE_UNEXPECTED_EOF; testlib reports it as PE otherwise.
_REJECTS = {WA: "wrong answer", PE: "presentation error", DIRT: "presentation error", POINTS: "points",
            UNEXPECTED_EOF: "unexpected eof"}


def program(code: str) -> str:
    """The checker's source wrapped so that it runs with testlib's arguments."""
    return _PRE + code + ("" if code.endswith("\n") else "\n") + _POST


def verdict(r: ExecutionResult) -> tuple[bool | None, str | None]:
    """(accepted, message) from the checker's run; (None, why) when the checker failed: `_fail`,
    a crash, a timeout, a compile error, an exit code testlib does not use."""
    err = r.run_output.stderr if r.run_output is not None else ""
    first = next((line.strip() for line in err.splitlines() if line.strip()), "")
    if r.status is Status.passed:
        return True, None
    code = r.exit_code
    if r.status is Status.failed and code is not None and (code in _REJECTS or code >= PC_BASE):
        # Points and partial scores count as not accepted: a verdict here is pass or fail.
        return False, (first or _REJECTS.get(code, "partially correct"))[:300]
    if r.status is Status.failed and code == FAIL:  # testlib's own message starts "FAIL "
        return None, (first or "FAIL (exit code 3)")[:500]
    return None, None
