"""C++: g++ `-O2 -std=gnu++17` with precompiled standard headers, asserts always on.
"""

from __future__ import annotations

import re
from pathlib import Path

from codesynth.languages.base import LangSpec, LanguageSpec, flat, list_types, signature_types, spelled
from codesynth.languages.c import _C_LIKE_START, ASSERT_H, ASSERT_INCLUDE_DIR
from codesynth.models import Signature

CPP_SCALAR = {"int": "long long", "float": "double", "bool": "bool", "str": "std::string"}
cpp_type = spelled(CPP_SCALAR, lambda x: f"std::vector<{x}>")

# Precompiled standard headers built into the toolchain image (sandbox/lang_image.py). GCC
# looks for `<h>.gch` in each include directory before `<h>`, and uses it only where it is
# valid (the first include, same flags and macros); anywhere else the stub `<h>` next to it is
# read, which is `#include_next <h>`. So the PCH changes how fast a program compiles, never
# whether it does or what it means: a program that forgets `#include <vector>` still fails.
CPP_PCH_DIR = "/opt/codesynth/pch"
CPP_PCH_HEADERS = ("bits/stdc++.h", "iostream", "vector", "string", "algorithm")
CPP_FLAGS = ["-O2", "-std=gnu++17", "-isystem", ASSERT_INCLUDE_DIR]  # the PCH is built with exactly these

# testlib.h (MikeMirzayanov/testlib, MIT; vendored unchanged beside this module, its upstream
# commit in testlib/UPSTREAM) for the checkers, validators and generators competitive-programming
# datasets ship. /usr/local/include is on g++'s default search path, so both `#include
# "testlib.h"` and `#include <testlib.h>` find it with no flag added (the PCH stays valid).
TESTLIB_H_PATH = "/usr/local/include/testlib.h"
TESTLIB_H = (Path(__file__).parent / "testlib" / "testlib.h").read_text(encoding="ascii")


def declaration(sig: Signature) -> str:
    params, ret = signature_types(sig)
    args = ", ".join(f"{cpp_type(t)} {p.name}" for p, t in zip(sig.params, params, strict=True))
    return f"{cpp_type(ret)} {sig.name}({args})"


# Only the headers the driver needs: <bits/stdc++.h> tripled the compile time.
_CPP_PRE = r'''
#include <cstdio>
#include <exception>
#include <iostream>
#include <iterator>
#include <new>
#include <string>
#include <vector>
#include <unistd.h>
namespace cs_driver {
static std::string b; static size_t p = 0;
static void ws() { while (p < b.size() && (b[p] == ' ' || b[p] == '\n' || b[p] == '\t' || b[p] == '\r')) p++; }
static std::string tok() { ws(); size_t s = p; while (p < b.size() && b[p] != ' ' && b[p] != '\n' && b[p] != '\t' && b[p] != '\r' && b[p] != ':') p++; return b.substr(s, p - s); }
static long long r_int() { return std::stoll(tok()); }
static double r_float() { return std::stod(tok()); }
static bool r_bool() { return tok() == "1"; }
static std::string r_str() { size_t n = std::stoull(tok()); p++; std::string s = b.substr(p, n); p += n; return s; }
static void w_int(std::string &o, long long v) { o += std::to_string(v); }
static void w_float(std::string &o, double v) { char t[40]; snprintf(t, sizeof t, "%.17g", v); o += t; }
static void w_bool(std::string &o, bool v) { o += v ? "true" : "false"; }
static void w_str(std::string &o, const std::string &s) {
  o += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') { o += '\\'; o += (char)c; }
    else if (c < 0x20) { char t[8]; snprintf(t, sizeof t, "\\u%04x", c); o += t; }
    else o += (char)c;
  }
  o += '"';
}
'''


def driver(sig: Signature) -> str:
    params, ret = signature_types(sig)
    out = [_CPP_PRE]
    for t in list_types([*params, ret]):
        f, inner = flat(t), flat(t[1])
        conv = "(long long)" if t[1][0] == "int" else "(double)" if t[1][0] == "float" else "(bool)" \
            if t[1][0] == "bool" else ""
        out.append(f"static {cpp_type(t)} r_{f}() {{ size_t n = std::stoull(tok()); {cpp_type(t)} a; "
                   f"for (size_t i = 0; i < n; i++) a.push_back(r_{inner}()); return a; }}")
        out.append(f"template <class V> static void w_{f}(std::string &o, const V &v) {{ o += '['; bool first = true; "
                   f"for (const auto &x : v) {{ if (!first) o += ','; first = false; w_{inner}(o, {conv}(x)); }} "
                   "o += ']'; }")
    out.append("}  // namespace cs_driver")
    rconv = {"int": "(long long)", "float": "(double)", "bool": "(bool)", "str": "std::string"}.get(ret[0], "")
    args = ", ".join(f"a{i}" for i in range(len(params)))
    out += ["int main() {", "  using namespace cs_driver;", "  std::ios::sync_with_stdio(false);",
            "  b.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());",
            "  long long calls = r_int();", "  for (long long ci = 0; ci < calls; ci++) {"]
    for i, t in enumerate(params):
        out.append(f"    auto a{i} = r_{flat(t)}();")
    out += ["    std::string o;", "    try {",
            f"      auto v = {sig.name}({args});", "      o = \"= \";",
            f"      w_{flat(ret)}(o, {rconv}(v));" if ret[0] != "list" else f"      w_{flat(ret)}(o, v);",
            "    } catch (const std::bad_alloc &) { throw; }",
            "    catch (const std::exception &e) { o = std::string(\"! \") + e.what(); }",
            "    catch (...) { o = \"! exception\"; }",
            "    for (auto &c : o) if (c == '\\n') c = ' ';", "    o += '\\n';", "    std::cout.flush(); fflush(stdout);",
            "    for (size_t off = 0; off < o.size();) { ssize_t k = write(3, o.data() + off, o.size() - off);"
            " if (k <= 0) return 1; off += (size_t)k; }",
            "  }", "  return 0;", "}", ""]
    return "\n".join(out)


SPEC = LanguageSpec(
    name="cpp", label="C++", fence_tag="cpp",
    fence_tags=frozenset({"cpp", "c++", "cxx", "cc", "hpp", "h++", "cplusplus", "c++17", "c++20"}),
    accepts=("c",), aliases=("c++",),
    compiles=True, declaration=declaration, driver=driver,
    solution_rule="Include the headers you use. Do not write a main function.",
    code_start=re.compile(rf"^({_C_LIKE_START}using |template|class |namespace |auto |std::|"
                          r"[A-Za-z_][\w:<>, ]*[\s*&]+[A-Za-z_]\w*\s*\([^)]*\)\s*(const\s*)?\{\s*$)"),
    toolchain=LangSpec(
        "cpp", ("g++",), "main.cpp", ["{dir}/main"],
        compile=["g++", *CPP_FLAGS, "-pipe", "-o", "main", "main.cpp"],
        oom_markers=("std::bad_alloc",), compile_speedups=("-isystem", CPP_PCH_DIR),
        # Each `<h>` gets a stub `#include_next <h>` (what GCC reads wherever the PCH does not
        # apply) and `<h>.gch` built from that stub with the pool's own flags.
        image_files={f"{ASSERT_INCLUDE_DIR}/assert.h": ASSERT_H, TESTLIB_H_PATH: TESTLIB_H,
                     **{f"{CPP_PCH_DIR}/{h}": f"#include_next <{h}>\n" for h in CPP_PCH_HEADERS}},
        image_commands=tuple((f"g++ (precompiling <{h}>)", ["g++", *CPP_FLAGS, "-isystem", CPP_PCH_DIR, "-x",
                                                            "c++-header", f"{CPP_PCH_DIR}/{h}", "-o",
                                                            f"{CPP_PCH_DIR}/{h}.gch"], {})
                             for h in CPP_PCH_HEADERS),
    ),
)
