"""PubMed XML (``<PubmedArticleSet>`` from efetch or the MEDLINE baseline).

Read: each ``<PubmedArticle>`` (and ``<PubmedBookArticle>``) becomes tag/value pairs.
Clean: authors as "LastName, ForeName" (or the collective name), the year from ``PubDate``
(``Year`` or ``MedlineDate``), the DOI from ``ArticleId``/``ELocationID``. Convert: ``make_record``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from evisynth.io.records._base import MAX_ENTRIES, RawEntry, fail
from evisynth.io.records._xml import original, parse_xml, text_of
from evisynth.review.normalize import make_record
from evisynth.review.records import RawField, Record

FORMAT = "pubmed_xml"
_FIX = "download the records again from PubMed as XML (efetch rettype=xml)"


def looks_like(text: str) -> bool:
    return "<PubmedArticleSet" in text[:5000] or "<PubmedArticle>" in text[:5000]


def _article(element: ET.Element) -> RawEntry:
    entry = RawEntry(line=None, text=original(element))
    add = entry.fields.append
    citation = element.find("MedlineCitation")
    book = element.find("BookDocument")
    base = citation if citation is not None else book
    if base is None:
        return entry
    add(RawField("PMID", text_of(base.find("PMID"))))
    article = base.find("Article")
    scope = article if article is not None else base
    add(RawField("Title", text_of(scope.find("ArticleTitle")) or text_of(scope.find("Book/BookTitle"))))
    for author in scope.iterfind("AuthorList/Author"):
        last, fore = text_of(author.find("LastName")), text_of(author.find("ForeName"))
        fore = fore or text_of(author.find("Initials"))
        name = f"{last}, {fore}" if last and fore else last or text_of(author.find("CollectiveName"))
        add(RawField("Author", name))
    journal = scope.find("Journal")
    if journal is not None:
        add(RawField("Journal", text_of(journal.find("Title")) or text_of(journal.find("ISOAbbreviation"))))
        add(RawField("Volume", text_of(journal.find("JournalIssue/Volume"))))
        add(RawField("Issue", text_of(journal.find("JournalIssue/Issue"))))
        add(RawField("Year", text_of(journal.find("JournalIssue/PubDate/Year"))
                     or text_of(journal.find("JournalIssue/PubDate/MedlineDate"))))
    add(RawField("Year", text_of(scope.find("ArticleDate/Year")) or text_of(scope.find("Book/PubDate/Year"))))
    add(RawField("Pages", text_of(scope.find("Pagination/MedlinePgn"))
                 or text_of(scope.find("Pagination/StartPage"))))
    for eid in scope.iterfind("ELocationID"):
        if eid.get("EIdType") == "doi":
            add(RawField("DOI", text_of(eid)))
    for aid in element.iterfind("PubmedData/ArticleIdList/ArticleId"):
        if aid.get("IdType") == "doi":
            add(RawField("DOI", text_of(aid)))
    parts = []
    for section in scope.iterfind("Abstract/AbstractText"):
        label = section.get("Label")
        body = text_of(section)
        parts.append(f"{label}: {body}" if label else body)
    add(RawField("Abstract", " ".join(parts)))
    for keyword in base.iterfind("KeywordList/Keyword"):
        add(RawField("Keyword", text_of(keyword)))
    for language in scope.iterfind("Language"):
        add(RawField("Language", text_of(language)))
    for kind in scope.iterfind("PublicationTypeList/PublicationType"):
        add(RawField("Type", text_of(kind)))
    if book is not None:
        add(RawField("Type", "book"))
    return entry


def parse(text: str, *, path: str) -> list[RawEntry]:
    root = parse_xml(text, path=path, fix=_FIX)
    articles = [a for a in root.iter() if a.tag in ("PubmedArticle", "PubmedBookArticle")]
    if not articles:
        raise fail(path, None, "no <PubmedArticle> elements found", _FIX)
    if len(articles) > MAX_ENTRIES:
        raise fail(path, None, f"more than {MAX_ENTRIES} articles", "split the file")
    entries = [_article(a) for a in articles]
    for number, entry in enumerate(entries, start=1):
        if not any(entry.values("PMID")):
            raise fail(path, None, f"article {number} has no <PMID>", _FIX)
    return entries


def clean(entry: RawEntry) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {
        "title": entry.values("Title"),
        "authors": entry.values("Author"),
        "year": entry.values("Year"),
        "journal": entry.values("Journal"),
        "volume": entry.values("Volume"),
        "issue": entry.values("Issue"),
        "pages": entry.values("Pages"),
        "doi": entry.values("DOI"),
        "pmid": entry.values("PMID"),
        "abstract": entry.values("Abstract"),
        "keywords": entry.values("Keyword"),
        "language": entry.values("Language"),
        "record_type": sorted(entry.values("Type"), key=lambda t: t != "Journal Article"),
    }
    return {k: [x for x in v if x] for k, v in out.items() if any(v)}


def convert(entries: list[RawEntry], *, path: str, database: str = "") -> tuple[Record, ...]:
    return tuple(
        make_record(clean(e), source_file=path, entry=i, format=FORMAT, original=e.text,
                    database=database or "PubMed", line=None)
        for i, e in enumerate(entries, start=1)
    )


def read(text: str, *, path: str, database: str = "") -> tuple[Record, ...]:
    return convert(parse(text, path=path), path=path, database=database)
