"""JavaScript: node (`--check` as the compile step), lodash available, console.assert throws.
"""

from __future__ import annotations

import re

from codesynth.languages.base import LangSpec, LanguageSpec
from codesynth.languages.typescript import NODE_ASSERT, NODE_ASSERT_PRELOAD, NODE_OOM, NODE_RUN
from codesynth.languages.typescript import driver as ts_driver
from codesynth.models import Signature


def declaration(sig: Signature) -> str:
    return f"function {sig.name}({', '.join(p.name for p in sig.params)})"


def driver(sig: Signature) -> str:
    ts = ts_driver(sig)
    # The same code without the type annotations (": any", ": string", "as any" ...).
    js = re.sub(r"\)\s*:\s*\(\(\) => any\)", ")", ts)
    js = re.sub(r"\(f: \(\) => any\)", "(f)", js)
    js = re.sub(r":\s*(any\[\]|any|string|\(\(\) => any\))(?=[\s=,);])", "", js)
    js = js.replace(" as any", "").replace("(e: any)", "(e)").replace("let line;", "let line;")
    return js


SPEC = LanguageSpec(
    name="javascript", label="JavaScript", fence_tag="javascript",
    fence_tags=frozenset({"javascript", "js", "node", "nodejs", "mjs", "cjs", "jsx"}), aliases=("js", "nodejs"),
    declaration=declaration, driver=driver,
    solution_rule="Define it as a top-level function. Do not read input or print anything.",
    code_start=re.compile(r"^(function[ *]|async function |const |let |var |class |['\"]use strict|"
                          r"module\.exports|export )"),
    defines=r"\bfunction\s*\*?\s+{n}\b|\b(const|let|var)\s+{n}\s*=",
    toolchain=LangSpec(
        "javascript", ("nodejs", "node-lodash"), "main.js", NODE_RUN,
        compile=["node", "--check", "main.js"],
        address_space_limit=False, oom_markers=NODE_OOM, image_files={NODE_ASSERT_PRELOAD: NODE_ASSERT},
    ),
)
