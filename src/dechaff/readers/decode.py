"""Bytes to text: UTF-8 and BOMs, else a detected encoding (beautifulsoup4's ``UnicodeDammit`` for
HTML); control characters dropped.
"""

from __future__ import annotations

import re

from dechaff.readers.types import ReadError


# ----------------------------------------------------------------------------------------- decoding
def _control_ratio(text: str) -> float:
    if not text:
        return 0.0
    sample = text[:65536]
    bad = sum(1 for ch in sample if (ord(ch) < 32 and ch not in "\n\r\t\f\v") or ch == "\ufffd")
    return bad / len(sample)


def decode_text(data: bytes) -> tuple[str, str]:
    """Bytes of a text file to ``(text, encoding)``. UTF-8 first (with or without BOM), UTF-16/32 by BOM,
    then charset detection. Binary data raises :class:`ReadError`."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    for bom, enc in ((b"\xff\xfe\x00\x00", "utf-32"), (b"\x00\x00\xfe\xff", "utf-32"),
                     (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(enc), enc
            except UnicodeDecodeError as e:
                raise ReadError(f"starts with a {enc} byte-order mark but does not decode as {enc}: {e}") from None
    head = data[:65536]
    if b"\x00" in head:
        utf16 = _utf16_without_bom(head)
        if utf16:
            try:
                return strip_controls(data.decode(utf16)), utf16
            except UnicodeDecodeError:
                pass
        if head.count(b"\x00") > len(head) // 100:
            raise ReadError("binary data (NUL bytes), not text")
    try:
        text, enc = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        text, enc = _decode_legacy(data)
    if _control_ratio(text) > 0.05:
        raise ReadError(f"binary data, not text (too many control characters as {enc})")
    return strip_controls(text), enc


# single-byte codepages of Latin-script languages: detection cannot tell them apart on short texts, and
# Windows-1252 is by far the most common of them on the web (HTML5 reads latin-1 as cp1252 too)
_LATIN_FAMILY = {"cp1250", "cp1252", "cp1254", "cp1257", "latin_1", "iso8859_1", "iso8859_2", "iso8859_3",
                 "iso8859_4", "iso8859_9", "iso8859_10", "iso8859_13", "iso8859_14", "iso8859_15",
                 "iso8859_16", "mac_latin2", "mac_roman", "mac_iceland", "mac_turkish", "cp775", "cp850",
                 "cp437", "cp858"}


def _decode_legacy(data: bytes) -> tuple[str, str]:
    from charset_normalizer import from_bytes

    best = from_bytes(data[: 1 << 20]).best()
    if best is None:
        raise ReadError("binary data or an unknown text encoding (not UTF-8, no encoding detected)")
    enc = best.encoding
    if enc in _LATIN_FAMILY:
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    try:
        return data.decode(enc), enc
    except (UnicodeDecodeError, LookupError):
        raise ReadError(f"does not decode as its detected encoding {enc}") from None


def _utf16_without_bom(head: bytes) -> str | None:
    even, odd = head[0::2], head[1::2]
    if len(head) >= 4:
        if odd.count(0) > 0.3 * len(odd) and even.count(0) < 0.05 * len(even):
            return "utf-16-le"
        if even.count(0) > 0.3 * len(even) and odd.count(0) < 0.05 * len(odd):
            return "utf-16-be"
    return None


def strip_controls(text: str) -> str:
    """NULs and other C0 controls (but tab/newlines) carry no text; drop them. Lone surrogates (a JSON
    ``"\\udcff"``) are no text either, and no UTF-8 can hold them: they are kept as escapes."""
    if _ANY_CONTROL.search(text) is not None:  # (translate reads a dict for every character: 40 us a JSONL record)
        text = text.translate(_CONTROLS)
    return clean_field(text)


def clean_field(text: str) -> str:
    """``text`` as valid Unicode: lone surrogates become their backslash escapes (``\\udcff``)."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


_CONTROLS = {c: None for c in range(32) if chr(c) not in "\n\r\t\f"}
_ANY_CONTROL = re.compile("[" + "".join(re.escape(chr(c)) for c in _CONTROLS) + "]")


def decode_html(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """HTML bytes to ``(markup, encoding)`` with beautifulsoup4's UnicodeDammit (BOM, HTTP charset,
    ``<meta charset>``, then detection)."""
    from bs4.dammit import UnicodeDammit

    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ReadError("binary data (NUL bytes), not HTML")
    known = [declared] if declared else []
    dammit = UnicodeDammit(data, known_definite_encodings=known, is_html=True)
    if dammit.unicode_markup is None:
        raise ReadError("cannot determine the character encoding of this HTML")
    return strip_controls(dammit.unicode_markup), dammit.original_encoding or "unknown"


