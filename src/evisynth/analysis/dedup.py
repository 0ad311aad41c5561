"""Duplicate detection across databases and languages: blocking, pairwise similarity, named rules.

Three steps, each kept simple enough to explain to a reviewer:

1. **Features.** Every record gets a matching key for its title (accents folded, case folded,
   punctuation and HTML dropped, Greek letters spelled out; CJK characters kept as they are,
   so a Chinese title never becomes an empty key), author surnames, year, first page,
   volume, journal, DOI and PMID, and flags for notices (erratum, retraction, comment, reply).
2. **Blocking.** Records are compared only when they share a blocking key: DOI, PMID, the
   first or last characters of the title key (six for CJK titles, whose characters carry more),
   first author + year, year + first page, volume + first page, and for cross-language pairs
   year + the numbers reported in the abstract. Within a key, records are sorted by title and
   each is compared with its next :data:`WINDOW` neighbours (a sorted neighbourhood), so a
   huge block never costs more than ``n × WINDOW`` comparisons.
3. **Rules.** Candidate pairs are scored in rapidfuzz's C++ loops (title ratio, the shorter
   title inside the longer, author-surname token sets); pairs sharing nothing are dropped, the
   rest judged by explicit rules, in order (:data:`RULES`). A pair becomes an ``auto`` link
   only when a rule is certain and nothing conflicts; conflicting evidence (page ranges that
   do not overlap, different volumes or issue numbers, years more than one apart, different
   numbers in the titles, a notice against an article, a conference abstract against an
   article, journal names that cannot abbreviate each other) vetoes merging and leaves at most
   a ``needs_review`` link, ranked lower for each conflict. Two DOIs (or PMIDs) name two works:
   such a pair is dropped, and queued only when title, authors and citation all agree (one
   database's wrong DOI); a DOI that is the other plus a suffix (".pub2") is no conflict.
   Evidence that outweighs a conflict: one whole citation (journal, year, volume, the same
   range of two or more pages) despite a differing number in the titles (a typo: "p6INK4a" /
   "p16INK4a"), and a Cochrane review and its update (the same review number, "CD006828", and
   title, in other years). What is not a conflict: a page range that ends before it starts
   and is one character from the other ("2297-2108" / "2097-2108"), a section letter on one
   record's pages ("c37-c42" / "37-42"), a citation pasted after a title (numbers repeating
   two or more of the record's own year, volume, issue and pages), an issue field that the
   set's surely-identical pairs disagree on (a record number, not an issue). Pairs in
   different languages (Chinese and English versions of one study) are never merged
   automatically: they go to the review queue. A pair that no title rule settles is still
   certain when it shares the whole citation, its titles are not clearly different
   (:data:`DIFFERENT_TITLES`) and no author contradicts it (one record may have none):
   ``journal+year+volume+page-range``. One DOI with one title cut short (or without its
   subtitle) and the same authors and volume or pages merges; so do two notices (errata) with
   one title and the whole citation, issue included.

The result holds links, never deletions: :mod:`evisynth.review.links` turns them into groups
and PRISMA counts.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from rapidfuzz import fuzz
from rapidfuzz.process import cpdist

from evisynth.core.results import Serializable
from evisynth.review.links import (
    DedupCounts,
    DuplicateLink,
    dedup_counts,
    duplicate_groups,
    review_queue,
)
from evisynth.review.records import Record

__all__ = ["RULES", "WINDOW", "DedupResult", "find_duplicates", "title_key"]

#: Each record is compared with this many following records within a sorted block
#: (:data:`WEAK_WINDOW` for the bibliographic keys: author+year, year+page, volume+page …).
WINDOW = 8
WEAK_WINDOW = 3
#: Title similarity (rapidfuzz ratio / 100) below which two titles are "clearly different":
#: one citation then holds two items (an issue's two papers on the same pages), not one.
#: Every true pair merged on its citation in the development sets is at 0.77 or above.
DIFFERENT_TITLES = 0.6
#: Pairs of one article needed to judge whether a set's issue field holds issue numbers.
MIN_ISSUE_PAIRS = 5
#: How much each conflicting field lowers a queued pair's score (its rank in the queue).
CONFLICT_PENALTY = 0.1
_IDENTIFYING = frozenset({"doi", "pmid", "prefix", "suffix"})
#: Rule names, most certain first (a link records the one that fired).
RULES: tuple[str, ...] = (
    "doi", "pmid", "title+authors+year", "title+journal+pages", "title+authors+pages",
    "title-contained+authors+pages", "authors+year+volume+pages", "journal+year+volume+page-range",
    "cochrane-review-number",
    "review:doi", "review:pmid", "review:title", "review:bibliographic",
    "review:conflict:<what conflicts>", "review:cross-language",
)

Progress = Callable[[int, int], None]

_GREEK = str.maketrans({
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "κ": "kappa",
    "λ": "lambda", "μ": "mu", "ω": "omega", "τ": "tau", "θ": "theta", "σ": "sigma",
})
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")
#: The CJK ranges of :func:`evisynth.review.normalize.is_cjk`, as one character class.
_CJK = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0002fa1f]"
)
_TAGS = re.compile(r"<[^>]{1,20}>")
#: Database annotations appended to titles: "[Review] [33 refs]", "[Erratum appears in …]",
#: "<ORIGINAL> PROPHYLAXIE …" (Embase's original-language title), "[see comments]".
_ANNOTATIONS = re.compile(
    r"\[(?:review|\d+ refs?)\]|\[(?:erratum appears|published erratum|see comments?|comment in|"
    r"retraction in|retracted|corrected and republished|update (?:of|in)|summary for patients)"
    r"[^\]]*(?:\]|$)|<original>.*$|\s[(\[]?abstract (?:no|number)\b[.:]? ?\w+[)\]]?\s*$",
    re.IGNORECASE,
)
_NON_WORD = re.compile(r"[\W_]+")
_NOTICE = re.compile(
    r"\b(?:errat(?:um|a)|corrigend(?:um|a)|correction|retract(?:ion|ed)|expression of concern|"
    r"reply|response to|in response|comment(?:ary)? on|comments? to|author'?s? response)\b",
    re.IGNORECASE,
)
_NUMBER = re.compile(r"(?<![\d.])(\d{2,6})(?:\.\d+)?(?![\d.])")
_DIGITS = re.compile(r"\d+")
_THOUSANDS = re.compile(r"(?<!\d)(\d{1,3}) (\d{3})(?!\d)")  # "10 000" (from "10,000") is 10000
_ISSUE_WORD = re.compile(r"\b(?:no|nr|issue)\b\.?", re.IGNORECASE)
_LETTER = re.compile(r"[^\W\d_]")
_SPLIT_AUTHORS = re.compile(r"\s+and\s+|;")
_INITIALS = re.compile(r"^(?:[A-Z]\.?-?){1,4}$")
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
#: A page range a database wrote on purpose: "123-129", "S11-S15", "e12724" (article number).
_PAGE_RANGE = re.compile(r"^([a-z]{0,4})(\d+)(?:-[a-z]{0,4}(\d+))?$", re.IGNORECASE)
_JOURNAL_STOP = frozenset({"of", "the", "and", "de", "la", "y", "et", "for", "in", "on", "electronic",
                           "resource", "online", "print"})


def _fold(text: str) -> str:
    """Case-folded, accents removed (NFKD minus combining marks), Greek letters spelled out."""
    text = text.casefold()
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text.translate(_GREEK))
    return _COMBINING.sub("", text)


@lru_cache(maxsize=65536)
def _fold_cached(text: str) -> str:
    return _fold(text)


def title_key(title: str) -> str:
    """The title for matching: folded, HTML and punctuation dropped, words joined by single
    spaces, a leading article dropped. CJK characters are kept (never an empty key for a
    Chinese title); only a title without letters or digits gives ``""``."""
    return _key(_strip_annotations(title))


def _strip_annotations(title: str) -> str:
    lowered = title.lower()
    if "[" in title or "<" in title or "abstract" in lowered:
        title = _ANNOTATIONS.sub(" ", title)
        if "<" in title:
            title = _TAGS.sub(" ", title)
    return title


def _key(stripped: str) -> str:
    text = _NON_WORD.sub(" ", _fold(stripped)).strip()
    for article in ("the ", "an ", "a "):
        if text.startswith(article):
            return text[len(article):]
    return text


@lru_cache(maxsize=262144)
def _surname(name: str) -> str:
    name = name.strip()
    if not name:
        return ""
    if _CJK.search(name):
        return name.replace(" ", "")
    if "," in name:
        last = name.partition(",")[0]
    else:
        parts = name.split()
        last = " ".join(parts[:-1]) if len(parts) > 1 and _INITIALS.match(parts[-1]) else parts[-1]
    # "von Pawel" / "Pawel", "Lynch Jr" / "Lynch": the last word of the surname, suffixes dropped
    words = [w for w in _NON_WORD.sub(" ", _fold(last)).split() if w not in _SUFFIXES]
    return words[-1] if words else ""


def _surnames(authors: Sequence[str]) -> list[str]:
    out: list[str] = []
    for value in authors:
        for name in _SPLIT_AUTHORS.split(value):
            surname = _surname(name)
            if surname:
                out.append(surname)
    return out


_Range = tuple[str, int, int]


def _page_ranges(pages: str) -> tuple[_Range, ...]:
    """(prefix, first, last) for each range in a page field: ``"123-9"``, ``"S11-S15"``, an
    article number (``"e12724"``, ``"a1754"``), several ranges (``"233-8, 230-5"``,
    ``"106-11; discussion 111-2"``). Parts that are not a plain range ("Suppl-12", "t-8",
    "01-Jun": export damage, not evidence) and ranges starting at page 1 (an electronic
    article's page count, "1-6", not its place in the journal) are left out. A range that ends
    before it starts ("2297-2108": a typo) keeps its written end (``last < first``)."""
    out: list[_Range] = []
    for part in re.split(r"[;,+]", pages.strip("\"' ")):
        match = _PAGE_RANGE.match(part.strip().removeprefix("discussion").strip())
        if not match:
            continue
        prefix, first = match.group(1).lower(), int(match.group(2))
        last_text = match.group(3) or match.group(2)
        if len(last_text) < len(match.group(2)):
            last_text = match.group(2)[: len(match.group(2)) - len(last_text)] + last_text
        if first > 1:
            out.append((prefix, first, int(last_text)))
    return tuple(out)


def _one_character_apart(x: _Range, y: _Range) -> bool:
    """Whether the two ranges, written out, differ in exactly one character ("2297-2108" /
    "2097-2108")."""
    a, b = f"{x[1]}-{x[2]}", f"{y[1]}-{y[2]}"
    return len(a) == len(b) and sum(c != d for c, d in zip(a, b, strict=True)) == 1


def _pages_agree(a: tuple[_Range, ...], b: tuple[_Range, ...]) -> bool | None:
    """True when two ranges of the same kind overlap ("488" / "487-488"), False when ranges of
    the same kind exist but none overlap, None when there is nothing to compare.

    Two ranges of different kinds agree when their numbers are the same and only one has a
    prefix (a journal's section letter, "c37-c42" / "37-42"); a range that ends before it
    starts agrees with one a single character away (the typo "2297-2108" / "2097-2108")."""
    comparable = [(x, y) for x in a for y in b if x[0] == y[0]]
    if not comparable:
        if any(x[1:] == y[1:] and not (x[0] and y[0]) for x in a for y in b):
            return True
        return None
    if any(x[1] <= max(y[1:]) and y[1] <= max(x[1:]) for x, y in comparable):
        return True
    return any((x[2] < x[1] or y[2] < y[1]) and _one_character_apart(x, y) for x, y in comparable)


def _volume(volume: str) -> str:
    match = _DIGITS.search(volume)
    return match.group(0).lstrip("0") if match else ""


def _issue(issue: str) -> frozenset[str]:
    """The issue numbers of an issue field ("3", "3-4", "No. 12"); none for a supplement or a
    part ("Suppl 2", "Pt 1"), whose numbering databases write differently."""
    if _LETTER.search(_ISSUE_WORD.sub("", issue)):
        return frozenset()
    return frozenset(n.lstrip("0") or "0" for n in _DIGITS.findall(issue))


def _citation_numbers(record: Record, ranges: tuple[_Range, ...]) -> frozenset[str]:
    """The numbers of a record's own citation: year, volume, issue, first and last pages."""
    numbers = {str(record.year or ""), _volume(record.volume), *_issue(record.issue)}
    for _, first, last in ranges:
        # the last page as written in full or shortened ("2142-3")
        numbers |= {str(first)} | {str(last)[k:].lstrip("0") for k in range(len(str(last)))}
    return frozenset(numbers - {""})


@dataclass
class _Features:
    """Column-wise features of the records (lists indexed by input position)."""

    title: list[str] = field(default_factory=list)
    alt: list[str] = field(default_factory=list)
    cjk: list[bool] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    first_author: list[str] = field(default_factory=list)
    year: list[int] = field(default_factory=list)
    page: list[str] = field(default_factory=list)
    pages: list[tuple[_Range, ...]] = field(default_factory=list)
    volume: list[str] = field(default_factory=list)
    issue: list[frozenset[str]] = field(default_factory=list)
    journal: list[str] = field(default_factory=list)
    doi: list[str] = field(default_factory=list)
    pmid: list[str] = field(default_factory=list)
    notice: list[bool] = field(default_factory=list)
    language: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    numbers: list[frozenset[str]] = field(default_factory=list)
    title_numbers: list[frozenset[str]] = field(default_factory=list)


def _features(records: Sequence[Record]) -> _Features:
    f = _Features()
    for r in records:
        stripped = _strip_annotations(r.title)
        key = _key(stripped)
        cjk = _CJK.search(key) is not None
        surnames = _surnames(r.authors)
        f.title.append(key)
        # "Título original; English title" (LILACS, SciELO): the part after the last ";"
        alt = title_key(r.title.rpartition(";")[2]) if ";" in r.title else ""
        f.alt.append(alt if len(alt) >= 20 and alt != key else "")
        f.cjk.append(cjk)
        f.authors.append(" ".join(surnames[:8]))
        f.first_author.append(surnames[0] if surnames else "")
        f.year.append(r.year or 0)
        ranges = _page_ranges(r.pages)
        f.pages.append(ranges)
        # the first page without its prefix: "c37" (a section letter) blocks with "37"
        f.page.append(str(ranges[0][1]) if ranges else "")
        f.volume.append(_volume(r.volume))
        f.issue.append(_issue(r.issue))
        f.journal.append(" ".join(
            w for w in _NON_WORD.sub(" ", _fold_cached(r.journal)).split() if w not in _JOURNAL_STOP
        ))
        f.doi.append(r.doi)
        f.pmid.append(r.pmid)
        f.notice.append(bool(_NOTICE.search(stripped)))
        f.language.append(r.language or ("zh" if cjk else ""))
        f.kind.append(r.record_type)
        numbers = _DIGITS.findall(_THOUSANDS.sub(r"\1\2", key)) if _DIGITS.search(key) else []
        in_title = frozenset(n.lstrip("0") for n in numbers)
        # a citation pasted after the title ("… syndrome. N Engl J Med 2009;360:2142-3")
        # repeats two or more of the record's own numbers; they are not the title's
        pasted = in_title & _citation_numbers(r, ranges)
        f.title_numbers.append(in_title - pasted if len(pasted) >= 2 else in_title)
        reported = _NUMBER.findall(f"{r.title} {r.abstract}") if r.abstract else []
        f.numbers.append(frozenset(reported) - {str(r.year)})
    return f


def _blocking_keys(f: _Features) -> list[tuple[str, list[int], list[str]]]:
    """(pass name, record positions, keys) for every blocking pass; a record may have several
    keys in one pass (its title and its alternative title) and none when a field is missing."""
    def title_ends(rows: list[tuple[int, str, bool]]) -> tuple[list[int], list[str], list[str]]:
        idx, prefix, suffix = [], [], []
        for i, t, cjk in rows:
            size = 6 if cjk else 24
            if len(t) >= min(size, 4):
                idx.append(i)
                prefix.append(t[:size])
                suffix.append(t[-size:] if len(t) >= size else t)
        return idx, prefix, suffix

    rows = [(i, t.replace(" ", ""), c) for i, (t, c) in enumerate(zip(f.title, f.cjk, strict=True))]
    rows += [(i, t.replace(" ", ""), False) for i, t in enumerate(f.alt) if t]
    t_idx, prefix, suffix = title_ends(rows)

    def pair(name: str, a: list[str], b: list[Any]) -> tuple[str, list[int], list[str]]:
        idx = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x and y]
        return name, idx, [f"{a[i]}|{b[i]}" for i in idx]

    def single(name: str, a: list[str]) -> tuple[str, list[int], list[str]]:
        idx = [i for i, x in enumerate(a) if x]
        return name, idx, [a[i] for i in idx]

    years = [str(y) if y else "" for y in f.year]
    numbers = [
        "|".join(sorted(nums, key=lambda s: (-len(s), s))[:3]) if len(nums) >= 3 else ""
        for nums in f.numbers
    ]
    return [
        single("doi", f.doi),
        single("pmid", f.pmid),
        ("prefix", t_idx, prefix),
        ("suffix", t_idx, suffix),
        pair("author+year", f.first_author, years),
        pair("year+page", years, f.page),
        pair("volume+page", f.volume, f.page),
        pair("year+numbers", years, numbers),
    ]


def _candidate_pairs(f: _Features, window: int) -> np.ndarray:
    """Unique (i, j), i < j, sharing a blocking key and within ``window`` of each other after
    sorting the block by title key; shape (m, 2), int64."""
    n = len(f.title)
    order_title = np.asarray(sorted(range(n), key=f.title.__getitem__), dtype=np.int64)
    title_rank = np.empty(n, dtype=np.int64)
    title_rank[order_title] = np.arange(n)
    chunks: list[np.ndarray] = []
    for name, positions, keys in _blocking_keys(f):
        if len(positions) < 2:
            continue
        # bibliographic keys (a common surname and a year) make big blocks of strangers; sorted
        # by title, a record's duplicates are its nearest neighbours there
        reach = window if name in _IDENTIFYING else min(window, WEAK_WINDOW)
        idx = np.asarray(positions, dtype=np.int64)
        codes = pd.factorize(pd.Series(keys, dtype=object))[0]
        order = np.lexsort((title_rank[idx], codes))
        idx, codes = idx[order], codes[order]
        for d in range(1, reach + 1):
            same = (codes[d:] == codes[:-d]) & (idx[d:] != idx[:-d])
            if not same.any():
                break
            chunks.append(np.stack([idx[:-d][same], idx[d:][same]], axis=1))
    if not chunks:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(chunks)
    pairs.sort(axis=1)
    codes = np.unique(pairs[:, 0] * n + pairs[:, 1])
    return np.stack([codes // n, codes % n], axis=1)


def _abbreviates(short: str, word: str) -> bool:
    """Whether ``short`` may abbreviate ``word``: a prefix ("clin" / "clinical"), or, as ISO 4
    abbreviations drop letters, the same first letter and the rest in order ("dtsch" /
    "deutsche", "wochenschr" / "wochenschrift")."""
    if word.startswith(short):
        return True
    if len(short) < 3 or short[0] != word[0]:
        return False
    rest = iter(word[1:])
    return all(c in rest for c in short[1:])


def journals_compatible(a: str, b: str) -> bool:
    """Whether two (stop-word-free, folded) journal names may name one journal: either is
    empty, they share most words, or the shorter is an abbreviation of the longer (each word
    a prefix of a later word in order: "j clin oncol" / "journal clinical oncology", or the
    initials: "bmj" / "british medical journal", "jpen" / "jpen journal parenteral …"), with
    letters dropped as ISO 4 does ("dtsch med wochenschr" / "deutsche medizinische …")."""
    if not a or not b or a == b:
        return True
    wa, wb = a.split(), b.split()
    short, long_ = (wa, wb) if len(" ".join(wa)) <= len(" ".join(wb)) else (wb, wa)
    joined = "".join(short)
    if joined == "".join(w[0] for w in long_) or joined == "".join(long_):
        return True
    if fuzz.token_set_ratio(a, b) >= 90:
        return True
    k = 0
    for word in short:
        while k < len(long_) and not _abbreviates(word, long_[k]):
            k += 1
        if k == len(long_):
            return False
        k += 1
    return True


def _identifiers_differ(a: str, b: str) -> bool:
    """Whether two identifiers of one kind name two works: both given, and neither is the other
    with a suffix ("….CD006828" / "….CD006828.pub2", an article's DOI and its supplement's)."""
    return bool(a and b) and not (a.startswith(b) or b.startswith(a))


@dataclass(frozen=True)
class _Evidence:
    title: float
    authors: float
    contained: float


def _judge(f: _Features, i: int, j: int, ev: _Evidence) -> tuple[str, str, float] | None:
    """(rule, status, score) for the pair, or None when it is not a duplicate candidate."""
    doi = bool(f.doi[i]) and f.doi[i] == f.doi[j]
    pmid = bool(f.pmid[i]) and f.pmid[i] == f.pmid[j]
    conflicts = []
    if _identifiers_differ(f.doi[i], f.doi[j]):
        conflicts.append("doi")
    if f.pmid[i] and f.pmid[j] and not pmid:
        conflicts.append("pmid")
    yi, yj = f.year[i], f.year[j]
    year_known = bool(yi and yj)
    if year_known and abs(yi - yj) > 1:
        conflicts.append("year")
    pi, pj = f.pages[i], f.pages[j]
    # pages agree when the ranges overlap ("488" / "487-488"); an article number against a
    # page range ("a1754" / "969-972") says nothing either way
    agree = _pages_agree(pi, pj)
    pages_match = agree is True
    if agree is False:
        conflicts.append("pages")
    if f.volume[i] and f.volume[j] and f.volume[i] != f.volume[j]:
        conflicts.append("volume")
    if f.issue[i] and f.issue[j] and not f.issue[i] & f.issue[j]:
        conflicts.append("issue")
    if f.notice[i] != f.notice[j]:
        conflicts.append("notice")
    if f.title_numbers[i] != f.title_numbers[j]:
        conflicts.append("title numbers")
    volume_match = bool(f.volume[i]) and f.volume[i] == f.volume[j]
    # journal names are translated and abbreviated freely; they only count against a pair
    # whose volume and first page do not both agree
    if not (pages_match and volume_match) and not journals_compatible(f.journal[i], f.journal[j]):
        conflicts.append("journal")
    kinds = {f.kind[i], f.kind[j]}
    if "conference" in kinds and len(kinds) > 1:
        conflicts.append("type")
    li, lj = f.language[i], f.language[j]
    cross = bool(li and lj and li != lj) or f.cjk[i] != f.cjk[j]

    ts, aus = ev.title, ev.authors
    authors_match = bool(f.first_author[i]) and (
        f.first_author[i] == f.first_author[j] or aus >= 0.8
    )
    long_title = min(len(f.title[i]), len(f.title[j])) >= (12 if f.cjk[i] else 30)
    score = round(min(1.0, 0.6 * ts + 0.25 * aus + 0.15 * (pages_match or volume_match)), 4)

    if cross:
        same_numbers = len(f.numbers[i] & f.numbers[j]) >= 3
        if doi or pmid or (yi == yj and year_known and (
                (pages_match and volume_match) or same_numbers or authors_match)):
            return "review:cross-language", "needs_review", score
        return None
    if doi or pmid:
        rule = "doi" if doi else "pmid"
        # one title cut short or without its subtitle, the rest of the citation the same
        truncated = ev.contained >= 0.95 and authors_match and (pages_match or volume_match)
        if (ts >= 0.8 or truncated) and not set(conflicts) & {"notice", "doi", "pmid"}:
            return rule, "auto", max(score, 0.99)
        return f"review:{rule}", "needs_review", score
    many_authors = min(f.authors[i].count(" "), f.authors[j].count(" ")) >= 1
    same_issue = pages_match and volume_match and yi == yj and year_known
    # the whole citation: journal, year, volume and the same range of two or more pages; the
    # authors agree or one record has none; a typo in a number of the title does not veto it
    same_range = bool(pi and pj) and pi[0] == pj[0] and pi[0][1] < pi[0][2]
    # titles clearly different within one citation are two items of one issue
    titles_differ = ts < DIFFERENT_TITLES and ev.contained < 0.9
    citation = (same_issue and same_range and not titles_differ
                and (authors_match or not f.first_author[i] or not f.first_author[j])
                and bool(f.journal[i] and f.journal[j])
                and journals_compatible(f.journal[i], f.journal[j]))
    if citation and conflicts == ["title numbers"] and ts >= 0.9:
        return "journal+year+volume+page-range", "auto", score
    # a Cochrane review and its update: the same review number (CD006828) and title
    if (set(conflicts) <= {"year", "volume"} and ts >= 0.95 and authors_match and pi and pj
            and pi[0][0] == "cd" and pi[0] == pj[0] and "cochrane" in f.journal[i]
            and "cochrane" in f.journal[j]):
        return "cochrane-review-number", "auto", score
    if conflicts:
        # two DOIs (or PMIDs) name two works (an article and its erratum among them); such a
        # pair waits for a person only when the rest of the citation agrees (a database that
        # gave the article its erratum's DOI, or a typo in one)
        identified = {"doi", "pmid"} & set(conflicts)
        if identified and not (ts >= 0.95 and authors_match and same_issue):
            return None
        if ts >= 0.9 and (authors_match or pages_match):
            return ("review:conflict:" + "+".join(conflicts), "needs_review",
                    round(max(0.0, score - CONFLICT_PENALTY * len(conflicts)), 4))
        return None
    # a short title ("Empyema thoracis") is only certain with the whole byline and the issue
    # (a notice has no byline: two notices are one when their whole citation is, issue included)
    both_notices = f.notice[i] and f.notice[j]
    short_title_certain = ts == 1.0 and (
        (many_authors and aus >= 0.9 and volume_match and year_known and yi == yj)
        or (both_notices and same_issue and bool(f.issue[i] and f.issue[j])
            and bool(f.journal[i] and f.journal[j])))
    if ts >= 0.95 and (long_title or short_title_certain):
        if authors_match and year_known and (yi == yj or pages_match or volume_match):
            return "title+authors+year", "auto", score
        if (pages_match and (volume_match or fuzz.token_set_ratio(f.journal[i], f.journal[j]) >= 80)
                and (not year_known or yi == yj)):
            return "title+journal+pages", "auto", score
    if ts >= 0.9 and authors_match and pages_match and (yi == yj or not year_known):
        return "title+authors+pages", "auto", score
    if (ev.contained >= 0.97 and min(len(f.title[i]), len(f.title[j])) >= 40 and authors_match
            and same_issue):
        return "title-contained+authors+pages", "auto", score
    # the same first page of a real range (companion papers may share a boundary page)
    same_start = (bool(pi and pj) and pi[0][:2] == pj[0][:2] and pi[0][1] < pi[0][2]
                  and pj[0][1] < pj[0][2])
    if same_issue and same_start and many_authors and aus >= 0.9 and authors_match:
        # a translated title: same authors, same year, volume and page range
        return "authors+year+volume+pages", "auto", score
    if citation:
        return "journal+year+volume+page-range", "auto", score
    # clearly different titles on one page are two items (abstracts, letters); on the same
    # range of pages they may be one article under a translated title
    if same_issue and (authors_match or both_notices) and (same_range or not titles_differ):
        return "review:bibliographic", "needs_review", score
    if (ts >= 0.85 or ev.contained >= 0.95) and (authors_match or pages_match or volume_match):
        return "review:title", "needs_review", score
    return None


@dataclass
class _PairScores:
    """Similarities of the candidate pairs worth judging (``keep`` selects them)."""

    keep: np.ndarray
    title: np.ndarray
    authors: np.ndarray
    contained: np.ndarray


def _codes(values: Sequence[Any]) -> np.ndarray:
    """Integer codes for equality tests; 0 for a missing value."""
    table: dict[Any, int] = {}
    return np.fromiter(
        (table.setdefault(v, len(table) + 1) if v else 0 for v in values), dtype=np.int64,
        count=len(values),
    )


def _pair_evidence(f: _Features, a: np.ndarray, b: np.ndarray, workers: int) -> _PairScores:
    """String similarities, computed in rapidfuzz's C++ loops, for the pairs that can matter.

    Title ratios are computed for all candidate pairs; the pairs that share nothing (a title
    under 0.8 similar, no shared DOI/PMID/volume/first page, not a cross-language candidate)
    are dropped before the slower measures and the rules.
    """
    al, bl = a.tolist(), b.tolist()
    ta, tb = [f.title[i] for i in al], [f.title[j] for j in bl]
    ts = cpdist(ta, tb, scorer=fuzz.ratio, workers=workers)
    has_alt = np.fromiter((bool(f.alt[i] or f.alt[j]) for i, j in zip(al, bl, strict=True)),
                          dtype=bool, count=len(al))
    if has_alt.any():
        idx = np.flatnonzero(has_alt).tolist()
        alt_a = [f.alt[al[k]] or ta[k] for k in idx]
        alt_b = [f.alt[bl[k]] or tb[k] for k in idx]
        best = np.maximum(cpdist(alt_a, [tb[k] for k in idx], scorer=fuzz.ratio, workers=workers),
                          cpdist([ta[k] for k in idx], alt_b, scorer=fuzz.ratio, workers=workers))
        ts[idx] = np.maximum(ts[idx], best)
    ts = ts / 100.0

    def eq(values: Sequence[Any]) -> np.ndarray:
        codes = _codes(values)
        same: np.ndarray = (codes[a] == codes[b]) & (codes[a] > 0)
        return same

    year_eq, volume_eq, page_eq = eq(f.year), eq(f.volume), eq(f.page)
    cjk = np.asarray(f.cjk, dtype=bool)
    language = _codes(f.language)
    cross = (cjk[a] != cjk[b]) | ((language[a] != language[b]) & (language[a] > 0) & (language[b] > 0))
    near = (eq(f.doi) | eq(f.pmid) | (volume_eq & year_eq) | (page_eq & (volume_eq | year_eq))
            | (cross & year_eq))
    # the shorter title found whole inside the longer ("X" / "X: a randomized trial")
    lengths = np.fromiter((len(t) for t in f.title), dtype=np.int64, count=len(f.title))
    shorter = np.minimum(lengths[a], lengths[b]) < 0.9 * np.maximum(lengths[a], lengths[b])
    contained = np.zeros(len(al))
    want = (ts < 0.95) & shorter & (near | (ts >= 0.5))
    if want.any():
        idx = np.flatnonzero(want).tolist()
        contained[idx] = cpdist([ta[k] for k in idx], [tb[k] for k in idx],
                                scorer=fuzz.partial_ratio, score_cutoff=90, workers=workers) / 100.0
    keep = (ts >= 0.8) | (contained >= 0.95) | near
    idx = np.flatnonzero(keep).tolist()
    authors = cpdist([f.authors[al[k]] for k in idx], [f.authors[bl[k]] for k in idx],
                     scorer=fuzz.token_set_ratio, workers=workers) / 100.0
    return _PairScores(keep, ts[keep], authors, contained[keep])


def _issues_trusted(f: _Features, a: np.ndarray, b: np.ndarray, title: np.ndarray) -> bool:
    """Whether the issue field holds issue numbers: the pairs that are surely one article (the
    same title, year, volume and first page) mostly agree on it. Some exports fill it with
    something else (EndNote's record number in the ``number`` field), which differs between
    the copies of every article; a set with fewer than :data:`MIN_ISSUE_PAIRS` such pairs is
    trusted."""
    agree = total = 0
    for k in np.flatnonzero(title >= 0.95).tolist():
        i, j = int(a[k]), int(b[k])
        if (f.issue[i] and f.issue[j] and f.year[i] == f.year[j] and f.volume[i]
                and f.volume[i] == f.volume[j] and f.page[i] and f.page[i] == f.page[j]):
            total += 1
            agree += bool(f.issue[i] & f.issue[j])
    return total < MIN_ISSUE_PAIRS or 2 * agree >= total


@dataclass(frozen=True)
class DedupResult(Serializable):
    """Links found among ``n_records`` records, the groups the certain ones make, PRISMA counts."""

    n_records: int
    links: tuple[DuplicateLink, ...]
    groups: tuple[tuple[int, ...], ...]
    counts: DedupCounts
    candidate_pairs: int

    @property
    def review(self) -> tuple[DuplicateLink, ...]:
        """Links waiting for a person, most likely duplicates first."""
        return review_queue(self.links)

    def __str__(self) -> str:
        c = self.counts
        by_rule: dict[str, int] = {}
        for link in self.links:
            by_rule[link.rule] = by_rule.get(link.rule, 0) + 1
        lines = [
            f"Deduplication of {c.records_identified} records ({self.candidate_pairs} pairs compared)",
            "",
            f"  duplicates removed:     {c.duplicates_removed} (records merged into another)",
            f"  records after dedup:    {c.records_after_dedup}",
            f"  duplicate groups:       {len(self.groups)} (two or more records each)",
            f"  pairs awaiting review:  {c.pairs_awaiting_review}",
            "",
            "  links by rule:",
        ]
        lines += [f"    {rule:<34}{count}" for rule, count in sorted(by_rule.items(), key=lambda x: -x[1])]
        return "\n".join(lines)


def find_duplicates(
    records: Sequence[Record],
    *,
    window: int = WINDOW,
    review: bool = True,
    progress: Progress | None = None,
    workers: int = 1,
) -> DedupResult:
    """Links between duplicate records (see the module docstring for the rules).

    ``window``: comparisons per record within a blocking key (larger finds more, costs more);
    ``review=False`` drops the uncertain ``needs_review`` links; ``progress(done, total)`` is
    called while pairs are judged; ``workers``: threads for the string similarity (-1: all).
    """
    if window < 1:
        raise ValueError(f"window must be >= 1 (got {window})")
    n = len(records)
    f = _features(records)
    pairs = _candidate_pairs(f, window) if n > 1 else np.empty((0, 2), dtype=np.int64)
    candidates = total = len(pairs)
    links: list[DuplicateLink] = []
    if total:
        a, b = pairs[:, 0], pairs[:, 1]
        ev = _pair_evidence(f, a, b, workers)
        a, b = a[ev.keep], b[ev.keep]
        total = len(a)
        if not _issues_trusted(f, a, b, ev.title):
            f.issue = [frozenset()] * n
        if progress:
            progress(0, total)
        step = max(1, total // 100)
        for k, (i, j) in enumerate(zip(a.tolist(), b.tolist(), strict=True)):
            verdict = _judge(f, i, j, _Evidence(
                float(ev.title[k]), float(ev.authors[k]), float(ev.contained[k])))
            if verdict is not None:
                rule, status, score = verdict
                if status == "auto" or review:
                    links.append(DuplicateLink(j, i, score, rule, status))
            if progress and k % step == 0:
                progress(k, total)
        if progress:
            progress(total, total)
    return DedupResult(
        n_records=n,
        links=tuple(links),
        groups=duplicate_groups(n, links),
        counts=dedup_counts(n, links),
        candidate_pairs=candidates,
    )
