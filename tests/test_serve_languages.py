"""`POST /run_code` in every language, as SandboxFusion answers it: one real uvicorn server over
one real toolchain pool (the image `codesynth sandbox build --languages all` makes), called
with the real `sandbox-fusion` client.

SandboxFusion's shape (sandbox/server/sandbox_api.py, sandbox/runners/major.py): compiled
languages carry `compile_result`; a compile error or compile timeout leaves `run_result`
null and the status `Failed`; languages it runs from source (python, nodejs, typescript)
have no `compile_result`, their syntax errors are the run's exit code 1.
"""

from __future__ import annotations

import base64
import os
import secrets

import pytest
import requests
from helpers import run_cli
from sandbox_fusion import RunCodeRequest, RunStatus, SummaryMapping, run_code, summary_run_code_result
from test_serve import b64, serving

from codesynth.models import LANGUAGES, Limits

COMPILED = {"c", "cpp", "go", "java", "rust"}
#: How the client itself reads an answer (it raises on shapes it calls invalid).
SUMMARY = SummaryMapping(CompileFailed="CompileFailed", CompileTimeout="CompileTimeout", RunFailed="RunFailed",
                         RunTimeout="RunTimeout")
LIM = Limits(timeout_s=5, memory_mb=512, output_bytes=1 << 20)

#: Per language: `echo` prints "echo:" + its first stdin line; `exit3` writes to stdout and
#: stderr, then exits 3; `loop` never ends; `broken` does not compile (or parse).
PROGRAMS = {
    "python": {
        "echo": "print('echo:' + input())\n",
        "broken": "def f(:\n",
        "exit3": "import sys\nprint('out')\nprint('err', file=sys.stderr)\nsys.exit(3)\n",
        "loop": "while True:\n    pass\n",
    },
    "c": {
        "echo": "#include <stdio.h>\nint main(void) { char b[256]; if (!fgets(b, sizeof b, stdin)) return 1;\n"
                "  printf(\"echo:%s\", b); return 0; }\n",
        "broken": "int main(void) { return undeclared; }\n",
        "exit3": "#include <stdio.h>\nint main(void) { puts(\"out\"); fputs(\"err\\n\", stderr); return 3; }\n",
        "loop": "int main(void) { volatile int x = 1; while (x) {} return 0; }\n",
    },
    "cpp": {
        "echo": "#include <iostream>\n#include <string>\nint main() { std::string s; std::getline(std::cin, s);\n"
                "  std::cout << \"echo:\" << s << \"\\n\"; }\n",
        "broken": "#include <vector>\nint main() { std::vector<int> v = 1; }\n",
        "exit3": "#include <iostream>\nint main() { std::cout << \"out\\n\"; std::cerr << \"err\\n\"; return 3; }\n",
        "loop": "int main() { volatile int x = 1; while (x) {} }\n",
    },
    "java": {
        "echo": "import java.io.*;\npublic class Main { public static void main(String[] a) throws IOException {\n"
                "  System.out.println(\"echo:\" + new BufferedReader(new InputStreamReader(System.in)).readLine()); } }\n",
        "broken": "public class Main { public static void main(String[] a) { int x = \"no\"; } }\n",
        "exit3": "public class Main { public static void main(String[] a) { System.out.println(\"out\");\n"
                 "  System.err.println(\"err\"); System.exit(3); } }\n",
        "loop": "public class Main { public static void main(String[] a) { while (true) {} } }\n",
    },
    "javascript": {
        "echo": "const s = require('fs').readFileSync(0, 'utf8').split('\\n')[0];\nconsole.log('echo:' + s);\n",
        "broken": "console.log((;\n",
        "exit3": "console.log('out');\nconsole.error('err');\nprocess.exit(3);\n",
        "loop": "for (;;) {}\n",
    },
    "typescript": {
        "echo": "import * as fs from 'fs';\nconst s: string = fs.readFileSync(0, 'utf8').split('\\n')[0];\n"
                "console.log('echo:' + s);\n",
        "broken": "const x: number = (;\n",
        "exit3": "console.log('out');\nconsole.error('err');\nprocess.exit(3);\n",
        "loop": "for (;;) {}\n",
    },
    "go": {
        "echo": "package main\nimport (\"bufio\"; \"fmt\"; \"os\")\nfunc main() { r := bufio.NewReader(os.Stdin)\n"
                "  s, _ := r.ReadString('\\n'); fmt.Print(\"echo:\" + s) }\n",
        "broken": "package main\nfunc main() { x := 1 }\n",
        "exit3": "package main\nimport (\"fmt\"; \"os\")\nfunc main() { fmt.Println(\"out\"); "
                 "fmt.Fprintln(os.Stderr, \"err\"); os.Exit(3) }\n",
        "loop": "package main\nfunc main() { for {} }\n",
    },
    "rust": {
        "echo": "use std::io::BufRead;\nfn main() { let mut s = String::new();\n"
                "  std::io::stdin().lock().read_line(&mut s).unwrap(); print!(\"echo:{}\", s); }\n",
        "broken": "fn main() { let x: i32 = \"no\"; }\n",
        "exit3": "fn main() { println!(\"out\"); eprintln!(\"err\"); std::process::exit(3); }\n",
        "loop": "fn main() { loop { std::hint::black_box(0); } }\n",
    },
}


def request(lang: str, code: str, **kw) -> RunCodeRequest:
    """The client's request. Its `language` field knows SandboxFusion's names only: JavaScript is
    `nodejs` there, and C is not one of them (sent as is, unvalidated, for this server's `c`)."""
    kw.setdefault("compile_timeout", 60)  # a shared 2-core machine: the compile limit is tested on its own
    if lang == "c":
        return RunCodeRequest.construct(code=code, language="c", **kw)  # defaults filled, not validated
    return RunCodeRequest(code=code, language="nodejs" if lang == "javascript" else lang, **kw)


@pytest.fixture(scope="module")
def lang_pool():
    from codesynth.sandbox.docker import engine, lang_image
    from codesynth.sandbox.docker.backend import DockerBackend

    engine.ensure_engine(install=True)
    image = lang_image.ensure_image(set(LANGUAGES), build="toolchains")
    b = DockerBackend(workers=1, limits=LIM, image=image, run_id=f"pyserl{os.getpid()}", languages=set(LANGUAGES))
    b.start()
    yield b
    b.close()


@pytest.fixture(scope="module")
def lang_url(lang_pool):
    with serving(lang_pool, languages=tuple(LANGUAGES)) as u:
        yield u


def call(url: str, req: RunCodeRequest):
    return run_code(req, endpoint=url, max_attempts=1, client_timeout=180)


@pytest.mark.docker
@pytest.mark.parametrize("lang", sorted(PROGRAMS))
def test_every_language_as_sandbox_fusion(lang_url, lang):
    p = PROGRAMS[lang]
    compiled = lang in COMPILED

    ok = call(lang_url, request(lang, p["echo"], stdin=f"hello {lang}\n"))
    assert ok.status == RunStatus.Success, ok
    assert ok.run_result.status == "Finished" and ok.run_result.return_code == 0
    assert ok.run_result.stdout == f"echo:hello {lang}\n"
    assert summary_run_code_result(ok, SUMMARY) == "Success"
    if compiled:
        assert ok.compile_result.status == "Finished" and ok.compile_result.return_code == 0
    else:
        assert ok.compile_result is None
    # the same source again: the compile cache answers (same worker, nothing in between)
    raw = requests.post(lang_url + "/run_code", json={**request(lang, p["echo"], stdin="again\n").dict()},
                        timeout=180).json()
    assert raw["status"] == "Success" and raw["run_result"]["stdout"] == "echo:again\n"
    if lang != "python":
        assert raw["codesynth"]["compile_cached"] is True

    bad = call(lang_url, request(lang, p["broken"]))
    assert bad.status == RunStatus.Failed
    assert summary_run_code_result(bad, SUMMARY) == ("CompileFailed" if compiled else "RunFailed")
    if compiled:
        assert bad.run_result is None and bad.compile_result.status == "Finished"
        assert bad.compile_result.return_code not in (0, None) and "main." in bad.compile_result.stderr.lower()  # names the file
    else:  # what the interpreter says of a syntax error, and its exit code
        assert bad.compile_result is None and bad.run_result.return_code == 1
        assert "error" in bad.run_result.stderr.lower()

    e3 = call(lang_url, request(lang, p["exit3"]))
    assert e3.status == RunStatus.Failed and e3.run_result.status == "Finished"
    assert e3.run_result.return_code == 3
    assert e3.run_result.stdout == "out\n" and e3.run_result.stderr.endswith("err\n")
    assert (e3.compile_result is not None) == compiled
    assert summary_run_code_result(e3, SUMMARY) == "RunFailed"

    t = call(lang_url, request(lang, p["loop"], run_timeout=1))
    assert t.status == RunStatus.Failed and t.run_result.status == "TimeLimitExceeded"
    assert t.run_result.return_code is None
    assert summary_run_code_result(t, SUMMARY) == "RunTimeout"


@pytest.mark.docker
@pytest.mark.parametrize("lang", ["cpp", "java"])
def test_files_in_and_fetch_files_out(lang_url, lang):
    code = {
        "cpp": "#include <fstream>\n#include <iostream>\n#include <string>\n#include <filesystem>\n"
               "int main() { std::ifstream in(\"data/in.txt\"); std::string s; std::getline(in, s);\n"
               "  std::filesystem::create_directories(\"sub\");\n"
               "  std::ofstream(\"sub/out.txt\") << \"got \" << s; std::cout << s.size() << \"\\n\"; }\n",
        "java": "import java.nio.file.*;\npublic class Main { public static void main(String[] a) throws Exception {\n"
                "  String s = Files.readString(Path.of(\"data/in.txt\")).strip();\n"
                "  Files.createDirectories(Path.of(\"sub\"));\n"
                "  Files.writeString(Path.of(\"sub/out.txt\"), \"got \" + s); System.out.println(s.length()); } }\n",
    }[lang]
    r = call(lang_url, request(lang, code, files={"data/in.txt": b64("some input\n")},
                               fetch_files=["sub/out.txt", "absent.txt"]))
    assert r.status == RunStatus.Success, r
    assert r.run_result.stdout == "10\n"
    assert base64.b64decode(r.files["sub/out.txt"]) == b"got some input"
    assert "absent.txt" not in r.files


@pytest.mark.docker
def test_compile_timeout_is_the_requests(lang_url):
    # constant evaluation that takes the compiler minutes (each loop stays under gcc's per-loop
    # limit, which would end it at once with an error); a fresh source, so no cache entry
    slow = (f"// {secrets.token_hex(8)}\nconstexpr long f() {{ long s = 0; for (long i = 0; i < 200000; i++) "
            "for (long j = 0; j < 200000; j++) s += (i ^ j) & 1; return s; }\nconstexpr long x = f();\nint main() { return x == 0; }\n")
    r = call(lang_url, request("cpp", slow, compile_timeout=1))
    assert r.status == RunStatus.Failed and r.run_result is None
    assert r.compile_result.status == "TimeLimitExceeded" and r.compile_result.return_code is None
    assert summary_run_code_result(r, SUMMARY) == "CompileTimeout"
    # and the next program compiles and runs on the same worker
    ok = call(lang_url, request("cpp", PROGRAMS["cpp"]["echo"], stdin="after\n"))
    assert ok.status == RunStatus.Success and ok.run_result.stdout == "echo:after\n"


@pytest.mark.docker
def test_memory_limit_native(lang_url):
    bomb = ("#include <vector>\n#include <cstdio>\nint main() { std::vector<std::vector<char>> keep;\n"
            "  for (int i = 0; i < 4096; i++) keep.emplace_back(1 << 20, 'x'); std::puts(\"survived\"); }\n")
    r = call(lang_url, request("cpp", bomb))
    assert r.status == RunStatus.Failed and r.run_result.status == "Finished"
    assert r.run_result.return_code not in (0, None) and "survived" not in r.run_result.stdout
    raw = requests.post(lang_url + "/run_code", json=request("cpp", bomb).dict(), timeout=180).json()
    assert raw["codesynth"]["status"] == "memory_exceeded"


@pytest.mark.docker
def test_names_and_stats(lang_url):
    st = requests.get(lang_url + "/v1/stats", timeout=10).json()
    assert st["languages"] == sorted(LANGUAGES)
    for name in ("javascript", "js"):  # our name and SandboxFusion's short one
        r = requests.post(lang_url + "/run_code", json={"code": "console.log(6 * 7)", "language": name},
                          timeout=180).json()
        assert r["status"] == "Success" and r["run_result"]["stdout"] == "42\n"
    r = requests.post(lang_url + "/run_code", json={"code": "x", "language": "cobol"}, timeout=60)
    assert r.status_code == 422 and r.json()["message"].startswith("field 'language'")


@pytest.mark.docker
def test_served_is_what_was_asked(lang_pool):
    # a toolchain image with every language, a server asked for cpp only: java is refused (the
    # answers do not depend on which covering image this machine holds)
    with serving(lang_pool, languages=("cpp",)) as u:
        assert requests.get(u + "/v1/stats", timeout=10).json()["languages"] == ["cpp", "python"]
        r = requests.post(u + "/run_code", json={"code": PROGRAMS["java"]["echo"], "language": "java"}, timeout=60)
        assert r.status_code == 422 and "codesynth serve --languages java" in r.json()["message"]
        ok = call(u, request("cpp", PROGRAMS["cpp"]["echo"], stdin="x\n"))
        assert ok.status == RunStatus.Success and ok.run_result.stdout == "echo:x\n"


def test_language_the_image_lacks(docker_backend):
    # the session pool runs the plain Python runner image; a server asked for rust cannot serve it
    # from there either
    with serving(docker_backend, languages=("python", "rust")) as u:
        assert requests.get(u + "/v1/stats", timeout=10).json()["languages"] == ["python"]
        with pytest.raises(Exception) as e:
            call(u, request("rust", PROGRAMS["rust"]["echo"]))
        msg = str(e.value)
        assert "422" in msg and "codesynth serve --languages rust" in msg and docker_backend.image in msg
        ok = call(u, request("python", PROGRAMS["python"]["echo"], stdin="still here\n"))
        assert ok.status == RunStatus.Success and ok.run_result.stdout == "echo:still here\n"


def test_serve_languages_option_is_checked_first():
    r = run_cli("serve", "--languages", "cpp,cobol", "--port", "0")
    # the wording of every option error of every command (tests/test_cli_options.py)
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert r.stderr.startswith("codesynth: error: Invalid value for '--languages': unknown language 'cobol' "
                               "(known: python, c, cpp, java, javascript, typescript, go, rust)")
    r = run_cli("serve", "--languages", "all", "--ray", "auto", "--port", "0")
    assert r.returncode == 2 and "Invalid value for '--languages': not with --ray" in r.stderr


@pytest.mark.docker
def test_typescript_mode_is_a_server_option(lang_pool, lang_url):
    # A type error: tsc (check, the default) fails the run; strip mode (SandboxFusion's tsx
    # behaviour, `codesynth serve --language-mode typescript=strip`) runs it as JavaScript.
    code = "const n: number = 'six' as any as string;\nconsole.log(n + 1);\n"
    checked = call(lang_url, request("typescript", code))
    assert checked.status == RunStatus.Failed and checked.run_result.return_code == 1
    assert "TS2322" in checked.run_result.stderr
    with serving(lang_pool, languages=("typescript",), language_modes={"typescript": "strip"}) as u:
        stripped = call(u, request("typescript", code))
        assert stripped.status == RunStatus.Success and stripped.run_result.stdout == "six1\n"


def test_serve_language_mode_option_is_checked_first():
    r = run_cli("serve", "--language-mode", "typescript=fast", "--port", "0")
    assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1
    assert "Invalid value for '--language-mode'" in r.stderr and "unknown mode 'fast'" in r.stderr
    r = run_cli("serve", "--language-mode", "typescript", "--port", "0")
    assert r.returncode == 2 and "expected LANG=MODE" in r.stderr
