"""The report as a Word document (python-docx): the same headings, paragraphs, tables and
figures (PNG) as the HTML page, for journals that want DOCX."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Inches, Pt

from evisynth.report.document import ReportDocument, Table

#: East Asian font named in the document for Chinese text (Word substitutes its own CJK font,
#: e.g. SimSun or DengXian, where Noto is not installed).
CJK_FONT = "Noto Sans CJK SC"
#: Fixed document dates, so the same review gives the same file.
_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


def render_docx(document: ReportDocument) -> bytes:
    """``document`` as DOCX bytes."""
    doc = Document()
    props = doc.core_properties
    props.title, props.author, props.comments = document.title, "evisynth", ""
    props.created = props.modified = _EPOCH
    props.last_modified_by = "evisynth"
    props.revision = 1
    normal = doc.styles["Normal"]
    normal.font.size = Pt(10)
    rpr = normal.element.get_or_add_rPr()
    rpr.get_or_add_rFonts().set(qn("w:eastAsia"), CJK_FONT)
    if document.language == "zh":
        lang = OxmlElement("w:lang")
        lang.set(qn("w:eastAsia"), "zh-CN")
        rpr.append(lang)
    doc.add_heading(document.title, level=0)
    for block in document.blocks:
        if block.kind == "heading":
            doc.add_heading(block.text, level=min(max(block.level, 1), 4))
        elif block.kind == "paragraph":
            doc.add_paragraph(block.text)
        elif block.kind == "table" and block.table is not None:
            _table(doc, block.table)
        elif block.kind == "figure":
            doc.add_picture(io.BytesIO(block.png), width=Inches(min(block.width_in, 6.5)))
            if block.text:
                doc.add_paragraph(block.text, style="Caption")
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _table(doc: Any, table: Table) -> None:
    if table.title:
        doc.add_paragraph(table.title, style="Caption")
    t = doc.add_table(rows=1 + len(table.rows), cols=len(table.columns))
    t.style = "Table Grid"
    for j, name in enumerate(table.columns):
        cell = t.rows[0].cells[j]
        cell.text = str(name)
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for i, row in enumerate(table.rows, start=1):
        cells = t.rows[i].cells
        for j, value in enumerate(row):
            cells[j].text = "" if value is None else str(value)
    for note in table.notes:
        doc.add_paragraph(note)
