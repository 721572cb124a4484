"""Data-form problems of problem_sets/multilang.jsonl: signature, calls, one solution per language."""

INT, FLOAT, STR, BOOL = "int", "float", "str", "bool"


def sig(name, params, returns):
    return {"name": name, "params": [{"name": n, "type": t} for n, t in params], "returns": returns}


PROBLEMS = []


def problem(pid, prompt, signature, calls, sols, tags, difficulty="easy"):
    PROBLEMS.append({"id": f"multilang/{pid}", "prompt": prompt, "signature": signature,
                     "tests": [{"call": c, "expect": e} for c, e in calls], "sols": sols, "tags": tags,
                     "difficulty": difficulty})


problem("001-add", "Return the sum of two integers a and b.", sig("add", [("a", INT), ("b", INT)], INT),
        [([1, 2], 3), ([-5, 5], 0), ([0, 0], 0), ([123456789012, 987654321098], 1111111110110), ([-7, -8], -15)],
        {
            "python": "def add(a, b):\n    return a + b\n",
            "c": "long long add(long long a, long long b) { return a + b; }\n",
            "cpp": "long long add(long long a, long long b) { return a + b; }\n",
            "java": "class Solution {\n    static long add(long a, long b) { return a + b; }\n}\n",
            "javascript": "function add(a, b) { return a + b; }\n",
            "typescript": "function add(a: number, b: number): number { return a + b; }\n",
            "go": "package main\n\nfunc add(a int, b int) int { return a + b }\n",
            "rust": "fn add(a: i64, b: i64) -> i64 { a + b }\n",
        }, ["math"])

problem("002-sum-list", "Return the sum of the integers in xs (0 for an empty list).",
        sig("sum_list", [("xs", "list[int]")], INT),
        [([[1, 2, 3]], 6), ([[]], 0), ([[-1, 1, -1]], -1), ([[1000000000, 1000000000, 1000000000]], 3000000000)],
        {
            "python": "def sum_list(xs):\n    return sum(xs)\n",
            "c": "long long sum_list(const long long *xs, int n) {\n    long long s = 0;\n    for (int i = 0; i < n; i++) s += xs[i];\n    return s;\n}\n",
            "cpp": "#include <vector>\nlong long sum_list(std::vector<long long> xs) {\n    long long s = 0;\n    for (auto x : xs) s += x;\n    return s;\n}\n",
            "java": "class Solution {\n    static long sum_list(long[] xs) {\n        long s = 0;\n        for (long x : xs) s += x;\n        return s;\n    }\n}\n",
            "javascript": "function sum_list(xs) { return xs.reduce((a, b) => a + b, 0); }\n",
            "typescript": "function sum_list(xs: number[]): number { return xs.reduce((a, b) => a + b, 0); }\n",
            "go": "package main\n\nfunc sum_list(xs []int) int {\n\ts := 0\n\tfor _, x := range xs {\n\t\ts += x\n\t}\n\treturn s\n}\n",
            "rust": "fn sum_list(xs: Vec<i64>) -> i64 { xs.iter().sum() }\n",
        }, ["lists"])

problem("003-max-of", "Return the largest integer in the non-empty list xs.",
        sig("max_of", [("xs", "list[int]")], INT),
        [([[3, 1, 2]], 3), ([[-5]], -5), ([[-3, -1, -2]], -1), ([[7, 7, 7]], 7), ([[1, 9, 8, 9]], 9)],
        {
            "python": "def max_of(xs):\n    return max(xs)\n",
            "c": "long long max_of(const long long *xs, int n) {\n    long long m = xs[0];\n    for (int i = 1; i < n; i++) if (xs[i] > m) m = xs[i];\n    return m;\n}\n",
            "cpp": "#include <vector>\n#include <algorithm>\nlong long max_of(std::vector<long long> xs) { return *std::max_element(xs.begin(), xs.end()); }\n",
            "java": "class Solution {\n    static long max_of(long[] xs) {\n        long m = xs[0];\n        for (long x : xs) m = Math.max(m, x);\n        return m;\n    }\n}\n",
            "javascript": "function max_of(xs) { return Math.max(...xs); }\n",
            "typescript": "function max_of(xs: number[]): number { return Math.max(...xs); }\n",
            "go": "package main\n\nfunc max_of(xs []int) int {\n\tm := xs[0]\n\tfor _, x := range xs {\n\t\tif x > m {\n\t\t\tm = x\n\t\t}\n\t}\n\treturn m\n}\n",
            "rust": "fn max_of(xs: Vec<i64>) -> i64 { *xs.iter().max().unwrap() }\n",
        }, ["lists"])

problem("004-count-vowels", "Return how many characters of the ASCII string s are vowels (a, e, i, o, u, either case).",
        sig("count_vowels", [("s", STR)], INT),
        [(["hello"], 2), ([""], 0), (["AEIOU aeiou"], 10), (["rhythm"], 0), (["Programming Language"], 7)],
        {
            "python": "def count_vowels(s):\n    return sum(c in 'aeiouAEIOU' for c in s)\n",
            "c": "#include <string.h>\nlong long count_vowels(const char *s) {\n    long long n = 0;\n    for (; *s; s++) if (strchr(\"aeiouAEIOU\", *s)) n++;\n    return n;\n}\n",
            "cpp": "#include <string>\nlong long count_vowels(std::string s) {\n    long long n = 0;\n    for (char c : s) if (std::string(\"aeiouAEIOU\").find(c) != std::string::npos) n++;\n    return n;\n}\n",
            "java": "class Solution {\n    static long count_vowels(String s) {\n        long n = 0;\n        for (char c : s.toCharArray()) if (\"aeiouAEIOU\".indexOf(c) >= 0) n++;\n        return n;\n    }\n}\n",
            "javascript": "function count_vowels(s) { return [...s].filter(c => 'aeiouAEIOU'.includes(c)).length; }\n",
            "typescript": "function count_vowels(s: string): number { return [...s].filter(c => 'aeiouAEIOU'.includes(c)).length; }\n",
            "go": "package main\n\nimport \"strings\"\n\nfunc count_vowels(s string) int {\n\tn := 0\n\tfor _, c := range s {\n\t\tif strings.ContainsRune(\"aeiouAEIOU\", c) {\n\t\t\tn++\n\t\t}\n\t}\n\treturn n\n}\n",
            "rust": "fn count_vowels(s: String) -> i64 { s.chars().filter(|c| \"aeiouAEIOU\".contains(*c)).count() as i64 }\n",
        }, ["strings"])

problem("005-is-palindrome", "Return true if the ASCII string s reads the same forwards and backwards (exact characters).",
        sig("is_palindrome", [("s", STR)], BOOL),
        [(["racecar"], True), ([""], True), (["ab"], False), (["Aa"], False), (["abba"], True), (["abca"], False)],
        {
            "python": "def is_palindrome(s):\n    return s == s[::-1]\n",
            "c": "#include <stdbool.h>\n#include <string.h>\nbool is_palindrome(const char *s) {\n    size_t n = strlen(s);\n    for (size_t i = 0; i < n / 2; i++) if (s[i] != s[n - 1 - i]) return false;\n    return true;\n}\n",
            "cpp": "#include <string>\nbool is_palindrome(std::string s) { return std::string(s.rbegin(), s.rend()) == s; }\n",
            "java": "class Solution {\n    static boolean is_palindrome(String s) { return new StringBuilder(s).reverse().toString().equals(s); }\n}\n",
            "javascript": "function is_palindrome(s) { return s.split('').reverse().join('') === s; }\n",
            "typescript": "function is_palindrome(s: string): boolean { return s.split('').reverse().join('') === s; }\n",
            "go": "package main\n\nfunc is_palindrome(s string) bool {\n\tfor i := 0; i < len(s)/2; i++ {\n\t\tif s[i] != s[len(s)-1-i] {\n\t\t\treturn false\n\t\t}\n\t}\n\treturn true\n}\n",
            "rust": "fn is_palindrome(s: String) -> bool { s.chars().rev().collect::<String>() == s }\n",
        }, ["strings"])

problem("006-fib", "Return the n-th Fibonacci number (fib(0) = 0, fib(1) = 1), 0 <= n <= 78 (the largest that fits every language's integers, JavaScript's included).",
        sig("fib", [("n", INT)], INT),
        [([0], 0), ([1], 1), ([2], 1), ([10], 55), ([50], 12586269025), ([78], 8944394323791464)],
        {
            "python": "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n    return a\n",
            "c": "long long fib(long long n) {\n    long long a = 0, b = 1;\n    for (long long i = 0; i < n; i++) { long long t = a + b; a = b; b = t; }\n    return a;\n}\n",
            "cpp": "long long fib(long long n) {\n    long long a = 0, b = 1;\n    for (long long i = 0; i < n; i++) { long long t = a + b; a = b; b = t; }\n    return a;\n}\n",
            "java": "class Solution {\n    static long fib(long n) {\n        long a = 0, b = 1;\n        for (long i = 0; i < n; i++) { long t = a + b; a = b; b = t; }\n        return a;\n    }\n}\n",
            "javascript": "function fib(n) {\n  let a = 0, b = 1;\n  for (let i = 0; i < n; i++) [a, b] = [b, a + b];\n  return a;\n}\n",
            "typescript": "function fib(n: number): number {\n  let a = 0, b = 1;\n  for (let i = 0; i < n; i++) [a, b] = [b, a + b];\n  return a;\n}\n",
            "go": "package main\n\nfunc fib(n int) int {\n\ta, b := 0, 1\n\tfor i := 0; i < n; i++ {\n\t\ta, b = b, a+b\n\t}\n\treturn a\n}\n",
            "rust": "fn fib(n: i64) -> i64 {\n    let (mut a, mut b) = (0i64, 1i64);\n    for _ in 0..n { let t = a + b; a = b; b = t; }\n    a\n}\n",
        }, ["math", "recursion"])

problem("007-mean", "Return the arithmetic mean of the numbers in xs, or 0.0 for an empty list.",
        sig("mean", [("xs", "list[float]")], FLOAT),
        [([[1.0, 2.0, 3.0, 4.0]], 2.5), ([[]], 0.0), ([[0.1, 0.2]], 0.15), ([[-1.5]], -1.5), ([[1e10, 1.0]], 5000000000.5)],
        {
            "python": "def mean(xs):\n    return sum(xs) / len(xs) if xs else 0.0\n",
            "c": "double mean(const double *xs, int n) {\n    double s = 0;\n    for (int i = 0; i < n; i++) s += xs[i];\n    return n ? s / n : 0.0;\n}\n",
            "cpp": "#include <vector>\ndouble mean(std::vector<double> xs) {\n    double s = 0;\n    for (double x : xs) s += x;\n    return xs.empty() ? 0.0 : s / xs.size();\n}\n",
            "java": "class Solution {\n    static double mean(double[] xs) {\n        double s = 0;\n        for (double x : xs) s += x;\n        return xs.length == 0 ? 0.0 : s / xs.length;\n    }\n}\n",
            "javascript": "function mean(xs) { return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0; }\n",
            "typescript": "function mean(xs: number[]): number { return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0; }\n",
            "go": "package main\n\nfunc mean(xs []float64) float64 {\n\tif len(xs) == 0 {\n\t\treturn 0\n\t}\n\ts := 0.0\n\tfor _, x := range xs {\n\t\ts += x\n\t}\n\treturn s / float64(len(xs))\n}\n",
            "rust": "fn mean(xs: Vec<f64>) -> f64 { if xs.is_empty() { 0.0 } else { xs.iter().sum::<f64>() / xs.len() as f64 } }\n",
        }, ["math", "floats"])

problem("008-running-sum", "Return the running sums of xs: element i is xs[0] + ... + xs[i].",
        sig("running_sum", [("xs", "list[int]")], "list[int]"),
        [([[1, 2, 3]], [1, 3, 6]), ([[]], []), ([[5]], [5]), ([[1, -1, 1, -1]], [1, 0, 1, 0])],
        {
            "python": "from itertools import accumulate\n\ndef running_sum(xs):\n    return list(accumulate(xs))\n",
            "c": "#include <stdlib.h>\nlong long *running_sum(const long long *xs, int n, int *out_len) {\n    long long *r = malloc(sizeof(long long) * (n + 1));\n    long long s = 0;\n    for (int i = 0; i < n; i++) { s += xs[i]; r[i] = s; }\n    *out_len = n;\n    return r;\n}\n",
            "cpp": "#include <vector>\nstd::vector<long long> running_sum(std::vector<long long> xs) {\n    long long s = 0;\n    for (auto &x : xs) { s += x; x = s; }\n    return xs;\n}\n",
            "java": "class Solution {\n    static long[] running_sum(long[] xs) {\n        long[] r = new long[xs.length];\n        long s = 0;\n        for (int i = 0; i < xs.length; i++) { s += xs[i]; r[i] = s; }\n        return r;\n    }\n}\n",
            "javascript": "function running_sum(xs) { let s = 0; return xs.map(x => (s += x)); }\n",
            "typescript": "function running_sum(xs: number[]): number[] { let s = 0; return xs.map(x => (s += x)); }\n",
            "go": "package main\n\nfunc running_sum(xs []int) []int {\n\tr := make([]int, len(xs))\n\ts := 0\n\tfor i, x := range xs {\n\t\ts += x\n\t\tr[i] = s\n\t}\n\treturn r\n}\n",
            "rust": "fn running_sum(xs: Vec<i64>) -> Vec<i64> { let mut s = 0; xs.iter().map(|x| { s += x; s }).collect() }\n",
        }, ["lists"])

problem("009-filter-even", "Return the even numbers of xs, in their original order.",
        sig("filter_even", [("xs", "list[int]")], "list[int]"),
        [([[1, 2, 3, 4]], [2, 4]), ([[]], []), ([[1, 3]], []), ([[-2, 0, 7, -4]], [-2, 0, -4])],
        {
            "python": "def filter_even(xs):\n    return [x for x in xs if x % 2 == 0]\n",
            "c": "#include <stdlib.h>\nlong long *filter_even(const long long *xs, int n, int *out_len) {\n    long long *r = malloc(sizeof(long long) * (n + 1));\n    int k = 0;\n    for (int i = 0; i < n; i++) if (xs[i] % 2 == 0) r[k++] = xs[i];\n    *out_len = k;\n    return r;\n}\n",
            "cpp": "#include <vector>\nstd::vector<long long> filter_even(std::vector<long long> xs) {\n    std::vector<long long> r;\n    for (auto x : xs) if (x % 2 == 0) r.push_back(x);\n    return r;\n}\n",
            "java": "import java.util.Arrays;\n\nclass Solution {\n    static long[] filter_even(long[] xs) { return Arrays.stream(xs).filter(x -> x % 2 == 0).toArray(); }\n}\n",
            "javascript": "function filter_even(xs) { return xs.filter(x => x % 2 === 0); }\n",
            "typescript": "function filter_even(xs: number[]): number[] { return xs.filter(x => x % 2 === 0); }\n",
            "go": "package main\n\nfunc filter_even(xs []int) []int {\n\tr := []int{}\n\tfor _, x := range xs {\n\t\tif x%2 == 0 {\n\t\t\tr = append(r, x)\n\t\t}\n\t}\n\treturn r\n}\n",
            "rust": "fn filter_even(xs: Vec<i64>) -> Vec<i64> { xs.into_iter().filter(|x| x % 2 == 0).collect() }\n",
        }, ["lists"])

problem("010-word-lengths", "Return the length of each word of s, where words are separated by one or more spaces (ASCII).",
        sig("word_lengths", [("s", STR)], "list[int]"),
        [(["hello world"], [5, 5]), ([""], []), (["  a  bb   ccc "], [1, 2, 3]), (["one"], [3])],
        {
            "python": "def word_lengths(s):\n    return [len(w) for w in s.split(' ') if w]\n",
            "c": "#include <stdlib.h>\n#include <string.h>\nlong long *word_lengths(const char *s, int *out_len) {\n    long long *r = malloc(sizeof(long long) * (strlen(s) + 1));\n    int k = 0;\n    long long cur = 0;\n    for (; ; s++) {\n        if (*s == ' ' || *s == 0) { if (cur) r[k++] = cur; cur = 0; if (!*s) break; }\n        else cur++;\n    }\n    *out_len = k;\n    return r;\n}\n",
            "cpp": "#include <string>\n#include <vector>\n#include <sstream>\nstd::vector<long long> word_lengths(std::string s) {\n    std::vector<long long> r;\n    std::istringstream in(s);\n    std::string w;\n    while (in >> w) r.push_back(w.size());\n    return r;\n}\n",
            "java": "import java.util.*;\n\nclass Solution {\n    static long[] word_lengths(String s) {\n        return Arrays.stream(s.split(\" \")).filter(w -> !w.isEmpty()).mapToLong(String::length).toArray();\n    }\n}\n",
            "javascript": "function word_lengths(s) { return s.split(' ').filter(w => w).map(w => w.length); }\n",
            "typescript": "function word_lengths(s: string): number[] { return s.split(' ').filter(w => w).map(w => w.length); }\n",
            "go": "package main\n\nimport \"strings\"\n\nfunc word_lengths(s string) []int {\n\tr := []int{}\n\tfor _, w := range strings.Fields(s) {\n\t\tr = append(r, len(w))\n\t}\n\treturn r\n}\n",
            "rust": "fn word_lengths(s: String) -> Vec<i64> { s.split(' ').filter(|w| !w.is_empty()).map(|w| w.len() as i64).collect() }\n",
        }, ["strings", "lists"])

problem("011-gcd", "Return the greatest common divisor of the non-negative integers a and b (gcd(0, 0) = 0).",
        sig("gcd", [("a", INT), ("b", INT)], INT),
        [([12, 18], 6), ([0, 5], 5), ([0, 0], 0), ([17, 13], 1), ([1000000007, 1000000007], 1000000007)],
        {
            "python": "def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return a\n",
            "c": "long long gcd(long long a, long long b) {\n    while (b) { long long t = a % b; a = b; b = t; }\n    return a;\n}\n",
            "cpp": "long long gcd(long long a, long long b) { return b ? gcd(b, a % b) : a; }\n",
            "java": "class Solution {\n    static long gcd(long a, long b) { return b == 0 ? a : gcd(b, a % b); }\n}\n",
            "javascript": "function gcd(a, b) { return b ? gcd(b, a % b) : a; }\n",
            "typescript": "function gcd(a: number, b: number): number { return b ? gcd(b, a % b) : a; }\n",
            "go": "package main\n\nfunc gcd(a int, b int) int {\n\tfor b != 0 {\n\t\ta, b = b, a%b\n\t}\n\treturn a\n}\n",
            "rust": "fn gcd(a: i64, b: i64) -> i64 { if b == 0 { a } else { gcd(b, a % b) } }\n",
        }, ["math"])

problem("012-is-prime", "Return true if n is a prime number (n may be negative, zero or one: not prime).",
        sig("is_prime", [("n", INT)], BOOL),
        [([2], True), ([1], False), ([0], False), ([-7], False), ([97], True), ([91], False), ([1000003], True)],
        {
            "python": "def is_prime(n):\n    if n < 2:\n        return False\n    i = 2\n    while i * i <= n:\n        if n % i == 0:\n            return False\n        i += 1\n    return True\n",
            "c": "#include <stdbool.h>\nbool is_prime(long long n) {\n    if (n < 2) return false;\n    for (long long i = 2; i * i <= n; i++) if (n % i == 0) return false;\n    return true;\n}\n",
            "cpp": "bool is_prime(long long n) {\n    if (n < 2) return false;\n    for (long long i = 2; i * i <= n; i++) if (n % i == 0) return false;\n    return true;\n}\n",
            "java": "class Solution {\n    static boolean is_prime(long n) {\n        if (n < 2) return false;\n        for (long i = 2; i * i <= n; i++) if (n % i == 0) return false;\n        return true;\n    }\n}\n",
            "javascript": "function is_prime(n) {\n  if (n < 2) return false;\n  for (let i = 2; i * i <= n; i++) if (n % i === 0) return false;\n  return true;\n}\n",
            "typescript": "function is_prime(n: number): boolean {\n  if (n < 2) return false;\n  for (let i = 2; i * i <= n; i++) if (n % i === 0) return false;\n  return true;\n}\n",
            "go": "package main\n\nfunc is_prime(n int) bool {\n\tif n < 2 {\n\t\treturn false\n\t}\n\tfor i := 2; i*i <= n; i++ {\n\t\tif n%i == 0 {\n\t\t\treturn false\n\t\t}\n\t}\n\treturn true\n}\n",
            "rust": "fn is_prime(n: i64) -> bool {\n    if n < 2 { return false; }\n    let mut i = 2;\n    while i * i <= n { if n % i == 0 { return false; } i += 1; }\n    true\n}\n",
        }, ["math"])

problem("013-join-words", "Return the strings of words joined with sep between each two (the empty string for no words).",
        sig("join_words", [("words", "list[str]"), ("sep", STR)], STR),
        [([["a", "b", "c"], "-"], "a-b-c"), ([[], ", "], ""), ([["solo"], "+"], "solo"),
         ([["x", "", "y"], "::"], "x::::y"), ([["héllo", "wörld"], " "], "héllo wörld")],
        {
            "python": "def join_words(words, sep):\n    return sep.join(words)\n",
            "c": "#include <stdlib.h>\n#include <string.h>\nchar *join_words(char **words, int n, const char *sep) {\n    size_t len = 1;\n    for (int i = 0; i < n; i++) len += strlen(words[i]) + strlen(sep);\n    char *r = malloc(len);\n    r[0] = 0;\n    for (int i = 0; i < n; i++) { if (i) strcat(r, sep); strcat(r, words[i]); }\n    return r;\n}\n",
            "cpp": "#include <string>\n#include <vector>\nstd::string join_words(std::vector<std::string> words, std::string sep) {\n    std::string r;\n    for (size_t i = 0; i < words.size(); i++) { if (i) r += sep; r += words[i]; }\n    return r;\n}\n",
            "java": "class Solution {\n    static String join_words(String[] words, String sep) { return String.join(sep, words); }\n}\n",
            "javascript": "function join_words(words, sep) { return words.join(sep); }\n",
            "typescript": "function join_words(words: string[], sep: string): string { return words.join(sep); }\n",
            "go": "package main\n\nimport \"strings\"\n\nfunc join_words(words []string, sep string) string { return strings.Join(words, sep) }\n",
            "rust": "fn join_words(words: Vec<String>, sep: String) -> String { words.join(&sep) }\n",
        }, ["strings", "lists", "unicode"])

problem("014-reverse-words", "Return the words of the ASCII string s (separated by single spaces) in reverse order, joined by single spaces.",
        sig("reverse_words", [("s", STR)], STR),
        [(["hello world"], "world hello"), ([""], ""), (["a"], "a"), (["one two three"], "three two one")],
        {
            "python": "def reverse_words(s):\n    return ' '.join(reversed(s.split(' '))) if s else ''\n",
            "c": "#include <stdlib.h>\n#include <string.h>\nchar *reverse_words(const char *s) {\n    size_t n = strlen(s);\n    char *r = malloc(n + 1);\n    size_t k = 0;\n    long end = (long)n;\n    for (long i = (long)n - 1; i >= -1; i--) {\n        if (i == -1 || s[i] == ' ') {\n            if (k) r[k++] = ' ';\n            memcpy(r + k, s + i + 1, end - i - 1);\n            k += end - i - 1;\n            end = i;\n        }\n    }\n    r[k] = 0;\n    return r;\n}\n",
            "cpp": "#include <string>\n#include <vector>\nstd::string reverse_words(std::string s) {\n    if (s.empty()) return \"\";\n    std::vector<std::string> w;\n    size_t st = 0;\n    for (size_t i = 0; i <= s.size(); i++) if (i == s.size() || s[i] == ' ') { w.push_back(s.substr(st, i - st)); st = i + 1; }\n    std::string r;\n    for (size_t i = w.size(); i-- > 0;) { r += w[i]; if (i) r += ' '; }\n    return r;\n}\n",
            "java": "import java.util.*;\n\nclass Solution {\n    static String reverse_words(String s) {\n        if (s.isEmpty()) return \"\";\n        List<String> w = Arrays.asList(s.split(\" \", -1));\n        Collections.reverse(w);\n        return String.join(\" \", w);\n    }\n}\n",
            "javascript": "function reverse_words(s) { return s ? s.split(' ').reverse().join(' ') : ''; }\n",
            "typescript": "function reverse_words(s: string): string { return s ? s.split(' ').reverse().join(' ') : ''; }\n",
            "go": "package main\n\nimport \"strings\"\n\nfunc reverse_words(s string) string {\n\tif s == \"\" {\n\t\treturn \"\"\n\t}\n\tw := strings.Split(s, \" \")\n\tfor i, j := 0, len(w)-1; i < j; i, j = i+1, j-1 {\n\t\tw[i], w[j] = w[j], w[i]\n\t}\n\treturn strings.Join(w, \" \")\n}\n",
            "rust": "fn reverse_words(s: String) -> String { if s.is_empty() { return String::new(); } s.split(' ').rev().collect::<Vec<_>>().join(\" \") }\n",
        }, ["strings"])

problem("015-count-above", "Return how many numbers of xs are strictly greater than the threshold t.",
        sig("count_above", [("xs", "list[float]"), ("t", FLOAT)], INT),
        [([[1.5, 2.5, 3.5], 2.0], 2), ([[], 0.0], 0), ([[1.0, 1.0], 1.0], 0), ([[-0.5, 0.25], -1.0], 2)],
        {
            "python": "def count_above(xs, t):\n    return sum(1 for x in xs if x > t)\n",
            "c": "long long count_above(const double *xs, int n, double t) {\n    long long k = 0;\n    for (int i = 0; i < n; i++) if (xs[i] > t) k++;\n    return k;\n}\n",
            "cpp": "#include <vector>\nlong long count_above(std::vector<double> xs, double t) {\n    long long k = 0;\n    for (double x : xs) if (x > t) k++;\n    return k;\n}\n",
            "java": "class Solution {\n    static long count_above(double[] xs, double t) {\n        long k = 0;\n        for (double x : xs) if (x > t) k++;\n        return k;\n    }\n}\n",
            "javascript": "function count_above(xs, t) { return xs.filter(x => x > t).length; }\n",
            "typescript": "function count_above(xs: number[], t: number): number { return xs.filter(x => x > t).length; }\n",
            "go": "package main\n\nfunc count_above(xs []float64, t float64) int {\n\tk := 0\n\tfor _, x := range xs {\n\t\tif x > t {\n\t\t\tk++\n\t\t}\n\t}\n\treturn k\n}\n",
            "rust": "fn count_above(xs: Vec<f64>, t: f64) -> i64 { xs.iter().filter(|&&x| x > t).count() as i64 }\n",
        }, ["lists", "floats"])
