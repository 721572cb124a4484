"""Run the service: start the warm pool, serve with uvicorn, drain and close on SIGTERM/Ctrl-C.

uvicorn's own signal handling stops accepting connections and waits for the in-flight
requests; the app's shutdown then closes the pool, so no container outlives the server.
"""

from __future__ import annotations

import os
import socket
import sys

from codesynth.errors import InputError
from codesynth.service.config import ServeConfig


def check(config: ServeConfig) -> None:
    if config.ray and set(config.languages) != {"python"}:
        raise InputError("option --languages: not with --ray (the cluster's pools run the Python image)")
    if config.needs_token() and not config.token:
        raise InputError(f"--host {config.host}: binding beyond loopback requires a token; put one in an "
                         "environment variable and name it with --token-env VAR")
    # Before any container starts: a taken port is one line and exit 2, not a log wall.
    try:
        infos = socket.getaddrinfo(config.host, config.port, type=socket.SOCK_STREAM)
        with socket.socket(infos[0][0], socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(infos[0][4])
    except OSError as e:
        raise InputError(f"--port {config.port}: cannot listen on {config.host}:{config.port} "
                         f"({e.strerror or e})") from None


def serve(config: ServeConfig, log=None) -> None:
    """Serve until SIGTERM/SIGINT. Raises InputError / SandboxUnavailable before listening."""
    import uvicorn

    from codesynth.problems import load_problems
    from codesynth.sandbox.registry import create_backend
    from codesynth.service.app import create_app

    check(config)
    log = log or (lambda m: print(m, file=sys.stderr, flush=True))
    problems = load_problems(config.problems) if config.problems else []
    env_problems = load_problems(config.env) if config.env else []
    if config.env:
        import importlib.util

        from codesynth.verifiers.scoring import check_problem

        if importlib.util.find_spec("openenv") is None:
            raise InputError("--env: serving the environment needs the openenv package: "
                             "pip install 'codesynth[serve,openenv]'")

        if not env_problems:
            raise InputError(f"--env {config.env}: no problems in the file")
        for p in env_problems:  # before any container starts: a data bug is one line and exit 2
            check_problem(p, f"--env {config.env}: problem {p.id!r}")
    kind, options = ("ray", {"address": config.ray}) if config.ray else \
        ("docker", {"languages": set(config.languages), "profile": config.profile})
    backend = create_backend(kind, workers=config.workers, limits=config.limits, run_id=f"serve{os.getpid()}",
                             **options)
    backend.start()  # before listening: an engine or image problem is one line and exit 3
    try:
        app = create_app(config, backend, problems, close_backend=True, env_problems=env_problems)
        server = uvicorn.Server(uvicorn.Config(
            app, host=config.host, port=config.port, log_level="warning", access_log=False,
            timeout_graceful_shutdown=int(config.graceful_s), lifespan="on",
            ws_max_size=config.max_body_bytes,  # a WebSocket message is bounded like a request body
        ))
        log(f"codesynth serve: http://{config.host}:{config.port} ({backend.capacity} workers, "
            f"{','.join(sorted(backend.served_languages() & set(config.languages)))} on {backend.describe()}"
            f"{', ' + str(len(problems)) + ' problems preloaded' if problems else ''}; POST /run_code, /v1/verify, "
            "/v1/score, /openrlhf/reward"
            f"{f'; OpenEnv at /openenv: {len(env_problems)} tasks, up to {config.env_sessions} sessions' if env_problems else ''})")
        server.run()
    finally:
        backend.close()  # normally already closed by the app's shutdown; idempotent
