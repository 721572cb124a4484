"""On-disk cache of chat completions, so a re-run or a resumed run never pays twice.

One small JSON file per key (sharded by the key's first two hex digits), written to a
temp file and renamed into place: a kill leaves either the whole reply or nothing, and
several processes can share one cache directory without locks.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel


class CachedReply(BaseModel):
    text: str
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model: str | None = None


def cache_key(
    endpoint: str, model: str, messages: list[dict[str, str]], params: dict[str, Any], index: int
) -> str:
    """Hash of everything that determines a completion (the sample index included)."""
    blob = json.dumps(
        {"endpoint": endpoint, "model": model, "messages": messages, "params": params, "index": index},
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


class ResponseCache:
    def __init__(self, directory: str | os.PathLike):
        self.dir = Path(directory)

    def _path(self, key: str) -> Path:
        return self.dir / key[:2] / f"{key}.json"

    def get(self, key: str) -> CachedReply | None:
        p = self._path(key)
        try:
            return CachedReply.model_validate_json(p.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            # A damaged entry is just a miss; the fresh reply overwrites it.
            return None

    def put(self, key: str, reply: CachedReply) -> None:
        p = self._path(key)
        p.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=".tmp-", suffix=".json")
        try:
            # No fsync: the rename makes an entry whole or absent for any kill of this process,
            # and after a power loss a damaged entry is only a miss (one reply bought again).
            # An fsync per reply cost more than the request itself on a fast endpoint.
            with os.fdopen(fd, "wb") as fh:
                fh.write(reply.model_dump_json().encode("utf-8"))
            os.replace(tmp, p)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def __len__(self) -> int:
        # pathlib's glob matches dot files too; in-progress writes are ".tmp-*".
        return (
            sum(1 for p in self.dir.glob("??/*.json") if not p.name.startswith("."))
            if self.dir.exists()
            else 0
        )
