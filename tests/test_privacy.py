"""The privacy filter on generated data, with the real detect-secrets and real strings."""

from __future__ import annotations

import json

import pytest

from codesynth.models import DatasetRecord
from codesynth.verifiers.curation.privacy import PiiScanner, PrivacyConfig, SecretScanner, privacy_filter

# Split so that no scanner (ours or a host's) mistakes this test file for a leak.
AWS = "AKIA" + "QX7RZ4TWBV2MLK9D"
GITHUB = "ghp_" + "Zx81bQw2LmN4pR7tV9yK3sD6fH0jA5cE1gU8"
SLACK = "xoxb-" + "2048163259-4096327518-Kp4nZ8wQ2rT6yV1bX3mL7sJ9"
JWT = "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"

MUST_FLAG = [
    (f'AWS_ACCESS_KEY_ID = "{AWS}"', "secret:AWS Access Key"),
    (f'token = "{GITHUB}"', "secret:GitHub Token"),
    (f'client = Slack("{SLACK}")', "secret:Slack Token"),
    (f'auth = "Bearer {JWT}"', "secret:JSON Web Token"),
    ('db = connect("postgres://admin:' + 'Wq8vLz2x@db.corp.internal:5432/prod")', "secret:Basic Auth Credentials"),
    ("-----BEGIN RSA " + "PRIVATE KEY-----", "secret:Private Key"),
    ('send_mail("jane.doe1987@gmail.com", body)', "email"),
    ("Call me at (415) 867-5309 tonight.", "phone"),
    ("phone = '+442071838750'", "phone"),
    ('requests.get("http://8.8.4.4/status")', "ip"),
]

MUST_KEEP = [
    "def reverse_words(sentence: str) -> str:\n    return ' '.join(reversed(sentence.split()))\n",
    "assert is_valid_email('user@example.com') is True\nassert is_valid_email('a@b.test')\n",
    "assert format_phone('2125550188') == '(212) 555-0188'\n",  # 555-01xx is reserved for fiction
    "assert parse_ip('192.168.1.10') == (192, 168, 1, 10)\nassert parse_ip('127.0.0.1')\nassert f('203.0.113.7')\n",
    "assert add(10**20, 1) == 100000000000000000001\nassert digits(1234567890) == 10\n",
    "def check_login(user, password):\n    return password == 'hunter2'\n",  # a fixture, not a leak
    "very_long_identifier_name_for_the_accumulator = compute_the_running_total(values)\n",
]


@pytest.mark.parametrize("text, kind", MUST_FLAG, ids=[k for _, k in MUST_FLAG])
def test_leaks_are_found(text, kind):
    found = SecretScanner().scan(text) + PiiScanner().scan(text)
    assert kind in {f.kind for f in found}, found


@pytest.mark.parametrize("text", MUST_KEEP)
def test_honest_code_is_not_flagged(text):
    assert SecretScanner().scan(text) + PiiScanner().scan(text) == []


def _rec(i: int, solution: str, tests: str = "assert f(1) == 1\n") -> DatasetRecord:
    return DatasetRecord(id=f"p{i}::c", problem_id=f"p{i}", candidate_id="c", instruction="Do it.",
                         solution=solution, tests=tests)  # fmt: skip


def test_filter_drops_by_default_and_reports_on_request():
    recs = [_rec(i, t) for i, t in enumerate(MUST_KEEP)]
    leaky = [_rec(100, f'KEY = "{AWS}"\ndef f(x):\n    return x\n'),
             _rec(101, "def f(x):\n    return x\n", tests="assert f('jane.doe1987@gmail.com')\n")]  # fmt: skip
    kept, rep = privacy_filter([r.model_copy(deep=True) for r in recs + leaky], PrivacyConfig(mode="report"))
    assert len(kept) == len(recs) + 2 and rep.dropped == 0  # report only
    assert rep.stats["records_flagged"] == 2 and rep.stats["findings"] == {"secret:AWS Access Key": 1, "email": 1}
    by_id = {r.id: r for r in kept}
    assert by_id["p100::c"].metadata["privacy"][0]["field"] == "solution"
    assert by_id["p101::c"].metadata["privacy"][0]["field"] == "tests"
    assert all("privacy" not in r.metadata for r in kept if r.id not in ("p100::c", "p101::c"))
    # the report says where, never what: no secret or address in it
    dumped = rep.model_dump_json()
    assert AWS not in dumped and "jane.doe1987@gmail.com" not in dumped

    kept, rep = privacy_filter(recs + leaky)
    assert {r.id for r in kept} == {r.id for r in recs}
    assert rep.reasons == {"privacy": 2} and AWS not in json.dumps([d.detail for d in rep.drops])

    kept, rep = privacy_filter(recs + leaky, PrivacyConfig(mode="drop", secrets=False, fields=["solution"]))
    assert {r.id for r in kept} == {r.id for r in recs} | {"p100::c", "p101::c"}
