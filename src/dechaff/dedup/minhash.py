"""MinHash signatures (datasketch's ``affine32`` scheme, applied to a whole batch) and LSH band keys."""

from __future__ import annotations

import numpy as np

from dechaff.dedup.shingle import Shingled, Tokens, cum_blocks, fmix32, fmix64, shingles_of
from dechaff.dedup.types import U64, DedupParams

# ------------------------------------------------------------------------------------ MinHash
_PERM_CACHE: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}


def permutations(params: DedupParams) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's own permutations for (num_perm, seed, scheme): ``datasketch.MinHash(num_perm, seed,
    scheme="affine32").permutations``, drawn here as datasketch 2.0 draws them (odd ``a``, any ``b``, from
    a ``RandomState(seed)``; tested equal). Importing datasketch for them cost every worker process 0.3-0.5 s
    and 50 MB (it imports scipy)."""
    key = (params.num_perm, params.seed, params.scheme)
    if key not in _PERM_CACHE:
        if params.scheme != "affine32":
            raise ValueError(f"MinHash scheme {params.scheme!r}: only affine32 is implemented")
        gen = np.random.RandomState(params.seed)
        a = gen.randint(0, 1 << 31, params.num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
        b = gen.randint(0, 1 << 32, params.num_perm, dtype=np.uint32)
        _PERM_CACHE[key] = (a, b)
    return _PERM_CACHE[key]


def shingle_hash32(h40: np.ndarray) -> np.ndarray:
    """The 32-bit value a shingle contributes to MinHash (what datasketch's ``hashfunc`` would return)."""
    return (h40 >> U64(8)).astype(np.uint32)


def signatures(sh: Shingled, params: DedupParams, block: int = 1 << 17) -> np.ndarray:
    """MinHash signatures (n x num_perm, uint32) of every paragraph; empty sets get the max value.
    Whole paragraphs go through in blocks of about ``block`` shingles, all permutations per block, so
    the working buffer stays in the CPU cache."""
    n = len(sh)
    a, b = permutations(params)
    sig = np.full((n, params.num_perm), np.uint32(0xFFFFFFFF), dtype=np.uint32)
    counts = np.diff(sh.offsets)
    nonempty = np.flatnonzero(counts > 0)
    if len(nonempty) == 0:
        return sig
    hv = fmix32(shingle_hash32(sh.hashes))
    starts, ends = sh.offsets[nonempty], sh.offsets[nonempty + 1]
    out = np.empty((params.num_perm, len(nonempty)), dtype=np.uint32)  # one contiguous row per permutation
    buf = np.empty(block + int(counts.max()), dtype=np.uint32)
    with np.errstate(over="ignore"):
        for i, j in cum_blocks(ends, block):  # (``ends`` is the running total of the set sizes)
            s0, s1 = int(starts[i]), int(ends[j - 1])
            h, B, seg = hv[s0:s1], buf[: s1 - s0], starts[i:j] - s0
            for k in range(params.num_perm):
                np.multiply(h, a[k], out=B)
                np.add(B, b[k], out=B)
                np.minimum.reduceat(B, seg, out=out[k, i:j])
    sig[nonempty] = out.T
    return sig


def band_keys(sig: np.ndarray, params: DedupParams) -> np.ndarray:
    """(n x bands) uint32 bucket keys: each band's ``rows`` values mixed into one number."""
    r, nb = params.rows, params.bands
    with np.errstate(over="ignore"):
        # value j of every band is column j of a strided view: one contiguous n x bands array per j
        acc = sig[:, 0: nb * r: r].astype(U64)
        acc += U64(0x9E3779B97F4A7C15)
        for j in range(1, r):
            acc *= U64(0x100000001B3)
            x = sig[:, j: nb * r: r].astype(U64)
            x += U64(j + 1) * U64(0x9E3779B97F4A7C15)
            acc ^= x
        acc += np.arange(nb, dtype=U64) * U64(0xD6E8FEB86659FD93)
        acc = fmix64(acc)
    return (acc >> U64(32)).astype(np.uint32)




def keys_of(tok: Tokens, rows: np.ndarray, params: DedupParams) -> np.ndarray:
    """The LSH band keys of paragraphs ``rows`` of ``tok``: their shingles, signed, banded."""
    return band_keys(signatures(shingles_of(tok, rows, params), params), params)
