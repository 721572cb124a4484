"""Chat messages for every generation mode.

Prompts are plain functions of their inputs (no randomness, no clock), so the same
inputs give byte-identical messages and therefore the same cache key on a rerun.
"""

from __future__ import annotations

import json

from codesynth import languages
from codesynth.models import Problem
from codesynth.signatures import declaration, fence_tag, label
from codesynth.test_split import split_tests

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


def proposer_system(language: str = "python") -> str:
    return PROPOSER_SYSTEM if language == "python" else PROPOSER_SYSTEM.replace("Python teacher", f"{label(language)} teacher")


def proposal_format(language: str = "python") -> str:
    """What a proposal must hold; in a language other than Python the tests are data (a signature
    in neutral types and Python-literal asserts), so they run in every language."""
    if language == "python":
        return PROPOSAL_FORMAT
    lab, tag = label(language), fence_tag(language)
    return f"""Answer in exactly this format:

Problem: <one paragraph describing the task and the function to write>

Signature: def <function>(<parameter>: <type>, ...) -> <type>
(types: int, float, bool, str, or list[...] of them)

```{tag}
<the reference solution: the function in {lab}. {_function_rule(language)}>
```

```python
<3 to 6 lines, each `assert <function>(<arguments>) == <expected result>` with literal values only>
```"""


def _fence(code: str, language: str = "python") -> str:
    return f"```{fence_tag(language)}\n{code.rstrip()}\n```"


def solver_system(language: str = "python") -> str:
    if language == "python":
        return SOLVER_SYSTEM
    lab = label(language)
    return (f"You are an expert {lab} programmer. Reply with one complete, self-contained {lab} solution "
            f"in a single ```{fence_tag(language)} code block. Do not include tests or example usage.")


def _function_rule(language: str) -> str:
    """What a data-form solution must look like (the language's own rule: the driver that calls
    it is added after it or beside it, so it must not bring a `main` of its own)."""
    return languages.get(language).solution_rule


def _program_rule(language: str) -> str:
    rule = languages.get(language).program_rule
    return f" {rule}" if rule else ""


def _other_task(problem: Problem, language: str) -> str:
    lab = label(language)
    if problem.kind == "io":
        return (f"{problem.prompt.rstrip()}\n\nWrite a complete {lab} program that reads the input from standard "
                f"input and prints the answer to standard output.{_program_rule(language)}")
    if problem.signature is None:
        raise ValueError(f"problem {problem.id!r} has Python test code only: it cannot be posed in {lab}")
    decl = declaration(language, problem.signature)
    return (f"{problem.prompt.rstrip()}\n\nWrite the {lab} function `{problem.signature.name}` with this "
            f"signature:\n\n{_fence(decl, language)}\n\n{_function_rule(language)}")


def task_text(problem: Problem, language: str = "python") -> str:
    """What the model is asked to write for a problem, in `language`."""
    if language != "python":
        return _other_task(problem, language)
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


def solution_messages(problem: Problem, examples: list[Problem] = (), language: str = "python") -> Messages:
    """Zero-shot, or few-shot with worked examples (each needs a reference solution in `language`)."""
    msgs: Messages = [{"role": "system", "content": solver_system(language)}]
    for ex in examples:
        ref = ex.reference_solution if language == "python" else ex.references().get(language)
        if ref:
            msgs.append({"role": "user", "content": task_text(ex, language)})
            msgs.append({"role": "assistant", "content": _fence(ref, language)})
    msgs.append({"role": "user", "content": task_text(problem, language)})
    return msgs


def translate_messages(problem: Problem, source: str, source_language: str, language: str) -> Messages:
    """A verified solution in one language, to be written again in another."""
    src_lab, lab = label(source_language), label(language)
    return [
        {"role": "system", "content": solver_system(language)},
        {
            "role": "user",
            "content": (
                f"{task_text(problem, language)}\n\nHere is a correct {src_lab} solution that passes every test:"
                f"\n\n{_fence(source, source_language)}\n\nTranslate it into {lab}: the same behaviour on every "
                f"input. Reply with the whole {lab} solution in one ```{fence_tag(language)} code block."
            ),
        },
    ]


def tests_messages(problem: Problem, n_tests: int = 5, language: str = "python") -> Messages:
    ep = problem.entry_point
    if problem.kind == "calls":
        # Data-form tests are language-neutral values: asked for as Python-literal asserts, read as data.
        return [
            {"role": "system", "content": "You are an expert tester. You write precise unit tests as data."},
            {
                "role": "user",
                "content": (
                    f"{task_text(problem, language)}\n\nDo not write the function. Instead write {n_tests} tests for "
                    f"`{ep}`, one per line, each of the form `assert {ep}(<arguments>) == <expected result>` with "
                    "literal values only (numbers, strings in double quotes, True/False, lists in [...]), covering "
                    "normal cases and edge cases. Reply with the asserts only, in one ```python code block."
                ),
            },
        ]
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


def repair_messages(problem: Problem, previous: str, feedback: str, language: str = "python",
                    compile_error: bool = False) -> Messages:
    """Show the last attempt and what went wrong (only the last turn, to fit small contexts).

    A compile error is said as such: the feedback is then the compiler's own (trimmed) message."""
    lab = label(language)
    attempt = _fence(previous, language) if previous.strip() else f"(your reply contained no {lab} code block)"
    fb = feedback.strip() or "The program did not pass the tests."
    what = ("did not compile; the compiler said" if compile_error
            else "was run against the tests and failed")
    return [
        {"role": "system", "content": solver_system(language)},
        {"role": "user", "content": task_text(problem, language)},
        {"role": "assistant", "content": attempt},
        {
            "role": "user",
            "content": (
                f"Your solution {what}:\n\n{fb}\n\n"
                f"Fix the code. Reply with the whole corrected solution in one ```{fence_tag(language)} code block."
            ),
        },
    ]


def _example(p: Problem) -> str:
    return p.prompt.strip()[:1200]


def propose_messages(seeds: list[Problem], language: str = "python") -> Messages:
    """Self-Instruct: show a few existing problems, ask for a new, different one."""
    shown = "\n\n".join(f"Example {i + 1}:\n{_example(p)}" for i, p in enumerate(seeds))
    return [
        {"role": "system", "content": proposer_system(language)},
        {
            "role": "user",
            "content": (
                f"Here are some programming exercises:\n\n{shown}\n\n"
                f"Write one NEW exercise on a different topic, solvable by a single {label(language)} function. "
                + proposal_format(language)
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


def evolve_messages(parent: Problem, operation: str, language: str = "python") -> Messages:
    return [
        {"role": "system", "content": proposer_system(language)},
        {
            "role": "user",
            "content": (
                f"Here is a programming exercise that students often get wrong:\n\n{_example(parent)}\n\n"
                f"{operation} It must be solvable by a single {label(language)} function. "
                + proposal_format(language)
            ),
        },
    ]


def grounded_messages(snippet_text: str, where: str, language: str = "python") -> Messages:
    """OSS-Instruct: a problem inspired by a real snippet of code or documentation."""
    lab = label(language)
    return [
        {"role": "system", "content": proposer_system(language)},
        {
            "role": "user",
            "content": (
                f"Here is a snippet from {where}:\n\n```\n{snippet_text.rstrip()}\n```\n\n"
                "Write one self-contained programming exercise inspired by this snippet, solvable by a "
                f"single {lab} function that does not need the snippet's file or any library that is not "
                f"in the {lab} standard library. " + proposal_format(language)
            ),
        },
    ]


def input_generator_messages(problem: Problem, n_inputs: int = 20) -> Messages:
    """HardTests-style: a program that prints test inputs (never outputs) for the problem.

    Shown: the task and, as examples of the format, inputs of its PUBLIC tests only. One input
    per line as JSON: the whole standard input as a JSON string (stdin/stdout problems), else a
    JSON array of the arguments."""
    public = split_tests(problem).public
    if problem.kind == "io":
        what = "one JSON string per line, each the whole standard input of one run (\\n for line breaks)"
        examples = [c.input for c in (public or [])[:2]] if isinstance(public, list) else []
    else:
        ep = problem.entry_point or (problem.signature.name if problem.signature else "the function")
        what = f"one JSON array per line, each the arguments of one call of `{ep}`"
        examples = [c.call for c in (public or [])[:2]] if isinstance(public, list) else []
    shown = "".join(f"\n{json.dumps(e)}" for e in examples)
    return [
        {"role": "system", "content": "You are an expert tester. You write programs that generate hard, valid "
                                      "test inputs."},
        {"role": "user", "content": (
            f"{task_text(problem)}\n\nDo not solve the task. Instead write a Python program that prints "
            f"{n_inputs} test inputs for it: {what}. Every input must be valid for the task (respect every "
            "constraint it states); cover edge cases, boundary values and larger inputs. Print inputs only, "
            "never expected outputs."
            + (f" Example inputs in this format:{shown}" if shown else "")
            + "\n\nReply with the program in one ```python code block.")},
    ]
