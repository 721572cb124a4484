"""The generation modes that end in execution, one module each."""

from codesynth.pipeline.generate.common import GenerationReport
from codesynth.pipeline.generate.problems import generate_evolve, generate_grounded, generate_problems
from codesynth.pipeline.generate.repair import generate_repair
from codesynth.pipeline.generate.solutions import generate_solutions
from codesynth.pipeline.generate.tests import GeneratedTest, generate_tests
from codesynth.pipeline.generate.translate import generate_translate

__all__ = [
    "GeneratedTest",
    "GenerationReport",
    "generate_evolve",
    "generate_grounded",
    "generate_problems",
    "generate_repair",
    "generate_solutions",
    "generate_tests",
    "generate_translate",
]
