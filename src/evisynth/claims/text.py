"""Text handling for claim appraisal: normalisation, language, sentences, numbers, units, tokens.

Pure functions over strings (no I/O).

* :func:`normalize` applies Unicode NFKC (full-width ``，（）：％`` become ASCII, ``µ`` becomes ``μ``)
  so that Chinese and English punctuation, digits and units compare equal.
* :func:`detect_language` says ``zh`` when CJK ideographs make up at least 20 % of the letters.
* :func:`sentence_spans` cuts text into sentences (``。！？!?;；``, English ``. `` before a capital, and
  line breaks) and joins a line that ends with a colon to the bullet lines under it, so
  "clinical trials show that 45 mg helps: - slow bone loss - ..." stays one claim.
* :func:`parse_chinese_number` reads 四十五, 两百, 一千五百 ...; :func:`quantities` finds doses and
  ranges in either script (``45mg``, ``四十五毫克``, ``500到1000微克``, ``50~200 µg``, ``70-140mcg``)
  and converts them to micrograms.
* :func:`tokenize` segments Chinese by forward maximum matching over the domain lexicon
  (``evisynth.claims.lexicon``) with character bigrams for the rest, and English by words; every
  lexicon hit also yields its concept id, which is how Chinese and English text meet in retrieval.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from evisynth.core.results import Serializable

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


_GAP = re.compile(
    r"(?<=[\u4e00-\u9fff])[ \t\u00a0]+(?=[A-Za-z0-9])|(?<=[A-Za-z0-9])[ \t\u00a0]+(?=[\u4e00-\u9fff])"
)


def normalize(text: str) -> str:
    """NFKC, ``µ`` for the micro sign and Greek mu, no spaces between CJK and Latin ("维生素 K" = "维生素K").

    The length is not preserved; use it for matching, not for offsets.
    """
    return _GAP.sub("", unicodedata.normalize("NFKC", text).replace("μ", "µ"))


def normalize_keep_length(text: str) -> str:
    """Character-by-character NFKC where it maps one character to one, so offsets stay valid."""
    out = []
    for ch in text:
        n = unicodedata.normalize("NFKC", ch)
        out.append(n if len(n) == 1 else ch)
    return "".join(out).replace("μ", "µ")


def detect_language(text: str) -> str:
    """``zh`` when CJK ideographs are at least 20 % of the letters, else ``en``."""
    cjk = len(_CJK.findall(text))
    latin = len(_LATIN.findall(text))
    if cjk + latin == 0:
        return "en"
    return "zh" if cjk / (cjk + latin / 5) >= 0.2 else "en"


_END = re.compile(r"[。！？!?；;]+[”\"'」』)]*|(?<=[a-z0-9%)\]])\.(?=\s+[A-Z\"“(])|\n")
_BULLET = re.compile(r"^\s*(?:[-•*·●]|\d+[.)、])\s+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences in ``text``, stripped of surrounding whitespace."""
    lines: list[tuple[int, int]] = []
    start = 0
    for m in _END.finditer(text):
        if m.group() == "\n" and _wrapped(text, m.start()):
            continue
        end = m.end() if m.group() != "\n" else m.start()
        lines.append((start, end))
        start = m.end()
    lines.append((start, len(text)))
    spans: list[tuple[int, int]] = []
    for s, e in lines:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            spans.append((s, e))
    merged: list[tuple[int, int]] = []
    in_list = False
    for s, e in spans:
        bullet = _BULLET.match(text[s:e]) is not None
        if merged and bullet and (in_list or text[merged[-1][0] : merged[-1][1]].endswith((":", "："))):
            merged[-1] = (merged[-1][0], e)
            in_list = True
            continue
        in_list = False
        merged.append((s, e))
    return merged


_TERMINAL = tuple('。！？!?;；:：.…)）”"')
WRAP_MIN = 30


def _wrapped(text: str, newline: int) -> bool:
    """A line break inside a sentence: text extracted from PDFs wraps long lines mid-sentence.

    The break is ignored when the line before it holds at least ``WRAP_MIN`` characters and
    does not end a sentence, and the next non-blank line is not a bullet or a heading.
    """
    before = text[:newline].rstrip()
    line = before[before.rfind("\n") + 1 :].strip()
    if len(line) < WRAP_MIN or line.endswith(_TERMINAL):
        return False
    nxt = re.match(r"\s*(\S[^\n]*)", text[newline:])
    if nxt is None:
        return False
    return _BULLET.match(nxt.group(1) + " ") is None and not nxt.group(1).startswith("**")


_ZH_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
ZH_NUMERAL = "[零〇一二两三四五六七八九十百千万]+"


def parse_chinese_number(s: str) -> int:
    """四十五 -> 45, 十二 -> 12, 两百 -> 200, 一千五百 -> 1500, 三万 -> 30000; ValueError otherwise."""
    if not s or any(ch not in _ZH_DIGITS and ch not in _ZH_UNITS for ch in s):
        raise ValueError(f"not a Chinese numeral: {s!r}")
    total, section, digit = 0, 0, None
    for ch in s:
        if ch in _ZH_DIGITS:
            digit = _ZH_DIGITS[ch]
            continue
        unit = _ZH_UNITS[ch]
        if unit == 10000:
            section = (section + (digit or 0)) * unit
            total += section
            section = 0
        else:
            section += (1 if digit is None else digit) * unit
        digit = None
    return total + section + (digit or 0)


#: Mass units and their size in micrograms.
UNIT_UG: dict[str, float] = {
    "µg": 1.0,
    "ug": 1.0,
    "mcg": 1.0,
    "微克": 1.0,
    "micrograms": 1.0,
    "microgram": 1.0,
    "mg": 1000.0,
    "毫克": 1000.0,
    "milligrams": 1000.0,
    "milligram": 1000.0,
    "g": 1e6,
    "克": 1e6,
    "grams": 1e6,
}
_UNIT_RE = "|".join(sorted((re.escape(u) for u in UNIT_UG), key=len, reverse=True))
_NUM = rf"(?:\d+(?:,\d{{3}})*(?:\.\d+)?|{ZH_NUMERAL})"
_RANGE_SEP = r"\s*(?:-|–|—|~|～|至|到|to)\s*"
_QTY = re.compile(
    rf"(?P<low>{_NUM})(?:\s*(?P<unit1>{_UNIT_RE}))?(?:{_RANGE_SEP}(?P<high>{_NUM}))?\s*(?P<unit>{_UNIT_RE})"
    rf"(?![A-Za-z])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Quantity(Serializable):
    """A dose or a range of doses as written, with both ends in micrograms."""

    text: str
    low_ug: float
    high_ug: float
    unit: str


def _number(s: str) -> float:
    s = s.replace(",", "")
    try:
        return float(s)
    except ValueError:
        return float(parse_chinese_number(s))


def quantities(text: str) -> list[Quantity]:
    """Every mass quantity in ``text`` (normalised with :func:`normalize` first), in µg."""
    out = []
    for m in _QTY.finditer(normalize(text)):
        unit = m.group("unit")
        size = UNIT_UG[unit.lower()] if unit.lower() in UNIT_UG else UNIT_UG[unit]
        low = _number(m.group("low"))
        high = _number(m.group("high")) if m.group("high") else low
        size_low = size
        if m.group("unit1"):
            u1 = m.group("unit1")
            size_low = UNIT_UG.get(u1.lower(), UNIT_UG.get(u1, size))
        out.append(Quantity(m.group(0), low * size_low, high * size, unit))
    return out


_WORD = re.compile(r"[a-z0-9]+(?:[-.][a-z0-9]+)*", re.IGNORECASE)


def tokenize(text: str, terms: dict[str, str]) -> list[str]:
    """Tokens of ``text`` for BM25: lexicon terms (and their concept ids), words, CJK bigrams.

    ``terms`` maps a lower-case surface form to its concept id. Chinese runs are segmented by
    forward maximum matching over the terms; characters no term covers become bigrams.
    """
    t = normalize(text).lower()
    tokens: list[str] = []
    longest = max((len(k) for k in terms), default=1)
    i, n = 0, len(t)
    rest: list[str] = []

    def flush() -> None:
        if len(rest) == 1:
            tokens.append(rest[0])
        tokens.extend(rest[j] + rest[j + 1] for j in range(len(rest) - 1))
        rest.clear()

    while i < n:
        hit = None
        for size in range(min(longest, n - i), 0, -1):
            piece = t[i : i + size]
            if piece in terms and (
                not piece[-1].isalnum() or not piece.isascii() or i + size >= n or not t[i + size].isalnum()
            ):
                if piece.isascii() and i > 0 and t[i - 1].isalnum():
                    continue
                hit = piece
                break
        if hit:
            flush()
            tokens.append(hit)
            tokens.append("§" + terms[hit])
            i += len(hit)
            continue
        ch = t[i]
        if _CJK.match(ch):
            rest.append(ch)
            i += 1
            continue
        flush()
        m = _WORD.match(t, i)
        if m:
            tokens.append(m.group())
            i = m.end()
        else:
            i += 1
    flush()
    return tokens
