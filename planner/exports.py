"""Downloads: CSV exports safe from formula injection (OWASP CSV Injection; ASVS 5.0 1.2.10)
and a Content-Disposition header that no name can break (RFC 6266)."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Iterable, Sequence
from urllib.parse import quote

from django.http import StreamingHttpResponse

DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r", "\n")


def safe_cell(value) -> str:
    """Text a spreadsheet shows as text: a leading formula character gets a ' in front.

    Numbers are written as they are (a negative number is data, not a formula).
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    text = str(value)
    if text.startswith(DANGEROUS_FIRST):
        return "'" + text
    return text


# RFC 5987 attr-char: what may stand unescaped in filename*=UTF-8''...
_ATTR_CHARS = "!#$&+-.^_`|~"
_UNSAFE_ASCII = re.compile(r"[^A-Za-z0-9._-]+")
MAX_FILENAME = 150  # characters: names are built from app names (at most 80) and a suffix


def content_disposition(filename: str, *, attachment: bool = True) -> str:
    """The Content-Disposition value for a download named ``filename`` (RFC 6266).

    ``filename="..."`` is a safe ASCII fallback (letters, digits, ``._-``; the rest becomes
    ``_``), so no quote, semicolon or line break reaches the header. When the name is not
    plain ASCII, ``filename*=UTF-8''...`` (RFC 5987, percent-encoded) carries it whole for the
    browsers that read it. Control characters and path separators are dropped from both.

    ``q"; filename="evil.exe.csv`` -> ``attachment; filename="q_filename_evil.exe.csv";
    filename*=UTF-8''q%22%3B%20filename%3D%22evil.exe.csv``
    """
    name = (
        "".join(
            " " if c in "/\\" else c
            for c in unicodedata.normalize("NFC", filename)
            if unicodedata.category(c)[0] != "C"
        ).strip()[:MAX_FILENAME]
        or "download"
    )
    stem, dot, ext = name.rpartition(".")
    if not (dot and stem and re.fullmatch(r"[A-Za-z0-9]{1,8}", ext)):
        stem, ext = name, ""
    folded = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    ascii_stem = _UNSAFE_ASCII.sub("_", folded).strip("._") or "download"
    ascii_ext = _UNSAFE_ASCII.sub("", ext)
    fallback = f"{ascii_stem}.{ascii_ext}" if ascii_ext else ascii_stem
    value = f'{"attachment" if attachment else "inline"}; filename="{fallback}"'
    if name != fallback:
        value += f"; filename*=UTF-8''{quote(name, safe=_ATTR_CHARS)}"
    return value


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]):
    """Stream rows as CSV (every cell quoted, every text cell neutralised)."""
    writer = csv.writer(_Echo(), quoting=csv.QUOTE_ALL)

    def lines():
        yield writer.writerow([safe_cell(h) for h in header])
        for row in rows:
            yield writer.writerow([safe_cell(c) for c in row])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition(filename)
    return response
