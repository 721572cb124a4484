"""TypeScript: two compile modes, run by node with lodash available.

`check` (the default): tsc type-checks (`--strict`, `esModuleInterop`) and emits JavaScript.
`strip`: esbuild strips the types without checking them (as SandboxFusion's tsx does), in
milliseconds where tsc takes seconds under load. A problem selects one with
`metadata: {"language_mode": "strip"}`; a caller building requests sets `language_mode`.
"""

from __future__ import annotations

import json
import re

from codesynth.languages.base import LangSpec, LanguageSpec, signature_types, spelled
from codesynth.models import Signature

TS_SCALAR = {"int": "number", "float": "number", "bool": "boolean", "str": "string"}
ts_type = spelled(TS_SCALAR, lambda x: x + "[]")

# node: a preload that makes a failed `console.assert` throw (by default it only logs, so a
# test written with it could never fail); written into the image by sandbox/lang_image.py.
NODE_ASSERT_PRELOAD = "/opt/codesynth/node-assert.js"
# Debian's node modules (lodash, its typings, node's typings) live here.
NODE_MODULES = "/usr/share/nodejs"
NODE_ASSERT = """'use strict';
const assert = require('assert');
console.assert = function (value, ...message) {
  if (!value) throw new assert.AssertionError({ message: message.length ? message.join(' ') : 'console.assert',
                                                 stackStartFn: console.assert });
};
"""
NODE_RUN = ["node", "--max-old-space-size={mem}", "--stack-size=8000", "--require", NODE_ASSERT_PRELOAD,
            "{dir}/main.js"]
NODE_OOM = ("JavaScript heap out of memory",)

# tsc reads its options from this file (`paths` has no command-line flag): Debian's modules and
# typings resolve by name, `import util from 'util'` works (esModuleInterop), and the bundled
# typings are trusted (checking them took most of tsc's time).
TSCONFIG = json.dumps({
    "compilerOptions": {
        "target": "es2020", "module": "commonjs", "lib": ["es2020"], "strict": True, "esModuleInterop": True,
        "noEmitOnError": True, "skipLibCheck": True, "pretty": False, "outDir": ".",
        "typeRoots": [f"{NODE_MODULES}/@types"], "types": ["node"],
        "baseUrl": ".", "paths": {"*": [f"{NODE_MODULES}/*", f"{NODE_MODULES}/@types/*"]},
    },
    "files": ["main.ts"],
}, indent=1)
TSC = ["tsc", "-p", "tsconfig.json"]
ESBUILD = ["esbuild", "main.ts", "--outfile=main.js", "--format=cjs", "--platform=node", "--target=es2020",
           "--log-level=error"]


def declaration(sig: Signature) -> str:
    params, ret = signature_types(sig)
    args = ", ".join(f"{p.name}: {ts_type(t)}" for p, t in zip(sig.params, params, strict=True))
    return f"function {sig.name}({args}): {ts_type(ret)}"


_JS = r'''
;(function () {
  const fs = require("fs");
  const b: any = fs.readFileSync(0);
  let p = 0;
  const tok = (): string => {
    while (p < b.length && (b[p] === 32 || b[p] === 10 || b[p] === 9 || b[p] === 13)) p++;
    const s = p;
    while (p < b.length && b[p] !== 32 && b[p] !== 10 && b[p] !== 9 && b[p] !== 13 && b[p] !== 58) p++;
    return b.toString("latin1", s, p);
  };
  const rInt = (): any => Number(tok());
  const rFloat = (): any => Number(tok());
  const rBool = (): any => tok() === "1";
  const rStr = (): any => { const n = Number(tok()); const s = p + 1; p = s + n; return b.toString("utf8", s, s + n); };
  const rList = (f: () => any) => (): any => { const n = Number(tok()); const a: any[] = []; for (let i = 0; i < n; i++) a.push(f()); return a; };
  const conv = (t: any, v: any): any => {
    if (t[0] === "list") {
      if (!Array.isArray(v)) throw new TypeError("returned " + typeof v + ", expected an array");
      return v.map((x: any) => conv(t[1], x));
    }
    if ((t[0] === "int" || t[0] === "float") && typeof v !== "number") throw new TypeError("returned " + typeof v + ", expected a number");
    if (t[0] === "int" && !Number.isInteger(v)) throw new TypeError("returned " + v + ", expected an integer");
    if (t[0] === "bool" && typeof v !== "boolean") throw new TypeError("returned " + typeof v + ", expected a boolean");
    if (t[0] === "str" && typeof v !== "string") throw new TypeError("returned " + typeof v + ", expected a string");
    return v;
  };
  const reader = (t: any): (() => any) => t[0] === "list" ? rList(reader(t[1])) : ({ int: rInt, float: rFloat, bool: rBool, str: rStr } as any)[t[0]];
  const [params, ret]: any = __CS_TYPES__;
  const readers = params.map(reader);
  const fn: any = __CS_NAME__;
  const n = rInt();
  for (let i = 0; i < n; i++) {
    const args = readers.map((r: any) => r());
    let line: string;
    try {
      line = "= " + JSON.stringify(conv(ret, fn(...args)));
    } catch (e: any) {
      if (e instanceof RangeError && /memory/i.test(String(e.message))) throw e;
      line = "! " + String(e && e.name ? e.name + ": " + e.message : e).replace(/\n/g, " ").slice(0, 300);
    }
    fs.writeSync(3, line + "\n");
  }
})();
'''


def _jsonable_types(sig: Signature) -> str:
    params, ret = signature_types(sig)
    return json.dumps([params, ret])


def driver(sig: Signature) -> str:
    return _JS.replace("__CS_TYPES__", _jsonable_types(sig)).replace("__CS_NAME__", sig.name)


SPEC = LanguageSpec(
    name="typescript", label="TypeScript", fence_tag="typescript", fence_tags=frozenset({"typescript", "ts", "tsx"}),
    aliases=("ts",), accepts=("javascript",),
    declaration=declaration, driver=driver,
    solution_rule="Define it as a top-level function. Do not read input or print anything.",
    code_start=re.compile(r"^(function[ *]|async function |const |let |var |class |type |interface |"
                          r"export |enum |declare )"),
    defines=r"\bfunction\s*\*?\s+{n}\b|\b(const|let|var)\s+{n}\s*[=:]",
    toolchain=LangSpec(
        "typescript", ("nodejs", "node-typescript", "node-lodash", "esbuild"), "main.ts", NODE_RUN,
        compile=TSC, modes={"strip": ESBUILD}, default_mode="check", extra_files={"tsconfig.json": TSCONFIG},
        image_files={NODE_ASSERT_PRELOAD: NODE_ASSERT},
        address_space_limit=False, oom_markers=NODE_OOM,
    ),
)
