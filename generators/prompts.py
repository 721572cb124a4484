"""Chat messages for every generation mode.

Prompts are plain functions of their inputs (no randomness, no clock), so the same
inputs give byte-identical messages and therefore the same cache key on a rerun.
"""

from __future__ import annotations

from codesynth.models import Problem

Messages = list[dict[str, str]]

SOLVER_SYSTEM = (
    "You are an expert Python programmer. Reply with one complete, self-contained Python solution "
    "in a single ```python code block. Do not include tests or example usage."
)

PROPOSER_SYSTEM = (
    "You are an expert Python teacher who writes programming exercises with a reference solution and "
    "assert-based tests."
)

PROPOSAL_FORMAT = """Answer in exactly this format:

Problem: <one paragraph describing the task and the function to write>

```python
<the reference solution: one Python function, plus any imports it needs>
```

```python
<3 to 6 lines, each `assert <function>(<arguments>) == <expected result>`>
```"""


def _fence(code: str) -> str:
    return f"```python\n{code.rstrip()}\n```"


def task_text(problem: Problem) -> str:
    """What the model is asked to write for a problem."""
    if problem.kind == "io":
        return (
            f"{problem.prompt.rstrip()}\n\nWrite a complete Python program that reads the input from "
            "standard input and prints the answer to standard output."
        )
    ep = problem.entry_point
    if ep and f"def {ep}" in problem.prompt:
        # HumanEval style: the prompt is the signature and docstring to complete.
        return f"Complete this Python function:\n\n{_fence(problem.prompt)}\n\nReply with the whole function `{ep}`."
    tail = f"\n\nWrite the Python function `{ep}`." if ep else ""
    return problem.prompt.rstrip() + tail


def solution_messages(problem: Problem, examples: list[Problem] = ()) -> Messages:
    """Zero-shot, or few-shot with worked examples (each needs a reference solution)."""
    msgs: Messages = [{"role": "system", "content": SOLVER_SYSTEM}]
    for ex in examples:
        if ex.reference_solution:
            msgs.append({"role": "user", "content": task_text(ex)})
            msgs.append({"role": "assistant", "content": _fence(ex.reference_solution)})
    msgs.append({"role": "user", "content": task_text(problem)})
    return msgs


def tests_messages(problem: Problem, n_tests: int = 5) -> Messages:
    ep = problem.entry_point
    return [
        {
            "role": "system",
            "content": "You are an expert Python tester. You write precise assert-based unit tests.",
        },
        {
            "role": "user",
            "content": (
                f"{task_text(problem)}\n\nDo not write the function. Instead write {n_tests} tests for `{ep}`, "
                f"one per line, each of the form `assert {ep}(<arguments>) == <expected result>`, covering "
                "normal cases and edge cases. Reply with the asserts only, in one ```python code block."
            ),
        },
    ]


def repair_messages(problem: Problem, previous: str, feedback: str) -> Messages:
    """Show the last attempt and what went wrong (only the last turn, to fit small contexts)."""
    attempt = _fence(previous) if previous.strip() else "(your reply contained no Python code block)"
    fb = feedback.strip() or "The program did not pass the tests."
    return [
        {"role": "system", "content": SOLVER_SYSTEM},
        {"role": "user", "content": task_text(problem)},
        {"role": "assistant", "content": attempt},
        {
            "role": "user",
            "content": (
                f"Your solution was run against the tests and failed:\n\n{fb}\n\n"
                "Fix the code. Reply with the whole corrected solution in one ```python code block."
            ),
        },
    ]


def _example(p: Problem) -> str:
    return p.prompt.strip()[:1200]


def propose_messages(seeds: list[Problem]) -> Messages:
    """Self-Instruct: show a few existing problems, ask for a new, different one."""
    shown = "\n\n".join(f"Example {i + 1}:\n{_example(p)}" for i, p in enumerate(seeds))
    return [
        {"role": "system", "content": PROPOSER_SYSTEM},
        {
            "role": "user",
            "content": (
                f"Here are some programming exercises:\n\n{shown}\n\n"
                "Write one NEW exercise on a different topic, solvable by a single Python function. "
                + PROPOSAL_FORMAT
            ),
        },
    ]


#: Evol-Instruct style rewrites; sample i of a parent uses operation i mod len.
EVOLVE_OPERATIONS = (
    "Write a similar exercise that practises the same skill in a different setting.",
    "Write a harder version of it: add one more requirement or constraint.",
    "Write a version of it whose correct solution must handle tricky edge cases (empty inputs, "
    "duplicates, negative numbers, ...).",
)


def evolve_messages(parent: Problem, operation: str) -> Messages:
    return [
        {"role": "system", "content": PROPOSER_SYSTEM},
        {
            "role": "user",
            "content": (
                f"Here is a programming exercise that students often get wrong:\n\n{_example(parent)}\n\n"
                f"{operation} It must be solvable by a single Python function. " + PROPOSAL_FORMAT
            ),
        },
    ]


def grounded_messages(snippet_text: str, where: str) -> Messages:
    """OSS-Instruct: a problem inspired by a real snippet of code or documentation."""
    return [
        {"role": "system", "content": PROPOSER_SYSTEM},
        {
            "role": "user",
            "content": (
                f"Here is a snippet from {where}:\n\n```\n{snippet_text.rstrip()}\n```\n\n"
                "Write one self-contained programming exercise inspired by this snippet, solvable by a "
                "single Python function that does not need the snippet's file or any library that is not "
                "in the Python standard library. " + PROPOSAL_FORMAT
            ),
        },
    ]
