"""The bundled model's decode speed: the prebuilt runtime (ik-llama-cpp-python behind
`local_server.Engine`) against llama-cpp-python (the source-built fallback), in one run.

Both load the same GGUF with the same thread count and context, each in a child process of its
own (both ship a `libggml.so`; one process must not load the two); each round asks both the
same prompts with the same sampling (seeded), alternating which goes first; tokens/s is
completion tokens over the wall time of the round's requests (model load excluded). Prints each round, the medians and the ratio
prebuilt / llama-cpp-python. Needs both runtimes importable in this interpreter
(`codesynth model setup` installs the prebuilt one; llama-cpp-python from an earlier build).

    python bench/local_runtime.py [--rounds 3] [--threads 1] [--max-tokens 128] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from codesynth.generators.local_model import bundled_model_path
from codesynth.generators.local_server import Engine

PROMPTS = [
    "Complete this Python function:\ndef add(a, b):\n    \"\"\"Return a + b.\"\"\"\nReply with the whole function.",
    "Write a Python function is_palindrome(s) that ignores case.",
    "Write a Python function that returns the n-th Fibonacci number.",
    "Explain what a Python list comprehension is, with an example.",
]


def side(name: str, threads: int, max_tokens: int) -> None:
    """One round of one runtime, in this (child) process: prints {"tokens": n, "seconds": s}."""
    path = str(bundled_model_path())
    if name == "prebuilt":
        eng = Engine(path, 2048, threads)

        def ask(i: int, msgs) -> int:
            return eng.complete(msgs, max_tokens, 0.7, 0.95, i, [])["completion_tokens"]
    else:
        import llama_cpp

        llm = llama_cpp.Llama(path, n_ctx=2048, n_threads=threads, verbose=False)

        def ask(i: int, msgs) -> int:
            r = llm.create_chat_completion(messages=msgs, max_tokens=max_tokens, temperature=0.7, top_p=0.95, seed=i)
            return r["usage"]["completion_tokens"]

    t0, n = time.perf_counter(), 0
    for i, p in enumerate(PROMPTS):
        n += ask(i, [{"role": "user", "content": p}])
    print(json.dumps({"tokens": n, "seconds": time.perf_counter() - t0}), flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--max-tokens", type=int, default=128)
    ap.add_argument("--json")
    ap.add_argument("--side", choices=["prebuilt", "llama-cpp-python"], help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.side:
        return side(a.side, a.threads, a.max_tokens)
    rates: dict[str, list[float]] = {"prebuilt": [], "llama-cpp-python": []}
    names = list(rates)
    for r in range(a.rounds):
        for name in names if r % 2 == 0 else names[::-1]:
            out = subprocess.run([sys.executable, __file__, "--side", name, "--threads", str(a.threads),
                                  "--max-tokens", str(a.max_tokens)], capture_output=True, text=True, check=True)
            got = json.loads(out.stdout.strip().splitlines()[-1])
            rate = got["tokens"] / got["seconds"]
            rates[name].append(rate)
            print(f"round {r + 1} {name:17s} {got['tokens']:4d} tokens {rate:7.1f} tokens/s", flush=True)
    med = {k: statistics.median(v) for k, v in rates.items()}
    ratio = med["prebuilt"] / med["llama-cpp-python"]
    print(f"median tokens/s: prebuilt {med['prebuilt']:.1f}, llama-cpp-python {med['llama-cpp-python']:.1f}; "
          f"ratio {ratio:.2f}x (load average {os.getloadavg()[0]:.1f})")
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"rounds": rates, "median": med, "ratio": ratio, "threads": a.threads,
                       "max_tokens": a.max_tokens}, f, indent=1)


if __name__ == "__main__":
    main()
