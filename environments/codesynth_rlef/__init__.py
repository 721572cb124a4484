"""codesynth's code environment as a Prime Intellect `verifiers` (0.4, `verifiers.v1`) environment.

verifiers loads an environment by id from a top-level package that exports its classes in
`__all__`; this is that package (`vf-eval codesynth-rlef --env.taskset.problems problems.jsonl ...`).
Everything is in `codesynth.verifiers.adapters.prime_verifiers`.
"""

from codesynth.verifiers.adapters.prime_verifiers import ChatHarness, CodeEnv, CodeTaskset

__all__ = ["ChatHarness", "CodeEnv", "CodeTaskset"]
