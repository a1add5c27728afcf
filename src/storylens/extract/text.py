"""Bytes to text and text to clean paragraphs — shared by every extractor."""

from __future__ import annotations

import codecs
import re
import unicodedata

from storylens.errors import InputError

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
HORIZONTAL_SPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def decode(data: bytes, source: str, declared: str | None = None) -> str:
    """Decode bytes as text, or raise a one-line InputError saying why not."""
    if not data.strip():
        raise InputError(source, "empty input")
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data.decode(encoding, errors="replace")
    sample = data[:65536]
    if sample.count(b"\x00") > len(sample) // 100:
        raise InputError(source, "binary data, not text")
    if declared:
        try:
            return data.decode(declared)
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3:
            # A multi-byte character cut at the end: a truncated file, keep what is there.
            return data[: exc.start].decode("utf-8")
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None:
        raise InputError(source, "undecodable text (no known encoding fits)")
    text = str(best)
    if _CONTROL.sub("", text).count("\ufffd") > max(10, len(text) // 50):
        raise InputError(source, f"undecodable text (best guess {best.encoding} fails)")
    return text


def normalize_text(text: str) -> str:
    """Clean paragraphs: NFC, one space, no control characters, one blank line between.

    Every non-empty line becomes a paragraph; offsets of all later spans refer to this
    exact string, so the rule must stay simple and stable.
    """
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text)
    paragraphs = []
    for line in text.split("\n"):
        line = HORIZONTAL_SPACE.sub(" ", line).strip()
        if line:
            paragraphs.append(line)
    return "\n\n".join(paragraphs)
