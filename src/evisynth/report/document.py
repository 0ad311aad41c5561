"""The report's content as plain blocks (headings, paragraphs, tables, figures), so that the
DOCX export and the table files carry what the HTML page shows."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

BlockKind = Literal["heading", "paragraph", "table", "figure"]


@dataclass(frozen=True)
class Table:
    """A report table: ``name`` names its CSV file and XLSX sheet; cells are shown as text."""

    name: str
    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9_]{1,31}", self.name):
            raise ValueError(f"table name {self.name!r} must be 1-31 of a-z, 0-9, _ (a file and sheet name)")
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.name}: a row has {len(row)} cells for "
                                 f"{len(self.columns)} columns")


@dataclass(frozen=True)
class Block:
    kind: BlockKind
    text: str = ""
    level: int = 1
    table: Table | None = None
    png: bytes = b""
    width_in: float = 6.0


@dataclass(frozen=True)
class ReportDocument:
    title: str
    language: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)

    @property
    def tables(self) -> tuple[Table, ...]:
        return tuple(b.table for b in self.blocks if b.table is not None)
