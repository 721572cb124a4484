"""`codesynth serve`: the sandbox as an HTTP service (SandboxFusion-compatible /run_code,
the native batch API, OpenRLHF's remote reward model). Needs the `serve` extra."""

from codesynth.service.config import ServeConfig

__all__ = ["ServeConfig", "create_app", "serve"]


def __getattr__(name: str):
    # FastAPI/uvicorn are an extra: import them only when the service is used.
    if name == "create_app":
        from codesynth.service.app import create_app

        return create_app
    if name == "serve":
        from codesynth.service.server import serve

        return serve
    raise AttributeError(name)
