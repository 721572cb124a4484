"""Java: javac + the JVM with assertions on (`-ea`) and the javatuples jar on the classpath.

A data-form solution is a static method of `class Solution`; the driver is `public class Main`
in a file of its own. A whole program names its class (`public class X`) or runs as `Main`.
"""

from __future__ import annotations

import re

from codesynth.languages.base import LangSpec, LanguageSpec, flat, list_types, signature_types, spelled
from codesynth.models import Signature

JAVA_SCALAR = {"int": "long", "float": "double", "bool": "boolean", "str": "String"}
java_type = spelled(JAVA_SCALAR, lambda x: x + "[]")

# MultiPL-E's Java prompts start with `import org.javatuples.*;` (SandboxFusion ships the jar).
JAVATUPLES_JAR = "/usr/share/java/javatuples.jar"  # Debian's libjavatuples-java
# javac: a class-data-sharing archive of the compiler's own classes, dumped at image build by a
# javac run with the pool's flags (sandbox/lang_image.py). javac then maps its classes instead
# of loading and verifying them (about 40% of a small compile); the JVM ignores an archive that
# does not match and compiles as before. It holds JDK classes only, and is read-only.
JAVAC_JSA = "/opt/codesynth/javac.jsa"
JAVAC_JVM_FLAGS = ["-J-XX:+UseSerialGC", "-J-XX:TieredStopAtLevel=1", "-J-Xshare:auto", "-J-XX:-UsePerfData",
                   "-J-Xmx512m"]
# The heap flag; a small fixed stack and no perf-data file (its default home, /tmp, is read-only).
_JAVA_RUN = ["java", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-XX:-UsePerfData",
             "-Xmx{mem}m", "-Xss64m", "-XX:ActiveProcessorCount=1",
             # the data-form driver wraps fd 3 (the results pipe) in a FileDescriptor
             "--add-opens=java.base/java.io=ALL-UNNAMED",
             # assertions on: MultiPL-E's Java tests are `assert(...)` statements, which the JVM
             # skips without -ea (a wrong program would pass)
             "-ea", "-cp", "{dir}:" + JAVATUPLES_JAR, "{main_class}"]


# What a javac run touches for a typical program (and the data-form driver): collections,
# Scanner, I/O, reflection. The archive holds the compiler's classes that such a compile loads.
_JAVA_WARM = """import java.io.*;
import java.util.*;
import java.util.stream.*;
public class Main {
    public static void main(String[] args) throws Exception {
        Scanner in = new Scanner(System.in);
        List<Long> xs = new ArrayList<>();
        Map<String, Integer> m = new HashMap<>();
        while (in.hasNextLong()) xs.add(in.nextLong());
        StringBuilder o = new StringBuilder();
        o.append(xs.stream().mapToLong(Long::longValue).sum()).append(String.format("%d", m.size()));
        java.lang.reflect.Field f = FileDescriptor.class.getDeclaredField("fd");
        System.out.println(o + " " + f.getName() + Arrays.toString(new int[] {1}));
    }
}
"""


def declaration(sig: Signature) -> str:
    params, ret = signature_types(sig)
    args = ", ".join(f"{java_type(t)} {p.name}" for p, t in zip(sig.params, params, strict=True))
    return f"class Solution {{\n    static {java_type(ret)} {sig.name}({args})\n}}"


def main_class(program: str) -> str:
    """`public class X` names the file and the class to run; else the class whose body holds
    `main` (MultiPL-E's test programs are `class Problem { ... main ... }`); else `Main`."""
    m = re.search(r"\bpublic\s+(?:final\s+)?class\s+([A-Za-z_$][\w$]*)", program)
    if m:
        return m.group(1)
    at = re.search(r"\bstatic\s+void\s+main\s*\(", program)
    if at:
        before = list(re.finditer(r"\bclass\s+([A-Za-z_$][\w$]*)", program[: at.start()]))
        if before:
            return before[-1].group(1)
    return "Main"


def files(spec: LanguageSpec, solution: str, sig: Signature | None, drv: str | None) -> tuple[dict[str, str], str]:
    if drv is None:
        cls = main_class(solution)
        return {f"{cls}.java": solution}, cls
    # the candidate writes `class Solution`, the driver is `public class Main`
    return {"Solution.java": solution, "Main.java": drv}, "Main"


_JAVA_PRE = r'''import java.io.*;
import java.nio.charset.StandardCharsets;

public class Main {
  static byte[] b; static int p;
  static void ws() { while (p < b.length && (b[p] == ' ' || b[p] == '\n' || b[p] == '\t' || b[p] == '\r')) p++; }
  static String tok() { ws(); int s = p; while (p < b.length && b[p] != ' ' && b[p] != '\n' && b[p] != '\t' && b[p] != '\r' && b[p] != ':') p++; return new String(b, s, p - s, StandardCharsets.ISO_8859_1); }
  static long r_int() { return Long.parseLong(tok()); }
  static double r_float() { return Double.parseDouble(tok()); }
  static boolean r_bool() { return tok().equals("1"); }
  static String r_str() { int n = Integer.parseInt(tok()); p++; String s = new String(b, p, n, StandardCharsets.UTF_8); p += n; return s; }
  static void w_int(StringBuilder o, long v) { o.append(v); }
  static void w_float(StringBuilder o, double v) { o.append(Double.toString(v)); }
  static void w_bool(StringBuilder o, boolean v) { o.append(v ? "true" : "false"); }
  static void w_str(StringBuilder o, String s) {
    if (s == null) { o.append("null"); return; }
    o.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') o.append('\\').append(c);
      else if (c < 0x20) o.append(String.format("\\u%04x", (int) c));
      else o.append(c);
    }
    o.append('"');
  }
'''


def driver(sig: Signature) -> str:
    params, ret = signature_types(sig)
    out = [_JAVA_PRE]
    for t in list_types([*params, ret]):
        f, inner, jt = flat(t), flat(t[1]), java_type(t)
        alloc = jt.replace("[]", "[n]", 1)
        out.append(f"  static {jt} r_{f}() {{ int n = Integer.parseInt(tok()); {jt} a = new {alloc}; "
                   f"for (int i = 0; i < n; i++) a[i] = r_{inner}(); return a; }}")
        out.append(f"  static void w_{f}(StringBuilder o, {jt} v) {{ if (v == null) {{ o.append(\"null\"); return; }} "
                   f"o.append('['); for (int i = 0; i < v.length; i++) {{ if (i > 0) o.append(','); w_{inner}(o, v[i]); }} "
                   "o.append(']'); }")
    args = ", ".join(f"a{i}" for i in range(len(params)))
    out += ["  public static void main(String[] cs_args) throws Exception {",
            "    b = System.in.readAllBytes();",
            # fd 3 is the results pipe; Java has no public way to wrap a descriptor number.
            "    FileDescriptor fd3 = new FileDescriptor();",
            "    java.lang.reflect.Field fdf = FileDescriptor.class.getDeclaredField(\"fd\");",
            "    fdf.setAccessible(true); fdf.setInt(fd3, 3);",
            "    OutputStream res = new FileOutputStream(fd3);",
            "    long calls = r_int();", "    for (long ci = 0; ci < calls; ci++) {"]
    for i, t in enumerate(params):
        out.append(f"      {java_type(t)} a{i} = r_{flat(t)}();")
    out += ["      StringBuilder o = new StringBuilder(\"= \");",
            f"      try {{ w_{flat(ret)}(o, Solution.{sig.name}({args})); }}",
            "      catch (Exception e) { o = new StringBuilder(\"! \").append(String.valueOf(e).replace('\\n', ' ')); }",
            "      System.out.flush();", "      o.append('\\n');",
            "      res.write(o.toString().getBytes(StandardCharsets.UTF_8)); res.flush();",
            "    }", "  }", "}", ""]
    return "\n".join(out)


SPEC = LanguageSpec(
    name="java", label="Java", fence_tag="java", fence_tags=frozenset({"java"}),
    compiles=True, declaration=declaration, driver=driver, files=files,
    solution_rule="Write it as a static method of a (non-public) `class Solution`. Do not write a main method.",
    program_rule="Put `main` in a `public class Main`.",
    code_start=re.compile(r"^(import |package |(public |private |protected |abstract |final |static )*"
                          r"(class|interface|enum|record) )"),
    toolchain=LangSpec(
        "java", ("default-jdk-headless", "libjavatuples-java"), "Main.java", _JAVA_RUN,
        compile=["javac", *JAVAC_JVM_FLAGS, "-encoding", "UTF-8", "-nowarn", "-cp", JAVATUPLES_JAR, "-d", ".",
                 "{sources}"],
        compile_speedups=(f"-J-XX:SharedArchiveFile={JAVAC_JSA}",),
        address_space_limit=False, oom_markers=("java.lang.OutOfMemoryError",), driver_file="Driver.java",
        image_files={"/tmp/javawarm/Main.java": _JAVA_WARM},
        image_commands=(("javac (class archive)", ["javac", *JAVAC_JVM_FLAGS, f"-J-XX:ArchiveClassesAtExit={JAVAC_JSA}",
                                                   "-encoding", "UTF-8", "-nowarn", "-d", "/tmp/javawarm",
                                                   "/tmp/javawarm/Main.java"], {}),),
        image_scratch=("/tmp/javawarm",),
    ),
)
