"""Would a warm runtime pay? Node and the JVM: a fresh process per case vs one long-lived process.

Used by bench/languages.py (`--warm`). In one container of the toolchain image, pinned to one
core with a 1-CPU quota like a pool container, one program at a time:

  fresh   what the pool does: per test case a new `node` / `java` process (the pool's own run
          command and flags), stdin piped in, the results pipe on fd 3.
  warm    one long-lived runtime for all the programs: node runs each case's compiled script in
          a fresh `vm` context (stdin, stdout and fd 3 replaced by in-memory ones); the JVM loads
          each case's classes in a fresh URLClassLoader and calls `main` with System.in/out swapped.

Both are judged by the host with the pool's comparisons (bench/languages.py `bare_correct`).
The warm variants are measurements only: a vm context or a class loader is not an isolation
boundary (a candidate reaches the shared process: `this.constructor.constructor("return
process")()`, static state in the JDK, threads that outlive `main`, `System.exit`), and
neither runtime can fork a warm zygote (V8 and HotSpot are multi-threaded), so the pool keeps
one fresh process per case under the candidate's uid. See the README's "how execution works".
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess

# Runs in the container: compile every program (untimed), then time both ways of running it.
DRIVER = r'''
import json, os, subprocess, sys, time
jobs = json.load(sys.stdin)
lang = sys.argv[1]
WARM_JS = r"""
const vm = require('vm'), fs = require('fs'), util = require('util');
const cases = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const out = [];
for (const c of cases) {
  const src = fs.readFileSync(c.main, 'utf8');
  const t0 = process.hrtime.bigint();
  const so = [], r3 = [], input = Buffer.from(c.input, 'utf8');
  const vfs = {readFileSync: (f, enc) => (f === 0 || f === '/dev/stdin') ? (enc ? input.toString(enc) : input)
                                                                         : fs.readFileSync(f, enc),
               writeSync: (fd, s) => { (fd === 3 ? r3 : so).push(String(s)); }};
  const mod = {exports: {}};
  const ctx = vm.createContext({Buffer, module: mod, exports: mod.exports,
    console: {log: (...a) => so.push(util.format(...a) + '\n'), error: () => {}},
    process: {stdout: {write: (s) => so.push(String(s))}, argv: ['node', 'main.js'], env: {}},
    require: (m) => (m === 'fs' ? vfs : require(m))});
  let error = null;
  try { new vm.Script(src, {filename: 'main.js'}).runInContext(ctx); } catch (e) { error = String(e); }
  out.push({stdout: so.join(''), results: r3.join(''), error, s: Number(process.hrtime.bigint() - t0) / 1e9});
}
fs.writeFileSync(process.argv[3], JSON.stringify(out));
"""
WARM_JAVA = r"""
import java.io.*; import java.net.*; import java.nio.file.*; import java.util.*;
public class Warm {
  public static void main(String[] a) throws Exception {
    PrintStream realOut = System.out; InputStream realIn = System.in;
    RandomAccessFile r3 = new RandomAccessFile(a[1], "r");
    List<String> rows = new ArrayList<>();
    for (String ln : Files.readAllLines(Path.of(a[0]))) {
      String[] f = ln.split("\t");
      byte[] input = Files.readAllBytes(Path.of(f[2]));
      long t0 = System.nanoTime();
      ByteArrayOutputStream bo = new ByteArrayOutputStream();
      System.setIn(new ByteArrayInputStream(input));
      System.setOut(new PrintStream(bo, true, "UTF-8"));
      String err = "";
      try (URLClassLoader cl = new URLClassLoader(new URL[]{Path.of(f[0]).toUri().toURL()},
                                                  ClassLoader.getPlatformClassLoader())) {
        Class.forName(f[1], true, cl).getMethod("main", String[].class).invoke(null, (Object) new String[0]);
      } catch (Throwable e) { err = String.valueOf(e); }
      System.out.flush(); System.setOut(realOut); System.setIn(realIn);
      double s = (System.nanoTime() - t0) / 1e9;
      byte[] res = new byte[(int) (r3.length() - r3.getFilePointer())]; r3.readFully(res);
      Files.write(Path.of(f[3] + ".out"), bo.toByteArray());
      Files.write(Path.of(f[3] + ".res"), res);
      rows.add(s + "\t" + err.replace('\t', ' ').replace('\n', ' '));
    }
    Files.write(Path.of(a[2]), rows);
  }
}
"""
def fill(argv, d, files, mem):
    r = []
    for x in argv:
        if x == "{sources}":
            r += sorted(files)
        else:
            r.append(x.replace("{dir}", d).replace("{cache}", "/scratch").replace("{mem}", str(mem)))
    return r
def fresh_case(argv, d, inp):
    r3, w3 = os.pipe()
    t0 = time.monotonic()
    p = subprocess.Popen(argv, cwd=d, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         pass_fds=(3,), preexec_fn=lambda: os.dup2(w3, 3))
    os.close(w3)
    so, _ = p.communicate(inp.encode())
    res = b""
    while True:
        b = os.read(r3, 1 << 16)
        if not b:
            break
        res += b
    os.close(r3)
    return {"stdout": so.decode("utf-8", "replace"), "results": res.decode("utf-8", "replace"),
            "exit_code": p.returncode, "s": time.monotonic() - t0}
cases = []
fresh = []
for k, j in enumerate(jobs):
    d = f"/scratch/p{k}"
    os.makedirs(d)
    for n, t in j["files"].items():
        open(os.path.join(d, n), "w").write(t)
    h = j["lang"]
    c = subprocess.run(fill(h["compile"], d, j["files"], 512), cwd=d, capture_output=True)
    if c.returncode != 0:
        sys.exit(f"compile failed: {c.stderr.decode()[-500:]}")
    argv = fill(h["run"], d, j["files"], 512)
    fresh.append([fresh_case(argv, d, inp) for inp in j["inputs"]])
    for i, inp in enumerate(j["inputs"]):
        cases.append({"job": k, "dir": d, "main": os.path.join(d, "main.js"), "input": inp, "cls": j["main_class"]})
t0 = time.monotonic()
if lang in ("javascript", "typescript"):
    json.dump(cases, open("/scratch/cases.json", "w"))
    open("/scratch/warm.js", "w").write(WARM_JS)
    subprocess.run(["node", "--max-old-space-size=512", "--stack-size=8000", "/scratch/warm.js",
                    "/scratch/cases.json", "/scratch/warm.json"], check=True)
    warm = json.load(open("/scratch/warm.json"))
else:
    os.makedirs("/scratch/w", exist_ok=True)
    open("/scratch/w/Warm.java", "w").write(WARM_JAVA)
    subprocess.run(["javac", "-d", "/scratch/w", "/scratch/w/Warm.java"], check=True)
    t0 = time.monotonic()
    with open("/scratch/cases.tsv", "w") as fh:
        for i, c in enumerate(cases):
            open(f"/scratch/in{i}", "w").write(c["input"])
            fh.write(f"{c['dir']}\t{c['cls']}\t/scratch/in{i}\t/scratch/o{i}\n")
    fd = os.open("/scratch/r3", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    jvm = [a for a in jobs[0]["lang"]["run"] if a not in ("-cp",) and "{dir}" not in a][:-1]
    subprocess.run([*fill(jvm, "/scratch", {}, 512), "-cp", "/scratch/w", "Warm", "/scratch/cases.tsv",
                    "/scratch/r3", "/scratch/times.tsv"], check=True, pass_fds=(3,),
                   preexec_fn=lambda: os.dup2(fd, 3))
    rows = open("/scratch/times.tsv").read().splitlines()
    warm = []
    for i, row in enumerate(rows):
        s, err = row.split("\t", 1)
        warm.append({"stdout": open(f"/scratch/o{i}.out", encoding="utf-8", errors="replace").read(),
                     "results": open(f"/scratch/o{i}.res", encoding="utf-8", errors="replace").read(),
                     "error": err or None, "s": float(s)})
warm_total = time.monotonic() - t0
per_job = [[] for _ in jobs]
for c, w in zip(cases, warm):
    per_job[c["job"]].append(w)
json.dump({"fresh": fresh, "warm": per_job, "warm_total_s": warm_total}, sys.stdout)
'''


def measure(image: str, jobs: list[dict], lang: str) -> dict:
    """Run DRIVER in one container; returns the raw per-case outputs and timings."""
    cmd = ["docker", "run", "--rm", "-i", "--network", "none", "--read-only", "--tmpfs", "/scratch:exec,size=1g",
           "--tmpfs", "/tmp:size=64m", "--cpus", "1", "--cpuset-cpus", "0",
           "--label", "codesynth=1", "--label", "codesynth.run=bench-warm",
           "--label", f"codesynth.owner={socket.gethostname()}:{os.getpid()}",
           "-w", "/scratch", image, "python3", "-c", DRIVER, lang]
    proc = subprocess.run(cmd, input=json.dumps(jobs), capture_output=True, text=True, timeout=3600)
    if proc.returncode != 0:
        raise SystemExit(f"warm-runtime measurement ({lang}) failed: {proc.stderr[-1500:]}")
    return json.loads(proc.stdout)


def summarize(got: dict, correct) -> dict:
    """Per-case p50 and totals of both ways; `correct(i, runs)` judges program i's runs."""
    fresh = [c["s"] for runs in got["fresh"] for c in runs]
    warm = [c["s"] for runs in got["warm"] for c in runs]
    ok_fresh = all(correct(i, runs) for i, runs in enumerate(got["fresh"]))
    ok_warm = all(correct(i, [{**c, "exit_code": 0 if not c.get("error") else 1} for c in runs])
                  for i, runs in enumerate(got["warm"]))
    return {"cases": len(fresh), "fresh_p50_ms": 1000 * statistics.median(fresh), "fresh_total_s": sum(fresh),
            "warm_p50_ms": 1000 * statistics.median(warm), "warm_total_s": got["warm_total_s"],
            "speedup": sum(fresh) / got["warm_total_s"], "fresh_valid": ok_fresh, "warm_valid": ok_warm}
