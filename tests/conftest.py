"""Shared fixtures: a real Docker engine, the real runner image, a warm backend.

Nothing here is mocked. If the engine cannot be reached or the image cannot be built,
the tests that need them fail (they do not skip): a green run means they really ran.
"""

from __future__ import annotations

import os

import pytest

# Ray on 127.0.0.1 only (nodes, driver, workers): by default it advertises the default route's
# interface address. Ray reads this switch when it is imported, so it is set before any test
# module can import it; every process Ray or a test starts inherits it.
os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"

from helpers import LANG_LIMITS, PROBLEM_SETS, ROOT  # noqa: E402,F401

from codesynth.models import Limits  # noqa: E402

#: A test that uses one of these needs the engine and the runner image: it is marked
#: `docker`, so `pytest -m "not docker"` is the fast tier (pure logic, the local backend).
#: Modules that reach Docker another way (the CLI) say `pytestmark = pytest.mark.docker`.
DOCKER_FIXTURES = {"runner_image", "docker_backend", "lang_pool", "tag", "scientific_image"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if DOCKER_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.docker)


@pytest.fixture(scope="session")
def runner_image() -> str:
    from codesynth.sandbox.docker import engine, image

    engine.ensure_engine(install=True)
    return image.ensure_image(build=True)


@pytest.fixture(scope="session")
def scientific_image(runner_image) -> str:
    """The `scientific` profile image on the runner image: built once per package set and runner
    image (its tag is their hash), a few minutes the first time, reused by every later session."""
    from codesynth.sandbox.docker import profiles

    return profiles.ensure_profile_image(runner_image, profiles.resolve("scientific"))


@pytest.fixture(scope="session")
def local_model() -> None:
    """The bundled model, usable on this CPU: `codesynth model setup` does what is needed (the
    prebuilt runtime, or a portable llama-cpp-python build where that cannot run)."""
    from codesynth.generators import llama_setup

    st = llama_setup.install(log=lambda m: print(f"local_model: {m}", flush=True))
    assert st.ok, st.problem


@pytest.fixture(scope="session")
def docker_backend(runner_image):
    from codesynth.sandbox.docker.backend import DockerBackend

    b = DockerBackend(workers=2, limits=Limits(timeout_s=5), image=runner_image, run_id=f"pytest{os.getpid()}")
    b.start()
    yield b
    b.close()


@pytest.fixture(scope="session")
def lang_pool():
    """One warm worker of the toolchain image with every language (built by `codesynth sandbox
    build --languages all` if missing, several minutes the first time)."""
    from codesynth.models import LANGUAGES
    from codesynth.sandbox.docker import engine, lang_image
    from codesynth.sandbox.docker.backend import DockerBackend

    engine.ensure_engine(install=True)
    image = lang_image.ensure_image(set(LANGUAGES), build="toolchains")
    b = DockerBackend(workers=1, limits=LANG_LIMITS, image=image, run_id=f"pylang{os.getpid()}",
                      languages=set(LANGUAGES))
    b.start()
    yield b
    b.close()


@pytest.fixture(scope="session")
def chromium_bin() -> str:
    """Debian's chromium, installed with apt-get when missing (as the engine fixture installs Docker)."""
    import shutil

    found = shutil.which("chromium")
    if found is None and os.geteuid() == 0:
        from codesynth.sandbox.docker.engine import apt_install

        apt_install(["chromium"])
        found = shutil.which("chromium")
    assert found, "chromium is not installed and cannot be (not root): apt-get install chromium"
    return found


@pytest.fixture(scope="session")
def humaneval_problems():
    from codesynth.importers import import_humaneval

    return import_humaneval()


