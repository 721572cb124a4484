"""Generation at the endpoint's speed: `generate solutions --verify` against the raw client, one run.

A fast local OpenAI-compatible endpoint (uvicorn, in a subprocess of its own) answers every
request at once with the canonical HumanEval solution of the problem it is asked about. In
the same run, on the same endpoint:

- baseline: the raw `openai.AsyncOpenAI` client sending the same 1,640 requests (164 problems
  x n=10) at several concurrencies; the best completions/s (where the endpoint saturates) counts;
- codesynth: `generate_solutions(..., n=10, verify=True)` at default settings (adaptive
  concurrency, default sandbox workers, an empty response cache), every completion verified in
  the Docker sandbox as it arrives.

Prints completions/s of both and the ratio codesynth / raw (issue floor: >= 0.9), and checks
that every completion got a verdict.

    python bench/generate_throughput.py [--n 10] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

SERVER = textwrap.dedent('''
    import json, sys, time
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route
    import uvicorn

    answers = json.load(open(sys.argv[2]))  # problem prompt -> canonical program

    async def models(request):
        return JSONResponse({"object": "list", "data": [{"id": "bench-model", "object": "model"}]})

    async def chat(request):
        body = await request.json()
        text = body["messages"][-1]["content"]
        code = next((c for prompt, c in answers.items() if prompt in text), "pass")
        content = "```python\\n" + code + "\\n```"
        return JSONResponse({"id": "x", "object": "chat.completion", "created": int(time.time()),
                             "model": body.get("model"), "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}],
                             "usage": {"prompt_tokens": len(text) // 4, "completion_tokens": len(code) // 4}})

    app = Starlette(routes=[Route("/v1/models", models), Route("/v1/chat/completions", chat, methods=["POST"])])
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
''')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(problems, tmp: Path) -> tuple[subprocess.Popen, str]:
    answers = {p.prompt: p.prompt + p.metadata["canonical_solution"] for p in problems}
    (tmp / "answers.json").write_text(json.dumps(answers))
    (tmp / "server.py").write_text(SERVER)
    port = free_port()
    proc = subprocess.Popen([sys.executable, str(tmp / "server.py"), str(port), str(tmp / "answers.json")])
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, url
        except OSError:
            time.sleep(0.05)
    proc.kill()
    sys.exit("the bench endpoint did not start")


async def raw_client(url: str, messages: list, concurrency: int) -> float:
    import openai

    client = openai.AsyncOpenAI(base_url=url, api_key="EMPTY", max_retries=0)
    sem = asyncio.Semaphore(concurrency)

    async def one(m, i):
        async with sem:
            r = await client.chat.completions.create(model="bench-model", messages=m, temperature=0.8,
                                                     max_tokens=512, seed=i)
            return r.choices[0].message.content

    t0 = time.monotonic()
    out = await asyncio.gather(*(one(m, i) for i, m in enumerate(messages)))
    wall = time.monotonic() - t0
    await client.close()
    assert all(out)
    return len(messages) / wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10, help="samples per problem (164 problems)")
    ap.add_argument("--concurrencies", default="8,16,32,64", help="raw client concurrencies tried")
    ap.add_argument("--json", dest="json_out", default=None)
    args = ap.parse_args()

    from codesynth.config import EndpointConfig, SamplingParams
    from codesynth.generators.cache import ResponseCache
    from codesynth.generators.client import ChatClient
    from codesynth.generators.prompts import solution_messages
    from codesynth.importers import import_humaneval
    from codesynth.pipeline import VerifyConfig
    from codesynth.pipeline.generate import generate_solutions
    from codesynth.rundir import read_run

    problems = import_humaneval()
    with tempfile.TemporaryDirectory(prefix="codesynth-genbench-") as td:
        tmp = Path(td)
        proc, url = start_server(problems, tmp)
        try:
            msgs = [solution_messages(p) for p in problems for _ in range(args.n)]
            raw = {c: asyncio.run(raw_client(url, msgs, c)) for c in map(int, args.concurrencies.split(","))}
            best_c = max(raw, key=raw.get)
            ep = EndpointConfig(base_url=url, model="bench-model")  # defaults: adaptive concurrency
            client = ChatClient(ep, SamplingParams(), ResponseCache(tmp / "cache"))
            t0 = time.monotonic()
            rep = generate_solutions(problems, client, tmp / "run", n=args.n, verify=True,
                                     config=VerifyConfig(progress=False))
            wall = time.monotonic() - t0
            verified = len(read_run(tmp / "run").results)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    total = len(problems) * args.n
    ours = total / wall
    result = {
        "requests": total,
        "raw_completions_per_s": {str(c): round(v, 1) for c, v in raw.items()},
        "raw_best": {"concurrency": best_c, "completions_per_s": round(raw[best_c], 1)},
        "codesynth_completions_per_s": round(ours, 1),
        "codesynth_wall_s": round(wall, 2),
        "verified": verified,
        "passed": rep.counts.get("passed"),
        "adaptive_concurrency_reached": client.governor.limit,
        "ratio_vs_raw": round(ours / raw[best_c], 3),
        "cores": os.cpu_count(),
        "load_avg": os.getloadavg(),
    }
    print(f"raw openai.AsyncOpenAI: {', '.join(f'c={c}: {v:.0f}/s' for c, v in raw.items())} "
          f"(best c={best_c}: {raw[best_c]:.0f} completions/s)")
    print(f"codesynth generate solutions --verify (defaults): {ours:.0f} completions/s, {wall:.1f} s, "
          f"{verified}/{total} verified, {result['passed']} passed, concurrency grew to "
          f"{client.governor.limit}")
    print(f"ratio codesynth / raw: {result['ratio_vs_raw']:.2f}x (floor 0.9x)  load avg {result['load_avg']}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(result, indent=2))
    if verified != total:
        sys.exit(f"only {verified} of {total} completions were verified")


if __name__ == "__main__":
    main()
