"""`codesynth sandbox ...`: set up the Docker engine and runner image, check them, clean up."""

from __future__ import annotations

import json
import sys

import click

from codesynth.cli.options import chosen_profile, profile_options


def _log(msg: str) -> None:
    click.echo(msg, err=True)


@click.group("sandbox")
def sandbox() -> None:
    """Docker engine, runner image, health checks and cleanup."""


@sandbox.command("setup")
@click.option("--no-install", is_flag=True, help="Never apt-get install or start dockerd; just check.")
def setup_cmd(no_install: bool) -> None:
    """Make the sandbox usable: start (or install) the engine, build the runner image if needed."""
    from codesynth.sandbox.docker.engine import client, ensure_engine
    from codesynth.sandbox.docker.image import ensure_image, image_status

    ensure_engine(install=not no_install, log=_log)
    version = client().version().get("Version", "?")
    click.echo(f"engine: Docker {version} is answering")
    before = image_status()
    tag = ensure_image(build=True, log=_log)
    click.echo(f"image: {tag} " + ("already up to date" if before == "ok" else f"built (was {before})"))


@sandbox.command("build")
@click.option(
    "--base",
    default=None,
    metavar="IMAGE",
    help="Base image, already on this engine (default: codesynth-base:trixie-<hash>, made offline from Debian packages: python3 and pytest).",
)
@click.option("--force", is_flag=True, help="Rebuild even if the image is up to date (no build cache).")
@click.option("--languages", default=None, metavar="LANGS",
              help="Also build a toolchain image for these languages: cpp,java,... or all "
                   "(c, cpp, java, javascript, typescript, go, rust; python is always in).")
@profile_options
def build_cmd(base: str | None, force: bool, languages: str | None, profile: str | None,
              packages: str | None) -> None:
    """Build the runner image codesynth-runner:<version> (or a toolchain image with --languages;
    with --profile/--packages, the profile image on top of it)."""
    from codesynth.errors import InputError
    from codesynth.sandbox.docker import profiles
    from codesynth.sandbox.docker.engine import ensure_engine
    from codesynth.sandbox.docker.image import build_image

    ensure_engine(install=False, log=_log)
    chosen = profiles.resolve(chosen_profile(profile, packages))

    def echo(tag: str) -> None:
        click.echo(profiles.ensure_profile_image(tag, chosen, log=_log, force=force) if chosen else tag)

    if languages is None:
        echo(build_image(base=base, force=force, log=_log))
        return
    from codesynth.sandbox.docker.lang_image import build_lang_image
    from codesynth.sandbox.languages import image_languages

    if base is not None:
        raise InputError("option --base: not with --languages (the toolchain base is made from Debian packages)")
    try:
        langs = image_languages(languages)
    except ValueError as e:
        raise InputError(f"option --languages: {e}") from None
    echo(build_lang_image(langs, force=force, log=_log))


@sandbox.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="Print the checks as JSON.")
def doctor_cmd(as_json: bool) -> None:
    """Check the engine, the image and a locked-down container; exit 1 if anything fails."""
    from codesynth.sandbox.docker.doctor import doctor

    checks = doctor()
    if as_json:
        click.echo(json.dumps([c.model_dump() for c in checks], indent=2))
    else:
        width = max(len(c.name) for c in checks)
        for c in checks:
            mark = "ok  " if c.ok else "FAIL"
            click.echo(f"{mark}  {c.name:<{width}}  {c.detail}")
            if not c.ok and c.fix:
                click.echo(f"      {'':<{width}}  fix: {c.fix}")
    if not all(c.ok for c in checks):
        sys.exit(1)


@sandbox.command("clean")
@click.option("--run", "run_id", default=None, help="Only the containers of this run id.")
@click.option(
    "--all", "all_", is_flag=True, help="Also remove containers of runs that still look alive (CI teardown)."
)
def clean_cmd(run_id: str | None, all_: bool) -> None:
    """Force-remove leftover codesynth containers (stopped, or whose run's process is gone)."""
    from codesynth.sandbox.docker.containers import cleanup_containers

    n = cleanup_containers(run_id, leftovers_only=not all_)
    click.echo(f"removed {n} codesynth container(s)")


def register(cli: click.Group) -> None:
    cli.add_command(sandbox)
