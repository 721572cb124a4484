"""`codesynth serve`: the sandbox as an HTTP service (a thin shell over codesynth.service)."""

from __future__ import annotations

import os

import click
from pydantic import ValidationError

from codesynth.cli.options import (
    AT_LEAST_1,
    TimeoutOrAuto,
    chosen_profile,
    memory_mb,
    profile_options,
    reward_scheme_option,
    seconds,
)
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
    @click.option("--language-mode", "language_modes", multiple=True, metavar="LANG=MODE",
                  help="Compile mode /run_code uses for LANG (repeatable). typescript=check (default): tsc "
                       "type-checks, a type error fails the run; typescript=strip: esbuild strips the types "
                       "and node runs it, as SandboxFusion's tsx does (much faster under load).")
    @click.option("--env", "env_file", type=click.Path(dir_okay=False, exists=True), default=None,
                  metavar="PROBLEMS.jsonl",
                  help="Also serve these problems as a multi-turn code environment at /openenv (OpenEnv's "
                       "protocol: GenericEnvClient(base_url='http://HOST:PORT/openenv'); needs the openenv extra).")
    @click.option("--env-out", type=click.Path(file_okay=False), default=None, metavar="DIR",
                  help="Record every episode turn in this run directory (episodes.jsonl, final verdicts).")
    @click.option("--env-turns", type=click.IntRange(1, 100), default=3, show_default=True,
                  help="Model turns an episode has at most (RLEF's budget: 3).")
    @reward_scheme_option("rlef", "--env-reward", "env_reward",
                          what="Reward of an episode's final program (rlef: +1 / -1, -0.2 without code)")
    @click.option("--env-feedback", type=click.Choice(["rlef", "codesynth"]), default="rlef", show_default=True,
                  help="Feedback after a turn: RLEF's failure lines, or the reward record's feedback.")
    @click.option("--env-sessions", type=AT_LEAST_1, default=64, show_default=True,
                  help="Episodes (WebSocket sessions) open at once; one more is refused.")
    @click.option("--env-idle-timeout", type=seconds(), default=300.0, show_default=True,
                  help="Seconds a session may stay silent before it is closed and its slot freed.")
    @profile_options
    def serve(host, port, workers, token_env, memory, timeout, queue_size, queue_timeout, problems, ray_address,
              languages, language_modes, env_file, env_out, env_turns, env_reward, env_feedback, env_sessions,
              env_idle_timeout, profile, packages) -> None:
        """Serve /run_code (SandboxFusion-compatible), /v1/verify, /v1/score and /openrlhf/reward
        (and with --env, the episode environment at /openenv)."""
        from codesynth.models import Limits
        from codesynth.sandbox.languages import image_languages
        from codesynth.service import ServeConfig
        from codesynth.service.server import serve as run

        try:
            langs = image_languages(languages)
        except ValueError as e:
            raise click.BadParameter(str(e), param_hint="'--languages'") from None
        modes = {}
        for item in language_modes:
            lang, sep, mode = item.partition("=")
            if not sep or not lang or not mode:
                raise click.BadParameter(f"{item!r}: expected LANG=MODE, e.g. typescript=strip",
                                         param_hint="'--language-mode'")
            modes[lang.strip()] = mode.strip()
        if ray_address and chosen_profile(profile, packages):
            raise click.BadParameter("not with --ray (the cluster's pools run the minimal Python image)",
                                     param_hint="'--profile'")
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
                              queue_timeout_s=queue_timeout, ray=ray_address, languages=langs,
                              language_modes=modes, profile=chosen_profile(profile, packages), env=env_file,
                              env_out=env_out,
                              env_turns=env_turns, env_reward=env_reward, env_feedback=env_feedback,
                              env_sessions=env_sessions, env_idle_timeout_s=env_idle_timeout)
        except ValidationError as e:
            err = e.errors()[0]
            option = {"queue_timeout_s": "queue-timeout", "limits": "memory", "memory_mb": "memory",
                      "language_modes": "language-mode", "env_idle_timeout_s": "env-idle-timeout"}.get(str(err["loc"][0]),
                                                                                str(err["loc"][0]).replace("_", "-"))
            raise click.BadParameter(err["msg"].removeprefix("Value error, "), param_hint=f"'--{option}'") from None
        run(cfg)
