"""stdin/stdout problems of problem_sets/multilang.jsonl: cases and one program per language."""

PROBLEMS = []


def problem(pid, prompt, cases, sols, tags, compare="exact", difficulty="easy"):
    PROBLEMS.append({"id": f"multilang/{pid}", "prompt": prompt, "tests": [{"input": i, "output": o} for i, o in cases],
                     "sols": sols, "tags": tags, "compare": compare, "difficulty": difficulty})


problem("101-sum-ints", "Read integers separated by whitespace and print their sum (0 for empty input).",
        [("1 2 3\n", "6\n"), ("", "0\n"), ("-5 5\n", "0\n"), ("1000000000 1000000000 1000000000\n", "3000000000\n")],
        {
            "python": "import sys\nprint(sum(int(x) for x in sys.stdin.read().split()))\n",
            "c": "#include <stdio.h>\nint main(void) {\n    long long x, s = 0;\n    while (scanf(\"%lld\", &x) == 1) s += x;\n    printf(\"%lld\\n\", s);\n    return 0;\n}\n",
            "cpp": "#include <iostream>\nint main() {\n    long long x, s = 0;\n    while (std::cin >> x) s += x;\n    std::cout << s << \"\\n\";\n}\n",
            "java": "import java.util.*;\n\npublic class Main {\n    public static void main(String[] args) {\n        Scanner in = new Scanner(System.in);\n        long s = 0;\n        while (in.hasNextLong()) s += in.nextLong();\n        System.out.println(s);\n    }\n}\n",
            "javascript": "const t = require('fs').readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean);\nconsole.log(t.reduce((a, x) => a + Number(x), 0));\n",
            "typescript": "const t: string[] = require('fs').readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean);\nconsole.log(t.reduce((a: number, x: string) => a + Number(x), 0));\n",
            "go": "package main\n\nimport (\n\t\"bufio\"\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tr := bufio.NewReader(os.Stdin)\n\ts, x := 0, 0\n\tfor {\n\t\tif _, err := fmt.Fscan(r, &x); err != nil {\n\t\t\tbreak\n\t\t}\n\t\ts += x\n\t}\n\tfmt.Println(s)\n}\n",
            "rust": "use std::io::Read;\n\nfn main() {\n    let mut s = String::new();\n    std::io::stdin().read_to_string(&mut s).unwrap();\n    let t: i64 = s.split_whitespace().map(|x| x.parse::<i64>().unwrap()).sum();\n    println!(\"{}\", t);\n}\n",
        }, ["math", "io"])

problem("102-reverse-lines", "Print the lines of the input in reverse order.",
        [("a\nb\nc\n", "c\nb\na\n"), ("only\n", "only\n"), ("1\n2\n", "2\n1\n")],
        {
            "python": "import sys\nfor line in reversed(sys.stdin.read().splitlines()):\n    print(line)\n",
            "c": "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\nint main(void) {\n    static char buf[1 << 20];\n    char *lines[100000];\n    int n = 0;\n    while (fgets(buf, sizeof buf, stdin)) { buf[strcspn(buf, \"\\n\")] = 0; lines[n++] = strdup(buf); }\n    for (int i = n - 1; i >= 0; i--) puts(lines[i]);\n    return 0;\n}\n",
            "cpp": "#include <iostream>\n#include <string>\n#include <vector>\nint main() {\n    std::vector<std::string> v;\n    std::string s;\n    while (std::getline(std::cin, s)) v.push_back(s);\n    for (auto it = v.rbegin(); it != v.rend(); ++it) std::cout << *it << \"\\n\";\n}\n",
            "java": "import java.io.*;\nimport java.util.*;\n\npublic class Main {\n    public static void main(String[] args) throws IOException {\n        BufferedReader r = new BufferedReader(new InputStreamReader(System.in));\n        List<String> v = new ArrayList<>();\n        for (String s; (s = r.readLine()) != null;) v.add(s);\n        Collections.reverse(v);\n        for (String s : v) System.out.println(s);\n    }\n}\n",
            "javascript": "const lines = require('fs').readFileSync(0, 'utf8').split('\\n');\nif (lines[lines.length - 1] === '') lines.pop();\nconsole.log(lines.reverse().join('\\n'));\n",
            "typescript": "const lines: string[] = require('fs').readFileSync(0, 'utf8').split('\\n');\nif (lines[lines.length - 1] === '') lines.pop();\nconsole.log(lines.reverse().join('\\n'));\n",
            "go": "package main\n\nimport (\n\t\"bufio\"\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tsc := bufio.NewScanner(os.Stdin)\n\tvar v []string\n\tfor sc.Scan() {\n\t\tv = append(v, sc.Text())\n\t}\n\tfor i := len(v) - 1; i >= 0; i-- {\n\t\tfmt.Println(v[i])\n\t}\n}\n",
            "rust": "use std::io::BufRead;\n\nfn main() {\n    let v: Vec<String> = std::io::stdin().lock().lines().map(|l| l.unwrap()).collect();\n    for l in v.iter().rev() {\n        println!(\"{}\", l);\n    }\n}\n",
        }, ["strings", "io"])

problem("103-count-words", "Print the number of whitespace-separated words in the input.",
        [("hello world\n", "2\n"), ("", "0\n"), ("  a \n b\tc  \n", "3\n"), ("one\n", "1\n")],
        {
            "python": "import sys\nprint(len(sys.stdin.read().split()))\n",
            "c": "#include <stdio.h>\nint main(void) {\n    char w[1 << 16];\n    long n = 0;\n    while (scanf(\"%65535s\", w) == 1) n++;\n    printf(\"%ld\\n\", n);\n    return 0;\n}\n",
            "cpp": "#include <iostream>\n#include <string>\nint main() {\n    std::string w;\n    long n = 0;\n    while (std::cin >> w) n++;\n    std::cout << n << \"\\n\";\n}\n",
            "java": "import java.util.*;\n\npublic class Main {\n    public static void main(String[] args) {\n        Scanner in = new Scanner(System.in);\n        long n = 0;\n        while (in.hasNext()) { in.next(); n++; }\n        System.out.println(n);\n    }\n}\n",
            "javascript": "console.log(require('fs').readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean).length);\n",
            "typescript": "const words: string[] = require('fs').readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean);\nconsole.log(words.length);\n",
            "go": "package main\n\nimport (\n\t\"bufio\"\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tsc := bufio.NewScanner(os.Stdin)\n\tsc.Split(bufio.ScanWords)\n\tn := 0\n\tfor sc.Scan() {\n\t\tn++\n\t}\n\tfmt.Println(n)\n}\n",
            "rust": "use std::io::Read;\n\nfn main() {\n    let mut s = String::new();\n    std::io::stdin().read_to_string(&mut s).unwrap();\n    println!(\"{}\", s.split_whitespace().count());\n}\n",
        }, ["strings", "io"])

problem("104-fizzbuzz", "Read n and print the numbers 1..n, one per line, with Fizz for multiples of 3, Buzz for multiples of 5 and FizzBuzz for both.",
        [("5\n", "1\n2\nFizz\n4\nBuzz\n"), ("15\n", "1\n2\nFizz\n4\nBuzz\nFizz\n7\n8\nFizz\nBuzz\n11\nFizz\n13\n14\nFizzBuzz\n"), ("0\n", "")],
        {
            "python": "n = int(input())\nfor i in range(1, n + 1):\n    print('FizzBuzz' if i % 15 == 0 else 'Fizz' if i % 3 == 0 else 'Buzz' if i % 5 == 0 else i)\n",
            "c": "#include <stdio.h>\nint main(void) {\n    int n;\n    if (scanf(\"%d\", &n) != 1) return 1;\n    for (int i = 1; i <= n; i++) {\n        if (i % 15 == 0) puts(\"FizzBuzz\");\n        else if (i % 3 == 0) puts(\"Fizz\");\n        else if (i % 5 == 0) puts(\"Buzz\");\n        else printf(\"%d\\n\", i);\n    }\n    return 0;\n}\n",
            "cpp": "#include <iostream>\nint main() {\n    int n;\n    std::cin >> n;\n    for (int i = 1; i <= n; i++) {\n        if (i % 15 == 0) std::cout << \"FizzBuzz\\n\";\n        else if (i % 3 == 0) std::cout << \"Fizz\\n\";\n        else if (i % 5 == 0) std::cout << \"Buzz\\n\";\n        else std::cout << i << \"\\n\";\n    }\n}\n",
            "java": "import java.util.*;\n\npublic class Main {\n    public static void main(String[] args) {\n        int n = new Scanner(System.in).nextInt();\n        StringBuilder sb = new StringBuilder();\n        for (int i = 1; i <= n; i++) sb.append(i % 15 == 0 ? \"FizzBuzz\" : i % 3 == 0 ? \"Fizz\" : i % 5 == 0 ? \"Buzz\" : String.valueOf(i)).append('\\n');\n        System.out.print(sb);\n    }\n}\n",
            "javascript": "const n = Number(require('fs').readFileSync(0, 'utf8').trim());\nconst out = [];\nfor (let i = 1; i <= n; i++) out.push(i % 15 === 0 ? 'FizzBuzz' : i % 3 === 0 ? 'Fizz' : i % 5 === 0 ? 'Buzz' : String(i));\nif (out.length) console.log(out.join('\\n'));\n",
            "typescript": "const n: number = Number(require('fs').readFileSync(0, 'utf8').trim());\nconst out: string[] = [];\nfor (let i = 1; i <= n; i++) out.push(i % 15 === 0 ? 'FizzBuzz' : i % 3 === 0 ? 'Fizz' : i % 5 === 0 ? 'Buzz' : String(i));\nif (out.length) console.log(out.join('\\n'));\n",
            "go": "package main\n\nimport \"fmt\"\n\nfunc main() {\n\tvar n int\n\tfmt.Scan(&n)\n\tfor i := 1; i <= n; i++ {\n\t\tswitch {\n\t\tcase i%15 == 0:\n\t\t\tfmt.Println(\"FizzBuzz\")\n\t\tcase i%3 == 0:\n\t\t\tfmt.Println(\"Fizz\")\n\t\tcase i%5 == 0:\n\t\t\tfmt.Println(\"Buzz\")\n\t\tdefault:\n\t\t\tfmt.Println(i)\n\t\t}\n\t}\n}\n",
            "rust": "fn main() {\n    let mut s = String::new();\n    std::io::stdin().read_line(&mut s).unwrap();\n    let n: i64 = s.trim().parse().unwrap();\n    for i in 1..=n {\n        if i % 15 == 0 { println!(\"FizzBuzz\"); } else if i % 3 == 0 { println!(\"Fizz\"); } else if i % 5 == 0 { println!(\"Buzz\"); } else { println!(\"{}\", i); }\n    }\n}\n",
        }, ["math", "io"])

problem("105-min-max", "Read one or more integers and print the smallest and the largest, separated by a space.",
        [("3 1 2\n", "1 3\n"), ("-7\n", "-7 -7\n"), ("5 5 -5 10\n", "-5 10\n")],
        {
            "python": "import sys\nxs = [int(x) for x in sys.stdin.read().split()]\nprint(min(xs), max(xs))\n",
            "c": "#include <stdio.h>\nint main(void) {\n    long long x, lo, hi;\n    if (scanf(\"%lld\", &x) != 1) return 1;\n    lo = hi = x;\n    while (scanf(\"%lld\", &x) == 1) { if (x < lo) lo = x; if (x > hi) hi = x; }\n    printf(\"%lld %lld\\n\", lo, hi);\n    return 0;\n}\n",
            "cpp": "#include <iostream>\n#include <algorithm>\nint main() {\n    long long x, lo, hi;\n    std::cin >> x;\n    lo = hi = x;\n    while (std::cin >> x) { lo = std::min(lo, x); hi = std::max(hi, x); }\n    std::cout << lo << \" \" << hi << \"\\n\";\n}\n",
            "java": "import java.util.*;\n\npublic class Main {\n    public static void main(String[] args) {\n        Scanner in = new Scanner(System.in);\n        long lo = Long.MAX_VALUE, hi = Long.MIN_VALUE;\n        while (in.hasNextLong()) { long x = in.nextLong(); lo = Math.min(lo, x); hi = Math.max(hi, x); }\n        System.out.println(lo + \" \" + hi);\n    }\n}\n",
            "javascript": "const xs = require('fs').readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean).map(Number);\nconsole.log(Math.min(...xs) + ' ' + Math.max(...xs));\n",
            "typescript": "const xs: number[] = require('fs').readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean).map(Number);\nconsole.log(Math.min(...xs) + ' ' + Math.max(...xs));\n",
            "go": "package main\n\nimport (\n\t\"bufio\"\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tr := bufio.NewReader(os.Stdin)\n\tvar x int\n\tfmt.Fscan(r, &x)\n\tlo, hi := x, x\n\tfor {\n\t\tif _, err := fmt.Fscan(r, &x); err != nil {\n\t\t\tbreak\n\t\t}\n\t\tif x < lo {\n\t\t\tlo = x\n\t\t}\n\t\tif x > hi {\n\t\t\thi = x\n\t\t}\n\t}\n\tfmt.Println(lo, hi)\n}\n",
            "rust": "use std::io::Read;\n\nfn main() {\n    let mut s = String::new();\n    std::io::stdin().read_to_string(&mut s).unwrap();\n    let v: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();\n    println!(\"{} {}\", v.iter().min().unwrap(), v.iter().max().unwrap());\n}\n",
        }, ["math", "io"])

problem("106-sort-numbers", "Read integers and print them in ascending order on one line, separated by single spaces (an empty line for no input). Any whitespace between the numbers is accepted.",
        [("3 1 2\n", "1 2 3\n"), ("\n", "\n"), ("10 -1 10 0\n", "-1 0 10 10\n")],
        {
            "python": "import sys\nprint(' '.join(map(str, sorted(int(x) for x in sys.stdin.read().split()))))\n",
            "c": "#include <stdio.h>\n#include <stdlib.h>\nstatic int cmp(const void *a, const void *b) { long long x = *(const long long *)a, y = *(const long long *)b; return (x > y) - (x < y); }\nint main(void) {\n    static long long v[1 << 20];\n    int n = 0;\n    while (n < (1 << 20) && scanf(\"%lld\", &v[n]) == 1) n++;\n    qsort(v, n, sizeof v[0], cmp);\n    for (int i = 0; i < n; i++) printf(i ? \" %lld\" : \"%lld\", v[i]);\n    printf(\"\\n\");\n    return 0;\n}\n",
            "cpp": "#include <iostream>\n#include <vector>\n#include <algorithm>\nint main() {\n    std::vector<long long> v;\n    long long x;\n    while (std::cin >> x) v.push_back(x);\n    std::sort(v.begin(), v.end());\n    for (size_t i = 0; i < v.size(); i++) std::cout << (i ? \" \" : \"\") << v[i];\n    std::cout << \"\\n\";\n}\n",
            "java": "import java.util.*;\nimport java.util.stream.*;\n\npublic class Main {\n    public static void main(String[] args) {\n        Scanner in = new Scanner(System.in);\n        List<Long> v = new ArrayList<>();\n        while (in.hasNextLong()) v.add(in.nextLong());\n        Collections.sort(v);\n        System.out.println(v.stream().map(String::valueOf).collect(Collectors.joining(\" \")));\n    }\n}\n",
            "javascript": "const xs = require('fs').readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean).map(Number);\nconsole.log(xs.sort((a, b) => a - b).join(' '));\n",
            "typescript": "const xs: number[] = require('fs').readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean).map(Number);\nconsole.log(xs.sort((a, b) => a - b).join(' '));\n",
            "go": "package main\n\nimport (\n\t\"bufio\"\n\t\"fmt\"\n\t\"os\"\n\t\"sort\"\n\t\"strings\"\n\t\"strconv\"\n)\n\nfunc main() {\n\tsc := bufio.NewScanner(os.Stdin)\n\tsc.Split(bufio.ScanWords)\n\tvar v []int\n\tfor sc.Scan() {\n\t\tx, _ := strconv.Atoi(sc.Text())\n\t\tv = append(v, x)\n\t}\n\tsort.Ints(v)\n\tparts := make([]string, len(v))\n\tfor i, x := range v {\n\t\tparts[i] = strconv.Itoa(x)\n\t}\n\tfmt.Println(strings.Join(parts, \" \"))\n}\n",
            "rust": "use std::io::Read;\n\nfn main() {\n    let mut s = String::new();\n    std::io::stdin().read_to_string(&mut s).unwrap();\n    let mut v: Vec<i64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();\n    v.sort();\n    let out: Vec<String> = v.iter().map(|x| x.to_string()).collect();\n    println!(\"{}\", out.join(\" \"));\n}\n",
        }, ["lists", "io"], compare="tokens")

problem("107-average", "Read one or more numbers and print their average. Any formatting within 1e-6 is accepted.",
        [("1 2\n", "1.5\n"), ("10\n", "10\n"), ("0.1 0.2 0.3\n", "0.2\n"), ("-1 1 4\n", "1.3333333333\n")],
        {
            "python": "import sys\nxs = [float(x) for x in sys.stdin.read().split()]\nprint(sum(xs) / len(xs))\n",
            "c": "#include <stdio.h>\nint main(void) {\n    double x, s = 0;\n    int n = 0;\n    while (scanf(\"%lf\", &x) == 1) { s += x; n++; }\n    printf(\"%.9f\\n\", s / n);\n    return 0;\n}\n",
            "cpp": "#include <cstdio>\n#include <iostream>\nint main() {\n    double x, s = 0;\n    int n = 0;\n    while (std::cin >> x) { s += x; n++; }\n    std::printf(\"%.9f\\n\", s / n);\n}\n",
            "java": "import java.util.*;\n\npublic class Main {\n    public static void main(String[] args) {\n        Scanner in = new Scanner(System.in).useLocale(Locale.ROOT);\n        double s = 0;\n        int n = 0;\n        while (in.hasNextDouble()) { s += in.nextDouble(); n++; }\n        System.out.println(s / n);\n    }\n}\n",
            "javascript": "const xs = require('fs').readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean).map(Number);\nconsole.log(xs.reduce((a, b) => a + b, 0) / xs.length);\n",
            "typescript": "const xs: number[] = require('fs').readFileSync(0, 'utf8').split(/\\s+/).filter(Boolean).map(Number);\nconsole.log(xs.reduce((a, b) => a + b, 0) / xs.length);\n",
            "go": "package main\n\nimport (\n\t\"bufio\"\n\t\"fmt\"\n\t\"os\"\n)\n\nfunc main() {\n\tr := bufio.NewReader(os.Stdin)\n\ts, n := 0.0, 0\n\tfor {\n\t\tvar x float64\n\t\tif _, err := fmt.Fscan(r, &x); err != nil {\n\t\t\tbreak\n\t\t}\n\t\ts += x\n\t\tn++\n\t}\n\tfmt.Println(s / float64(n))\n}\n",
            "rust": "use std::io::Read;\n\nfn main() {\n    let mut s = String::new();\n    std::io::stdin().read_to_string(&mut s).unwrap();\n    let v: Vec<f64> = s.split_whitespace().map(|x| x.parse().unwrap()).collect();\n    println!(\"{}\", v.iter().sum::<f64>() / v.len() as f64);\n}\n",
        }, ["math", "floats", "io"], compare="float")

problem("108-uppercase", "Print the input with every ASCII letter in upper case (other bytes unchanged).",
        [("hello World\n", "HELLO WORLD\n"), ("abc-123\nxyz\n", "ABC-123\nXYZ\n"), ("ÄBc\n", "ÄBC\n")],
        {
            "python": "import sys\ndata = sys.stdin.buffer.read()\nsys.stdout.buffer.write(bytes(b - 32 if 97 <= b <= 122 else b for b in data))\n",
            "c": "#include <stdio.h>\nint main(void) {\n    int c;\n    while ((c = getchar()) != EOF) putchar(c >= 'a' && c <= 'z' ? c - 32 : c);\n    return 0;\n}\n",
            "cpp": "#include <iostream>\n#include <iterator>\n#include <string>\nint main() {\n    std::string s((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());\n    for (char &c : s) if (c >= 'a' && c <= 'z') c -= 32;\n    std::cout << s;\n}\n",
            "java": "import java.io.*;\n\npublic class Main {\n    public static void main(String[] args) throws IOException {\n        byte[] b = System.in.readAllBytes();\n        for (int i = 0; i < b.length; i++) if (b[i] >= 'a' && b[i] <= 'z') b[i] -= 32;\n        System.out.write(b);\n        System.out.flush();\n    }\n}\n",
            "javascript": "const b = require('fs').readFileSync(0);\nfor (let i = 0; i < b.length; i++) if (b[i] >= 97 && b[i] <= 122) b[i] -= 32;\nprocess.stdout.write(b);\n",
            "typescript": "const b: Buffer = require('fs').readFileSync(0);\nfor (let i = 0; i < b.length; i++) if (b[i] >= 97 && b[i] <= 122) b[i] -= 32;\nprocess.stdout.write(b);\n",
            "go": "package main\n\nimport (\n\t\"io\"\n\t\"os\"\n)\n\nfunc main() {\n\tb, _ := io.ReadAll(os.Stdin)\n\tfor i, c := range b {\n\t\tif c >= 'a' && c <= 'z' {\n\t\t\tb[i] = c - 32\n\t\t}\n\t}\n\tos.Stdout.Write(b)\n}\n",
            "rust": "use std::io::{Read, Write};\n\nfn main() {\n    let mut b = Vec::new();\n    std::io::stdin().read_to_end(&mut b).unwrap();\n    b.make_ascii_uppercase();\n    std::io::stdout().write_all(&b).unwrap();\n}\n",
        }, ["strings", "io", "unicode"])
