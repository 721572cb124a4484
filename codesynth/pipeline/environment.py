"""The code environment posing problems exactly as `synth` and the TRL rows do.

The environment lives in the verifiers layer, which cannot import the generators' prompts; this
is where the two meet (as `codesynth.pipeline.rows` does for trainer rows), so a policy is asked
in an episode what it was asked in data generation.
"""

from __future__ import annotations

from typing import Any

from codesynth.generators.prompts import solution_messages
from codesynth.models import Problem
from codesynth.verifiers.environment import CodeEnvironment
from codesynth.verifiers.environment.records import Messages


def synth_pose(problem: Problem) -> Messages:
    """synth's zero-shot solution prompt (system turn included), in the problem's language."""
    return solution_messages(problem, language=problem.language)


def code_environment(problems: Any, **kwargs: Any) -> CodeEnvironment:
    """`CodeEnvironment(problems, **kwargs)` whose episodes start with synth's solution prompt."""
    kwargs.setdefault("pose", synth_pose)
    return CodeEnvironment(problems, **kwargs)
