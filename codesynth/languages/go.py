"""Go: `go build` with a prebuilt standard library seeded into each container's cache.

The candidate writes `package main` without `main()`; the driver is a second file.
"""

from __future__ import annotations

import re

from codesynth.languages.base import LangSpec, LanguageSpec, flat, list_types, signature_types, spelled
from codesynth.models import Signature

GO_SCALAR = {"int": "int", "float": "float64", "bool": "bool", "str": "string"}
go_type = spelled(GO_SCALAR, lambda x: "[]" + x)
GO_SEED = "/opt/codesynth/gocache"  # Go's standard library, compiled once at image build
_GO_ENV = {"GOCACHE": "{cache}/gocache", "GOPATH": "{cache}/gopath", "GOTOOLCHAIN": "local",
           "GOFLAGS": "-buildvcs=false", "CGO_ENABLED": "0", "GO111MODULE": "off", "GOMAXPROCS": "2"}


# A Go program importing what solutions commonly use: compiling it at build time fills the
# build cache with the standard library, which each container copies instead of compiling.
_GO_WARM = """package main
import ("bufio"; "encoding/json"; "fmt"; "math"; "os"; "sort"; "strconv"; "strings"; "unicode")
func main() { w := bufio.NewWriter(os.Stdout); defer w.Flush(); b, _ := json.Marshal([]int{1})
fmt.Fprintln(w, string(b), math.Sqrt(2), strconv.Itoa(3), strings.ToUpper("a"), unicode.IsDigit('1'))
sort.Ints([]int{2, 1}) }
"""
_GO_WARM_ENV = {**_GO_ENV, "GOCACHE": GO_SEED, "GOPATH": "/tmp/gopath"}


def declaration(sig: Signature) -> str:
    params, ret = signature_types(sig)
    args = ", ".join(f"{p.name} {go_type(t)}" for p, t in zip(sig.params, params, strict=True))
    return f"package main\n\nfunc {sig.name}({args}) {go_type(ret)}"


def files(spec: LanguageSpec, solution: str, sig: Signature | None, drv: str | None) -> tuple[dict[str, str], str]:
    # package main in both files; the candidate defines no main()
    return ({"main.go": solution} if drv is None else {"main.go": solution, "driver.go": drv}), ""


_GO_PRE = r'''package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
)

var csB []byte
var csP int

func csWs() {
	for csP < len(csB) && (csB[csP] == ' ' || csB[csP] == '\n' || csB[csP] == '\t' || csB[csP] == '\r') {
		csP++
	}
}
func csTok() string {
	csWs()
	s := csP
	for csP < len(csB) && csB[csP] != ' ' && csB[csP] != '\n' && csB[csP] != '\t' && csB[csP] != '\r' && csB[csP] != ':' {
		csP++
	}
	return string(csB[s:csP])
}
func csR_int() int       { v, _ := strconv.ParseInt(csTok(), 10, 64); return int(v) }
func csR_float() float64 { v, _ := strconv.ParseFloat(csTok(), 64); return v }
func csR_bool() bool     { return csTok() == "1" }
func csR_str() string {
	n := csR_int()
	csP++
	s := string(csB[csP : csP+n])
	csP += n
	return s
}
func csW_int(o *[]byte, v int)       { *o = strconv.AppendInt(*o, int64(v), 10) }
func csW_float(o *[]byte, v float64) { *o = strconv.AppendFloat(*o, v, 'g', -1, 64) }
func csW_bool(o *[]byte, v bool)     { *o = strconv.AppendBool(*o, v) }
func csW_str(o *[]byte, v string)    { j, _ := json.Marshal(v); *o = append(*o, j...) }
func csCall(f func(o *[]byte)) (line []byte) {
	defer func() {
		if r := recover(); r != nil {
			line = []byte(fmt.Sprintf("! %v", r))
		}
	}()
	o := []byte("= ")
	f(&o)
	return o
}
'''


def driver(sig: Signature) -> str:
    params, ret = signature_types(sig)
    out = [_GO_PRE]
    for t in list_types([*params, ret]):
        f, inner, gt = flat(t), flat(t[1]), go_type(t)
        out.append(f"func csR_{f}() {gt} {{\n\tn := csR_int()\n\ta := make({gt}, n)\n\tfor i := range a {{\n"
                   f"\t\ta[i] = csR_{inner}()\n\t}}\n\treturn a\n}}")
        out.append(f"func csW_{f}(o *[]byte, v {gt}) {{\n\t*o = append(*o, '[')\n\tfor i, x := range v {{\n"
                   f"\t\tif i > 0 {{\n\t\t\t*o = append(*o, ',')\n\t\t}}\n\t\tcsW_{inner}(o, x)\n\t}}\n"
                   "\t*o = append(*o, ']')\n}")
    args = ", ".join(f"a{i}" for i in range(len(params)))
    out += ["func main() {", "\tcsB, _ = io.ReadAll(os.Stdin)", "\tres := os.NewFile(3, \"results\")",
            "\tcalls := csR_int()", "\tfor ci := 0; ci < calls; ci++ {"]
    for i, t in enumerate(params):
        out.append(f"\t\ta{i} := csR_{flat(t)}()")
    out += [f"\t\tline := csCall(func(o *[]byte) {{ csW_{flat(ret)}(o, {sig.name}({args})) }})",
            "\t\tfor i, c := range line {", "\t\t\tif c == '\\n' {", "\t\t\t\tline[i] = ' '", "\t\t\t}", "\t\t}",
            "\t\tos.Stdout.Sync()",
            # a results pipe the program closed or replaced is a failed run, never a silent exit 0
            "\t\tif _, err := res.Write(append(line, '\\n')); err != nil {", "\t\t\tos.Exit(3)", "\t\t}",
            "\t}", "}", ""]
    return "\n".join(out)


SPEC = LanguageSpec(
    name="go", label="Go", fence_tag="go", fence_tags=frozenset({"go", "golang"}), aliases=("golang",),
    compiles=True, declaration=declaration, driver=driver, files=files,
    solution_rule="Start the file with `package main`; use only the standard library. Do not write a main function.",
    program_rule="Start the file with `package main`.",
    code_start=re.compile(r"^(package |import |func |type |var |const )"),
    defines=r"\bfunc\s+{n}\s*\(",
    toolchain=LangSpec(
        "go", ("golang-go",), "main.go", ["{dir}/main"],
        compile=["go", "build", "-o", "main", "{sources}"],
        address_space_limit=False, compile_env=_GO_ENV, seed=((GO_SEED, "{cache}/gocache"),),
        oom_markers=("runtime: out of memory",), driver_file="driver.go",
        image_files={"/tmp/warm.go": _GO_WARM},
        image_commands=(("go build (warm-up)", ["go", "build", "-o", "/tmp/warm", "/tmp/warm.go"], _GO_WARM_ENV),),
        image_scratch=("/tmp/warm", "/tmp/warm.go", "/tmp/gopath"),
    ),
)
