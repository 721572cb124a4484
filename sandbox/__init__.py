"""codesynth.sandbox: executing untrusted code under hard limits.

Backends implement `Backend` (start / execute / close). `DockerBackend` is the default
(warm hardened containers running the in-container supervisor in `harness/`);
`LocalBackend` is opt-in and is NOT an isolation boundary.
"""

from codesynth.sandbox.backend import Backend, BackendClosed, ExecRequest, build_request

__all__ = ["Backend", "BackendClosed", "ExecRequest", "build_request"]
