"""Rust: rustc `-O` with debug assertions and overflow checks on (the debug build's semantics).
"""

from __future__ import annotations

import re

from codesynth.languages.base import LangSpec, LanguageSpec, flat, list_types, signature_types, spelled
from codesynth.models import Signature

RS_SCALAR = {"int": "i64", "float": "f64", "bool": "bool", "str": "String"}
rs_type = spelled(RS_SCALAR, lambda x: f"Vec<{x}>")


def declaration(sig: Signature) -> str:
    params, ret = signature_types(sig)
    args = ", ".join(f"{p.name}: {rs_type(t)}" for p, t in zip(sig.params, params, strict=True))
    return f"fn {sig.name}({args}) -> {rs_type(ret)}"


_RS_PRE = r'''
#[allow(dead_code, non_snake_case)]
mod cs_driver {
    use std::io::{Read, Write};
    pub struct R { b: Vec<u8>, p: usize }
    impl R {
        fn ws(&mut self) { while self.p < self.b.len() && matches!(self.b[self.p], b' ' | b'\n' | b'\t' | b'\r') { self.p += 1; } }
        fn tok(&mut self) -> String { self.ws(); let s = self.p; while self.p < self.b.len() && !matches!(self.b[self.p], b' ' | b'\n' | b'\t' | b'\r' | b':') { self.p += 1; } String::from_utf8_lossy(&self.b[s..self.p]).into_owned() }
        pub fn r_int(&mut self) -> i64 { self.tok().parse().unwrap() }
        pub fn r_float(&mut self) -> f64 { self.tok().parse().unwrap() }
        pub fn r_bool(&mut self) -> bool { self.tok() == "1" }
        pub fn r_str(&mut self) -> String { let n: usize = self.tok().parse().unwrap(); self.p += 1; let s = String::from_utf8_lossy(&self.b[self.p..self.p + n]).into_owned(); self.p += n; s }
__LIST_READERS__
    }
    fn w_int(o: &mut String, v: &i64) { o.push_str(&v.to_string()); }
    fn w_float(o: &mut String, v: &f64) { if v.is_finite() { o.push_str(&format!("{:?}", v)); } else { o.push_str("null"); } }
    fn w_bool(o: &mut String, v: &bool) { o.push_str(if *v { "true" } else { "false" }); }
    fn w_str(o: &mut String, v: &String) {
        o.push('"');
        for c in v.chars() {
            match c {
                '"' => o.push_str("\\\""),
                '\\' => o.push_str("\\\\"),
                c if (c as u32) < 0x20 => o.push_str(&format!("\\u{:04x}", c as u32)),
                c => o.push(c),
            }
        }
        o.push('"');
    }
__LIST_WRITERS__
    pub fn main() {
        let mut b = Vec::new();
        std::io::stdin().read_to_end(&mut b).unwrap();
        let mut r = R { b, p: 0 };
        // fd 3 is the results pipe the supervisor gave us (reopening /proc/self/fd/3 is not allowed).
        let mut res = unsafe { <std::fs::File as std::os::unix::io::FromRawFd>::from_raw_fd(3) };
        let calls = r.r_int();
        for _ in 0..calls {
__CALL__
            let mut line = match got {
                Ok(v) => { let mut o = String::from("= "); __WRITE__(&mut o, &v); o }
                Err(e) => {
                    let m = e.downcast_ref::<&str>().map(|s| s.to_string())
                        .or_else(|| e.downcast_ref::<String>().cloned()).unwrap_or_else(|| "panic".to_string());
                    format!("! panic: {}", m.replace('\n', " "))
                }
            };
            line.push('\n');
            std::io::stdout().flush().ok();
            res.write_all(line.as_bytes()).unwrap();
        }
    }
}

fn main() { cs_driver::main() }
'''


def driver(sig: Signature) -> str:
    params, ret = signature_types(sig)
    readers, writers = [], []
    for t in list_types([*params, ret]):
        f, inner, rt = flat(t), flat(t[1]), rs_type(t)
        readers.append(f"        pub fn r_{f}(&mut self) -> {rt} {{ let n = self.r_int(); "
                       f"(0..n).map(|_| self.r_{inner}()).collect() }}")
        writers.append(f"    fn w_{f}(o: &mut String, v: &{rt}) {{ o.push('['); for (i, x) in v.iter().enumerate() "
                       f"{{ if i > 0 {{ o.push(','); }} w_{inner}(o, x); }} o.push(']'); }}")
    call = [f"            let a{i} = r.r_{flat(t)}();" for i, t in enumerate(params)]
    args = ", ".join(f"a{i}" for i in range(len(params)))
    call.append(f"            let got = std::panic::catch_unwind(move || super::{sig.name}({args}));")
    return (_RS_PRE.replace("__LIST_READERS__", "\n".join(readers)).replace("__LIST_WRITERS__", "\n".join(writers))
            .replace("__CALL__", "\n".join(call)).replace("__WRITE__", f"w_{flat(ret)}"))


SPEC = LanguageSpec(
    name="rust", label="Rust", fence_tag="rust", fence_tags=frozenset({"rust", "rs"}), aliases=("rs",),
    compiles=True, declaration=declaration, driver=driver,
    solution_rule="Use only the standard library. Do not write a main function.",
    code_start=re.compile(r"^(use |fn |pub |struct |enum |impl |mod |const |static |#\[|trait |type )"),
    defines=r"\bfn\s+{n}\b",
    toolchain=LangSpec(
        "rust", ("rustc",), "main.rs", ["{dir}/main"],
        # optimized, with debug assertions and overflow checks kept: the semantics of the debug
        # build the field's Rust tests are written against (`debug_assert!` runs, overflow panics)
        compile=["rustc", "-O", "--edition", "2021", "-C", "debuginfo=0", "-C", "debug-assertions=on",
                 "-C", "overflow-checks=on", "-o", "main", "main.rs"],
        oom_markers=("memory allocation of",),
    ),
)
