"""What the richer crossing costs: programs/s on a set whose answers are Counters and
generators, against the same set answering with plain dicts and lists, in one run.

    python bench/rich_values.py [--workers N] [--programs 200] [--rounds 3] [--json FILE]

Both sets run through codesynth's DockerBackend (warm pool, long-lived tester), interleaved
round by round so that load on a shared machine hits both alike; the median round of each is
reported, and their ratio. Every program must pass (they are all correct), else the script
exits 1: the speed of wrong answers means nothing.

Kinds of answers (each set has the same number of each, on the same inputs):
  counter     Counter(s)                       vs  dict(Counter(s))
  generator   a generator of n items, list()   vs  a list of n items
  lazy        an infinite generator, islice()  vs  a list of the first items
  objects     a Stack class used by the tests  vs  functions over a list
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import threading
import time

from codesynth.models import Limits, Status
from codesynth.sandbox.backend import ExecRequest

RICH = {
    "counter": (
        "from collections import Counter\ndef f(s):\n    return Counter(s)\n",
        "def check(candidate):\n    c = candidate({s!r})\n    assert c == {expected!r}\n    assert max(c.values()) == {top}\n",
    ),
    "generator": (
        "def f(n):\n    for i in range(n):\n        yield i * i\n",
        "def check(candidate):\n    assert list(candidate({n})) == [i * i for i in range({n})]\n",
    ),
    "lazy": (
        "def f(k):\n    i = 0\n    while True:\n        yield i * k\n        i += 1\n",
        "import itertools\ndef check(candidate):\n    g = candidate({n})\n    assert next(g) == 0\n"
        "    assert list(itertools.islice(g, 5)) == [{n} * i for i in range(1, 6)]\n",
    ),
    "objects": (
        "class f:\n    def __init__(self):\n        self.xs = []\n    def push(self, x):\n        self.xs.append(x)\n"
        "    def pop(self):\n        return self.xs.pop()\n",
        "def check(candidate):\n    s = candidate()\n    s.push({n})\n    s.push(2)\n    assert s.pop() == 2\n"
        "    assert s.pop() == {n}\n",
    ),
}
PLAIN = {
    "counter": (
        "from collections import Counter\ndef f(s):\n    return dict(Counter(s))\n",
        RICH["counter"][1],
    ),
    "generator": ("def f(n):\n    return [i * i for i in range(n)]\n", RICH["generator"][1]),
    "lazy": (
        "def f(k):\n    return [i * k for i in range(6)]\n",
        "def check(candidate):\n    g = candidate({n})\n    assert g[0] == 0\n    assert g[1:6] == [{n} * i for i in range(1, 6)]\n",
    ),
    "objects": (
        "def f(xs, x=None):\n    if x is None:\n        return xs.pop()\n    xs.append(x)\n",
        "def check(candidate):\n    s = []\n    candidate(s, {n})\n    candidate(s, 2)\n    assert candidate(s) == 2\n"
        "    assert candidate(s) == {n}\n",
    ),
}


def programs(table: dict, n: int) -> list[ExecRequest]:
    from collections import Counter

    out = []
    kinds = sorted(table)
    for i in range(n):
        kind = kinds[i % len(kinds)]
        prog, tests = table[kind]
        s = "".join(chr(97 + (i * 7 + j * 3) % 26) for j in range(20 + i % 30))
        c = Counter(s)
        tests = tests.format(s=s, expected=dict(c), top=c.most_common(1)[0][1], n=50 + i % 50)
        out.append(ExecRequest(candidate_id=f"{kind}-{i}", problem_id=f"{kind}-{i}", kind="function",
                               program=prog, tests=tests, entry_point="f", limits=Limits(timeout_s=10),
                               trusted_tests=True))
    return out


def one_round(backend, reqs: list[ExecRequest], workers: int) -> tuple[float, list[str]]:
    lock = threading.Lock()
    it = iter(reqs)
    bad: list[str] = []

    def worker() -> None:
        while True:
            with lock:
                r = next(it, None)
            if r is None:
                return
            res = backend.execute(r)
            if res.status is not Status.passed:
                with lock:
                    bad.append(f"{r.candidate_id}: {res.status.value} {res.error_type}: {res.error_message}")

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return time.perf_counter() - t0, bad


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--programs", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--json", metavar="FILE", help="also write the numbers as JSON")
    a = ap.parse_args(argv)

    from codesynth.sandbox.docker import engine, image
    from codesynth.sandbox.docker.backend import DockerBackend

    engine.ensure_engine(install=False)
    tag = image.ensure_image(build=True)
    sets = {"plain": programs(PLAIN, a.programs), "rich": programs(RICH, a.programs)}
    backend = DockerBackend(workers=a.workers, limits=Limits(timeout_s=10), image=tag,
                            run_id=f"bench-rich-{secrets.token_hex(3)}")
    backend.start()
    walls: dict[str, list[float]] = {k: [] for k in sets}
    failures: list[str] = []
    try:
        for reqs in sets.values():  # warm-up: both sets once, untimed
            failures += one_round(backend, reqs[: 4 * a.workers], a.workers)[1]
        for r in range(a.rounds):
            for name, reqs in (sets.items() if r % 2 == 0 else reversed(sets.items())):
                wall, bad = one_round(backend, reqs, a.workers)
                walls[name].append(wall)
                failures += bad
                print(f"round {r + 1}/{a.rounds} {name}: {len(reqs) / wall:.1f} programs/s", file=sys.stderr)
    finally:
        backend.close()
    med = {k: statistics.median(v) for k, v in walls.items()}
    rate = {k: a.programs / med[k] for k in med}
    result = {"programs": a.programs, "workers": a.workers, "rounds": a.rounds, "wall_s": walls,
              "programs_per_s": rate, "rich_over_plain": rate["rich"] / rate["plain"], "failures": failures[:20]}
    print(f"{'set':<6} {'programs/s':>11}   (median of {a.rounds} rounds, {a.programs} programs, "
          f"{a.workers} workers)")
    for k in ("plain", "rich"):
        print(f"{k:<6} {rate[k]:>11.1f}")
    print(f"rich / plain = {result['rich_over_plain']:.3f}")
    if failures:
        print(f"INVALID: {len(failures)} program(s) did not pass, e.g. {failures[0]}")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(result, fh, indent=2)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
