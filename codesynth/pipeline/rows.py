"""Trainer rows posed exactly as `synth` poses a problem to the model.

The adapters (verifiers layer) cannot import the generators' prompts; this is where the two
meet, so a policy sees in RL the task it saw in data generation (issue 22).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from codesynth.generators.prompts import solution_messages
from codesynth.models import Problem
from codesynth.verifiers.adapters.trl import to_trl_rows

#: The `template` recorded in each row: synth's solution stage, zero-shot.
SOLUTION_TEMPLATE = "synth/solutions"


def trl_rows(problems: Sequence[Problem], conversational: bool = True) -> list[dict[str, Any]]:
    """`to_trl_rows` with synth's solution prompt (system turn included) as each row's prompt."""
    return to_trl_rows(problems, conversational,
                       messages=lambda p: solution_messages(p, language=p.language), template=SOLUTION_TEMPLATE)
