"""`codesynth serve`: the sandbox as an HTTP service (a thin shell over codesynth.service)."""

from __future__ import annotations

import os

import click
from pydantic import ValidationError

from codesynth.cli.options import AT_LEAST_1, TimeoutOrAuto, memory_mb, seconds
from codesynth.errors import InputError


def register(cli: click.Group) -> None:
    @cli.command()
    @click.option("--host", default="127.0.0.1", show_default=True,
                  help="Address to bind; anything but loopback requires --token-env.")
    @click.option("--port", type=click.IntRange(0, 65535), default=8080, show_default=True,
                  help="Port to listen on (0: any free one).")
    @click.option("--workers", type=AT_LEAST_1, default=None, help="Warm containers, i.e. programs at once (default: cores).")
    @click.option("--token-env", default=None, metavar="VAR",
                  help="Environment variable holding the token every request must carry.")
    @click.option("--memory", type=memory_mb(), default=1024, show_default=True, help="MB per program, at most.")
    @click.option("--timeout", type=TimeoutOrAuto(), default=10.0, show_default=True,
                  help="CPU seconds per program of /v1/verify, /v1/score and /openrlhf/reward when a request names "
                       "none, or auto: 4 x the CPU time of the problem's reference (1 s at least, 10 s at most), "
                       "measured once per problem; a request's `timeout_auto` overrides it.")
    @click.option("--queue-size", type=AT_LEAST_1, default=256, show_default=True, help="Requests that may wait.")
    @click.option("--queue-timeout", type=seconds(), default=10.0, show_default=True,
                  help="Seconds a request may wait for a worker before it gets HTTP 504.")
    @click.option("--problems", type=click.Path(dir_okay=False, exists=True), default=None,
                  help="Problem set to preload (requests may then name problem ids).")
    @click.option("--ray", "ray_address", default=None, metavar="ADDRESS",
                  help="Serve with every pool of this Ray cluster behind (`auto`: the local cluster; needs the "
                       "ray extra; --workers is then per node).")
    @click.option("--languages", default="python", show_default=True, metavar="LANGS",
                  help="Languages /run_code runs: cpp,java,... or all (c, cpp, java, javascript, typescript, go, "
                       "rust; python is always in). Needs the image `codesynth sandbox build --languages LANGS` makes.")
    def serve(host, port, workers, token_env, memory, timeout, queue_size, queue_timeout, problems, ray_address,
              languages) -> None:
        """Serve /run_code (SandboxFusion-compatible), /v1/verify, /v1/score and /openrlhf/reward."""
        from codesynth.models import Limits
        from codesynth.sandbox.languages import image_languages
        from codesynth.service import ServeConfig
        from codesynth.service.server import serve as run

        try:
            langs = image_languages(languages)
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="'--languages'") from None
        if ray_address and set(langs) != {"python"}:
            raise click.BadParameter("not with --ray (the cluster's pools run the Python image)",
                                     param_hint="'--languages'")

        token = None
        if token_env:
            token = os.environ.get(token_env)
            if not token:
                raise InputError(f"--token-env {token_env}: the environment variable is not set or empty")
        try:
            cfg = ServeConfig(host=host, port=port, workers=workers, token=token, problems=problems,
                              limits=Limits(memory_mb=memory, output_bytes=8 << 20,
                                            timeout_s=10.0 if timeout == "auto" else timeout),
                              timeout_auto=timeout == "auto", queue_size=queue_size,
                              queue_timeout_s=queue_timeout, ray=ray_address, languages=langs)
        except ValidationError as e:
            err = e.errors()[0]
            option = {"queue_timeout_s": "queue-timeout", "limits": "memory", "memory_mb": "memory"}.get(str(err["loc"][0]),
                                                                                str(err["loc"][0]).replace("_", "-"))
            raise click.BadParameter(err["msg"].removeprefix("Value error, "), param_hint=f"'--{option}'") from None
        run(cfg)
