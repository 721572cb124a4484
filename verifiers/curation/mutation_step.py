"""Registers mutation testing (verifiers/suites/mutation.py, the harden work's module) as the curation
filter `mutation`: the module itself stays free of the curation registry."""

from __future__ import annotations

from codesynth.verifiers.curation.registry import register_filter
from codesynth.verifiers.suites.mutation import MutationConfig, mutation_filter


@register_filter("mutation", config=MutationConfig, order=70)
def mutation_step(records, cfg, ctx):
    """Records whose tests kill too few mutants of their solution (executes code; off by default)."""
    return mutation_filter(records, cfg, ctx.backend, ctx.limits)
