"""Package discovery for the design card's layout.

The layers live in top-level folders (codesynth/, sandbox/, generators/, verifiers/) but install
under one namespace (`codesynth.sandbox`, ...) so that we never shadow the PyPI packages named
`sandbox` or `verifiers`. setuptools' `packages.find` cannot add a prefix, so every sub-package
below each root is found here: a new sub-package needs no edit of any build file.
"""

from setuptools import find_packages, setup

#: import name -> folder (everything else is in pyproject.toml)
ROOTS = {
    "codesynth": "codesynth",
    "codesynth.sandbox": "sandbox",
    "codesynth.generators": "generators",
    "codesynth.verifiers": "verifiers",
    # Prime Intellect's `verifiers` loads an environment by id from a top-level package of that
    # name: this one only re-exports codesynth.verifiers.adapters.prime_verifiers.
    "codesynth_rlef": "environments/codesynth_rlef",
}


def _discover() -> list[str]:
    found = []
    for name, folder in ROOTS.items():
        found.append(name)
        found += [f"{name}.{sub}" for sub in find_packages(folder)]
    return sorted(set(found))


setup(package_dir=ROOTS, packages=_discover())
