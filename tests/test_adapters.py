"""The trainer adapters, each called exactly the way its trainer calls it, executing in
the real Docker sandbox."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from datasets import Dataset, load_dataset
from helpers import our_containers

from codesynth.models import IOCase, Problem, RewardRecord, Status
from codesynth.problems import save_problems
from codesynth.sandbox.docker import containers
from codesynth.verifiers import adapters, pool
from codesynth.verifiers.adapters import (
    compute_score,
    problem_spec,
    score,
    score_many,
    to_trl_rows,
    to_verl_rows,
    trl_reward_func,
)

pytestmark = pytest.mark.docker

ROOT = Path(__file__).resolve().parents[1]

SQUARE = Problem(
    id="a/square",
    prompt='def square(x):\n    """Return x squared."""\n',
    entry_point="square",
    tests="def check(candidate):\n    assert candidate(3) == 9\n    assert candidate(-2) == 4\n    assert candidate(0) == 0\n",
)
REVERSE = Problem(
    id="a/reverse",
    prompt="Read a line and print it reversed.",
    tests=[IOCase(input="abc\n", output="cba\n"), IOCase(input="racecar\n", output="racecar\n")],
)
PROBLEMS = [SQUARE, REVERSE]

GOOD_SQUARE = "Here you go:\n```python\ndef square(x):\n    return x * x\n```\nIt multiplies x by itself."
HALF_SQUARE = "```python\ndef square(x):\n    return x * 4\n```"  # right for 0 only: 1 of 3 tests
BODY_ONLY = "    return x ** 2\n"  # HumanEval-style continuation of the prompt
GOOD_REVERSE = "```py\nprint(input()[::-1])\n```"
BAD_REVERSE = "```python\nprint(input())\n```"
NO_CODE = "I am not sure how to solve this."


@pytest.fixture()
def shared_pool(docker_backend):
    """The adapters' process-wide pool, pointed at the session's warm backend."""
    pool.set_backend(docker_backend)
    yield docker_backend
    pool.set_backend(None)


# --------------------------------------------------------------------------- plain Python


def test_score_one_completion(shared_pool):
    rec = score(SQUARE, GOOD_SQUARE)
    assert isinstance(rec, RewardRecord)
    assert rec.passed and rec.reward == 1.0 and rec.status is Status.passed
    wrong = score(SQUARE, HALF_SQUARE, scheme="partial")
    assert (
        not wrong.passed
        and wrong.reward == pytest.approx(1 / 3)
        and wrong.failure_category.value == "wrong_answer"
    )
    assert "expected: 9" in wrong.feedback


def test_score_many_batched_in_order(shared_pool):
    items = [
        (SQUARE, GOOD_SQUARE),
        (REVERSE, BAD_REVERSE),
        (SQUARE, BODY_ONLY),
        (REVERSE, GOOD_REVERSE),
        (SQUARE, NO_CODE),
        (SQUARE, [{"role": "assistant", "content": GOOD_SQUARE}]),
    ]
    recs = score_many(items, scheme="shaped")
    assert [r.passed for r in recs] == [True, False, True, True, False, True]
    assert [r.problem_id for r in recs] == [p.id for p, _ in items]
    # shaped: a wrong answer that printed something beats a reply with no runnable code
    assert recs[1].reward > recs[4].reward
    assert recs[4].failure_category.value in ("syntax_error", "no_code")


# --------------------------------------------------------------------------- TRL


def _position_scripted_gpt2(tokenizer, prompt: str, body: str):
    """A real GPT-2 whose next token depends on its position alone: after `prompt` it writes
    `body`, then ends. Every block is zeroed, so the residual stream carries only the position
    embedding (one-hot), and lm_head maps each position to the token wanted there."""
    import torch
    from transformers import GPT2Config, GPT2LMHeadModel

    ids, seq = tokenizer(prompt)["input_ids"], tokenizer(body)["input_ids"] + [tokenizer.eos_token_id]
    n = 128
    m = GPT2LMHeadModel(GPT2Config(vocab_size=len(tokenizer), n_positions=n, n_embd=n, n_layer=1, n_head=1,
                                   eos_token_id=tokenizer.eos_token_id, bos_token_id=tokenizer.eos_token_id,
                                   pad_token_id=tokenizer.eos_token_id, tie_word_embeddings=False,
                                   resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0))
    with torch.no_grad():
        for prm in m.parameters():
            prm.zero_()
        for ln in (m.transformer.ln_f, m.transformer.h[0].ln_1, m.transformer.h[0].ln_2):
            ln.weight.fill_(1.0)
        m.transformer.wpe.weight.copy_(torch.eye(n) * 10)
        want = {len(ids) - 1 + k: t for k, t in enumerate(seq)}
        for pos in range(n):
            m.lm_head.weight[want.get(pos, tokenizer.eos_token_id), pos] = 5.0
    return m


def test_real_grpo_trainer_step_rewards_what_the_sandbox_judges(shared_pool, tmp_path):
    """trl's own GRPOTrainer (no reimplementation of its calling convention): one training step of a
    real (tiny, scripted) GPT-2, our reward function judging its generations in the sandbox. The
    step's completions and rewards, as the trainer logged them, are what `score` gives."""
    pytest.importorskip("trl")
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast
    from trl import GRPOConfig, GRPOTrainer

    byte_level = Tokenizer(models.BPE(vocab={**{b: i for i, b in enumerate(sorted(pre_tokenizers.ByteLevel.alphabet()))},
                                             "<eos>": 256}, merges=[]))  # fmt: skip
    byte_level.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)
    byte_level.decoder = decoders.ByteLevel()
    tok = PreTrainedTokenizerFast(tokenizer_object=byte_level, eos_token="<eos>", pad_token="<eos>")
    body = "    return x * x\n"
    # The same problem asked with its body already written: the model's continuation is empty there.
    done = SQUARE.model_copy(update={"id": "a/square-done", "prompt": SQUARE.prompt + body})
    ds = Dataset.from_list([{"prompt": p.prompt, "problem_id": p.id} for p in (SQUARE, done)])
    reward = trl_reward_func([SQUARE, done], scheme="shaped")
    cfg = GRPOConfig(output_dir=str(tmp_path / "grpo"), per_device_train_batch_size=4, num_generations=2,
                     max_completion_length=24, max_steps=1, report_to=[], use_cpu=True, logging_steps=1,
                     save_strategy="no", seed=0)
    trainer = GRPOTrainer(model=_position_scripted_gpt2(tok, SQUARE.prompt, body), reward_funcs=[reward],
                          args=cfg, train_dataset=ds, processing_class=tok)
    trainer.train()
    prompts, completions = list(trainer._logs["prompt"]), list(trainer._logs["completion"])
    rewards = list(trainer._logs["rewards"][reward.__name__])
    assert sorted(zip(prompts, completions, rewards, strict=True)) == sorted(
        [(SQUARE.prompt, body, 1.0)] * 2 + [(done.prompt, "", -1.0)] * 2)
    by_prompt = {p.prompt: p for p in (SQUARE, done)}
    assert rewards == [score(by_prompt[p], c, scheme="shaped").reward for p, c in zip(prompts, completions, strict=True)]
    logged = [h for h in trainer.state.log_history if f"rewards/{reward.__name__}/mean" in h]
    assert logged and logged[0][f"rewards/{reward.__name__}/mean"] == pytest.approx(0.0)




def _grpo_reward_call(reward_func, dataset: Dataset, completions_text: list[list[str]], conversational: bool):
    """Reproduces GRPOTrainer._calculate_rewards (trl/trainer/grpo_trainer.py): each dataset
    row is repeated num_generations times; every column but prompt/completion is passed as a
    keyword list aligned with completions; conversational completions are message lists."""
    inputs = [dataset[i] for i in range(len(dataset)) for _ in range(len(completions_text[i]))]
    flat = [c for row in completions_text for c in row]
    prompts = [x["prompt"] for x in inputs]
    completions = [[{"role": "assistant", "content": c}] for c in flat] if conversational else flat
    keys = [key for key in inputs[0] if key not in ["prompt", "completion"]]
    reward_kwargs = {key: [example[key] for example in inputs] for key in keys}
    completion_ids = [[1, 2, 3] for _ in flat]  # token ids: passed by TRL, not used by us
    out = reward_func(
        prompts=prompts, completions=completions, completion_ids=completion_ids, **reward_kwargs
    )
    assert isinstance(out, list) and len(out) == len(flat)
    assert all(isinstance(x, float) for x in out)
    return out


def test_trl_conversational_dataset(shared_pool):
    rows = to_trl_rows(PROBLEMS, conversational=True)
    assert all("tests" not in r and "problem" not in r for r in rows)  # no test travels in a row
    ds = Dataset.from_list(rows)
    f = trl_reward_func(PROBLEMS)  # problems are loaded by id
    assert f.__name__ == "codesynth_reward"
    rewards = _grpo_reward_call(
        f,
        ds,
        [[GOOD_SQUARE, HALF_SQUARE, NO_CODE], [GOOD_REVERSE, BAD_REVERSE, GOOD_REVERSE]],
        conversational=True,
    )
    assert rewards == [1.0, 0.0, 0.0, 1.0, 0.0, 1.0]


def test_trl_standard_dataset_with_problem_lookup_and_partial_credit(shared_pool):
    rows = [{"prompt": p.prompt, "problem_id": p.id, "difficulty": "easy"} for p in PROBLEMS]
    ds = Dataset.from_list(rows)
    f = trl_reward_func(PROBLEMS, scheme="partial")
    rewards = _grpo_reward_call(
        f, ds, [[HALF_SQUARE, BODY_ONLY], [BAD_REVERSE, GOOD_REVERSE]], conversational=False
    )
    assert rewards == pytest.approx([1 / 3, 1.0, 0.5, 1.0])  # "racecar" reversed is itself: 1 of 2 cases


def test_trl_tests_column(shared_pool):
    ds = Dataset.from_list([{"prompt": SQUARE.prompt, "tests": SQUARE.tests, "entry_point": "square"}])
    rewards = _grpo_reward_call(trl_reward_func(), ds, [[GOOD_SQUARE, HALF_SQUARE]], conversational=False)
    assert rewards == [1.0, 0.0]


def test_trl_row_without_problem_is_a_clear_error(shared_pool):
    ds = Dataset.from_list([{"prompt": "x", "other": 1}])
    with pytest.raises(ValueError, match="names no known problem"):
        _grpo_reward_call(trl_reward_func(), ds, [[GOOD_SQUARE]], conversational=False)


# --------------------------------------------------------------------------- verl


def _load_verl_fn(name: str):
    """As verl's get_custom_reward_fn: load custom_reward_function.path by file location."""
    path = ROOT / "verifiers" / "verl_reward.py"
    spec = importlib.util.spec_from_file_location("custom_module", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def test_verl_naive_reward_manager_call(shared_pool, tmp_path):
    # The RL parquet verl reads (data.train_files), written and read back like verl's RLHFDataset.
    rows = to_verl_rows(PROBLEMS)
    problems_file = str(save_problems(tmp_path / "problems.jsonl", PROBLEMS))
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "train.parquet")
    data = load_dataset(
        "parquet", data_files=str(tmp_path / "train.parquet"), split="train", cache_dir=str(tmp_path / "hf")
    )
    fn = _load_verl_fn("compute_score")
    responses = [GOOD_SQUARE, BAD_REVERSE]
    scores = []
    for item, response_str in zip(data, responses, strict=True):
        # verl/workers/reward_manager/naive.py
        result = fn(
            data_source=item["data_source"],
            solution_str=response_str,
            ground_truth=item["reward_model"]["ground_truth"],
            extra_info=item["extra_info"],
            problems=problems_file,  # custom_reward_function.reward_kwargs.problems
        )
        assert isinstance(result, dict) and set(result) >= {"score"}
        assert all(isinstance(v, float) for v in result.values())
        scores.append(result["score"])
    assert scores == [1.0, 0.0]


def test_verl_ground_truth_forms(shared_pool):
    # assert code + entry point in extra_info; a JSON list of stdin/stdout cases
    r1 = compute_score("mbpp", GOOD_SQUARE, SQUARE.tests, {"entry_point": "square", "index": 0})
    r2 = compute_score("io", GOOD_REVERSE, json.dumps([c.model_dump() for c in REVERSE.tests]))
    r3 = compute_score("codesynth", HALF_SQUARE, problem_spec(SQUARE), None, scheme="partial")
    assert (r1["score"], r2["score"]) == (1.0, 1.0)
    assert r3["score"] == pytest.approx(1 / 3) and r3["acc"] == 0.0


def test_verl_batch_reward_manager_call(shared_pool):
    fn = _load_verl_fn("compute_score_batch")
    rows = to_verl_rows(PROBLEMS * 2)
    # verl/workers/reward_manager/batch.py
    out = fn(
        data_sources=[r["data_source"] for r in rows],
        solution_strs=[GOOD_SQUARE, GOOD_REVERSE, HALF_SQUARE, NO_CODE],
        ground_truths=[r["reward_model"]["ground_truth"] for r in rows],
        extra_infos=[r["extra_info"] for r in rows],
        problems=PROBLEMS,
    )
    assert [o["score"] for o in out] == [1.0, 1.0, 0.0, 0.0]


# --------------------------------------------------------------------------- the shared pool


def test_pool_starts_lazily_and_closes_at_exit(runner_image):
    """A fresh process: the first score() starts the warm pool, exit closes it (no containers left)."""
    code = textwrap.dedent(f"""
        from codesynth.models import Problem
        from codesynth.verifiers import adapters, pool
        assert pool._backend is None  # nothing started at import
        p = Problem.model_validate_json({SQUARE.model_dump_json()!r})
        a = adapters.score(p, "def square(x):\\n    return x * x\\n")
        b = adapters.score(p, "def square(x):\\n    return x + x\\n")
        first = pool._backend
        c = adapters.score(p, "def square(x):\\n    return x ** 2\\n")
        assert pool._backend is first  # reused, not restarted
        print(a.reward, b.reward, c.reward, first.run_id)
    """)
    env = {**__import__("os").environ, "CODESYNTH_WORKERS": "1"}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert res.returncode == 0, res.stderr
    *rewards, run_id = res.stdout.split()
    assert rewards == ["1.0", "0.0", "1.0"]
    # Closed at exit. A spare container still booting at that moment is removed by the
    # sandbox's watchdog a moment later, so allow a short grace period.
    deadline = time.monotonic() + 20
    while our_containers(f"{containers.RUN_LABEL}={run_id}") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert our_containers(f"{containers.RUN_LABEL}={run_id}") == []


def test_completion_text_forms():
    assert adapters.completion_text("x") == "x"
    assert (
        adapters.completion_text([{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}])
        == "a"
    )
    assert (
        adapters.completion_text([{"role": "assistant", "content": [{"type": "text", "text": "p"}]}]) == "p"
    )


def test_trl_time_limit_comes_from_the_reference_as_evalplus_does(shared_pool):
    with_ref = SQUARE.model_copy(update={"id": "a/square-ref", "reference_solution": "def square(x):\n    return x * x\n"})
    hang = "```python\ndef square(x):\n    while True:\n        pass\n```"
    f = trl_reward_func([with_ref, SQUARE])
    rows = Dataset.from_list([{"prompt": p.prompt, "problem_id": p.id} for p in (with_ref, SQUARE)])
    rewards = _grpo_reward_call(f, rows, [[GOOD_SQUARE, hang], [GOOD_SQUARE]], conversational=False)
    assert rewards == [1.0, 0.0, 1.0]  # the hanging completion is a real failure (0), not None
    # the reference's own run takes milliseconds: max(1 s, 4 x that) = the 1 s floor, not the generic 10 s
    assert f.limits_for(with_ref).timeout_s == 1.0
    assert f.limits_for(SQUARE).timeout_s == 4.0  # no reference: a fixed RL-friendly limit
    assert trl_reward_func([SQUARE], time_limit=None).limits_for(SQUARE).timeout_s == 10.0
    fixed = trl_reward_func([SQUARE], time_limit=2.5)
    _grpo_reward_call(fixed, Dataset.from_list([{"prompt": SQUARE.prompt, "problem_id": SQUARE.id}]),
                      [[GOOD_SQUARE]], conversational=False)
    assert fixed.limits_for(SQUARE).timeout_s == 2.5
