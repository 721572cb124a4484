"""The bundled model's server on the prebuilt runtime (`generators/local_server.py`), spoken to
by the real `openai` client over HTTP on 127.0.0.1, and the choice between the runtimes."""

from __future__ import annotations

import openai
import pytest
import requests

from codesynth.generators import llama_setup
from codesynth.generators.local_model import MODEL_ALIAS, LocalModelServer
from codesynth.generators.local_server import chatml, parse_request

AVX2_CPU = {"sse4_2", "avx", "avx2", "fma", "f16c", "bmi2"}


def test_the_prebuilt_runtime_is_chosen_only_where_its_build_runs():
    assert llama_setup.prebuilt_unfit("x86_64", AVX2_CPU) is None
    assert llama_setup.prebuilt_unfit("x86_64", AVX2_CPU | {"avx512f", "amx_int8"}) is None  # Xeons too
    assert llama_setup.prebuilt_unfit("x86_64", {"sse4_2", "avx"}) == (
        "the prebuilt runtime needs avx2, fma, f16c, bmi2, which this CPU lacks")
    assert "Linux x86-64" in llama_setup.prebuilt_unfit("aarch64", set())


def test_the_prompt_is_smollm2s_chat_template():
    # tokenizer.chat_template of the bundled GGUF: a default system turn unless one is given
    user = [{"role": "user", "content": "Hi"}]
    assert chatml(user) == ("<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging "
                            "Face<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n")
    own = [{"role": "system", "content": "Be terse."}, *user]
    assert chatml(own) == ("<|im_start|>system\nBe terse.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
                           "<|im_start|>assistant\n")


@pytest.mark.parametrize("body, says", [
    ({}, "'messages' must be a non-empty list"),
    ({"messages": [{"role": "user", "content": ["parts"]}]}, "string content"),
    ({"messages": [{"role": "user", "content": "x"}], "n": 2}, "'n' must be 1"),
    ({"messages": [{"role": "user", "content": "x"}], "stream": True}, "'stream' is not supported"),
    ({"messages": [{"role": "user", "content": "x"}], "temperature": 9}, "'temperature' must be a number from 0 to 2"),
    ({"messages": [{"role": "user", "content": "x"}], "max_tokens": 0}, "'max_tokens' must be a positive integer"),
    ({"messages": [{"role": "user", "content": "x"}], "stop": [""]}, "'stop' must be a string or a list"),
])
def test_bad_requests_name_the_field(body, says):
    with pytest.raises(ValueError, match=says):
        parse_request(body, 64)


@pytest.fixture(scope="module")
def prebuilt_server(local_model):
    if llama_setup.runtime() != "ik-llama-cpp-python":
        pytest.skip(f"the bundled model runs on {llama_setup.runtime()} here: {llama_setup.prebuilt_unfit()}")
    srv = LocalModelServer().start()
    yield srv
    srv.stop()


def test_the_server_answers_the_openai_client_and_replays_a_seed(prebuilt_server):
    srv = prebuilt_server
    assert "codesynth.generators.local_server" in srv.proc.args
    client = openai.OpenAI(base_url=srv.base_url, api_key="none", max_retries=0)
    assert [m.id for m in client.models.list().data] == [MODEL_ALIAS]
    ask = {"model": MODEL_ALIAS, "messages": [{"role": "user", "content": "Write a Python function add(a, b)."}],
           "temperature": 0.9, "max_tokens": 40}
    a, b = (client.chat.completions.create(seed=7, **ask) for _ in range(2))
    assert a.choices[0].message.content == b.choices[0].message.content  # the same seed, the same reply
    assert a.usage.prompt_tokens == b.usage.prompt_tokens > 10 and 0 < a.usage.completion_tokens <= 40
    others = {client.chat.completions.create(seed=s, **ask).choices[0].message.content for s in (1, 2, 3)}
    assert len(others | {a.choices[0].message.content}) > 1  # other seeds sample other replies
    short = client.chat.completions.create(seed=7, **{**ask, "max_tokens": 3})
    assert short.choices[0].finish_reason == "length" and short.usage.completion_tokens == 3
    full = a.choices[0].message.content
    stop = full[len(full) // 2:][:3]  # a piece of the reply: the same seed stops right before it
    assert len(stop) == 3
    cut = client.chat.completions.create(seed=7, stop=[stop], **ask)
    assert cut.choices[0].message.content == full[:full.index(stop)]
    assert cut.choices[0].finish_reason == "stop"


def test_a_greedy_reply_is_the_models_own(prebuilt_server):
    # What llama-cpp-python's greedy decoding of the same GGUF answers, token for token. The
    # runtime's batched prompt kernels once made the first token <|im_end|> (an empty reply):
    # prompts now go in batches that compute exactly as single tokens do.
    client = openai.OpenAI(base_url=prebuilt_server.base_url, api_key="none", max_retries=0)
    r = client.chat.completions.create(model=MODEL_ALIAS, temperature=0, max_tokens=20, messages=[
        {"role": "user", "content": "Write a Python function is_palindrome(s) that ignores case."}])
    assert r.choices[0].message.content.startswith("```python\ndef is_palindrome(s):\n    return s == s[::-1]")
    assert r.usage.prompt_tokens == 46


def test_the_server_refuses_in_openais_error_shape(prebuilt_server):
    client = openai.OpenAI(base_url=prebuilt_server.base_url, api_key="none", max_retries=0)
    with pytest.raises(openai.BadRequestError, match="'n' must be 1"):
        client.chat.completions.create(model=MODEL_ALIAS, messages=[{"role": "user", "content": "x"}], n=2)
    with pytest.raises(openai.NotFoundError, match="model 'gpt-9' is not served here"):
        client.chat.completions.create(model="gpt-9", messages=[{"role": "user", "content": "x"}])
    r = requests.post(prebuilt_server.base_url + "/chat/completions", data=b"{not json", timeout=30)
    assert r.status_code == 400 and r.json()["error"]["message"].startswith("the body is not JSON")
    long = [{"role": "user", "content": "word " * 5000}]
    with pytest.raises(openai.BadRequestError, match="this model's context holds 2048"):
        client.chat.completions.create(model=MODEL_ALIAS, messages=long)
