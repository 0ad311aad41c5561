"""Normalization of bibliographic fields: pure functions from raw strings to clean values.

Every reader maps its own tags onto the canonical keys below and calls :func:`make_record`;
the rules for names, DOIs, PMIDs, years, pages, journals, languages and record types live
here so that a RIS file and a BibTeX file of the same paper give the same fields.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from evisynth.review.records import Record

#: Canonical keys a reader may fill (each with a list of raw values, first wins unless noted).
KEYS: tuple[str, ...] = (
    "title", "authors", "year", "journal", "volume", "issue", "pages", "start_page",
    "end_page", "doi", "pmid", "abstract", "keywords", "language", "record_type",
)

_WS = re.compile(r"\s+")
_DOI = re.compile(r"10\.\d{4,9}/\S+", re.IGNORECASE)
_YEAR = re.compile(r"(?<!\d)(1[5-9]\d\d|20\d\d)(?!\d)")
_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,4}$")
#: Words that make a name a group's, kept whole rather than turned into "Last, First".
_GROUP_WORDS = re.compile(
    r"\b(investigators|group|committee|society|association|consortium|collaborat\w*|organi[sz]ation|"
    r"network|team|council|institute|university|cent(?:er|re)|department|trialists|study|working)\b",
    re.IGNORECASE,
)
_PAGES = re.compile(r"^\s*([A-Za-z]?)(\d+)\s*(?:-+|–|—|to)\s*([A-Za-z]?)(\d+)\s*$")

#: CJK Unified Ideographs (with extension A), compatibility ideographs, kana and hangul.
_CJK_RANGES = (
    (0x3040, 0x30FF), (0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF),
    (0x20000, 0x2FA1F),
)

_CJK_CHAR = re.compile("[" + "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in _CJK_RANGES) + "]")

#: Share of CJK characters among the letters of title and abstract from which a record is "zh".
CJK_SHARE_ZH = 0.3

_LANGUAGES = {
    "en": "en", "eng": "en", "english": "en",
    "zh": "zh", "chi": "zh", "zho": "zh", "chinese": "zh", "中文": "zh", "汉语": "zh", "cn": "zh",
}

_TYPES = {
    "article": "article", "jour": "article", "journal article": "article", "j": "article",
    "ejour": "article", "review": "article", "journal": "article", "0": "article", "17": "article",
    "book": "book", "book whole": "book", "ebook": "book", "b": "book", "6": "book",
    "chap": "chapter", "chapter": "chapter", "book section": "chapter", "inbook": "chapter",
    "incollection": "chapter", "5": "chapter",
    "conf": "conference", "cpaper": "conference", "inproceedings": "conference",
    "proceedings": "conference", "conference paper": "conference", "conference proceedings": "conference",
    "s": "conference", "c": "conference", "10": "conference", "47": "conference",
    "thes": "thesis", "thesis": "thesis", "phdthesis": "thesis", "mastersthesis": "thesis",
    "dissertation": "thesis", "学位论文": "thesis", "32": "thesis",
    "rprt": "report", "report": "report", "techreport": "report", "27": "report",
    "preprint": "preprint", "unpb": "preprint",
}


def clean_text(value: str) -> str:
    """Whitespace (line breaks included) collapsed to single spaces, ends stripped."""
    return _WS.sub(" ", value).strip()


def is_cjk(char: str) -> bool:
    return _CJK_CHAR.match(char) is not None


def cjk_share(text: str) -> float:
    """Fraction of letters in ``text`` that are CJK (0.0 for text without letters)."""
    # Counted in C (map over str methods, one regex scan): a 20 MB export has ~10⁷ characters.
    letters = sum(map(str.isalpha, text))
    if not letters:
        return 0.0
    return sum(map(str.isalpha, _CJK_CHAR.findall(text))) / letters


def detect_language(text: str) -> str:
    """``"zh"`` when at least :data:`CJK_SHARE_ZH` of the letters are CJK, ``"en"`` for other
    text with letters, ``""`` for text without letters."""
    if not any(c.isalpha() for c in text):
        return ""
    return "zh" if cjk_share(text) >= CJK_SHARE_ZH else "en"


def normalize_language(value: str, *, text: str = "") -> str:
    """An explicit language (``English``, ``eng``, ``Chinese`` …) as ``en``/``zh``; other
    languages lowercased as given; when none is given, detected from ``text``."""
    cleaned = clean_text(value).lower()
    if cleaned:
        return _LANGUAGES.get(cleaned, cleaned)
    return detect_language(text)


def normalize_author(name: str) -> str:
    """One author as ``"Last, First"``.

    ``"Smith, John A."`` is kept (whitespace cleaned); ``"Smith JA"`` (MEDLINE style) becomes
    ``"Smith, JA"``; ``"John A. Smith"`` becomes ``"Smith, John A."``. Names containing CJK
    characters, single-word names and group names ("SYGMA 1 Investigators") are kept whole.
    """
    cleaned = clean_text(name).strip(",;")
    cleaned = clean_text(cleaned)
    if not cleaned:
        return ""
    if any(is_cjk(c) for c in cleaned):
        return cleaned.replace(" ", "") if all(is_cjk(c) or c == " " for c in cleaned) else cleaned
    if "," in cleaned:
        last, _, first = cleaned.partition(",")
        last, first = clean_text(last), clean_text(first)
        return f"{last}, {first}" if first else last
    parts = [part for part in (p.strip(",;") for p in cleaned.split(" ")) if part]
    cleaned = " ".join(parts)
    if len(parts) == 1 or _GROUP_WORDS.search(cleaned):
        return cleaned
    if _INITIALS.match(parts[-1]) and parts[-1].replace(".", "").replace("-", "").isupper():
        return f"{' '.join(parts[:-1])}, {parts[-1]}"
    if len(parts) > 4:
        return cleaned  # an organisation, not a personal name
    return f"{parts[-1]}, {' '.join(parts[:-1])}"


def split_authors(value: str, separators: str = ";") -> list[str]:
    """Split one field holding several names on any character in ``separators``."""
    pattern = "[" + re.escape(separators) + "]"
    return [part for part in (clean_text(p) for p in re.split(pattern, value)) if part]


def normalize_doi(value: str) -> str:
    """The DOI in ``value``, lowercased, without ``https://doi.org/`` or ``doi:``; ``""`` if none."""
    match = _DOI.search(value.replace("%2F", "/").replace("%2f", "/"))
    if not match:
        return ""
    return match.group(0).rstrip(".,;)]}").lower()


def normalize_pmid(value: str) -> str:
    """A PubMed id: the digits of ``value`` (``"PMID: 123"`` → ``"123"``); ``""`` unless 1–8 digits."""
    match = re.fullmatch(r"\s*(?:pmid\s*:?\s*)?(\d{1,8})\s*(?:\[[a-z]+\])?\s*", value, re.IGNORECASE)
    return match.group(1).lstrip("0") if match and match.group(1).lstrip("0") else ""


def year_from(value: str) -> int | None:
    """The first plausible four-digit year (1500–2099) in a date string, else ``None``."""
    match = _YEAR.search(value)
    return int(match.group(1)) if match else None


def normalize_pages(value: str, end: str = "") -> str:
    """Page range with the end page written out: ``"123-9"`` → ``"123-129"``.

    ``end`` is a separate end page (RIS ``EP``, WoS ``EP``). Non-numeric ranges (``"e123"``)
    are kept as given, with ``--`` and dashes written as ``-``; text without digits gives ``""``.
    """
    start = clean_text(value)
    stop = clean_text(end)
    if stop and start and "-" not in start:
        start = f"{start}-{stop}"
    elif stop and not start:
        start = stop
    if not any(c.isdigit() for c in start):
        return ""  # Ovid's "No pagination specified" and similar notes
    match = _PAGES.match(start)
    if not match:
        return re.sub(r"\s*(?:--|–|—)\s*", "-", start)
    p1, first, p2, last = match.groups()
    if len(last) < len(first):
        last = first[: len(first) - len(last)] + last
    return f"{p1}{first}-{p2}{last}"


def normalize_journal(value: str) -> str:
    """Journal title with whitespace cleaned and a trailing period dropped."""
    return clean_text(value).rstrip(".").strip()


def normalize_title(value: str) -> str:
    return clean_text(value)


def normalize_record_type(value: str) -> str:
    """One of :data:`evisynth.review.records.RECORD_TYPES`."""
    key = clean_text(value).lower()
    if key in _TYPES:
        return _TYPES[key]
    for word, kind in (("thesis", "thesis"), ("conference", "conference"), ("chapter", "chapter"),
                       ("book", "book"), ("article", "article"), ("review", "article"),
                       ("期刊", "article"), ("report", "report")):
        if word in key:
            return kind
    return "other"


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value not in seen:
            seen[value] = None
    return tuple(seen)


def split_keywords(values: Sequence[str]) -> tuple[str, ...]:
    """Keywords from fields that may each hold several (split on line breaks and ``;``)."""
    out: list[str] = []
    for value in values:
        out.extend(clean_text(part) for part in re.split(r"[\n;；]+", value))
    return _unique(out)


def _first(fields: Mapping[str, Sequence[str]], key: str) -> str:
    for value in fields.get(key, ()):
        if clean_text(value):
            return value
    return ""


def make_record(
    fields: Mapping[str, Sequence[str]],
    *,
    source_file: str,
    entry: int,
    format: str,
    original: str,
    database: str = "",
    line: int | None = None,
) -> Record:
    """A :class:`Record` from raw values under the canonical :data:`KEYS`.

    ``authors`` values are single names (readers split multi-name fields first);
    ``keywords`` values may hold several keywords each.
    """
    unknown = set(fields) - set(KEYS)
    if unknown:
        raise ValueError(f"unknown field keys {sorted(unknown)}; use one of {KEYS}")
    title = normalize_title(_first(fields, "title"))
    abstract = clean_text(_first(fields, "abstract"))
    pages = normalize_pages(
        _first(fields, "pages") or _first(fields, "start_page"), _first(fields, "end_page")
    )
    doi = ""
    for value in fields.get("doi", ()):
        doi = normalize_doi(value)
        if doi:
            break
    pmid = ""
    for value in fields.get("pmid", ()):
        pmid = normalize_pmid(value)
        if pmid:
            break
    year = None
    for value in fields.get("year", ()):
        year = year_from(value)
        if year is not None:
            break
    return Record(
        source_file=source_file,
        entry=entry,
        format=format,
        original=original,
        database=database,
        line=line,
        title=title,
        authors=_unique(normalize_author(a) for a in fields.get("authors", ())),
        year=year,
        journal=normalize_journal(_first(fields, "journal")),
        volume=clean_text(_first(fields, "volume")),
        issue=clean_text(_first(fields, "issue")),
        pages=pages,
        doi=doi,
        pmid=pmid,
        abstract=abstract,
        keywords=split_keywords(fields.get("keywords", ())),
        language=normalize_language(_first(fields, "language"), text=f"{title} {abstract}"),
        record_type=normalize_record_type(_first(fields, "record_type")),
    )
