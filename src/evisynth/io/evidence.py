"""Read what claim appraisal needs from disk: the evidence base YAML and the article to appraise.

* :func:`load_evidence` reads ``evisynth/claims/data/evidence.yaml`` (or another file of the same
  shape) into plain dicts; ``evisynth.claims.EvidenceBase.from_dicts`` checks and converts them.
* :func:`read_article` reads ``.txt``, ``.md`` and ``.html``/``.htm`` (text of the body, scripts
  and styles dropped, block elements as line breaks) in UTF-8, GB18030 or Big5
  (``evisynth.io.records.encoding.decode``).
"""

from __future__ import annotations

from html.parser import HTMLParser
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from evisynth.io.errors import ImportFormatError
from evisynth.io.records.encoding import decode

ARTICLE_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm")
_BLOCKS = {
    "p",
    "div",
    "br",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "section",
    "article",
    "blockquote",
    "ul",
    "ol",
    "table",
    "header",
    "footer",
}


def default_evidence_path() -> Path:
    return Path(str(resources.files("evisynth.claims").joinpath("data/evidence.yaml")))


def load_evidence(path: Path | None = None) -> list[dict[str, Any]]:
    """The entries of an evidence YAML file (a list of mappings)."""
    p = path or default_evidence_path()
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ImportFormatError(f"{p}: cannot read the evidence base ({exc})") from exc
    if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
        raise ImportFormatError(f"{p}: the evidence base must be a YAML list of entries")
    return data


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "head"):
            self._skip += 1
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "head"):
            self._skip = max(0, self._skip - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line)


def read_article(path: Path) -> str:
    """The article's text; HTML is reduced to its visible text."""
    suffix = path.suffix.lower()
    if suffix not in ARTICLE_SUFFIXES:
        raise ImportFormatError(
            f"{path}: cannot appraise a {suffix or 'suffix-less'} file; "
            f"give one of {', '.join(ARTICLE_SUFFIXES)}"
        )
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ImportFormatError(f"{path}: cannot read the article ({exc.strerror})") from exc
    text, _ = decode(raw, path=str(path))
    if suffix in (".html", ".htm"):
        text = html_to_text(text)
    if not text.strip():
        raise ImportFormatError(f"{path}: the article is empty")
    return text
