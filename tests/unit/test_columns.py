"""Annex A's figures as monospaced columns (planner/reports/columns.py): every value printed,
columns aligned whatever the values' widths, long values wrapped inside their column."""

from __future__ import annotations

from planner.reports.columns import Column, text_columns, width
from planner.reports.render import ANNEX_FIGURES

COLUMNS = (
    Column("os", "OS"),
    Column("role", "Role", wrap=10),
    Column("used", "Used GiB", right=True),
    Column("cost", "USD / month", right=True),
)


def test_columns_line_up_under_their_headers():
    rows = [
        {"os": "Win", "role": "Database", "used": "160", "cost": "12.5"},
        {"os": "Linux", "role": "Web", "used": "1,083.3", "cost": "0"},
    ]
    header, lines, chars = text_columns(COLUMNS, rows)
    assert header == "OS     Role      Used GiB  USD / month"
    assert lines == [
        "Win    Database       160         12.5",
        "Linux  Web        1,083.3            0",
    ]
    assert chars == len(header)
    # right-aligned numbers end where their header ends
    assert all(len(line) == len(header) for line in lines)


def test_a_long_value_wraps_inside_its_column_and_the_others_stay_blank():
    rows = [{"os": "Win", "role": "Database (scale set, kept in backup)", "used": "1", "cost": "2"}]
    header, (text,), _ = text_columns(COLUMNS, rows)
    first, *more = text.split("\n")
    at = header.index("Role")
    assert first.startswith("Win") and first.endswith("2")
    assert more, "the role is wider than 10: it continues on the next lines"
    for line in more:
        assert line[:at].strip() == ""  # nothing in the OS column
        assert len(line) <= at + 10  # the role's column only, trailing spaces cut
    assert " ".join(part[at : at + 10].strip() for part in text.split("\n")) == (
        "Database (scale set, kept in backup)"
    )


def test_a_word_longer_than_the_column_is_cut_not_lost():
    rows = [{"os": "Win", "role": "Standard_DS14_v2_Promo", "used": "1", "cost": "2"}]
    _, (text,), _ = text_columns(COLUMNS, rows)
    at = text_columns(COLUMNS, rows)[0].index("Role")
    assert "".join(line[at : at + 10].strip() for line in text.split("\n")) == (
        "Standard_DS14_v2_Promo"
    )


def test_wide_and_combining_characters_keep_the_columns_aligned():
    assert width("名前") == 4 and width("é") == 1 and width("e\u0301") == 1
    rows = [
        {"os": "名前", "role": "x", "used": "1", "cost": "2"},
        {"os": "e\u0301", "role": "y", "used": "1", "cost": "2"},
    ]
    header, lines, _ = text_columns(COLUMNS, rows)
    at = header.index("Role")
    for line in lines:
        head = line[: line.index("x") if "x" in line else line.index("y")]
        assert width(head) == at


def test_no_rows_prints_the_header_only():
    header, lines, chars = text_columns(ANNEX_FIGURES, [])
    assert lines == [] and chars == len(header)
    at = [header.index(c.label) for c in ANNEX_FIGURES]
    assert at == sorted(at)  # every label, in the columns' order
