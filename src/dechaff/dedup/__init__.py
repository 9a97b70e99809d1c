"""Near-duplicate paragraphs (and documents) with MinHash LSH.

Pipeline, all batch-vectorised with numpy over many paragraphs at once:

1. **normalise**: NFKC, casefold, digits -> 0, punctuation/underscores -> space; scripts written without
   spaces (Chinese, Japanese, Thai, Lao, Khmer, Myanmar) get a space around every character, so their
   "words" are characters.
2. **shingle**: word 3-grams; paragraphs with fewer than 8 words use single words. Tokens are hashed
   from their UTF-8 bytes, all at once (no Python loop per token): a token of up to 16 bytes packed
   into two 64-bit words and mixed, a longer one as a position-mixed sum of its bytes.
   Each paragraph's shingles form an exact set of 64-bit hashes.
3. **sign**: MinHash with datasketch's ``affine32`` permutation scheme (datasketch 2.0): the same
   permutations as ``datasketch.MinHash(num_perm, seed, scheme="affine32")``, applied to all
   paragraphs of a batch at once; a signature equals ``MinHash.update_batch`` over the shingle hashes
   (tested).
4. **index / query**: banded LSH (``bands`` x ``rows``, defaults from datasketch's
   ``_optimal_param``); each band is a sorted array of ``(band key << 32 | entry id)``, so a lookup is a
   ``searchsorted``. Only paragraphs that were *kept* enter the index.
5. **verify and resolve**: every pair the bands bring together is measured on the real shingle sets
   (their exact intersection, vectorised over all pairs: the Jaccard, and the share of the later
   paragraph found in the earlier one); pairs far below both thresholds are set aside. In ingestion
   order, each paragraph's candidates are taken most similar first (then earliest first); candidates
   that are no longer kept are skipped, and the first one that holds — resemblance (Jaccard) or
   containment of the later paragraph in the earlier one (trimmed copies) — makes the paragraph its
   duplicate. Duplicates never become targets, so chains cannot grow clusters: every removed paragraph
   points at a kept one it really resembles. Signatures serve only to find the pairs: they are not
   computed again to estimate what the exact sets measure.

A bucket shared by very many entries (a template line) contributes only its ``bucket_cap`` earliest
entries as candidates, which bounds the work per paragraph.

The package is cut by phase: ``types`` (settings, items, outcome), ``normalise``, ``shingle`` (token
hashes, fingerprints, shingle sets), ``minhash`` (signatures, band keys), ``lsh`` (band lookups),
``store`` (the persistent index), ``candidates`` (pairs and their exact verification), ``resolve``
(ingestion-order decisions), ``align`` (duplicate documents' paragraphs), ``batch`` (``deduplicate``).
Names are loaded on first use, so that ``dechaff.dedup.types`` (the settings) does not load the rest.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "DedupParams": "types",
    "KEEP_POLICIES": "types",
    "Item": "types",
    "DedupOutcome": "types",
    "normalize": "normalise",
    "normalize_bytes": "normalise",
    "Shingled": "shingle",
    "Tokens": "shingle",
    "StagedTokens": "shingle",
    "tokens_of": "shingle",
    "tokenize": "shingle",
    "fingerprints": "shingle",
    "numbers_differ": "shingle",
    "shingles_of": "shingle",
    "shingle_many": "shingle",
    "permutations": "minhash",
    "shingle_hash32": "minhash",
    "signatures": "minhash",
    "band_keys": "minhash",
    "BandIndex": "lsh",
    "within_batch_candidates": "lsh",
    "DedupIndex": "store",
    "pair_intersections": "candidates",
    "deduplicate": "batch",
    "lsh_ahead": "batch",
    "lsh_ahead_tokens": "batch",
}
__all__ = [
    "BandIndex",
    "DedupIndex",
    "DedupOutcome",
    "DedupParams",
    "Item",
    "KEEP_POLICIES",
    "Shingled",
    "StagedTokens",
    "Tokens",
    "band_keys",
    "deduplicate",
    "fingerprints",
    "lsh_ahead",
    "lsh_ahead_tokens",
    "normalize",
    "normalize_bytes",
    "numbers_differ",
    "pair_intersections",
    "permutations",
    "shingle_hash32",
    "shingle_many",
    "shingles_of",
    "signatures",
    "tokenize",
    "tokens_of",
    "within_batch_candidates",
]

if TYPE_CHECKING:
    from dechaff.dedup.batch import deduplicate, lsh_ahead, lsh_ahead_tokens
    from dechaff.dedup.candidates import pair_intersections
    from dechaff.dedup.lsh import BandIndex, within_batch_candidates
    from dechaff.dedup.minhash import band_keys, permutations, shingle_hash32, signatures
    from dechaff.dedup.normalise import normalize, normalize_bytes
    from dechaff.dedup.shingle import (
        Shingled,
        StagedTokens,
        Tokens,
        fingerprints,
        numbers_differ,
        shingle_many,
        shingles_of,
        tokenize,
        tokens_of,
    )
    from dechaff.dedup.store import DedupIndex
    from dechaff.dedup.types import KEEP_POLICIES, DedupOutcome, DedupParams, Item


def __getattr__(name: str) -> Any:
    mod = _EXPORTS.get(name)
    if mod is None:
        raise AttributeError(f"module 'dechaff.dedup' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"dechaff.dedup.{mod}"), name)
    globals()[name] = value
    return value
