"""Problem generation seeded from a benchmark refuses the benchmark's paraphrases: the proposal
is checked by decontamination's own code path (meaning backed by code, cases or behaviour), over
real HTTP (scripted model), with the real embedding model and the real sandbox for survivors."""

from __future__ import annotations

import json

from scripted_server import ScriptedServer

from codesynth.config import EndpointConfig, SamplingParams
from codesynth.generators.cache import ResponseCache
from codesynth.generators.client import ChatClient
from codesynth.importers import import_humaneval
from codesynth.models import Limits
from codesynth.pipeline import VerifyConfig
from codesynth.pipeline.generate import generate_problems


def proposal(desc: str, solution: str, tests: str) -> str:
    return f"Problem: {desc}\n\n```python\n{solution}\n```\n\n```python\n{tests}\n```\n"


REPLIES = {
    # HumanEval/13 (greatest common divisor) reworded, written another way, with tests of its own
    0: proposal("Give back the largest whole number that divides both provided values without remainder.",
                "def biggest_shared_factor(p, q):\n    while q:\n        p, q = q, p % q\n    return abs(p)",
                "assert biggest_shared_factor(12, 18) == 6\nassert biggest_shared_factor(7, 5) == 1\n"
                "assert biggest_shared_factor(40, 100) == 20\nassert biggest_shared_factor(9, 27) == 9"),
    # HumanEval/23 (string length) reworded, its examples kept in another notation
    1: proposal("Compute how many characters the provided text holds. For example, text_size('') returns 0 "
                "and text_size('abc') returns 3.",
                "def text_size(t):\n    n = 0\n    for _ in t:\n        n += 1\n    return n",
                "assert text_size('hello') == 5\nassert text_size('') == 0\nassert text_size('ab') == 2"),
    # an honest problem on a neighbouring topic (least common multiple, not the divisor)
    2: proposal("Return the least common multiple of two positive integers.",
                "def lcm(a, b):\n    x, y = a, b\n    while y:\n        x, y = y, x % y\n    return a * b // x",
                "assert lcm(4, 6) == 12\nassert lcm(7, 3) == 21\nassert lcm(5, 5) == 5"),
}


def test_generation_refuses_paraphrases_of_its_benchmark_seeds(tmp_path, docker_backend):
    seeds = [p for p in import_humaneval() if p.id in {"HumanEval/13", "HumanEval/23", "HumanEval/0", "HumanEval/2"}]
    server = ScriptedServer().start()
    try:
        server.responder = lambda body: REPLIES[body["seed"]]
        ep = EndpointConfig(base_url=server.base_url, model="scripted-model", backoff_s=0.01, concurrency=2)
        client = ChatClient(ep, SamplingParams(), ResponseCache(tmp_path / "cache"))
        out = tmp_path / "gen"
        rep = generate_problems(seeds, client, out, n=3, k_seeds=2, backend=docker_backend,
                                config=VerifyConfig(progress=False, limits=Limits(timeout_s=5)))
    finally:
        server.stop()
    recs = {r["index"]: r for r in map(json.loads, (out / "proposals.jsonl").read_text().splitlines())}
    assert {i: r["reason"] for i, r in recs.items()} == {0: "benchmark_copy", 1: "benchmark_copy", 2: None}
    assert recs[0]["nearest"] == "HumanEval/13" and recs[1]["nearest"] == "HumanEval/23"
    # the evidence is said: meaning, and what backs it
    assert recs[0]["benchmark_match"]["field"] in ("solution", "meaning+solution", "meaning+behaviour")
    assert recs[1]["benchmark_match"]["field"] in ("meaning+tests", "meaning+behaviour")
    assert "cosine" in recs[1]["benchmark_match"]["evidence"]
    # the stage's counts (what synth.json and the card are built from) agree with the records
    assert rep.counts["dropped"] == {"benchmark_copy": 2} and rep.counts["accepted"] == 1
