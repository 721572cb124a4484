"""Privacy of generated data: secrets and personal data a model may have memorised and
written into an instruction, a solution or a test.

Two scanners, one job each: `SecretScanner` (credentials, with `detect-secrets`' format
detectors: AWS/GitHub/Slack/Stripe/... tokens, private keys, JWTs, basic-auth URLs) and
`PiiScanner` (e-mail addresses, phone numbers, public IPv4 addresses). Reserved example
values are not personal data and are not reported: `example.com`/`.test`/`.invalid`
domains (RFC 2606), the fictional 555-01xx numbers, private/loopback/documentation
addresses. The `privacy_filter` curation step reports what it finds (default) or drops
the records (`mode="drop"`); a report never repeats a secret, only a redacted hint.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from dataclasses import asdict, dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from codesynth.models import DatasetRecord
from codesynth.verifiers.curation.filters import Drop, FilterReport, finish, skipped
from codesynth.verifiers.curation.registry import register_filter


@dataclass(frozen=True)
class Finding:
    kind: str  # "secret:<detect-secrets type>", "email", "phone", "ip"
    field: str
    line: int  # 1-based, within the field
    redacted: str


def redact(value: str) -> str:
    """Enough to find it again, not enough to use it."""
    keep = 2 if len(value) <= 8 else 4
    return f"{value[:keep]}...({len(value)} chars)"


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
        with transient_settings({"plugins_used": [{"name": n} for n in self.plugins]}):
            for no, line in enumerate(text.splitlines(), 1):
                if len(line) > 2000:
                    line = line[:2000]  # a minified blob: its start is enough, and bounds the cost
                if not self._MAYBE.search(line):
                    continue
                seen: set[tuple[str, str]] = set()
                for s in scan_line(line):
                    key = (s.type, s.secret_value or "")
                    if key not in seen:
                        seen.add(key)
                        out.append(Finding(f"secret:{s.type}", field, no, redact(s.secret_value or "")))
        return out


_EMAIL = re.compile(r"(?<![\w.+\-:/])[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,})(?![\w-])")
_RESERVED_DOMAINS = ("example.com", "example.org", "example.net", "example", "test", "invalid", "localhost")
# NANP with separators ("(415) 555-2671", "415-555-2671", "+1 415 555 2671") or E.164 ("+442071838750").
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+1[ .-]?)?(?:\(\d{3}\)\s?|\d{3}[ .-])\d{3}[ .-]\d{4}|\+[1-9]\d{7,13})(?![\w])"
)
_IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")


class PiiScanner:
    """E-mail addresses, phone numbers and public IPv4 addresses (real-looking ones only)."""

    def __init__(self, emails: bool = True, phones: bool = True, ips: bool = True):
        self.emails, self.phones, self.ips = emails, phones, ips

    def scan(self, text: str, field: str = "text") -> list[Finding]:
        out: list[Finding] = []
        for no, line in enumerate(text.splitlines(), 1):
            if self.emails:
                for m in _EMAIL.finditer(line):
                    domain = m.group(1).lower()
                    if "://" in (line[: m.start()].split() or [""])[-1]:
                        continue  # user:password@host in a URL: a credential, the secret scanner's
                    if not any(domain == d or domain.endswith("." + d) for d in _RESERVED_DOMAINS):
                        out.append(Finding("email", field, no, redact(m.group(0))))
            if self.phones:
                for m in _PHONE.finditer(line):
                    digits = re.sub(r"\D", "", m.group(0))
                    if not re.search(r"55501\d\d$", digits):  # 555-0100..0199: reserved for fiction
                        out.append(Finding("phone", field, no, redact(m.group(0))))
            if self.ips:
                for m in _IPV4.finditer(line):
                    try:
                        ip = ipaddress.IPv4Address(m.group(0))
                    except ValueError:
                        continue  # 999.1.1.1 is not an address
                    if ip.is_global:
                        out.append(Finding("ip", field, no, redact(m.group(0))))
        return out


class PrivacyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    mode: Literal["report", "drop"] = Field(
        default="report", description="report: keep every record, list findings; drop: remove flagged records."
    )
    secrets: bool = True
    emails: bool = True
    phones: bool = True
    ips: bool = True
    fields: list[Literal["instruction", "solution", "tests"]] = Field(
        default_factory=lambda: ["instruction", "solution", "tests"]
    )


def scan_record(r: DatasetRecord, cfg: PrivacyConfig, secrets: SecretScanner | None, pii: PiiScanner) -> list[Finding]:
    found: list[Finding] = []
    for f in cfg.fields:
        text = getattr(r, f) or ""
        if not isinstance(text, str):
            continue
        if secrets is not None:
            found += secrets.scan(text, f)
        found += pii.scan(text, f)
    return found


def privacy_filter(
    records: list[DatasetRecord], cfg: PrivacyConfig | None = None
) -> tuple[list[DatasetRecord], FilterReport]:
    cfg = cfg or PrivacyConfig()
    if not cfg.enabled:
        return skipped("privacy", records)
    secrets = SecretScanner() if cfg.secrets else None
    pii = PiiScanner(cfg.emails, cfg.phones, cfg.ips)
    drops: list[Drop] = []
    kinds: Counter[str] = Counter()
    flagged: list[dict] = []
    for r in records:
        found = scan_record(r, cfg, secrets, pii)
        if not found:
            continue
        kinds.update(f.kind for f in found)
        detail = {"findings": [asdict(f) for f in found[:20]]}
        if cfg.mode == "drop":
            drops.append(Drop(id=r.id, problem_id=r.problem_id, reason="privacy", detail=detail))
        else:
            r.metadata["privacy"] = detail["findings"]
            flagged.append({"id": r.id, **detail})
    kept, report = finish("privacy", records, drops, mode=cfg.mode, findings=dict(kinds),
                          records_flagged=len(flagged) + len(drops), flagged=flagged[:200])  # fmt: skip
    return kept, report


@register_filter("privacy", config=PrivacyConfig, order=30)
def privacy_step(records, cfg, ctx):
    """Secrets and personal data in instructions, solutions and tests."""
    return privacy_filter(records, cfg)
