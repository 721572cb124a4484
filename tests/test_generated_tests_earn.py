"""`generate tests` keeps an assert only if it earns its place: the reference passes it and it rejects
a known-wrong program while pinning the value. Scripted OpenAI-compatible server on 127.0.0.1, the
real `openai` client, the real sandbox."""

from __future__ import annotations

import json

import pytest
from scripted_server import ScriptedServer

from codesynth.config import EndpointConfig, SamplingParams
from codesynth.generators.cache import ResponseCache
from codesynth.generators.client import ChatClient
from codesynth.models import Limits, Problem
from codesynth.pipeline import VerifyConfig
from codesynth.pipeline.generate import generate_tests
from codesynth.problems import load_problems

pytestmark = pytest.mark.docker

CFG = VerifyConfig(progress=False, limits=Limits(timeout_s=30))  # generous: the machine is shared
ROMAN = Problem(
    id="t/roman", prompt='def roman_to_int(s):\n    """Value of a Roman numeral (I, V, X, L, C, D, M)."""\n',
    entry_point="roman_to_int", tests="assert roman_to_int('III') == 3\nassert roman_to_int('IX') == 9\n",
    reference_solution=(
        "def roman_to_int(s):\n    v = {'I': 1, 'V': 5, 'X': 10, 'L': 50, 'C': 100, 'D': 500, 'M': 1000}\n"
        "    total = 0\n    for i, ch in enumerate(s):\n"
        "        if i + 1 < len(s) and v[ch] < v[s[i + 1]]:\n            total -= v[ch]\n"
        "        else:\n            total += v[ch]\n    return total\n"))

# the run: 9 of 10 kept asserts were of these shapes
REPLY = "```python\n" + "\n".join([
    "assert roman_to_int('MM') is not None",       # vacuous: `return 0` passes
    "assert isinstance(roman_to_int('MM'), int)",  # vacuous: any int passes
    "assert roman_to_int('V') >= 0",               # vacuous: does not pin the value
    "assert roman_to_int('XL') > 0",               # vacuous
    "assert roman_to_int('MCMXCIV') == 1994",      # real: pins the value, kills mutants
    "assert roman_to_int('MM') == 2000",           # real
    "assert roman_to_int('IV') == 6",              # wrong expectation
]) + "\n```"


@pytest.fixture
def server():
    s = ScriptedServer().start()
    yield s
    s.stop()


def test_vacuous_asserts_are_dropped_counted_and_kept_ones_are_private(server, tmp_path, docker_backend):
    server.responder = lambda body: REPLY
    ep = EndpointConfig(base_url=server.base_url, model="scripted-model", backoff_s=0.01, concurrency=2)
    client = ChatClient(ep, SamplingParams(), ResponseCache(tmp_path / "cache"))
    out = tmp_path / "t"
    rep = generate_tests([ROMAN], client, out, n=1, config=CFG, backend=docker_backend)
    rows = [json.loads(line) for line in (out / "tests.jsonl").read_text().splitlines()]
    fate = {r["code"].strip(): (r["kept"], r["reason"]) for r in rows}
    assert fate == {
        "assert roman_to_int('MM') is not None": (False, "vacuous"),
        "assert isinstance(roman_to_int('MM'), int)": (False, "vacuous"),
        "assert roman_to_int('V') >= 0": (False, "vacuous"),
        "assert roman_to_int('XL') > 0": (False, "vacuous"),
        "assert roman_to_int('MCMXCIV') == 1994": (True, None),
        "assert roman_to_int('MM') == 2000": (True, None),
        "assert roman_to_int('IV') == 6": (False, "wrong_expectation"),
    }
    kept = [r for r in rows if r["kept"]]
    assert all("known-wrong programs" in r["detail"] for r in kept)
    assert rep.counts["vacuous_dropped"] == 4 and rep.counts["dropped"]["vacuous"] == 4
    assert rep.counts["tests_kept"] == 2 and rep.counts["kept_as"] == "private"
    [new] = load_problems(out / "problems.jsonl")
    assert new.tests == ROMAN.tests  # nothing a model may be shown was added
    assert "== 1994" in new.private_tests and "== 2000" in new.private_tests
    assert "is not None" not in new.private_tests and ">= 0" not in new.private_tests


def test_public_keeps_the_old_behaviour_on_request(server, tmp_path, docker_backend):
    server.responder = lambda body: REPLY
    ep = EndpointConfig(base_url=server.base_url, model="scripted-model", backoff_s=0.01, concurrency=2)
    client = ChatClient(ep, SamplingParams(), ResponseCache(tmp_path / "cache"))
    out = tmp_path / "t"
    rep = generate_tests([ROMAN], client, out, n=1, config=CFG, backend=docker_backend, public=True)
    [new] = load_problems(out / "problems.jsonl")
    assert rep.counts["kept_as"] == "public" and new.private_tests is None
    assert "== 1994" in new.tests and "is not None" not in new.tests
