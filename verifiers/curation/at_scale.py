"""Dedup, privacy and decontamination of a JSONL file of any size: streamed, on every core, in
bounded memory, with the in-memory filters' decisions (the same records dropped for the same
reasons, the same three reports as `dedup` -> `privacy_filter` -> `decontaminate`).

Pass 1 (worker processes, chunks of lines, results merged in input order): each record is
parsed once and its canonical form computed once (`canonical_tokens` is cached, so dedup's
shingles and decontamination's code n-grams share it); the per-record filters decide there
(privacy findings, benchmark matches) and dedup's global decision gets a compact summary:
the rank key, a 16-byte digest of the exact key, the MinHash signature (a uint32 row), its
LSH band keys and the 64-bit hashes of its shingles. No record is held.

Main process: exact duplicates by sorting digests; near duplicates in rank order as
`dedup` does (query the LSH index of kept records, estimate, confirm with the exact
Jaccard), but only for records that share a band with another record: the rest can have no
candidate and no record can have them as one. The band keys are 64-bit hashes of the bands;
a candidate's band is compared row for row, as datasketch's index compares it.

Pass 2: the kept lines are written as they were read (records that privacy redacted or
annotated, re-serialized), atomically.

The one difference from the in-memory path: the exact Jaccard of a candidate pair is taken
on 64-bit hashes of the shingles rather than the shingle strings, so a hash collision
(probability ~1e-15 per pair) could move one pair's similarity. Record ids must be unique
(the filters key their drops by id); a duplicate id is refused with its line.
"""

from __future__ import annotations

import multiprocessing as mp
import multiprocessing.util
import os
from collections import Counter, deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import xxhash
from pydantic import ValidationError

from codesynth.errors import InputError
from codesynth.jsonl import (
    decode_line,
    describe_validation_error,
    json_error_text,
    open_bytes,
    readable,
    write_lines,
)
from codesynth.models import DatasetRecord
from codesynth.verifiers.curation.decontam import (
    NO_MEANING,
    Contamination,
    DecontamConfig,
    contamination_drop,
    decontam_report,
    load_items,
)
from codesynth.verifiers.curation.dedup import (
    ESTIMATE_SLACK,
    DedupConfig,
    MinHasher,
    band_params,
    digest,
    exact_drop,
    fingerprint,
    near_drop,
    rank,
)
from codesynth.verifiers.curation.filters import Drop, FilterReport, report, skipped_report
from codesynth.verifiers.curation.privacy import PrivacyConfig, judge, privacy_stats, scan_record, scanners

#: records per job: big enough that a job's numpy work amortises, small enough that the
#: canonical-form cache (4,096 programs) holds a job's programs between dedup and decontam
CHUNK = 256


@dataclass
class _Part:
    """What pass 1 keeps of a chunk of records."""

    lines: list[int]  # line numbers in the file
    ids: list[str]
    problem_ids: list[str]
    ranks: list[tuple]
    digests: np.ndarray  # (n, 2) uint64
    sigs: np.ndarray  # (n, num_perm) uint32
    bands: np.ndarray  # (n, bands) uint64
    shingles: np.ndarray  # every record's sorted 64-bit shingle hashes, concatenated
    sizes: np.ndarray  # shingles per record
    #: chunk index -> (finding kinds, drop or None, flag or None, the record re-serialized if changed)
    privacy: dict[int, tuple[list[str], Drop | None, dict | None, str | None]] = field(default_factory=dict)
    decontam: dict[int, list[dict]] = field(default_factory=dict)  # chunk index -> matches


@dataclass
class _Job:
    path: str
    dedup: DedupConfig
    privacy: PrivacyConfig
    decontam: DecontamConfig
    items: list
    meaning: bool


_W: dict = {}  # the worker's state, made once per process by _init


def _init(job: _Job) -> None:
    embedder = None
    if job.meaning:
        from codesynth.embeddings import Embedder

        embedder = Embedder()
    b, r = band_params(job.dedup)
    rng = np.random.default_rng(0)  # the band-key multipliers: any fixed odd numbers will do
    check = Contamination(job.decontam, job.items, embedder) if job.items else None
    if check is not None:
        # its behaviour check's child must go before the worker exits: multiprocessing joins a
        # worker's live children at exit, and that child waits for work forever
        mp.util.Finalize(check, check.close, exitpriority=10)
    _W.update(job=job, hasher=MinHasher(job.dedup.num_perm), scanners=scanners(job.privacy), check=check,
              ranges=[(i * r, (i + 1) * r) for i in range(b)],
              mult=rng.integers(1, 2**63, size=job.dedup.num_perm, dtype=np.uint64) * np.uint64(2) + np.uint64(1))


def _parse(path: str, lineno: int, raw: bytes) -> DatasetRecord:
    try:
        return DatasetRecord.model_validate_json(raw)
    except ValidationError:
        pass  # say it as the file readers do: the JSON error, else the fields
    import json

    line = decode_line(raw, f"{path}:{lineno}")
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as e:
        raise InputError(f"{path}:{lineno}: {json_error_text(e)}") from None
    if not isinstance(obj, dict):
        raise InputError(f"{path}:{lineno}: expected a JSON object, got {type(obj).__name__}")
    try:
        DatasetRecord.model_validate(obj)
    except ValidationError as e:
        raise InputError(f"{path}:{lineno}: {describe_validation_error(e)}") from None
    raise InputError(f"{path}:{lineno}: not a dataset record")  # pragma: no cover - both parsers agree


def _pass1(lines: list[tuple[int, bytes]]) -> _Part:
    job: _Job = _W["job"]
    recs = [_parse(job.path, no, raw) for no, raw in lines]
    d = job.dedup
    keys, sets = [], []
    for r in recs:
        key, sh = fingerprint(r.solution, d.shingle)
        keys.append(digest(key))
        sets.append(sh)
    sigs = _W["hasher"].signatures(sets)
    mult = _W["mult"]
    bands = np.stack([(sigs[:, s:e].astype(np.uint64) * mult[s:e]).sum(axis=1, dtype=np.uint64)
                      for s, e in _W["ranges"]], axis=1)  # fmt: skip
    hashed = [np.unique(np.fromiter((xxhash.xxh3_64_intdigest(x.encode("utf-8")) for x in sh), dtype=np.uint64, count=len(sh)))
              for sh in sets]  # fmt: skip
    part = _Part(lines=[no for no, _ in lines], ids=[r.id for r in recs], problem_ids=[r.problem_id for r in recs],
                 ranks=[rank(r) for r in recs], digests=np.frombuffer(b"".join(keys), dtype=np.uint64).reshape(-1, 2),
                 sigs=sigs, bands=bands, shingles=np.concatenate(hashed) if hashed else np.zeros(0, np.uint64),
                 sizes=np.fromiter((len(h) for h in hashed), dtype=np.int64, count=len(hashed)))  # fmt: skip
    checked = recs
    if job.privacy.enabled:
        secrets, pii = _W["scanners"]
        checked = []
        for i, r in enumerate(recs):
            found = scan_record(r, job.privacy, secrets, pii)
            if found:
                drop, flag = judge(r, found, job.privacy)  # redacts or annotates r in place, as the filter does
                part.privacy[i] = ([f.kind for f in found], drop, flag, None if drop else r.model_dump_json())
            if not found or job.privacy.mode != "drop":
                checked.append(r)  # what decontamination sees: the record as privacy left it
    if job.decontam.enabled and _W["check"] is not None and checked:
        found = _W["check"].matches(checked)
        index = {id(r): i for i, r in enumerate(recs)}
        part.decontam = {index[id(r)]: found[r.id] for r in checked if found.get(r.id)}
    return part


def _chunks(path: Path, size: int) -> Iterator[list[tuple[int, bytes]]]:
    buf: list[tuple[int, bytes]] = []
    with open_bytes(path) as fh:
        for lineno, raw in enumerate(fh, 1):
            if raw.strip():
                buf.append((lineno, raw))
                if len(buf) == size:
                    yield buf
                    buf = []
    if buf:
        yield buf


class _Store:
    """Pass 1's parts, merged in input order: flat arrays sized once (the file's records are
    counted first), shingle hashes kept per part (parts hold `chunk` records each)."""

    def __init__(self, n: int, chunk: int, num_perm: int, bands: int) -> None:
        self.n, self.chunk, self.at = n, chunk, 0
        self.lines = np.zeros(n, dtype=np.int64)
        self.digests = np.zeros((n, 2), dtype=np.uint64)
        self.sigs = np.zeros((n, num_perm), dtype=np.uint32)
        self.bands = np.zeros((n, bands), dtype=np.uint64)
        self.ids: list[str] = []
        self.problem_ids: list[str] = []
        self.ranks: list[tuple] = []
        self.shingles: list[tuple[np.ndarray, np.ndarray]] = []  # per part: (hashes, offsets)
        self.privacy: dict[int, tuple] = {}
        self.decontam: dict[int, list[dict]] = {}

    def add(self, p: _Part) -> None:
        a, k = self.at, len(p.ids)
        if a + k > self.n:
            raise InputError("the input file grew while it was being read")
        self.lines[a : a + k] = p.lines
        self.digests[a : a + k], self.sigs[a : a + k], self.bands[a : a + k] = p.digests, p.sigs, p.bands
        self.ids += p.ids
        self.problem_ids += p.problem_ids
        self.ranks += p.ranks
        self.shingles.append((p.shingles, np.concatenate([[0], np.cumsum(p.sizes)])))
        self.privacy.update((a + i, v) for i, v in p.privacy.items())
        self.decontam.update((a + i, v) for i, v in p.decontam.items())
        self.at += k

    def shingle_set(self, i: int) -> np.ndarray:
        hashes, offsets = self.shingles[i // self.chunk]
        j = i % self.chunk
        return hashes[offsets[j] : offsets[j + 1]]


def _count(path: Path) -> int:
    with open_bytes(path) as fh:
        return sum(1 for raw in fh if raw.strip())


def _jaccard(a: np.ndarray, b: np.ndarray) -> float:
    if not len(a) and not len(b):
        return 1.0
    inter = int(np.intersect1d(a, b, assume_unique=True).size)
    return inter / (len(a) + len(b) - inter)


def _dedup(st: _Store, cfg: DedupConfig) -> tuple[np.ndarray, list[Drop]]:
    """(dropped mask, drops): `dedup`'s decisions, in its order (exact ones, then near ones,
    each in rank order)."""
    n = st.n
    gone = np.zeros(n, dtype=bool)
    drops: list[Drop] = []
    order = np.array(sorted(range(n), key=st.ranks.__getitem__), dtype=np.int64)
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    if cfg.scope == "problem":
        codes: dict[str, int] = {}
        scope = np.fromiter((codes.setdefault(p, len(codes)) for p in st.problem_ids), dtype=np.int64, count=n)
    else:
        scope = np.zeros(n, dtype=np.int64)
    if cfg.exact and n:
        o = np.lexsort((pos, st.digests[:, 1], st.digests[:, 0], scope))
        same = np.zeros(n, dtype=bool)
        same[1:] = ((st.digests[o[1:]] == st.digests[o[:-1]]).all(axis=1)) & (scope[o[1:]] == scope[o[:-1]])
        first = o[np.maximum.accumulate(np.where(same, 0, np.arange(n)))]  # each group's first in rank order
        dup = o[same]
        dup = dup[np.argsort(pos[dup])]
        of = dict(zip(o[same].tolist(), first[same].tolist(), strict=True))
        for i in dup.tolist():
            drops.append(exact_drop(st.ids[i], st.problem_ids[i], st.ids[of[i]]))
        gone[dup] = True
    if cfg.near and n:
        drops += _near(st, cfg, gone, pos, scope)
    return gone, drops


def _near(st: _Store, cfg: DedupConfig, gone: np.ndarray, pos: np.ndarray, scope: np.ndarray) -> list[Drop]:
    b, r = band_params(cfg)
    alive = np.flatnonzero(~gone)
    # Per band, the groups of (scope, band key) with two or more records, members in rank order.
    # entries: (record, band, group start, group end) into that band's member array.
    members: list[np.ndarray] = []
    ent_rec, ent_band, ent_lo, ent_hi = [], [], [], []
    for k in range(b):
        key = st.bands[alive, k]
        o = np.lexsort((pos[alive], key, scope[alive]))
        ks, ss = key[o], scope[alive][o]
        brk = np.ones(len(o) + 1, dtype=bool)
        brk[1:-1] = (ks[1:] != ks[:-1]) | (ss[1:] != ss[:-1])
        starts = np.flatnonzero(brk)
        group = np.cumsum(brk[:-1]) - 1  # each sorted position's group
        lo, hi = starts[:-1][group], starts[1:][group]
        multi = hi - lo >= 2
        members.append(alive[o])
        ent_rec.append(alive[o][multi])
        ent_band.append(np.full(int(multi.sum()), k, dtype=np.int64))
        ent_lo.append(lo[multi])
        ent_hi.append(hi[multi])
    rec = np.concatenate(ent_rec)
    if not len(rec):
        return []  # no two records share a band: no candidates, no near duplicates
    srt = np.argsort(pos[rec], kind="stable")
    rec, band = rec[srt], np.concatenate(ent_band)[srt]
    glo, ghi = np.concatenate(ent_lo)[srt], np.concatenate(ent_hi)[srt]
    inserted = np.zeros(st.n, dtype=bool)
    drops: list[Drop] = []
    sigs = st.sigs
    cut = cfg.threshold - ESTIMATE_SLACK
    bounds = np.flatnonzero(np.concatenate([[True], rec[1:] != rec[:-1], [True]]))
    for a, z in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        i = int(rec[a])
        found = []
        for e in range(a, z):
            m = members[band[e]][glo[e] : ghi[e]]
            m = m[inserted[m]]
            if len(m):
                s, t = int(band[e]) * r, (int(band[e]) + 1) * r
                found.append(m[(sigs[m, s:t] == sigs[i, s:t]).all(axis=1)])  # the band itself, not its key
        cands = np.unique(np.concatenate(found)) if found else np.zeros(0, np.int64)
        if len(cands):
            cands = cands[np.argsort(pos[cands])]
            est = (sigs[cands] == sigs[i]).mean(axis=1)
            cands = cands[est >= cut]
        best: tuple[float, int] | None = None
        for j in cands.tolist():
            sim = _jaccard(st.shingle_set(i), st.shingle_set(j))
            if sim >= cfg.threshold and (best is None or sim > best[0]):
                best = (sim, j)
        if best is not None:
            drops.append(near_drop(st.ids[i], st.problem_ids[i], st.ids[best[1]], best[0]))
            gone[i] = True
            continue
        inserted[i] = True
    return drops


def _unique_ids(st: _Store, path: Path) -> None:
    if len(set(st.ids)) == st.n:
        return
    seen: dict[str, int] = {}
    for rid, no in zip(st.ids, st.lines, strict=True):
        if rid in seen:
            raise InputError(f"{path}:{no}: duplicate record id '{rid}' (first at line {seen[rid]})")
        seen[rid] = no


def curate_file(src: str | os.PathLike, dst: str | os.PathLike, dedup_cfg: DedupConfig | None = None,
                privacy_cfg: PrivacyConfig | None = None, decontam_cfg: DecontamConfig | None = None,
                workers: int | None = None, chunk: int = CHUNK) -> list[FilterReport]:
    """Dedup -> privacy -> decontamination of the dataset file `src` into `dst` (the kept
    records, in input order); returns the three filters' reports."""
    dedup_cfg, privacy_cfg = dedup_cfg or DedupConfig(), privacy_cfg or PrivacyConfig()
    decontam_cfg = decontam_cfg or DecontamConfig()
    path = readable(src)
    band_params(dedup_cfg)  # a bad banding is refused before any work
    items, missing = load_items(decontam_cfg.benchmarks, decontam_cfg.since) if decontam_cfg.enabled else ([], [])
    meaning = False
    if decontam_cfg.enabled and decontam_cfg.check_meaning and items:
        from codesynth.embeddings import available

        meaning = available()
    job = _Job(str(path), dedup_cfg, privacy_cfg, decontam_cfg, items, meaning)
    st = _Store(_count(path), chunk, dedup_cfg.num_perm, band_params(dedup_cfg)[0])
    workers = workers or os.cpu_count() or 1
    # spawn, not fork: the caller may hold threads (torch's, after an in-memory decontamination
    # with meaning), and a forked worker that loads the embedder then waits on their locks forever
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("spawn"), initializer=_init, initargs=(job,)) as ex:
        pending: deque[Future] = deque()
        try:
            for lines in _chunks(path, chunk):
                pending.append(ex.submit(_pass1, lines))
                if len(pending) > 2 * workers:  # bounded: the file is never all in flight
                    st.add(pending.popleft().result())
            while pending:
                st.add(pending.popleft().result())
        finally:
            for f in pending:
                f.cancel()
    if st.at != st.n:
        raise InputError(f"{path}: the file changed while it was being read")
    _unique_ids(st, path)
    reports: list[FilterReport] = []
    out = np.zeros(st.n, dtype=bool)  # dropped by some filter
    # dedup
    if dedup_cfg.enabled:
        gone, drops = _dedup(st, dedup_cfg)
        reports.append(report("dedup", st.n, drops, threshold=dedup_cfg.threshold, scope=dedup_cfg.scope))
        out |= gone
    else:
        reports.append(skipped_report("dedup", st.n))
    del st.sigs, st.bands, st.shingles, st.digests, st.ranks
    # privacy, on what dedup kept
    n_in = st.n - int(out.sum())
    changed: dict[int, str] = {}
    if privacy_cfg.enabled:
        drops, flagged, kinds = [], [], Counter()
        for i, (ks, drop, flag, text) in st.privacy.items():
            if out[i]:
                continue
            kinds.update(ks)
            if drop is not None:
                drops.append(drop)
                out[i] = True
            else:
                flagged.append(flag)
                changed[i] = text
        reports.append(report("privacy", n_in, drops, **privacy_stats(privacy_cfg, kinds, flagged, drops)))
    else:
        reports.append(skipped_report("privacy", n_in))
    # decontamination, on what privacy kept
    n_in = st.n - int(out.sum())
    if not decontam_cfg.enabled:
        reports.append(skipped_report("decontam", n_in))
    elif not items:
        reports.append(skipped_report("decontam", n_in, note="; ".join(missing) or "no benchmark given"))
    else:
        notes = list(missing)
        if decontam_cfg.check_meaning and n_in and not meaning:
            notes.append(NO_MEANING)
        hit = [i for i in st.decontam if not out[i]]
        drops = [contamination_drop(st.ids[i], st.problem_ids[i], st.decontam[i]) for i in hit]
        out[hit] = True
        reports.append(decontam_report(n_in, drops, decontam_cfg, items, notes))
    _write(path, Path(dst), out, changed)
    return reports


def _write(src: Path, dst: Path, out: np.ndarray, changed: dict[int, str]) -> None:
    def lines() -> Iterator[str]:
        i = 0
        with open_bytes(src) as fh:
            for raw in fh:
                if not raw.strip():
                    continue
                if not out[i]:
                    text = changed.get(i)
                    yield text + "\n" if text is not None else raw.decode("utf-8").rstrip("\r\n") + "\n"
                i += 1

    write_lines(dst, lines())
