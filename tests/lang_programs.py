"""The hostile matrix of tests/test_languages.py: for every language, the same ten programs.

Function cells implement `add(a, b)` for the data-form problem ADD; stdin/stdout cells are
whole programs. `writes` prints how many of WRITE_TARGETS it could create (0 expected);
`network` prints the names of the network interfaces it sees (only `lo` expected).
"""

WRITE_TARGETS = ["/etc/evil", "/cache/evil", "/opt/evil", "/tmp/evil", "/usr/evil", "/evil"]
_WT_C = ", ".join(f'"{p}"' for p in WRITE_TARGETS)
_WT_JS = "[" + _WT_C + "]"

PROGRAMS = {
    "python": {
        "correct": "def add(a, b):\n    return a + b\n",
        "wrong": "def add(a, b):\n    return a - b\n",
        "compile_error": "def add(a, b)\n    return a +\n",
        "loop": "def add(a, b):\n    while True:\n        pass\n",
        "forged": "import os\nos.write(3, b'= 3\\n' * 5)\nos._exit(0)\n\ndef add(a, b):\n    return a + b\n",
        "fork_bomb": "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
        "memory_bomb": "keep = []\nwhile True:\n    keep.append(bytearray(1 << 20))\n",
        "flood": "while True:\n    print('x' * 1000)\n",
        "writes": f"n = 0\nfor p in {WRITE_TARGETS!r}:\n    try:\n        open(p, 'w').write('x')\n        n += 1\n"
                  "    except OSError:\n        pass\nprint(n)\n",
        "network": "import os\nprint('\\n'.join(sorted(os.listdir('/sys/class/net'))))\n",
    },
    "c": {
        "correct": "long long add(long long a, long long b) { return a + b; }\n",
        "wrong": "long long add(long long a, long long b) { return a - b; }\n",
        "compile_error": "long long add(long long a, long long b) { return a + ; }\n",
        "loop": "long long add(long long a, long long b) { volatile int x = 1; while (x) {} return a + b; }\n",
        "forged": "#include <unistd.h>\n__attribute__((constructor)) static void forge(void) {\n"
                  "    for (int i = 0; i < 5; i++) write(3, \"= 3\\n\", 4);\n    _exit(0);\n}\n"
                  "long long add(long long a, long long b) { return a + b; }\n",
        "fork_bomb": "#include <unistd.h>\nint main(void) { for (;;) fork(); }\n",
        "memory_bomb": "#include <stdlib.h>\n#include <string.h>\nint main(void) {\n"
                       "    for (;;) { char *p = malloc(1 << 20); if (p) memset(p, 1, 1 << 20); }\n}\n",
        "flood": "#include <stdio.h>\nint main(void) { for (;;) puts(\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"); }\n",
        "writes": "#include <stdio.h>\nint main(void) {\n    const char *ps[] = {" + _WT_C + "};\n    int n = 0;\n"
                  f"    for (int i = 0; i < {len(WRITE_TARGETS)}; i++) {{ FILE *f = fopen(ps[i], \"w\"); "
                  "if (f) { n++; fclose(f); } }\n    printf(\"%d\\n\", n);\n    return 0;\n}\n",
        "network": "#include <dirent.h>\n#include <stdio.h>\nint main(void) {\n    DIR *d = opendir(\"/sys/class/net\");\n"
                   "    struct dirent *e;\n    while (d && (e = readdir(d))) if (e->d_name[0] != '.') puts(e->d_name);\n"
                   "    return 0;\n}\n",
    },
    "cpp": {
        "correct": "long long add(long long a, long long b) { return a + b; }\n",
        "wrong": "long long add(long long a, long long b) { return a * b; }\n",
        "compile_error": "long long add(long long a, long long b) { return a + b }\n",
        "loop": "long long add(long long a, long long b) { volatile int x = 1; while (x) {} return a + b; }\n",
        "forged": "#include <unistd.h>\nstruct Forge { Forge() { for (int i = 0; i < 5; i++) write(3, \"= 3\\n\", 4); _exit(0); } };\n"
                  "static Forge forge;\nlong long add(long long a, long long b) { return a + b; }\n",
        "fork_bomb": "#include <unistd.h>\nint main() { for (;;) fork(); }\n",
        "memory_bomb": "#include <vector>\nint main() {\n    std::vector<std::vector<char>> keep;\n"
                       "    for (;;) keep.emplace_back(1 << 20, 'x');\n}\n",
        "flood": "#include <iostream>\nint main() { for (;;) std::cout << std::string(100, 'x') << '\\n'; }\n",
        "writes": "#include <cstdio>\nint main() {\n    const char *ps[] = {" + _WT_C + "};\n    int n = 0;\n"
                  "    for (const char *p : ps) { FILE *f = std::fopen(p, \"w\"); if (f) { n++; std::fclose(f); } }\n"
                  "    std::printf(\"%d\\n\", n);\n}\n",
        "network": "#include <filesystem>\n#include <iostream>\nint main() {\n"
                   "    for (auto &e : std::filesystem::directory_iterator(\"/sys/class/net\"))"
                   " std::cout << e.path().filename().string() << '\\n';\n}\n",
    },
    "java": {
        "correct": "class Solution {\n    static long add(long a, long b) { return a + b; }\n}\n",
        "wrong": "class Solution {\n    static long add(long a, long b) { return a - b; }\n}\n",
        "compile_error": "class Solution {\n    static long add(long a, long b) { return a + ; }\n}\n",
        "loop": "class Solution {\n    static long add(long a, long b) { while (true) {} }\n}\n",
        "forged": "import java.io.*;\n\nclass Solution {\n    static {\n        try {\n"
                  "            FileDescriptor fd = new FileDescriptor();\n"
                  "            java.lang.reflect.Field f = FileDescriptor.class.getDeclaredField(\"fd\");\n"
                  "            f.setAccessible(true); f.setInt(fd, 3);\n"
                  "            FileOutputStream out = new FileOutputStream(fd);\n"
                  "            for (int i = 0; i < 5; i++) out.write(\"= 3\\n\".getBytes());\n"
                  "            out.flush();\n        } catch (Exception e) {}\n        Runtime.getRuntime().halt(0);\n    }\n"
                  "    static long add(long a, long b) { return a + b; }\n}\n",
        "fork_bomb": "public class Main {\n    public static void main(String[] a) {\n        while (true) {\n"
                     "            try { new ProcessBuilder(\"sleep\", \"100\").start(); } catch (Exception e) {}\n"
                     "        }\n    }\n}\n",
        "memory_bomb": "import java.util.*;\n\npublic class Main {\n    public static void main(String[] a) {\n"
                       "        List<byte[]> keep = new ArrayList<>();\n"
                       "        while (true) { byte[] b = new byte[1 << 20]; Arrays.fill(b, (byte) 1); keep.add(b); }\n"
                       "    }\n}\n",
        "flood": "public class Main {\n    public static void main(String[] a) {\n"
                 "        while (true) System.out.println(\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\");\n    }\n}\n",
        "writes": "import java.io.*;\n\npublic class Main {\n    public static void main(String[] a) {\n        int n = 0;\n"
                  "        for (String p : new String[] {" + _WT_C + "}) {\n"
                  "            try { new FileOutputStream(p).close(); n++; } catch (Exception e) {}\n        }\n"
                  "        System.out.println(n);\n    }\n}\n",
        "network": "import java.io.File;\n\npublic class Main {\n    public static void main(String[] a) {\n"
                   "        for (String n : new File(\"/sys/class/net\").list()) System.out.println(n);\n    }\n}\n",
    },
    "javascript": {
        "correct": "function add(a, b) { return a + b; }\n",
        "wrong": "function add(a, b) { return a - b; }\n",
        "compile_error": "function add(a, b) { return a + ; }\n",
        "loop": "function add(a, b) { while (true) {} }\n",
        "forged": "require('fs').writeSync(3, '= 3\\n'.repeat(5));\nprocess.exit(0);\nfunction add(a, b) { return a + b; }\n",
        "fork_bomb": "const cp = require('child_process');\nfor (;;) { try { cp.spawn('sleep', ['100']); } catch (e) {} }\n",
        "memory_bomb": "const keep = [];\nfor (;;) keep.push(new Array(1 << 20).fill(1.5));\n",
        "flood": "const s = 'x'.repeat(1000) + '\\n';\nfor (;;) require('fs').writeSync(1, s);\n",
        "writes": "const fs = require('fs');\nlet n = 0;\nfor (const p of " + _WT_JS + ") {\n"
                  "  try { fs.writeFileSync(p, 'x'); n++; } catch (e) {}\n}\nconsole.log(n);\n",
        "network": "console.log(require('fs').readdirSync('/sys/class/net').join('\\n'));\n",
    },
    "typescript": {
        "correct": "function add(a: number, b: number): number { return a + b; }\n",
        "wrong": "function add(a: number, b: number): number { return a - b; }\n",
        "compile_error": "function add(a: number, b: number): number { return 'a' + b; }\n",  # a type error
        "loop": "function add(a: number, b: number): number { while (true) {} }\n",
        # (a bare exit would make tsc see the driver as unreachable: a compile error, not a forgery)
        "forged": "require('fs').writeSync(3, '= 3\\n'.repeat(5));\nif (Date.now() > 0) process.exit(0);\n"
                  "function add(a: number, b: number): number { return a + b; }\n",
        "fork_bomb": "const cp = require('child_process');\nfor (;;) { try { cp.spawn('sleep', ['100']); } catch (e) {} }\n",
        "memory_bomb": "const keep: number[][] = [];\nfor (;;) keep.push(new Array(1 << 20).fill(1.5));\n",
        "flood": "const s: string = 'x'.repeat(1000) + '\\n';\nfor (;;) require('fs').writeSync(1, s);\n",
        "writes": "const fs = require('fs');\nlet n = 0;\nfor (const p of " + _WT_JS + ") {\n"
                  "  try { fs.writeFileSync(p, 'x'); n++; } catch (e) {}\n}\nconsole.log(n);\n",
        "network": "console.log(require('fs').readdirSync('/sys/class/net').join('\\n'));\n",
    },
    "go": {
        "correct": "package main\n\nfunc add(a int, b int) int { return a + b }\n",
        "wrong": "package main\n\nfunc add(a int, b int) int { return a - b }\n",
        "compile_error": "package main\n\nfunc add(a int, b int) int { return a + }\n",
        "loop": "package main\n\nfunc add(a int, b int) int {\n\tfor {\n\t}\n}\n",
        "forged": "package main\n\nimport \"os\"\n\nfunc init() {\n\tf := os.NewFile(3, \"r\")\n"
                  "\tfor i := 0; i < 5; i++ {\n\t\tf.Write([]byte(\"= 3\\n\"))\n\t}\n\tos.Exit(0)\n}\n\n"
                  "func add(a int, b int) int { return a + b }\n",
        "fork_bomb": "package main\n\nimport \"os/exec\"\n\nfunc main() {\n\tfor {\n"
                     "\t\texec.Command(\"sleep\", \"100\").Start()\n\t}\n}\n",
        "memory_bomb": "package main\n\nfunc main() {\n\tvar keep [][]byte\n\tfor {\n\t\tb := make([]byte, 1<<20)\n"
                       "\t\tfor i := range b {\n\t\t\tb[i] = 1\n\t\t}\n\t\tkeep = append(keep, b)\n\t}\n}\n",
        "flood": "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tfor {\n"
                 "\t\tfmt.Println(\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\")\n\t}\n}\n",
        "writes": "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tn := 0\n"
                  "\tfor _, p := range []string{" + _WT_C + "} {\n"
                  "\t\tif os.WriteFile(p, []byte(\"x\"), 0o644) == nil {\n\t\t\tn++\n\t\t}\n\t}\n\tfmt.Println(n)\n}\n",
        "network": "package main\n\nimport (\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n"
                   "\tes, _ := os.ReadDir(\"/sys/class/net\")\n\tfor _, e := range es {\n\t\tfmt.Println(e.Name())\n\t}\n}\n",
    },
    "rust": {
        "correct": "fn add(a: i64, b: i64) -> i64 { a + b }\n",
        "wrong": "fn add(a: i64, b: i64) -> i64 { a - b }\n",
        "compile_error": "fn add(a: i64, b: i64) -> i64 { a + }\n",
        "loop": "fn add(a: i64, b: i64) -> i64 { loop {} }\n",
        "forged": "fn add(_a: i64, _b: i64) -> i64 {\n    use std::io::Write;\n"
                  "    let mut f = unsafe { <std::fs::File as std::os::unix::io::FromRawFd>::from_raw_fd(3) };\n"
                  "    for _ in 0..5 { f.write_all(b\"= 3\\n\").unwrap(); }\n    std::process::exit(0)\n}\n",
        "fork_bomb": "fn main() {\n    loop { let _ = std::process::Command::new(\"sleep\").arg(\"100\").spawn(); }\n}\n",
        "memory_bomb": "fn main() {\n    let mut keep = Vec::new();\n    loop { keep.push(vec![1u8; 1 << 20]); }\n}\n",
        "flood": "use std::io::Write;\n\nfn main() {\n    let mut o = std::io::stdout();\n"
                 "    loop { if o.write_all(b\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\\n\").is_err() { break; } }\n}\n",
        "writes": "fn main() {\n    let mut n = 0;\n    for p in [" + _WT_C + "] {\n"
                  "        if std::fs::write(p, b\"x\").is_ok() { n += 1; }\n    }\n    println!(\"{}\", n);\n}\n",
        "network": "fn main() {\n    for e in std::fs::read_dir(\"/sys/class/net\").unwrap() {\n"
                   "        println!(\"{}\", e.unwrap().file_name().to_string_lossy());\n    }\n}\n",
    },
}
