"""The dedup stage's settings and its input and output types."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from dechaff.model import Decision

if TYPE_CHECKING:
    from dechaff.dedup.shingle import StagedTokens

U64 = np.uint64
_M64 = (1 << 64) - 1


KEEP_POLICIES = ("earliest", "longest")


@dataclass(frozen=True)
class DedupParams:
    num_perm: int = 128
    bands: int = 42
    rows: int = 3
    seed: int = 1
    ngram: int = 3
    short_words: int = 8  # paragraphs with fewer words are shingled by ``short_ngram``-grams
    short_ngram: int = 1
    min_words: int = 5  # paragraphs with fewer words are never deduplicated (too short to mean copying)
    jaccard: float = 0.4  # verified resemblance (word 3-gram sets) that makes a duplicate...
    min_share: float = 0.6  # ...when at least this share of the later paragraph is in the earlier one
    containment: float = 0.8  # share of the later paragraph found in an earlier one
    min_containment_shingles: int = 6
    bucket_cap: int = 16
    max_chars: int = 1_000_000  # a longer paragraph (no real prose is) is compared on its first 1M chars
    doc_share: float = 0.5  # a document with MORE than this share copied from ONE earlier document
    scheme: str = "affine32"
    keep: str = "earliest"  # which copy of a paragraph stays: "earliest" or "longest"

    def __post_init__(self) -> None:
        if self.keep not in KEEP_POLICIES:
            raise ValueError(f"keep must be one of {', '.join(KEEP_POLICIES)}, not {self.keep!r}")

    def signature_fields(self) -> dict:
        """What persisted signatures depend on; a change invalidates stored band keys."""
        d = asdict(self)
        # "datasketch": whose permutations these are (``minhash.permutations`` draws datasketch 2.0.0's)
        return {k: d[k] for k in ("num_perm", "bands", "rows", "seed", "ngram", "short_words", "short_ngram", "scheme")} | {
            "datasketch": "2.0.0", "normalize": "nfkc-casefold-digit0-punct-bytes-v2",
            "token_hash": "pack16-top40-v5", "fingerprint": "fmix-sum-digits-v3"}




@dataclass(slots=True)
class Item:
    """One paragraph offered to the deduplicator, in ingestion order."""

    doc_id: str
    paragraph_index: int
    text: str
    lsh: tuple[int, bytes] | None = None  # (fingerprint, band keys) computed ahead (see ``lsh_ahead``)
    tokens: tuple[StagedTokens, int] | None = None  # its tokens computed ahead: (staged tokens, its row)


@dataclass(slots=True)
class DedupOutcome:
    decisions: list[Decision]  # aligned with the items
    new_entries: list[int]  # items that entered the index, in order
    pairs_checked: int = 0
    # keep = "longest": paragraphs of EARLIER runs replaced by a longer copy in this one
    # (doc_id, paragraph_index, text, decision); the caller removes them from the earlier output
    replaced: list[tuple[str, int, str, Decision]] = field(default_factory=list)


def clip(text: str, params: DedupParams) -> str:
    return text if len(text) <= params.max_chars else text[: params.max_chars]


