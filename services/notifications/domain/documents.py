"""A tiny document model (paragraphs, bullet lists, tables) rendered as plain text and as HTML.

Every value is escaped in the HTML; nothing here ever reaches a header.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Paragraph:
    text: str


@dataclass(frozen=True, slots=True)
class Bullets:
    heading: str
    items: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


Block = Paragraph | Bullets | Table


@dataclass(slots=True)
class Document:
    language: str
    blocks: list[Block] = field(default_factory=list)

    def paragraph(self, text: str) -> None:
        self.blocks.append(Paragraph(text))

    def text(self) -> str:
        parts: list[str] = []
        for block in self.blocks:
            if isinstance(block, Paragraph):
                parts.append(block.text)
            elif isinstance(block, Bullets):
                parts.append("\n".join([block.heading, *(f"  - {item}" for item in block.items)]))
            else:
                parts.append(_text_table(block))
        return "\n\n".join(parts) + "\n"

    def html(self) -> str:
        parts: list[str] = []
        for block in self.blocks:
            if isinstance(block, Paragraph):
                parts.append(f"<p>{html.escape(block.text)}</p>")
            elif isinstance(block, Bullets):
                items = "".join(f"<li>{html.escape(item)}</li>" for item in block.items)
                parts.append(f"<p>{html.escape(block.heading)}</p><ul>{items}</ul>")
            else:
                head = "".join(f"<th>{html.escape(c)}</th>" for c in block.columns)
                body = "".join(
                    "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in block.rows
                )
                parts.append(f'<table border="1" cellpadding="4" cellspacing="0"><tr>{head}</tr>{body}</table>')
        body_html = "".join(parts)
        return f'<!doctype html><html lang="{html.escape(self.language)}"><head><meta charset="utf-8"></head><body>{body_html}</body></html>'


def _text_table(table: Table) -> str:
    rows = [table.columns, *table.rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(table.columns))]
    lines = ["  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
