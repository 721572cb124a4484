"""The only place that composes the layers: generators + sandbox + verifiers.

`verify` (problems + candidates -> run directory), the generation modes
(`codesynth.pipeline.generate`), curation runs. The CLI and the service are thin shells
over these functions.
"""

from codesynth.pipeline.verify import VerifyConfig, backend_for, verify, verify_candidates

__all__ = ["VerifyConfig", "backend_for", "verify", "verify_candidates"]
