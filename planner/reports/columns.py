"""Columns of short figures set as monospaced text: annex A's figures, one cell per VM (issue 19).

WeasyPrint lays out and paints every table cell on its own, a few tenths of a millisecond
each: annex A's 200 VMs x 14 columns were 2,800 cells and the largest part of a plan's render
(1.6 s of CPU, against 0.5 s once the twelve short columns are one cell per row). The VM and
resource group names stay table cells (any script, any length, wrapped by the table); the
figures, flags, sizes and roles beside them are written here as fixed-width columns of one
monospaced line per VM, the same words and numbers as the cells were.

A value wider than its column's ``wrap`` is wrapped on word boundaries, continuing on the
next line of the same column; widths count East Asian wide characters as two columns and
combining marks as none, so the columns stay aligned in the monospaced font.
"""

from __future__ import annotations

import textwrap
import unicodedata
from dataclasses import dataclass

GAP = "  "  # between two columns


@dataclass(frozen=True)
class Column:
    key: str  # the row's key
    label: str  # the header
    right: bool = False  # aligned right (numbers)
    wrap: int | None = None  # the widest a value prints before it wraps (None: never)


def width(text: str) -> int:
    """Columns ``text`` takes in a monospaced font."""
    total = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        total += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return total


def _pad(text: str, size: int, right: bool) -> str:
    fill = " " * max(0, size - width(text))
    return fill + text if right else text + fill


def _lines(value: str, column: Column) -> list[str]:
    if column.wrap is None or width(value) <= column.wrap:
        return [value]
    return textwrap.wrap(value, column.wrap, break_on_hyphens=False) or [value]


def text_columns(columns: tuple[Column, ...], rows: list[dict]) -> tuple[str, list[str], int]:
    """(the header line, each row's lines joined by newlines, the characters of a line)."""
    cells = [[_lines(str(row[c.key]), c) for c in columns] for row in rows]
    sizes = [
        max([width(c.label)] + [width(line) for row in cells for line in row[i]])
        for i, c in enumerate(columns)
    ]

    def line(values: list[str]) -> str:
        return GAP.join(
            _pad(v, size, c.right) for v, size, c in zip(values, sizes, columns, strict=True)
        ).rstrip()

    texts = []
    for row in cells:
        height = max(len(lines) for lines in row)
        texts.append(
            "\n".join(
                line([lines[k] if k < len(lines) else "" for lines in row]) for k in range(height)
            )
        )
    return line([c.label for c in columns]), texts, sum(sizes) + len(GAP) * (len(columns) - 1)
