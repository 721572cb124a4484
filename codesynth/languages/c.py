"""C: gcc, `-O2 -std=gnu17`, asserts always on (an `assert.h` that undefines NDEBUG).

A list parameter is a pointer plus a length; a list result is returned through `int *out_len`.
Nested lists have no C spelling (NoMapping).
"""

from __future__ import annotations

import re

from codesynth.languages.base import LangSpec, LanguageSpec, NoMapping, signature_types
from codesynth.models import Signature, parse_type

C_SCALAR = {"int": "long long", "float": "double", "bool": "bool", "str": "char *"}
# C/C++: an `assert.h` first on the include path that undefines NDEBUG before the real one, so
# `#define NDEBUG` (in the program or on a command line) cannot switch asserts off (the image
# recipe writes it: sandbox/lang_image.py).
ASSERT_INCLUDE_DIR = "/opt/codesynth/assert"
# No include guard, as the real one has none (each inclusion re-reads NDEBUG).
ASSERT_H = ("/* codesynth: asserts are always on (a program's NDEBUG cannot hide a failing test) */\n"
            "#undef NDEBUG\n#include_next <assert.h>\n")
_C_LIKE_START = (r"#include|#define|#pragma|typedef |struct |enum |union |static |inline |const |unsigned |"
                 r"signed |long |int |double |float |char |bool |void |size_t |")


def check_c(types: list[tuple]) -> None:
    for t in types:
        if t[0] == "list" and t[1][0] == "list":
            raise NoMapping("nested lists have no C mapping; use another language for this problem")


def _c_params(sig: Signature) -> list[str]:
    out = []
    for p in sig.params:
        t = parse_type(p.type)
        if t[0] == "list":
            # `char **`, not `const char **`: the driver passes a `char **`, and C does not convert
            # that implicitly (gcc 14 rejects it)
            el = "char *" if t[1][0] == "str" else "const " + C_SCALAR[t[1][0]] + " "
            out += [f"{el}*{p.name}", f"int {p.name}_len"]
        else:
            out.append(f"const char *{p.name}" if t[0] == "str" else f"{C_SCALAR[t[0]]} {p.name}")
    return out


def declaration(sig: Signature) -> str:
    params, ret = signature_types(sig)
    check_c([*params, ret])
    args = _c_params(sig)
    if ret[0] == "list":
        el = C_SCALAR[ret[1][0]]
        return f"{el}{'' if el.endswith('*') else ' '}*{sig.name}({', '.join([*args, 'int *out_len'])})"
    rt = C_SCALAR[ret[0]]
    return f"{rt}{'' if rt.endswith('*') else ' '}{sig.name}({', '.join(args) or 'void'})"


_C_PRE = r'''
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <unistd.h>

static char *cs__b; static size_t cs__n, cs__p;
static void cs__ws(void) { while (cs__p < cs__n && (cs__b[cs__p] == ' ' || cs__b[cs__p] == '\n' || cs__b[cs__p] == '\t' || cs__b[cs__p] == '\r')) cs__p++; }
static long long cs__r_int(void) { cs__ws(); char *e; long long v = strtoll(cs__b + cs__p, &e, 10); cs__p = e - cs__b; return v; }
static double cs__r_float(void) { cs__ws(); char *e; double v = strtod(cs__b + cs__p, &e); cs__p = e - cs__b; return v; }
static bool cs__r_bool(void) { return cs__r_int() != 0; }
static char *cs__r_str(void) { size_t n = (size_t)cs__r_int(); cs__p++; char *s = malloc(n + 1); memcpy(s, cs__b + cs__p, n); s[n] = 0; cs__p += n; return s; }
static char *cs__o; static size_t cs__on, cs__ocap;
static void cs__put(const char *s, size_t n) { if (cs__on + n + 1 > cs__ocap) { cs__ocap = (cs__on + n + 1) * 2; cs__o = realloc(cs__o, cs__ocap); } memcpy(cs__o + cs__on, s, n); cs__on += n; }
static void cs__w_int(long long v) { char t[32]; cs__put(t, snprintf(t, sizeof t, "%lld", v)); }
static void cs__w_float(double v) { char t[40]; cs__put(t, snprintf(t, sizeof t, "%.17g", v)); }
static void cs__w_bool(bool v) { if (v) cs__put("true", 4); else cs__put("false", 5); }
static void cs__w_str(const char *s) {
  cs__put("\"", 1);
  if (!s) s = "";
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s; char t[8];
    if (c == '"' || c == '\\') { t[0] = '\\'; t[1] = c; cs__put(t, 2); }
    else if (c < 0x20) cs__put(t, snprintf(t, sizeof t, "\\u%04x", c));
    else cs__put((const char *)&c, 1);
  }
  cs__put("\"", 1);
}
'''


def driver(sig: Signature) -> str:
    params, ret = signature_types(sig)
    check_c([*params, ret])
    lines = [_C_PRE, "int main(void) {",
             "  size_t cap = 1 << 16; cs__b = malloc(cap);",
             "  for (;;) { if (cs__n == cap) { cap *= 2; cs__b = realloc(cs__b, cap); }"
             " ssize_t k = read(0, cs__b + cs__n, cap - cs__n); if (k <= 0) break; cs__n += (size_t)k; }",
             "  long long calls = cs__r_int();",
             "  for (long long cs__i = 0; cs__i < calls; cs__i++) {"]
    args = []
    for i, t in enumerate(params):
        if t[0] == "list":
            el = C_SCALAR[t[1][0]]
            lines.append(f"    int a{i}_len = (int)cs__r_int(); {el} *a{i} = malloc(sizeof({el}) * (a{i}_len + 1));")
            lines.append(f"    for (int j = 0; j < a{i}_len; j++) a{i}[j] = cs__r_{t[1][0]}();")
            args += [f"a{i}", f"a{i}_len"]
        else:
            lines.append(f"    {C_SCALAR[t[0]]} a{i} = cs__r_{t[0]}();")
            args.append(f"a{i}")
    lines.append("    cs__on = 0; cs__put(\"= \", 2);")
    if ret[0] == "list":
        el = ret[1][0]
        lines.append(f"    int rn = 0; {C_SCALAR[el]} *r = {sig.name}({', '.join([*args, '&rn'])});")
        lines.append("    cs__put(\"[\", 1); for (int j = 0; j < rn; j++) { if (j) cs__put(\",\", 1);"
                     f" cs__w_{el}(r[j]); }} cs__put(\"]\", 1);")
    else:
        lines.append(f"    cs__w_{ret[0]}({sig.name}({', '.join(args)}));")
    lines += ["    cs__put(\"\\n\", 1); fflush(stdout);",
              "    for (size_t off = 0; off < cs__on;) { ssize_t k = write(3, cs__o + off, cs__on - off);"
              " if (k <= 0) return 1; off += (size_t)k; }",
              "  }", "  return 0;", "}", ""]
    return "\n".join(lines)


SPEC = LanguageSpec(
    name="c", label="C", fence_tag="c", fence_tags=frozenset({"c", "h", "c17", "c99"}),
    compiles=True, declaration=declaration, driver=driver,
    solution_rule="Include the headers you use. Do not write a main function.",
    # or a header line `type name(params) {` (prose does not end in a brace)
    code_start=re.compile(rf"^({_C_LIKE_START}[A-Za-z_][\w ]*[\s*]+[A-Za-z_]\w*\s*\([^)]*\)\s*\{{\s*$)"),
    toolchain=LangSpec(
        "c", ("gcc", "libc6-dev"), "main.c", ["{dir}/main"],
        compile=["gcc", "-O2", "-std=gnu17", "-isystem", ASSERT_INCLUDE_DIR, "-pipe", "-o", "main", "main.c", "-lm"],
        image_files={f"{ASSERT_INCLUDE_DIR}/assert.h": ASSERT_H},
    ),
)
