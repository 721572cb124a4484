"""verl 0.9.1's own agent-loop machinery on the code environment: its `AgentLoopWorker` reads
`verifiers/verl_agent_loop.yaml` (`rollout.agent.agent_loop_config_path`), finds the loop by the
name a row gives (`agent_name`), instantiates it with hydra and runs RLEF episodes against a
scripted generation server; the episodes' rewards come back as verl's `rm_scores`.

Runs in verl's own environment (tests/test_verl_agent_loop_env.py); skipped where verl is not
installed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

verl = pytest.importorskip("verl", minversion="0.9")

import numpy as np  # noqa: E402
from omegaconf import OmegaConf  # noqa: E402
from verl.protocol import DataProto  # noqa: E402
from verl.workers.rollout.replica import TokenOutput  # noqa: E402

from codesynth.models import Problem  # noqa: E402
from codesynth.problems import save_problems  # noqa: E402
from codesynth.verifiers import pool  # noqa: E402
from codesynth.verifiers.adapters import to_verl_rows  # noqa: E402
from codesynth.verifiers.environment import read_episodes  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
YAML = ROOT / "verifiers" / "verl_agent_loop.yaml"
CANARY = "vt9canary25q"
SHOUT = Problem(id="shout", prompt="Write shout(s): s upper-cased with '!' appended.", entry_point="shout",
                tests="assert shout('hi') == 'HI!'\n", private_tests=f"assert shout('{CANARY}') == '{CANARY.upper()}!'\n")
ASK = Problem(id="ask", prompt="Write ask(s): s upper-cased with '?' appended.", entry_point="ask",
              tests="assert ask('hi') == 'HI?'\n", private_tests=f"assert ask('{CANARY}') == '{CANARY.upper()}?'\n")
REPLIES = {  # by problem: the model's turns, in order
    "shout": ["```python\ndef shout(s):\n    return s.upper()\n```", "```python\ndef shout(s):\n    return s.upper() + '!'\n```"],
    "ask": ["no code today"] * 3,
}
TEMPLATE = ("{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
            "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}")


def _model_dir(path: Path) -> Path:
    """A tiny Qwen3 config and a byte-level tokenizer with a chat template: what verl's model
    config loads (no weights are needed: generation is the scripted server's)."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen3Config

    bl = Tokenizer(models.BPE(vocab={b: i for i, b in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))},
                              merges=[]))
    bl.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    bl.decoder = decoders.ByteLevel()
    bl.add_special_tokens([AddedToken(t, special=True, normalized=False)
                           for t in ("<|im_start|>", "<|im_end|>", "<|endoftext|>")])
    tok = PreTrainedTokenizerFast(tokenizer_object=bl, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    tok.chat_template = TEMPLATE
    tok.save_pretrained(path)
    Qwen3Config(vocab_size=len(tok), hidden_size=32, intermediate_size=32, num_hidden_layers=1,
                num_attention_heads=2, num_key_value_heads=1, head_dim=16,
                architectures=["Qwen3ForCausalLM"]).save_pretrained(path)
    return path


class ScriptedServer:
    """verl's LLM server client (`generate(request_id, prompt_ids, sampling_params) -> TokenOutput`),
    answering each problem's scripted replies in turn (the problem read from the prompt)."""

    def __init__(self, tokenizer):
        self.tok = tokenizer
        self.calls: dict[str, int] = {}
        self.prompts: list[str] = []

    async def generate(self, request_id, *, prompt_ids, sampling_params, **kwargs):
        text = self.tok.decode(prompt_ids)
        self.prompts.append(text)
        pid = "shout" if "shout(s)" in text else "ask"
        k = self.calls.get(request_id + pid, 0)
        self.calls[request_id + pid] = k + 1
        reply = REPLIES[pid][k] + "<|im_end|>"
        return TokenOutput(token_ids=self.tok(reply, add_special_tokens=False)["input_ids"], stop_reason="completed")


def test_verl_finds_the_loop_by_name_and_runs_episodes(docker_backend, tmp_path, monkeypatch):
    from verl.experimental.agent_loop.agent_loop import AgentLoopWorker

    problems = tmp_path / "problems.jsonl"
    save_problems(problems, [SHOUT, ASK])
    monkeypatch.setenv("CODESYNTH_PROBLEMS", str(problems))
    monkeypatch.setenv("CODESYNTH_ENV_OUT", str(tmp_path / "run"))
    model = _model_dir(tmp_path / "model")
    cfg = OmegaConf.load(Path(verl.__file__).parent / "trainer" / "config" / "_generated_ppo_trainer.yaml")
    cfg.actor_rollout_ref.model.path = str(model)
    cfg.actor_rollout_ref.rollout.agent.agent_loop_config_path = str(YAML)
    cfg.actor_rollout_ref.rollout.name = "vllm"  # the server kind; generation is the scripted server here
    cfg.actor_rollout_ref.rollout.prompt_length = 512
    cfg.actor_rollout_ref.rollout.response_length = 2048
    pool.set_backend(docker_backend)
    try:
        worker = AgentLoopWorker(cfg, llm_client=None)
        server = ScriptedServer(worker.tokenizer)
        worker.llm_client = server
        rows = to_verl_rows([SHOUT, ASK])
        batch = DataProto.from_dict(non_tensors={
            "raw_prompt": np.array([r["prompt"] for r in rows], dtype=object),
            "extra_info": np.array([r["extra_info"] for r in rows], dtype=object),
            "agent_name": np.array(["codesynth_rlef"] * len(rows), dtype=object),
        })
        out = asyncio.run(worker.generate_sequences(batch))
    finally:
        pool.set_backend(None)
    scores = out.batch["rm_scores"].sum(dim=1).tolist()
    assert scores == pytest.approx([1.0, -0.2])  # shout fixed on turn 2; ask never sent code (3 turns)
    assert out.non_tensor_batch["episode_turns"].tolist() == [2, 3]
    assert out.non_tensor_batch["__num_turns__"].tolist() == [4, 6]
    # the feedback turn is in the sequence, masked out of the loss
    tok = worker.tokenizer
    response = tok.decode(out.batch["responses"][0][out.batch["response_mask"][0].bool()])
    whole = tok.decode(out.batch["responses"][0])
    assert "Your code failed the following tests:" in whole and "Your code failed" not in response
    fed = "<|im_start|>user\nYour code failed the following tests:\n- assert shout('hi') == 'HI!'"
    assert sum(fed in p for p in server.prompts) == 1  # the second shout turn saw the first one's feedback
    turns = read_episodes(tmp_path / "run")
    texts = [tok.decode(out.batch["input_ids"][i]) for i in range(2)] + [json.dumps([t.model_dump() for t in turns])]
    assert not [t for t in texts if CANARY in t or CANARY.upper() in t]
