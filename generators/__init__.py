"""codesynth.generators: LLMs write solutions, tests and problems over any OpenAI-compatible endpoint.

This layer only talks to models and shapes their replies; running the results is the
orchestration's job (`codesynth.generate`), which feeds them through the sandbox.
"""
