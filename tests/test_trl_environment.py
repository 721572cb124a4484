"""TRL's own GRPOTrainer with `environment_factory` on the code environment: a tiny Qwen3 with TRL's
Qwen3 chat template on CPU calls `run_tests` (one RLEF turn a call); the trainer logs the
environment's rewards; the tool schema TRL builds is the one docs/topics/rlef.md shows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from codesynth.models import Limits, Problem
from codesynth.pipeline.rows import trl_rows
from codesynth.verifiers.adapters.trl_environment import OVER, PASSED, CodeTestEnv, trl_environment
from codesynth.verifiers.environment import Policy, read_episodes

pytest.importorskip("trl")

CANARY = "kq5canary83z"
SHOUT = Problem(id="shout", prompt="Write shout(s): s upper-cased with '!' appended.", entry_point="shout",
                tests="assert shout('hi') == 'HI!'\n", private_tests=f"assert shout('{CANARY}') == '{CANARY.upper()}!'\n")
ASK = Problem(id="ask", prompt="Write shout(s): s upper-cased with '?' appended.", entry_point="shout",
              tests="assert shout('hi') == 'HI?'\n", private_tests=f"assert shout('{CANARY}') == '{CANARY.upper()}?'\n")
CODE = "def shout(s):\n    return s.upper() + '!'"
DOCS = Path(__file__).resolve().parents[1] / "docs" / "topics" / "rlef.md"


def _tokenizer_and_model(call_body: str):
    """A byte-level tokenizer with Qwen3's special tokens and TRL's Qwen3 chat template, and a real
    Qwen3 (random weights, then set) that is a bigram model: every layer adds nothing (zeroed output
    projections), so its next token depends on the last token alone. After the generation prompt's
    final newline it writes a tool call: <tool_call>, `call_body` (one added token), </tool_call>, <|im_end|>."""
    import torch
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast, Qwen3Config, Qwen3ForCausalLM
    from trl.chat_template_utils import qwen3_chat_template

    alphabet = sorted(pre_tokenizers.ByteLevel.alphabet())
    bl = Tokenizer(models.BPE(vocab={b: i for i, b in enumerate(alphabet)}, merges=[]))
    bl.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    bl.decoder = decoders.ByteLevel()
    specials = ["<|im_start|>", "<|im_end|>", "<|endoftext|>"]
    plain = ["<think>", "</think>", "<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>", call_body]
    bl.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    bl.add_tokens([AddedToken(t, special=False, normalized=False) for t in plain])
    tok = PreTrainedTokenizerFast(tokenizer_object=bl, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    tok.chat_template = qwen3_chat_template
    n = len(tok)
    cfg = Qwen3Config(vocab_size=n, hidden_size=n + 8 - n % 8, intermediate_size=16, num_hidden_layers=1,
                      num_attention_heads=1, num_key_value_heads=1, head_dim=16, max_position_embeddings=4096,
                      tie_word_embeddings=False, eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id,
                      bos_token_id=None)
    torch.manual_seed(0)
    model = Qwen3ForCausalLM(cfg)
    eye = torch.zeros(n, cfg.hidden_size)
    eye[:, :n] = torch.eye(n)
    ids = tok.convert_tokens_to_ids
    script = {ids("Ċ"): ids("<tool_call>"), ids("<tool_call>"): ids(call_body), ids(call_body): ids("</tool_call>")}
    with torch.no_grad():
        model.model.embed_tokens.weight.copy_(eye)
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        model.model.norm.weight.fill_(1.0)
        head = torch.zeros(n, cfg.hidden_size)
        head[tok.eos_token_id, :n] = 1.0  # every token is followed by <|im_end|> ...
        for last, nxt in script.items():  # ... but the tool call's
            head[nxt, last] = 5.0
        model.lm_head.weight.copy_(head * 5)
    return tok, model


def test_tool_schema_is_what_the_docs_show():
    from transformers.utils import get_json_schema

    schema = get_json_schema(CodeTestEnv().run_tests)
    shown = re.search(r"<!-- run_tests schema -->\s*```json\n(.*?)```", DOCS.read_text(), re.S)
    assert shown, "docs/topics/rlef.md shows the run_tests schema"
    assert json.loads(shown.group(1)) == schema


def test_real_grpo_trainer_step_plays_episodes_and_logs_their_rewards(docker_backend, tmp_path):
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    tok, model = _tokenizer_and_model("\n" + json.dumps({"name": "run_tests", "arguments": {"code": CODE}}) + "\n")
    env_cls = trl_environment([SHOUT, ASK], backend=docker_backend, limits=Limits(timeout_s=5),
                              out=tmp_path / "run", name="CodeEnv", policy=Policy(max_turns=3))
    rows = Dataset.from_list(trl_rows([SHOUT, ASK]))
    assert set(rows.column_names) == {"prompt", "problem_id", "template"}  # no tests in the dataset
    cfg = GRPOConfig(output_dir=str(tmp_path / "grpo"), per_device_train_batch_size=4, num_generations=2,
                     max_completion_length=1024, max_tool_calling_iterations=3, max_steps=1, report_to=[],
                     use_cpu=True, logging_steps=1, save_strategy="no", seed=0, log_completions=False)
    trainer = GRPOTrainer(model=model, args=cfg, train_dataset=rows, processing_class=tok,
                          environment_factory=env_cls)
    trainer.train()
    env_cls.environment.close()

    prompts = [p[-1]["content"] if isinstance(p, list) else p for p in trainer._logs["prompt"]]
    rewards = list(trainer._logs["rewards"]["CodeEnv"])
    by_problem = sorted(("'!'" in p, r) for p, r in zip(prompts, rewards, strict=True))
    assert by_problem == [(False, -1.0), (False, -1.0), (True, 1.0), (True, 1.0)]
    logged = [h for h in trainer.state.log_history if "rewards/CodeEnv/mean" in h]
    assert logged and logged[0]["rewards/CodeEnv/mean"] == pytest.approx(0.0)

    turns = read_episodes(tmp_path / "run")
    shout = [t for t in turns if t.problem_id == "shout" and not t.closing]
    ask = [t for t in turns if t.problem_id == "ask" and not t.closing]
    # shout: the first run passes its public test; ask: three runs fail it, the budget ends the episode
    assert sorted(t.turn for t in shout) == [0, 0] and sorted(t.turn for t in ask) == [0, 0, 1, 1, 2, 2]
    assert all(t.code.strip() == CODE for t in turns)
    assert all("failed the following tests" in t.feedback for t in ask)
    completions = " ".join(str(c) for c in trainer._logs["completion"])
    assert CANARY not in completions and CANARY not in json.dumps([t.model_dump() for t in turns])


def test_the_tool_answers_in_text_and_a_row_without_problem_is_one_error(docker_backend):
    from codesynth.errors import DataError

    env_cls = trl_environment([SHOUT], backend=docker_backend, policy=Policy(max_turns=2))
    env = env_cls()
    assert "`run_tests`" in env.reset(problem_id="shout", prompt="...")
    assert env.run_tests(CODE) == PASSED
    assert env.run_tests(CODE) == OVER and env.get_reward() == 1.0
    env.reset(problem_id="shout")
    assert env.get_reward() == -0.2  # the rollout ended without a test run: no code was given
    with pytest.raises(DataError, match="no 'problem_id' column"):
        env.reset(prompt="x")
