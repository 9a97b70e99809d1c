"""Normalisation to a byte stream of words: NFKC, casefold, digits to 0, punctuation to spaces,
one token per character in scripts written without spaces.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import numpy as np

# ------------------------------------------------------------------------------------ normalisation
# ASCII bytes: letters and digits stay (capitals become small, digits become 0), everything else is a
# separator; \n separates paragraphs. Bytes >= 0x80 (UTF-8 sequences) are word bytes unless they encode
# punctuation (below).
_BYTE_MAP = bytes((b if (97 <= b <= 122 or b >= 128 or b == 10) else b + 32 if 65 <= b <= 90
                   else 48 if 48 <= b <= 57 else 32) for b in range(256))
# UTF-8 punctuation blocks turned into separators: (lead byte, second byte range, sequence length)
_PUNCT_SEQ = (
    (0xC2, 0xA0, 0xBF, 2),  # Latin-1 punctuation and symbols (« » ¡ ¿ § © ° ...)
    (0xC3, 0x97, 0x97, 2),  # ×
    (0xC3, 0xB7, 0xB7, 2),  # ÷
    (0xE2, 0x80, 0x81, 3),  # General Punctuation: dashes, quotes, ellipsis, bullets (U+2000-U+207F)
    (0xE3, 0x80, 0x80, 3),  # CJK symbols and punctuation (U+3000-U+303F)
    (0xD8, 0x8C, 0x9F, 2),  # Arabic comma, semicolon, question mark
    (0xE0, 0xA5, 0xA5, 3),  # Devanagari danda (U+0964-U+097F range, conservative)
)
# scripts written without spaces between words: every character is a token
_NOSPACE_LEAD = ((0xE3, 0x81, 0xBF), (0xE4, 0x80, 0xBF), (0xE5, 0x80, 0xBF), (0xE6, 0x80, 0xBF),
                 (0xE7, 0x80, 0xBF), (0xE8, 0x80, 0xBF), (0xE9, 0x80, 0xBF),  # kana, CJK ideographs
                 (0xE0, 0xB8, 0xBB),  # Thai, Lao
                 (0xE1, 0x80, 0x82), (0xE1, 0x9E, 0x9F))  # Myanmar, Khmer


def normalize_bytes(texts: Sequence[str], pad: int = 0) -> np.ndarray:
    """Normalise many paragraphs at once into one uint8 array: NFKC, casefold, digits -> 0,
    punctuation -> space, one ``\n`` between paragraphs, then ``pad`` spaces. Costs a few ms per MB.
    The array is read-only when every text is ASCII."""
    return normalized(texts, pad)[0]


def normalized(texts: Sequence[str], pad: int = 0) -> tuple[np.ndarray, bytes]:
    """:func:`normalize_bytes`, and the bytes it was mapped from (same length: the map is byte for
    byte), where the digits that the normalised form folds to 0 still have their values."""
    ascii_only = all(t.isascii() for t in texts)
    if any("\n" in t for t in texts):  # a line break inside a paragraph is a space
        texts = [t.replace("\n", " ") for t in texts]
    if pad and texts:  # trailing spaces, added to the last paragraph (copying it, not the whole batch)
        texts = [*texts[:-1], texts[-1] + " " * pad]
    if ascii_only:  # ASCII paragraphs need no Unicode work: the byte map lower-cases them
        raw = "\n".join(texts).encode("ascii")
    else:  # one paragraph at a time: no giant wide-character string to build and encode
        # (NFKC maps no character to a line break, so the folded paragraphs have none either)
        raw = b"\n".join(t.encode("ascii") if t.isascii() else
                         unicodedata.normalize("NFKC", t).casefold().encode("utf-8", errors="replace")
                         for t in texts)
    b = np.frombuffer(raw.translate(_BYTE_MAP), dtype=np.uint8)
    if ascii_only or not len(b):
        return b, raw
    b = b.copy()
    n = len(b)
    leads = np.flatnonzero(b >= 0xC0)  # first bytes of multi-byte characters
    lead_b = b[leads]
    for lead, lo, hi, size in _PUNCT_SEQ:
        pos = leads[lead_b == lead]
        pos = pos[pos < n - size + 1]
        if len(pos):
            sec = b[pos + 1]
            pos = pos[(sec >= lo) & (sec <= hi)]
            for k in range(size):
                b[pos + k] = 32
    return b, raw


def normalize(text: str) -> str:
    """The normalised form of one text (for humans and tests; the pipeline works on bytes)."""
    b = normalize_bytes([text])
    starts, ends = token_bounds(b)
    return " ".join(b[s:e].tobytes().decode("utf-8", "replace") for s, e in zip(starts, ends, strict=True))


def token_bounds(b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end offsets of the tokens in normalised bytes: runs of word bytes, except that every
    character of a script written without spaces (CJK, Thai...) is a token of its own."""
    n = len(b)
    if n == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    tok = (b != 32) & (b != 10)
    nospace = np.zeros(0, np.int64)
    if int(b.max()) >= 0xC0:
        leads = np.flatnonzero(b >= 0xC0)
        lead_b = b[leads]
        found = []
        for l0, lo, hi in _NOSPACE_LEAD:
            pos = leads[lead_b == l0]
            pos = pos[pos < n - 2]
            if len(pos):
                sec = b[pos + 1]
                found.append(pos[(sec >= lo) & (sec <= hi)])
        if found:
            nospace = np.unique(np.concatenate(found))
    if len(nospace) == 0:  # tokens are the runs of word bytes
        edges = np.flatnonzero(tok[1:] != tok[:-1]) + 1  # alternately a token's start and its end
        if tok[0]:
            edges = np.concatenate(([0], edges))
        if tok[-1]:
            edges = np.concatenate((edges, [n]))
        return edges[0::2].astype(np.int64), edges[1::2].astype(np.int64)
    start = tok.copy()
    start[1:] &= ~tok[:-1]
    end = tok.copy()
    end[:-1] &= ~tok[1:]
    start[nospace] = True  # a character of these scripts starts a token...
    end[nospace + 2] = True  # ...and ends one
    after = nospace + 3
    after = after[after < n]
    start[after] |= tok[after]
    before = nospace - 1
    before = before[before >= 0]
    end[before] |= tok[before]
    return np.flatnonzero(start), np.flatnonzero(end) + 1


