"""The layering the README's architecture table states, read off every import in the code.

Data flows one way: a module may import its own layer and the ones below, never above
(function-level imports included: a lazy import is still a dependency).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDERS = {"codesynth": "codesynth", "sandbox": "codesynth.sandbox", "generators": "codesynth.generators",
           "verifiers": "codesynth.verifiers"}

# rank: what a layer may import is every layer of a lower or equal rank, except as noted
# ray: Ray Data scoring (codesynth/ray/), so it sits with the verifiers; the Ray backend (pool
# actors per node) is a sandbox backend like the others (sandbox/ray/: the sandbox layer);
# service: the HTTP server, a shell beside the CLI (whose `serve` command starts it).
RANKS = {"vocabulary": 0, "sandbox": 1, "generators": 1, "verifiers": 2, "ray": 2, "pipeline": 3, "cli": 4,
         "service": 4}
FORBIDDEN = {("generators", "sandbox"), ("sandbox", "generators"), ("verifiers", "generators"),
             ("generators", "verifiers"), ("ray", "generators"), ("verifiers", "ray"), ("service", "cli")}
# The package's __init__ re-exports the pipeline's `verify` lazily, for `from codesynth import verify`.
ALLOWED = {("codesynth", "codesynth.pipeline")}


def layer_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:
        return "vocabulary"
    second = parts[1]
    if second in RANKS:
        return second
    return "vocabulary"


def modules():
    for folder, pkg in FOLDERS.items():
        for p in (ROOT / folder).rglob("*.py"):
            rel = p.relative_to(ROOT / folder).with_suffix("")
            parts = [x for x in rel.parts if x != "__init__"]
            yield ".".join([pkg, *parts]), p


def imported(path: Path, module: str) -> set[str]:
    out: set[str] = set()
    is_pkg = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against this module's package
                base = module.split(".") if is_pkg else module.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                out.add(".".join(base + ([node.module] if node.module else [])))
            elif node.module:
                out.add(node.module)
    return {m for m in out if m == "codesynth" or m.startswith("codesynth.")}


def test_no_layer_imports_a_higher_one():
    bad = []
    for module, path in modules():
        if "harness" in module.split("."):
            continue  # runs inside the container: imports nothing of ours (checked by the image build)
        mine = layer_of(module)
        for dep in imported(path, module):
            theirs = layer_of(dep)
            if (module, dep) in ALLOWED or dep == "codesynth":
                continue
            if RANKS[theirs] > RANKS[mine] or (mine, theirs) in FORBIDDEN:
                bad.append(f"{module} ({mine}) imports {dep} ({theirs})")
    assert bad == []


def test_the_check_sees_imports():
    # a check that finds no imports would pass anything
    deps = dict((m, imported(p, m)) for m, p in modules())
    assert "codesynth.sandbox.executor" in deps["codesynth.pipeline.verify"]
    # the sandbox's sub-packages are seen, and are the sandbox layer
    assert "codesynth.sandbox.protocol.supervisor_client" in deps["codesynth.sandbox.docker.backend"]
    assert layer_of("codesynth.sandbox.ray.backend") == "sandbox"
    assert "codesynth.pipeline.verify" in deps["codesynth.pipeline.generate.solutions"]
    assert layer_of("codesynth.pipeline.generate.tests") == "pipeline"
