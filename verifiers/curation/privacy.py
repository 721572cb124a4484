"""Privacy of generated data: secrets and personal data a model may have memorised and
written into an instruction, a solution or a test.

Two scanners, one job each: `SecretScanner` (credentials, with `detect-secrets`' format
detectors: AWS/GitHub/Slack/Stripe/... tokens, private keys, JWTs, basic-auth URLs, plus the
formats it lacks: GitHub fine-grained `github_pat_`, Google `AIza`, Hugging Face `hf_`) and
`PiiScanner` (e-mails; phone numbers of any country by `phonenumbers`; public IPv4 addresses
but not version strings; cards, IBANs, SSNs and national IDs checked by their check digits
with `python-stdnum`; street addresses). Reserved and documented example values are not
personal data and are not reported: `example.com`/`.test`/`.invalid` domains (RFC 2606), the
fictional 555-01xx numbers, private/loopback/documentation addresses, AWS's documented
example key, published test cards, the IBAN standard's examples. The `privacy_filter` curation
step drops flagged records (default), redacts the findings (`mode="redact"`) or only reports
them (`mode="report"`); a report never repeats a secret, only a redacted hint.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from codesynth.models import DatasetRecord
from codesynth.verifiers.curation.filters import Drop, FilterReport, finish, skipped
from codesynth.verifiers.curation.registry import register_filter


@dataclass(frozen=True)
class Finding:
    kind: str  # "secret:<type>", "email", "phone", "ip", "card", "iban", "ssn", "national_id:<kind>", "address"
    field: str
    line: int  # 1-based, within the field
    redacted: str
    value: str = dc_field(default="", repr=False, compare=False)  # for redaction only: never reported

    def public(self) -> dict:
        return {"kind": self.kind, "field": self.field, "line": self.line, "redacted": self.redacted}


def redact(value: str) -> str:
    """Enough to find it again, not enough to use it."""
    keep = 2 if len(value) <= 8 else 4
    return f"{value[:keep]}...({len(value)} chars)"


#: Token formats detect-secrets 1.5 has no detector for (each provider's documented prefix and length).
EXTRA_TOKENS = (
    ("GitHub Fine-Grained Token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{60,}")),
    ("Google API Key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}(?![0-9A-Za-z_\-])")),
    ("Hugging Face Token", re.compile(r"\bhf_[A-Za-z]{34}\b")),
    ("Anthropic API Key", re.compile(r"\bsk-ant-[A-Za-z0-9_\-]{32,}")),
)


class SecretScanner:
    """Credentials by their format (detect-secrets). The entropy detectors and the keyword
    detector are off: in code they flag every identifier and every `password = "..."`
    fixture of a login exercise, which is noise, not leaked data."""

    #: Every format detector needs one of these on the line (a token of 16+ characters, a URL
    #: with credentials, a private key header), so most code lines skip detect-secrets' 20
    #: detectors: ~10x faster on code, and nothing they report is missed.
    _MAYBE = re.compile(r"[A-Za-z0-9+/_=\-]{16,}|://|PRIVATE KEY|PuTTY-User-Key")

    EXCLUDE = frozenset({"Base64HighEntropyString", "HexHighEntropyString", "KeywordDetector", "IPPublicDetector"})

    def __init__(self, exclude: frozenset[str] | None = None):
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

        exclude = self.EXCLUDE if exclude is None else exclude
        self.plugins = sorted(
            {c.__name__ for c in get_mapping_from_secret_type_to_class().values()} - set(exclude)
        )

    def scan(self, text: str, field: str = "text") -> list[Finding]:
        from detect_secrets.core.scan import scan_line
        from detect_secrets.settings import transient_settings

        out: list[Finding] = []
        lines = [(no, line[:2000]) for no, line in enumerate(text.splitlines(), 1)  # a minified blob: its start
                 if self._MAYBE.search(line[:2000])]  # most code lines cannot hold a token: skip the scan
        if not lines:
            return out
        with transient_settings({"plugins_used": [{"name": n} for n in self.plugins]}):
            for no, line in lines:
                seen: set[tuple[str, str]] = set()
                found = [(s.type, s.secret_value or "") for s in scan_line(line)]
                found += [(kind, m.group(0)) for kind, rx in EXTRA_TOKENS for m in rx.finditer(line)]
                for key in found:
                    if key not in seen and not _documented(key[1]):
                        seen.add(key)
                        out.append(Finding(f"secret:{key[0]}", field, no, redact(key[1]), key[1]))
        return out


_DIGIT = re.compile(r"\d")
_EMAIL = re.compile(r"(?<![\w.+\-:/])[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})(?![\w-])")
_RESERVED_DOMAINS = ("example.com", "example.org", "example.net", "example", "test", "invalid", "localhost")
#: a run that may be a phone number: phonenumbers then decides (region rules, no 0/1 area codes)
_PHONE_RUN = re.compile(r"(?<![\w.])(?:\+\d|\(\d|\d)[\d ()./-]{6,18}\d(?![\w.])")
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
#: a dotted quad after one of these is a version, not an address ("version 2.7.18.4", "v1.2.3.4", "==1.2.3.4")
_VERSION_BEFORE = re.compile(r"(?:\b(?:version|ver|release|build|firmware)\W{0,5}|\bv|[\w\]](?:==|>=|<=|~=|!=))$", re.I)
#: a dotted quad is read as an address only where the line speaks of one (a bare "2.11.3.45" is
#: as likely a version or a benchmark value as a host)
_IP_CONTEXT = re.compile(r"://|\b(?:ip|ips|ipv4|host|hostname|addr|address|server|connect|dns|proxy|socket|"
                         r"ping|resolve|resolves|gateway|ssh|remote|endpoint|upstream|bind|listen|peer|client)\b|@\s*$", re.I)
_DATE = re.compile(r"\b(?:19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}\b|\b\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)\d{2}\b")
_CARD_RUN = re.compile(r"(?<![\w-])\d(?:[ -]?\d){12,18}(?![\w-])")
_IBAN_RUN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?\b")
_SSN = re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])")
_SSN_BARE = re.compile(r"(?i)\b(?:ssn|social security(?: number)?)\W{0,5}(\d{9})\b")
#: national IDs by their own check digits, where a keyword or the format says which
_NATIONAL = (
    ("cpf", re.compile(r"(?<![\d.])\d{3}\.\d{3}\.\d{3}-\d{2}(?![\d])"), "stdnum.br.cpf"),
    ("dni", re.compile(r"(?<![\w])\d{8}-?[A-HJ-NP-TV-Z](?![\w])"), "stdnum.es.dni"),
    ("aadhaar", re.compile(r"(?<!\d)(?<!\d )[2-9]\d{3} \d{4} \d{4}(?! ?\d)"), "stdnum.in_.aadhaar"),
    ("nhs", re.compile(r"(?i)\bnhs\b\D{0,20}(\d{3} ?\d{3} ?\d{4})\b"), "stdnum.gb.nhs"),
)
_STREET = (r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Terrace|"
           r"Parkway|Pkwy|Highway|Hwy|Square|Sq")
#: "1600 Amphitheatre Parkway, Mountain View, CA 94043", "42 Elm Street, Springfield":
#: number + capitalised name + street type, then a city (and maybe a state and ZIP)
_ADDRESS = re.compile(
    r"\b\d{1,5}[A-Z]?\s+(?:[A-Z][a-z]+\s+){1,3}(?:" + _STREET + r")\.?,?\s+(?:Apt\.? \w+,?\s+)?"
    r"[A-Z][a-z]+(?:\s[A-Z][a-z]+)?(?:,\s*[A-Z]{2})?(?:\s+\d{5}(?:-\d{4})?)?\b")

#: Values published as examples (documentation, test cards): not anyone's data.
DOCUMENTED_EXAMPLES = frozenset({
    "AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",  # AWS's documentation
    "4111111111111111", "4242424242424242", "5555555555554444", "378282246310005", "6011111111111117",
    "4012888888881881", "5105105105105100",  # card networks' / processors' published test cards
    "GB82WEST12345698765432", "DE89370400440532013000",  # the IBAN standard's own examples
    "123-45-6789", "078-05-1120", "219-09-9999",  # SSA's advertised/invalid example SSNs
})


def _documented(value: str) -> bool:
    v = re.sub(r"[ -]", "", value)
    return value in DOCUMENTED_EXAMPLES or v in DOCUMENTED_EXAMPLES or "EXAMPLE" in value


def _iban_ok(value: str) -> bool:
    """The ISO 13616 mod-97 check and the country's length; not the national check digits (a
    leaked IBAN is a leak whatever its bank's own checksum says)."""
    from stdnum import iban
    from stdnum.exceptions import ValidationError

    try:
        iban.validate(value, check_country=False)
    except ValidationError:
        return False
    return True


def _check(module: str, value: str) -> bool:
    import importlib

    return bool(importlib.import_module(module).is_valid(value))


class PiiScanner:
    """Personal data in text: e-mail addresses, phone numbers (any country, by `phonenumbers`),
    public IPv4 addresses (not version strings), payment cards (Luhn and issuer prefix), IBANs
    (ISO 7064 check), US SSNs, national IDs with check digits (`python-stdnum`: BR CPF, ES DNI,
    IN Aadhaar, UK NHS) and street addresses. Reserved and documented example values are not
    personal data and are not reported."""

    def __init__(self, emails: bool = True, phones: bool = True, ips: bool = True, cards: bool = True,
                 ibans: bool = True, ssns: bool = True, national_ids: bool = True, addresses: bool = True,
                 region: str = "US"):
        self.emails, self.phones, self.ips, self.cards = emails, phones, ips, cards
        self.ibans, self.ssns, self.national_ids, self.addresses = ibans, ssns, national_ids, addresses
        self.region = region

    def scan(self, text: str, field: str = "text") -> list[Finding]:
        out: list[Finding] = []
        for no, line in enumerate(text.splitlines(), 1):
            if len(line) > 2000:
                line = line[:2000]
            out += [Finding(kind, field, no, redact(v), v) for kind, v in self._line(line)]
        return out

    def _line(self, line: str):
        # a regex is C speed; str.isdigit also takes non-ASCII digits (², ٣), which \d may not
        has_digit = _DIGIT.search(line) is not None or (not line.isascii() and any(c.isdigit() for c in line))
        if self.emails and "@" in line:
            for m in _EMAIL.finditer(line):
                domain = m.group(1).lower()
                if "://" in (line[: m.start()].split() or [""])[-1]:
                    continue  # user:password@host in a URL: a credential, the secret scanner's
                if not any(domain == d or domain.endswith("." + d) for d in _RESERVED_DOMAINS):
                    yield "email", m.group(0)
        if not has_digit:
            return
        taken: list[tuple[int, int]] = []  # spans already reported (a card is not also a phone)

        def free(m) -> bool:
            return not any(a < m.end() and m.start() < b for a, b in taken)

        if self.cards:
            from stdnum import luhn

            for m in _CARD_RUN.finditer(line):
                digits = re.sub(r"\D", "", m.group(0))
                if re.match(r"4|5[1-5]|2[2-7]|3[47]|6(?:011|5)|35", digits) and luhn.is_valid(digits) \
                        and not _documented(m.group(0)) and (len(set(digits)) > 2):
                    taken.append(m.span())
                    yield "card", m.group(0)
        if self.ibans:
            for m in _IBAN_RUN.finditer(line):
                if free(m) and _iban_ok(m.group(0)) and not _documented(m.group(0)):
                    taken.append(m.span())
                    yield "iban", m.group(0)
        if self.ssns:
            for m in [*_SSN.finditer(line), *_SSN_BARE.finditer(line)]:
                v = m.group(m.lastindex or 0)
                if free(m) and _check("stdnum.us.ssn", v) and not _documented(v):
                    taken.append(m.span())
                    yield "ssn", v
        if self.national_ids:
            for kind, rx, module in _NATIONAL:
                for m in rx.finditer(line):
                    v = m.group(m.lastindex or 0)
                    if free(m) and _check(module, v):
                        taken.append(m.span())
                        yield f"national_id:{kind}", v
        if self.ips:
            context = _IP_CONTEXT.search(line) is not None
            for m in _IPV4.finditer(line) if context else ():
                if not free(m) or _VERSION_BEFORE.search(line[: m.start()]):
                    continue
                try:
                    ip = ipaddress.IPv4Address(m.group(0))
                except ValueError:
                    continue  # 999.1.1.1 is not an address
                if ip.is_global:
                    taken.append(m.span())
                    yield "ip", m.group(0)
        if self.phones:
            yield from self._phones(line, free, taken)
        if self.addresses:
            for m in _ADDRESS.finditer(line):
                if free(m):
                    yield "address", m.group(0)

    def _phones(self, line, free, taken):
        import phonenumbers

        dates = [m.span() for m in _DATE.finditer(line)]
        for m in _PHONE_RUN.finditer(line):
            raw = m.group(0)
            if not free(m) or any(a < m.end() and m.start() < b for a, b in dates):
                continue
            # A bare run of digits is a number, not a phone: a phone is written with a leading +
            # or with separators (what people write); then phonenumbers checks it is a real one.
            if not raw.startswith("+") and not re.search(r"[ ()./-]", raw.strip()):
                continue
            try:
                num = phonenumbers.parse(raw, None if raw.startswith("+") else self.region)
            except phonenumbers.NumberParseException:
                continue
            if not phonenumbers.is_valid_number(num):
                continue
            national = str(num.national_number)
            if num.country_code == 1 and re.search(r"55501\d\d$", national):
                continue  # 555-0100..0199: reserved for fiction
            taken.append(m.span())
            yield "phone", raw.strip()


class PrivacyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    mode: Literal["drop", "redact", "report"] = Field(
        default="drop", description="drop: remove flagged records; redact: replace each finding with "
        "<REDACTED:kind> (the record is then no longer the verified program); report: keep, list findings.")
    secrets: bool = True
    emails: bool = True
    phones: bool = True
    ips: bool = True
    cards: bool = Field(default=True, description="Payment card numbers (Luhn-valid, known issuer prefix; published test cards allowed).")
    ibans: bool = Field(default=True, description="IBANs (valid mod-97 check; the standard's examples allowed).")
    ssns: bool = Field(default=True, description="US social security numbers next to SSN context (valid area/group/serial).")
    national_ids: bool = Field(default=True, description="National IDs with check digits (BR CPF, ES DNI, IN Aadhaar, UK NHS).")
    addresses: bool = Field(default=True, description="Street addresses (a number, a street name and a street type).")
    region: str = Field(default="US", description="Phone numbers written without +country are read as this region's.")
    fields: list[Literal["instruction", "solution", "tests"]] = Field(
        default_factory=lambda: ["instruction", "solution", "tests"]
    )


def scanners(cfg: PrivacyConfig) -> tuple[SecretScanner | None, PiiScanner]:
    return (SecretScanner() if cfg.secrets else None,
            PiiScanner(cfg.emails, cfg.phones, cfg.ips, cfg.cards, cfg.ibans, cfg.ssns, cfg.national_ids,
                       cfg.addresses, cfg.region))


def scan_record(r: DatasetRecord, cfg: PrivacyConfig, secrets: SecretScanner | None, pii: PiiScanner) -> list[Finding]:
    found: list[Finding] = []
    for f in cfg.fields:
        text = getattr(r, f) or ""
        if not isinstance(text, str):
            text = "\n".join(str(c.model_dump()) for c in text)  # data-form cases: their values
        if secrets is not None:
            found += secrets.scan(text, f)
        found += pii.scan(text, f)
    return found


def _redact(r: DatasetRecord, found: list[Finding]) -> None:
    for f in found:
        text = getattr(r, f.field)
        if isinstance(text, str) and f.value:
            setattr(r, f.field, text.replace(f.value, f"<REDACTED:{f.kind}>"))


def privacy_filter(
    records: list[DatasetRecord], cfg: PrivacyConfig | None = None
) -> tuple[list[DatasetRecord], FilterReport]:
    cfg = cfg or PrivacyConfig()
    if not cfg.enabled:
        return skipped("privacy", records)
    secrets, pii = scanners(cfg)
    drops: list[Drop] = []
    kinds: Counter[str] = Counter()
    flagged: list[dict] = []
    for r in records:
        found = scan_record(r, cfg, secrets, pii)
        if not found:
            continue
        kinds.update(f.kind for f in found)
        drop, flag = judge(r, found, cfg)
        if drop is not None:
            drops.append(drop)
        else:
            flagged.append(flag)
    return finish("privacy", records, drops, **privacy_stats(cfg, kinds, flagged, drops))


def judge(r: DatasetRecord, found: list[Finding], cfg: PrivacyConfig) -> tuple[Drop | None, dict | None]:
    """What the filter does with a record that has findings: (its drop, None) in drop mode;
    else (None, its flag), the record redacted or annotated in place."""
    detail = {"findings": [f.public() for f in found[:20]]}
    if cfg.mode == "drop":
        return Drop(id=r.id, problem_id=r.problem_id, reason="privacy", detail=detail), None
    if cfg.mode == "redact":
        _redact(r, found)
        r.metadata["privacy_redacted"] = detail["findings"]
    else:
        r.metadata["privacy"] = detail["findings"]
    return None, {"id": r.id, **detail}


def privacy_stats(cfg: PrivacyConfig, kinds: Counter[str], flagged: list[dict], drops: list[Drop]) -> dict:
    return {"mode": cfg.mode, "findings": dict(kinds), "records_flagged": len(flagged) + len(drops),
            "flagged": flagged[:200]}


@register_filter("privacy", config=PrivacyConfig, order=30)
def privacy_step(records, cfg, ctx):
    """Secrets and personal data in instructions, solutions and tests (dropped by default)."""
    return privacy_filter(records, cfg)
