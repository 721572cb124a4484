"""OpenRLHF 0.11's own agent machinery on `verifiers/openrlhf_agent.py`: its loader
(`_load_agent_executor` of openrlhf/trainer/ray/vllm_engine.py) loads the file, its
`MultiTurnAgentExecutor` plays RLEF episodes against the sandbox, the reward arrives with the last
step. openrlhf pins flash-attn, deepspeed and vllm (GPU builds), so only its own Python files are
installed (`pip install --no-deps --target`), beside this environment's torch and transformers;
vLLM's place is taken by a scripted engine that answers with fixed replies."""

from __future__ import annotations

import ast
import asyncio
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from helpers import ROOT

from codesynth.models import Limits, Problem
from codesynth.problems import save_problems
from codesynth.verifiers import pool
from codesynth.verifiers.environment import read_episodes

OPENRLHF = "openrlhf==0.11.2"
AGENT = ROOT / "verifiers" / "openrlhf_agent.py"
CANARY = "wx3canary62m"
SHOUT = Problem(id="shout", prompt="Write shout(s): s upper-cased with '!' appended.", entry_point="shout",
                tests="assert shout('hi') == 'HI!'\n", private_tests=f"assert shout('{CANARY}') == '{CANARY.upper()}!'\n")
WRONG = "```python\ndef shout(s):\n    return s.upper()\n```"
GOOD = "```python\ndef shout(s):\n    return s.upper() + '!'\n```"


@pytest.fixture(scope="session")
def openrlhf_path(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("openrlhf")
    r = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps",
                        "--target", str(target), OPENRLHF, "pylatexenc==2.10"], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    sys.path.insert(0, str(target))
    yield target
    sys.path.remove(str(target))
    for name in [m for m in sys.modules if m == "openrlhf" or m.startswith("openrlhf.")]:
        del sys.modules[name]


def openrlhf_loader(target: Path):
    """`_load_agent_executor`, OpenRLHF's own code: read from its vllm_engine.py (which imports vLLM
    and Ray at the top, so the module itself cannot be imported here) and compiled as written."""
    from openrlhf.utils.agent import AgentExecutorBase

    src = (target / "openrlhf" / "trainer" / "ray" / "vllm_engine.py").read_text()
    fn = next(n for n in ast.parse(src).body if isinstance(n, ast.FunctionDef) and n.name == "_load_agent_executor")
    scope = {"AgentExecutorBase": AgentExecutorBase}
    exec(compile(ast.Module(body=[fn], type_ignores=[]), "vllm_engine.py", "exec"), scope)
    return scope["_load_agent_executor"]


class ScriptedEngine:
    """vLLM's `generate(token_ids, sampling_params)` answering fixed replies in turn."""

    def __init__(self, tokenizer, replies: list[str]):
        self.tok, self.replies, self.seen = tokenizer, list(replies), []

    async def generate(self, token_ids, sampling_params, multi_modal_data=None):
        self.seen.append(self.tok.decode(token_ids))
        text = self.replies.pop(0)
        ids = self.tok(text=text, add_special_tokens=False)["input_ids"]
        return SimpleNamespace(outputs=[SimpleNamespace(token_ids=ids, text=text, finish_reason="stop")])


def _tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    bl = Tokenizer(models.BPE(vocab={b: i for i, b in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))},
                              merges=[]))
    bl.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    bl.decoder = decoders.ByteLevel()
    return PreTrainedTokenizerFast(tokenizer_object=bl)


def test_openrlhf_executor_loads_the_agent_file_and_plays_episodes(openrlhf_path, docker_backend, tmp_path,
                                                                    monkeypatch):
    problems = tmp_path / "problems.jsonl"
    save_problems(problems, [SHOUT])
    monkeypatch.setenv("CODESYNTH_PROBLEMS", str(problems))
    monkeypatch.setenv("CODESYNTH_ENV_OUT", str(tmp_path / "run"))
    monkeypatch.setenv("CODESYNTH_FEEDBACK_TURN", "\nUSER: {feedback}\nASSISTANT: ")
    pool.set_backend(docker_backend)
    try:
        executor = openrlhf_loader(openrlhf_path)(str(AGENT))
        from openrlhf.utils.agent import MultiTurnAgentExecutor

        assert isinstance(executor, MultiTurnAgentExecutor)
        tok = _tokenizer()
        params = SimpleNamespace(max_tokens=None, logprobs=None)

        def play(replies):
            engine = ScriptedEngine(tok, replies)
            out = asyncio.run(executor.execute("USER: write shout\nASSISTANT: ", "shout", params, 4096, tok, engine))
            return out, engine

        fixed, engine = play([WRONG, GOOD])
        assert fixed["reward"] == 1.0 and fixed["scores"] == 1.0 and len(fixed["action_ranges"]) == 2
        assert "USER: Your code failed the following tests:\n- assert shout('hi') == 'HI!'" in engine.seen[1]
        gamed, _ = play(["```python\ndef shout(s):\n    return 'HI!'\n```"])  # passes the public test only
        assert gamed["reward"] == -1.0 and len(gamed["action_ranges"]) == 1
        nothing, _ = play(["no idea"] * 3)
        assert nothing["reward"] == pytest.approx(-0.2) and len(nothing["action_ranges"]) == 3
        assert float(nothing["extra_logs"]["turns"]) == 3.0
    finally:
        pool.set_backend(None)
    from codesynth.verifiers.environment.environment import _shared

    for env in _shared.values():
        env.close()
    _shared.clear()
    turns = read_episodes(tmp_path / "run")
    assert len(turns) == 6
    texts = [tok.decode(fixed["observation_tokens"]), tok.decode(nothing["observation_tokens"])]
    texts += [p.read_text() for p in (tmp_path / "run").iterdir() if p.is_file()]
    assert not [t for t in texts if CANARY in t or CANARY.upper() in t]


def test_a_label_that_is_not_a_problem_id_is_one_clear_error(openrlhf_path, tmp_path, monkeypatch):
    from codesynth.errors import DataError

    problems = tmp_path / "problems.jsonl"
    save_problems(problems, [SHOUT])
    monkeypatch.setenv("CODESYNTH_PROBLEMS", str(problems))
    executor = openrlhf_loader(openrlhf_path)(str(AGENT))
    tok = _tokenizer()
    with pytest.raises(DataError, match="unknown problem 'nope'"):
        asyncio.run(executor.execute("p", "nope", SimpleNamespace(max_tokens=None, logprobs=None), 512, tok,
                                     ScriptedEngine(tok, [GOOD])))
    with pytest.raises(DataError, match="must be a problem id"):
        asyncio.run(executor.execute("p", None, SimpleNamespace(max_tokens=None, logprobs=None), 512, tok,
                                     ScriptedEngine(tok, [GOOD])))
