"""Explicit text decoding for uploaded exports: never guess silently, never produce mojibake.

Order: a byte-order mark (UTF-8, UTF-16, UTF-32); strict UTF-8; GB18030, only when the bytes
decode strictly *and* nearly all non-ASCII characters are CJK (Latin-1 text often decodes
as GB18030 too, into a scatter of unrelated symbols); otherwise an error asking for
``--encoding``.
"""

from __future__ import annotations

import codecs

from evisynth.io.errors import ImportFormatError
from evisynth.review.normalize import is_cjk

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

#: Share of the non-ASCII characters of a GB18030 reading that must be common CJK ideographs
#: (U+4E00–U+9FFF) or CJK punctuation; Latin-1 text read as GB18030 falls far below it.
_GB_CJK_SHARE = 0.9


def _decode_strict(raw: bytes, encoding: str, path: str) -> str:
    try:
        return raw.decode(encoding)
    except LookupError as exc:
        raise ImportFormatError(
            f"{path}: unknown encoding {encoding!r}; use e.g. utf-8, gb18030, utf-16"
        ) from exc
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ImportFormatError(
            f"{path}, line {line}: the file is not valid {encoding} (byte {exc.start}); "
            "pass the right --encoding"
        ) from exc


def _looks_chinese(text: str) -> bool:
    wide = [c for c in text if ord(c) > 127]
    if not wide:
        return False
    cjk = sum(1 for c in wide if is_cjk(c) or 0x3000 <= ord(c) <= 0x303F or 0xFF00 <= ord(c) <= 0xFFEF)
    return cjk / len(wide) >= _GB_CJK_SHARE


def decode(raw: bytes, *, path: str, encoding: str | None = None) -> tuple[str, str]:
    """``(text, encoding)`` for the bytes of ``path``; a BOM is removed from the text.

    ``encoding`` forces one codec (decoded strictly). Raises ImportFormatError when the
    encoding cannot be established, or when the text holds NUL characters (binary data, or
    UTF-16 without a byte-order mark).
    """
    if encoding is not None:
        text = _decode_strict(raw, encoding, path)
        used = encoding
        text = text.removeprefix("\ufeff")
    else:
        for bom, name in _BOMS:
            if raw.startswith(bom):
                text = _decode_strict(raw[len(bom):], name, path)
                used = name
                break
        else:
            try:
                text = raw.decode("utf-8")
                used = "utf-8"
            except UnicodeDecodeError as exc:
                line = raw[: exc.start].count(b"\n") + 1
                try:
                    text = raw.decode("gb18030")
                except UnicodeDecodeError:
                    text = ""
                if not text or not _looks_chinese(text):
                    raise ImportFormatError(
                        f"{path}, line {line}: the file is neither UTF-8 nor Chinese GB18030/GBK "
                        "text; pass its encoding with --encoding (e.g. latin-1, utf-16)"
                    ) from exc
                used = "gb18030"
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ImportFormatError(
            f"{path}, line {line}: the file contains NUL bytes: binary data, or UTF-16 without a "
            "byte-order mark; export it again as text, or pass --encoding utf-16"
        )
    return text, used
