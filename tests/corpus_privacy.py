"""A planted-secrets-and-PII corpus in the product's format (DatasetRecord), generated from a seed.

Every class the privacy filter claims is planted in varied templates (in a solution, a test or
an instruction); each class has look-alike CLEAN records: version strings, 10-digit numbers,
documented example keys and test cards, hashes, private addresses, reserved numbers, Luhn-invalid
card-like numbers, prose about streets. Values are random (seeded), so no single string is
what the tests check: the classes are.
"""

from __future__ import annotations

import random
import string

from stdnum import iban as std_iban
from stdnum import luhn, verhoeff
from stdnum.br import cpf as br_cpf
from stdnum.es import dni as es_dni

from codesynth.models import DatasetRecord

LOW, UP, DIG = string.ascii_lowercase, string.ascii_uppercase, string.digits
FIRST = ["Maria", "John", "Aiko", "Lars", "Priya", "Carlos", "Fatima", "Wei", "Olga", "Kwame"]
LAST = ["Garcia", "Smith", "Tanaka", "Nilsen", "Sharma", "Lopez", "Haddad", "Chen", "Ivanova", "Mensah"]
STREETS = ["Maple", "Oak", "Cedar Hill", "Washington", "Lakeview", "Pine", "Sunset", "Willow Creek"]
TYPES = ["Street", "Avenue", "Road", "Boulevard", "Lane", "Drive", "Court", "Way"]
CITIES = [("Springfield", "IL"), ("Portland", "OR"), ("Austin", "TX"), ("Madison", "WI"), ("Denver", "CO")]


def _r(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _card(rng: random.Random) -> str:
    prefix = rng.choice(["4", "51", "52", "55", "2221", "34", "37", "6011"])
    length = 15 if prefix in ("34", "37") else 16
    body = prefix + _r(rng, DIG, length - len(prefix) - 1)
    num = body + luhn.calc_check_digit(body)
    if len(num) == 16 and rng.random() < 0.5:
        return " ".join(num[i:i + 4] for i in range(0, 16, 4))
    return num


def _iban(rng: random.Random) -> str:
    country, bban = rng.choice([("DE", _r(rng, DIG, 18)), ("FR", _r(rng, DIG, 23)), ("NL", "ABNA" + _r(rng, DIG, 10)),
                                ("ES", _r(rng, DIG, 20)), ("GB", "NWBK" + _r(rng, DIG, 14))])
    check = std_iban.calc_check_digits(country + "00" + bban)
    num = country + check + bban
    return " ".join(num[i:i + 4] for i in range(0, len(num), 4)) if rng.random() < 0.5 else num


def _ssn(rng: random.Random) -> str:
    area = rng.choice([n for n in range(1, 900) if n != 666])
    return f"{area:03d}-{rng.randint(1, 99):02d}-{rng.randint(1, 9999):04d}"


def _phone(rng: random.Random) -> str:
    while True:
        style = rng.randrange(5)
        if style == 0:  # US with separators, area code 2-9xx
            n = f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
        elif style == 1:
            n = f"+1 {rng.randint(201, 989)}-{rng.randint(200, 999)}-{rng.randint(0, 9999):04d}"
        elif style == 2:  # UK London, spaced
            n = f"+44 20 {rng.randint(7000, 8999)} {rng.randint(0, 9999):04d}"
        elif style == 3:  # Germany Berlin, spaced
            n = f"+49 30 {rng.randint(1000000, 9999999)}"
        else:  # France mobile, spaced pairs
            n = "+33 6 " + " ".join(f"{rng.randint(0, 99):02d}" for _ in range(4))
        import phonenumbers

        num = phonenumbers.parse(n, "US")
        if phonenumbers.is_valid_number(num) and "555-01" not in n:
            return n


def _ip(rng: random.Random) -> str:
    import ipaddress

    while True:
        ip = ipaddress.IPv4Address(rng.getrandbits(32))
        if ip.is_global:
            return str(ip)


def _cpf(rng: random.Random) -> str:
    while True:
        base = _r(rng, DIG, 9)
        d1 = (sum((10 - i) * int(c) for i, c in enumerate(base)) * 10) % 11 % 10
        d2 = (sum((11 - i) * int(c) for i, c in enumerate(base + str(d1))) * 10) % 11 % 10
        num = base + str(d1) + str(d2)
        if br_cpf.is_valid(num):
            return br_cpf.format(num)


def _dni(rng: random.Random) -> str:
    base = _r(rng, DIG, 8)
    return base + es_dni.calc_check_digit(base)


def _aadhaar(rng: random.Random) -> str:
    base = str(rng.randint(2, 9)) + _r(rng, DIG, 10)
    num = base + verhoeff.calc_check_digit(base)
    return f"{num[:4]} {num[4:8]} {num[8:]}"


def _address(rng: random.Random) -> str:
    city, state = rng.choice(CITIES)
    return (f"{rng.randint(1, 9999)} {rng.choice(STREETS)} {rng.choice(TYPES)}, {city}, {state} "
            f"{rng.randint(10000, 99999)}")


def _email(rng: random.Random) -> str:
    return f"{rng.choice(FIRST).lower()}.{rng.choice(LAST).lower()}{rng.randint(1, 99)}@" + rng.choice(
        ["gmail.com", "outlook.com", "yahoo.co.uk", "proton.me", "corp-mail.de"])


def _name(rng: random.Random) -> str:
    return f"{rng.choice(FIRST)} {rng.choice(LAST)}"


#: class -> value maker (secrets are split so no scanner mistakes this file for a leak)
PLANTED = {
    "aws_key": lambda g: "AKIA" + _r(g, UP + DIG, 16),
    "github_token": lambda g: "gh" + "p_" + _r(g, LOW + UP + DIG, 36),
    "github_fine_grained": lambda g: "github" + "_pat_" + _r(g, UP + DIG, 22) + "_" + _r(g, LOW + UP + DIG, 59),
    "google_api_key": lambda g: "AI" + "za" + _r(g, LOW + UP + DIG + "_-", 35),
    "slack_token": lambda g: "xo" + "xb-" + _r(g, DIG, 10) + "-" + _r(g, DIG, 10) + "-" + _r(g, LOW + UP + DIG, 24),
    "stripe_key": lambda g: "sk" + "_live_" + _r(g, LOW + UP + DIG, 24),
    "private_key": lambda g: "-----BEGIN " + g.choice(["RSA ", "EC ", "OPENSSH ", ""]) + "PRIVATE" + " KEY-----",
    "basic_auth_url": lambda g: f"postgres://{g.choice(LAST).lower()}:{_r(g, LOW + DIG, 12)}@db{g.randint(1, 9)}.corp.internal:5432/app",
    "email": _email,
    "phone": _phone,
    "ip": _ip,
    "card": _card,
    "iban": _iban,
    "ssn": lambda g: _ssn(g),
    "national_id": lambda g: g.choice([_cpf, _dni, _aadhaar])(g),
    "address": _address,
}

#: value -> text around it, as a model might write it (solution, tests or instruction)
TEMPLATES = {
    "solution": [
        'API_KEY = "{v}"\n\ndef fetch(path):\n    return request(path, key=API_KEY)\n',
        'def contact():\n    # reach the owner: {v}\n    return {{"owner": "{n}", "contact": "{v}"}}\n',
        'DEFAULTS = {{\n    "user": "{n}",\n    "value": "{v}",\n}}\n\ndef get(k):\n    return DEFAULTS[k]\n',
        'def billing_record():\n    return ("{n}", "{v}")\n',
    ],
    "tests": [
        'assert normalize("{v}") == "{v}".strip()\n',
        'def check(candidate):\n    assert candidate("{n}", "{v}") is not None\n',
    ],
    "instruction": [
        "Write a function that sends a welcome message to {n} ({v}) and returns True on success.",
        "Parse the customer line '{n}; {v}' into a tuple of its two fields.",
    ],
}

#: where an address is written as an address (a bare dotted quad is not read as one: see CLEAN)
IP_TEMPLATES = [
    'HOST = "{v}"\n\ndef ping():\n    return connect(HOST, 22)\n',
    'def status():\n    return requests.get("http://{v}:8080/health").json()\n',
    "Write a function that opens an SSH session to the server at {v} as {n} and lists /tmp.",
    'assert resolve("db.internal") == "{v}"  # the production host\n',
]

CLEAN = {
    "version_string": lambda g: f"{g.randint(1, 9)}.{g.randint(0, 30)}.{g.randint(0, 30)}.{g.randint(0, 300)}",
    "ten_digit_number": lambda g: str(g.randint(1_000_000_000, 9_999_999_999)),
    "documented_aws_example": lambda g: g.choice(["AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"]),
    "test_card": lambda g: g.choice(["4111 1111 1111 1111", "4242424242424242", "5555555555554444", "378282246310005"]),
    "luhn_invalid_16_digits": lambda g: _not_luhn(g),
    "sha1_hash": lambda g: _r(g, "0123456789abcdef", 40),
    "uuid": lambda g: "-".join(_r(g, "0123456789abcdef", n) for n in (8, 4, 4, 4, 12)),
    "private_ip": lambda g: g.choice([f"10.{g.randint(0, 255)}.{g.randint(0, 255)}.{g.randint(1, 254)}",
                                      f"192.168.{g.randint(0, 255)}.{g.randint(1, 254)}", "127.0.0.1",
                                      f"203.0.113.{g.randint(1, 254)}"]),
    "fictional_phone": lambda g: f"({g.randint(201, 989)}) 555-01{g.randint(0, 99):02d}",
    "reserved_email": lambda g: f"{g.choice(FIRST).lower()}@example.{g.choice(['com', 'org', 'net'])}",
    "date_and_time": lambda g: f"2024-{g.randint(1, 12):02d}-{g.randint(1, 28):02d} {g.randint(0, 23):02d}:{g.randint(0, 59):02d}",
    "street_words": lambda g: f"Take {g.randint(2, 9)} steps down the {g.choice(['road', 'street', 'lane'])}",
    "big_int_expression": lambda g: f"{g.randint(10**14, 10**16)} * {g.randint(2, 99)}",
    "semver_pin": lambda g: f"requests=={g.randint(1, 3)}.{g.randint(0, 32)}.{g.randint(0, 9)}",
}

CLEAN_TEMPLATES = [
    'VERSION = "{v}"\n\ndef version():\n    return VERSION\n',
    'def parse(s):\n    return s.split()\n\nassert parse("{v} ok") == ["{v}".split()[0], *"{v}".split()[1:], "ok"]\n',
    'def describe():\n    """Example input: {v}."""\n    return "{v}"\n',
    "# sample value: {v}\ndef identity(x):\n    return x\n",
]


def _not_luhn(g: random.Random) -> str:
    while True:
        n = "4" + _r(g, DIG, 15)
        if not luhn.is_valid(n):
            return n


def _rec(i: int, kind: str, field: str, text: str, label: str) -> DatasetRecord:
    fields = {"instruction": "Write the function.", "solution": "def f(x):\n    return x\n",
              "tests": "assert f(1) == 1\n"}
    fields[field] = text
    return DatasetRecord(id=f"{label}/{kind}/{i}::c", problem_id=f"{label}/{kind}/{i}", candidate_id="c",
                         metadata={"planted": kind if label == "leak" else None, "class": kind}, **fields)


def corpus(per_class: int = 20, seed: int = 7) -> list[DatasetRecord]:
    """Planted records (metadata.planted = class) and clean look-alikes (metadata.planted = None)."""
    g = random.Random(seed)
    out = []
    for kind, make in PLANTED.items():
        for i in range(per_class):
            field = g.choice(list(TEMPLATES))
            template = g.choice(TEMPLATES[field])
            if kind == "ip":
                template = g.choice(IP_TEMPLATES)
                field = "instruction" if template.startswith("Write") else "solution"
            text = template.format(v=make(g), n=_name(g))
            out.append(_rec(i, kind, field, text, "leak"))
    for kind, make in CLEAN.items():
        for i in range(per_class):
            text = g.choice(CLEAN_TEMPLATES).format(v=make(g))
            out.append(_rec(i, kind, "solution", text, "clean"))
    return out
