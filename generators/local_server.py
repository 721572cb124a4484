"""An OpenAI-compatible chat server for the bundled model on the prebuilt ik_llama.cpp runtime.

`ik-llama-cpp-python` ships a portable CPU build of llama.cpp's fork ik_llama.cpp as a
manylinux_2_28 wheel (AVX2, no AVX-512: it runs on AMD EPYC and Intel Xeons alike), so the
bundled model needs no compiler. It has no server, and its high-level chat applies a Gemma
template and samples with a Python loop over the whole vocabulary per token; so this module
uses only its model, tokenizer and decode calls, renders the model's own chat template
(ChatML, SmolLM2's default system prompt) and samples in numpy with a per-request seed
(the same request replays the same reply).

One process, one model, one request at a time (a lock: llama.cpp's context is not
re-entrant); the parent (`local_model.LocalModelServer`) starts it as
`python -m codesynth.generators.local_server --model PATH --port N` and kills it when done.
Routes: `GET /v1/models`, `POST /v1/chat/completions` (not streamed; `n` = 1).
"""

from __future__ import annotations

import argparse
import ctypes
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

#: Prompt tokens decoded per batch. ik_llama.cpp 0.1.5's batched kernels give wrong logits from
#: 32 tokens a batch up for this Q4_1 model (measured: identical to token-by-token decoding up to
#: 31, off by 7-12 logits from 32; the first greedy token of a chat became <|im_end|>), so the
#: prompt goes in smaller batches. `Engine.self_check` (run by `model setup`'s probe) proves it.
PREFILL_BATCH = 16

#: SmolLM2-Instruct's template (its GGUF's `tokenizer.chat_template`): ChatML with a default system turn.
DEFAULT_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"


def chatml(messages: list[dict[str, Any]]) -> str:
    """The prompt SmolLM2's chat template renders (add_generation_prompt=True)."""
    out = []
    if not messages or messages[0].get("role") != "system":
        out.append(f"<|im_start|>system\n{DEFAULT_SYSTEM}<|im_end|>\n")
    for m in messages:
        out.append(f"<|im_start|>{m['role']}\n{m['content']}<|im_end|>\n")
    out.append("<|im_start|>assistant\n")
    return "".join(out)


class RequestError(ValueError):
    """The request's fault: a 400 with OpenAI's error body (the client records it and goes on)."""


def sample(logits, temperature: float, top_p: float, rng) -> int:
    """Greedy at temperature 0, else nucleus sampling over the softmax at `temperature`."""
    import numpy as np

    if temperature <= 0:
        return int(np.argmax(logits))
    z = logits.astype(np.float64) / temperature
    z -= z.max()
    p = np.exp(z)
    p /= p.sum()
    if top_p < 1:
        order = np.argsort(-p)
        cum = np.cumsum(p[order])
        keep = order[: int(np.searchsorted(cum, top_p)) + 1]
        q = p[keep] / p[keep].sum()
        return int(keep[rng.choice(len(keep), p=q)])
    return int(rng.choice(len(p), p=p))


class Engine:
    """The model and one context; `complete` is called under the server's lock."""

    def __init__(self, model_path: str, n_ctx: int, n_threads: int):
        from ik_llama_cpp import _ctypes_api as C
        from ik_llama_cpp._internals import IkContext, IkModel

        self.C = C
        self.model = IkModel(model_path)
        # flash attention off: ik_llama.cpp's asserts on long prompts without AVX-VNNI.
        self.ctx = IkContext(self.model, n_ctx=n_ctx, n_threads=n_threads, flash_attn=False)
        self.n_ctx = n_ctx
        self.n_vocab = self.model.n_vocab
        self._piece = ctypes.create_string_buffer(256)

    def _decode(self, tokens: list[int], start: int) -> None:
        from ik_llama_cpp._internals import make_batch_range

        step = min(self.ctx._n_ubatch, PREFILL_BATCH)
        for i in range(0, len(tokens), step):
            chunk = tokens[i:i + step]
            batch = make_batch_range(chunk, pos_start=start + i, logits_last=i + step >= len(tokens))
            try:
                rc = self.ctx.decode(batch)
            finally:
                self.C.llama_batch_free(batch)
            if rc != 0:
                raise RuntimeError(f"llama_decode failed ({rc})")

    def _logits(self):
        import numpy as np

        return np.ctypeslib.as_array(self.C.llama_get_logits_ith(self.ctx.ctx, -1), shape=(self.n_vocab,))

    def self_check(self) -> float:
        """The largest logit difference between a prompt decoded the way `complete` does and the
        same prompt one token at a time (the path every generated token takes): 0 when sound."""
        import numpy as np

        tokens = self.model.tokenize(chatml([{"role": "user", "content": "Write a Python function that "
                                              "returns the sum of a list of numbers."}]), add_bos=False, special=True)
        self.ctx.kv_cache_clear()
        for i, t in enumerate(tokens):
            self._decode([t], i)
        one = self._logits().copy()
        self.ctx.kv_cache_clear()
        self._decode(tokens, 0)
        return float(np.abs(self._logits() - one).max())

    def piece(self, token: int) -> bytes:
        n = self.C.llama_token_to_piece(self.model.model, token, self._piece, 256, 0, False)
        return self._piece.raw[:n] if n > 0 else b""

    def complete(self, messages: list[dict[str, Any]], max_tokens: int, temperature: float, top_p: float,
                 seed: int | None, stop: list[str]) -> dict[str, Any]:
        import numpy as np

        prompt = self.model.tokenize(chatml(messages), add_bos=False, special=True)
        room = self.n_ctx - len(prompt)
        if room < 1:
            raise RequestError(f"the prompt is {len(prompt)} tokens; this model's context holds {self.n_ctx}")
        rng = np.random.default_rng(seed)
        self.ctx.kv_cache_clear()
        self._decode(prompt, 0)
        out = bytearray()
        finish, n, limit = "length", 0, min(max_tokens, room)
        for n in range(1, limit + 1):
            tok = sample(self._logits(), temperature, top_p, rng)
            if self.C.llama_token_is_eog(self.model.model, tok):
                finish, n = "stop", n - 1
                break
            out += self.piece(tok)
            if stop:
                text = out.decode("utf-8", "ignore")
                cut = min((i for i in (text.find(s) for s in stop) if i >= 0), default=-1)
                if cut >= 0:
                    out, finish = bytearray(text[:cut].encode()), "stop"
                    break
            if n < limit:
                self._decode([tok], len(prompt) + n - 1)
        return {"text": out.decode("utf-8", "replace"), "finish_reason": finish,
                "prompt_tokens": len(prompt), "completion_tokens": n}


def _float(body: dict, name: str, default: float, lo: float, hi: float) -> float:
    v = body.get(name, default)
    if v is None:
        return default
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo <= v <= hi:
        raise RequestError(f"'{name}' must be a number from {lo:g} to {hi:g}")
    return float(v)


def parse_request(body: Any, default_max: int) -> dict[str, Any]:
    """The sampling arguments of a chat completion request, or RequestError naming the field."""
    if not isinstance(body, dict):
        raise RequestError("the body must be a JSON object")
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs or not all(
            isinstance(m, dict) and isinstance(m.get("role"), str) and isinstance(m.get("content"), str)
            for m in msgs):
        raise RequestError("'messages' must be a non-empty list of {role, content} objects with string content")
    if body.get("stream"):
        raise RequestError("'stream' is not supported by this server")
    if body.get("n", 1) != 1:
        raise RequestError("'n' must be 1 on this server")
    max_tokens = next((body[k] for k in ("max_tokens", "max_completion_tokens") if body.get(k) is not None),
                      default_max)
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise RequestError("'max_tokens' must be a positive integer")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise RequestError("'seed' must be an integer")
    stop = body.get("stop") or []
    stop = [stop] if isinstance(stop, str) else stop
    if not isinstance(stop, list) or not all(isinstance(s, str) and s for s in stop):
        raise RequestError("'stop' must be a string or a list of non-empty strings")
    return {"messages": msgs, "max_tokens": max_tokens, "seed": None if seed is None else abs(seed),
            "temperature": _float(body, "temperature", 0.8, 0, 2), "top_p": _float(body, "top_p", 0.95, 1e-9, 1),
            "stop": stop}


def make_handler(engine: Engine, alias: str, default_max: int):
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args) -> None:  # no access log: the parent keeps only our errors
            pass

        def _send(self, code: int, payload: dict) -> None:
            data = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _error(self, code: int, message: str, kind: str = "invalid_request_error") -> None:
            self._send(code, {"error": {"message": message, "type": kind, "code": code}})

        def do_GET(self) -> None:
            if self.path.rstrip("/") == "/v1/models":
                return self._send(200, {"object": "list", "data": [{"id": alias, "object": "model",
                                                                    "owned_by": "codesynth"}]})
            self._error(404, f"no route {self.path}", "not_found_error")

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path.rstrip("/") != "/v1/chat/completions":
                return self._error(404, f"no route {self.path}", "not_found_error")
            try:
                body = json.loads(raw)
            except ValueError as e:
                return self._error(400, f"the body is not JSON: {e}")
            try:
                args = parse_request(body, default_max)
                if body.get("model") not in (None, alias):
                    return self._error(404, f"model '{body.get('model')}' is not served here (only '{alias}')",
                                       "not_found_error")
                with lock:
                    r = engine.complete(**args)
            except RequestError as e:
                return self._error(400, str(e))
            self._send(200, {
                "id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion", "created": int(time.time()),
                "model": alias,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": r["text"]},
                             "finish_reason": r["finish_reason"]}],
                "usage": {"prompt_tokens": r["prompt_tokens"], "completion_tokens": r["completion_tokens"],
                          "total_tokens": r["prompt_tokens"] + r["completion_tokens"]},
            })

    return Handler


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m codesynth.generators.local_server")
    ap.add_argument("--model", required=True)
    ap.add_argument("--model_alias", required=True)
    ap.add_argument("--host", default="127.0.0.1", choices=["127.0.0.1"], help="loopback only")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--n_ctx", type=int, default=2048)
    ap.add_argument("--n_threads", type=int, default=1)
    ap.add_argument("--max_tokens", type=int, default=512)
    a = ap.parse_args(argv)
    engine = Engine(a.model, a.n_ctx, a.n_threads)
    server = ThreadingHTTPServer((a.host, a.port), make_handler(engine, a.model_alias, a.max_tokens))
    server.serve_forever()


if __name__ == "__main__":
    main()
