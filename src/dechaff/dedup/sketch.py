"""Count sketches of shingle sets: an exact upper bound on the intersection of two sets, from 16 bytes
each, so that candidate pairs that cannot come near a threshold are ruled out before the index entry's
text is read and shingled.

A set's shingles fall into 64 buckets by their low bits; the sketch holds each bucket's count, 2 bits a
bucket, saturated at 3 ("3 or more"). Two sets share at most ``min(a, b)`` shingles of a bucket where
they hold ``a`` and ``b``, so the sum over the buckets bounds their intersection from above; a bucket
where both counts saturated bounds nothing (the bound is then the smaller set's size). Every step is
an inequality, never an estimate: a pair the bound rules out would have failed the exact test too, so
the decisions are the same as without it. On realistic text about 80% of the pairs the band keys find
are not near any threshold, and the bound rules out about 85% of those.
"""

from __future__ import annotations

import numpy as np

from dechaff.dedup.shingle import Shingled
from dechaff.dedup.types import U64

BUCKETS = 64
WORDS = 2  # 64 buckets x 2 bits
_L = U64(0x5555_5555_5555_5555)  # the low bit of every 2-bit field
_H = U64(0xAAAA_AAAA_AAAA_AAAA)  # the high bit
_SHIFTS = (2 * np.arange(32, dtype=U64)).astype(U64)
UNKNOWN_SIZE = np.uint32(0xFFFF_FFFF)  # the size of an entry stored without a sketch (never ruled out)


def sketch(sh: Shingled, block: int = 1 << 12) -> tuple[np.ndarray, np.ndarray]:
    """The sketches of the sets of ``sh`` (n x 2 uint64) and their sizes (uint32), in blocks of
    ``block`` sets (a block's counts are temporaries of 512 bytes a set)."""
    n = len(sh)
    out = np.zeros((n, WORDS), dtype=U64)
    sizes = np.diff(sh.offsets).astype(np.uint32)
    for lo in range(0, n, block):
        hi = min(lo + block, n)
        a, b = int(sh.offsets[lo]), int(sh.offsets[hi])
        owner = np.repeat(np.arange(hi - lo, dtype=np.int64), sizes[lo:hi])
        bucket = (sh.hashes[a:b] & U64(BUCKETS - 1)).astype(np.int64)
        counts = np.bincount(owner * BUCKETS + bucket, minlength=(hi - lo) * BUCKETS)
        counts = np.minimum(counts, 3).astype(U64).reshape(hi - lo, WORDS, 32)
        out[lo:hi] = np.bitwise_or.reduce(counts << _SHIFTS, axis=2)
    return out, sizes


def intersection_bound(sa: np.ndarray, la: np.ndarray, sb: np.ndarray, lb: np.ndarray,
                       block: int = 1 << 15) -> np.ndarray:
    """For pairs (sketch ``sa[i]`` of a set of ``la[i]`` shingles, ``sb[i]`` of ``lb[i]``), an upper bound
    on the size of the intersection: the sum over buckets of the smaller count (the 2-bit fields
    compared and summed word-parallel), or the smaller size where both counts of a bucket saturated.
    Pairs go through in blocks of ``block`` (a dozen temporaries of 16 bytes a pair)."""
    n = len(la)
    out = np.minimum(la, lb).astype(np.int64)
    for lo in range(0, n, block):
        a, b = sa[lo: lo + block], sb[lo: lo + block]
        a1, b1 = (a & _H) >> U64(1), (b & _H) >> U64(1)
        a0, b0 = a & _L, b & _L
        # field by field, a < b: a smaller high bit, or equal high bits and a smaller low bit
        less = ((~a1 & b1) | (~(a1 ^ b1) & ~a0 & b0)) & _L
        pick = less | (less << U64(1))
        low = (a & pick) | (b & ~pick)  # the smaller count of every bucket
        total = (np.bitwise_count(low & _L).astype(np.int64)
                 + 2 * np.bitwise_count(low & _H).astype(np.int64)).sum(axis=1)
        both_full = (a1 & a0 & b1 & b0).any(axis=1)
        part = out[lo: lo + block]
        np.copyto(part, np.minimum(total, part), where=~both_full)
    return out
