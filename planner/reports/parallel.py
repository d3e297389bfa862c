"""A plan PDF rendered as parts in parallel processes, joined page by page (issue 19).

WeasyPrint lays a document out on one core. A plan's sections that start on a page of their own
(the plan itself, annex A's VM table, annex B's arithmetic) do not depend on one another's
layout: each part is rendered in a forked process, at the same time, with its page margins left
empty. The running headers and footers ("Page X of Y", the revision's SHA-256, the app's name
and state) are then rendered once, as a document of empty pages of the same sizes and margins
(the plan's own stylesheet, so the margin boxes are exactly those of a single render), and
stamped on the parts' pages. What the reader sees is the same text as a one-piece render.

Measured by bench/pdf_plan.py: on 2 cores the plan of 200 VMs takes the time of its largest part
(annex A) plus the join, instead of the sum of the three.
"""

from __future__ import annotations

import contextlib
import gc
import io
import itertools
import os
import pickle
import re
from collections.abc import Iterator
from dataclasses import dataclass

from planner.reports.fetcher import LockedURLFetcher

# Where a part starts: the template's annex sections (each begins on a page of its own).
PART_STARTS = ('<section class="annex">', '<section class="annex-b">')
COVER = '<section class="cover">'
# A part's pages carry no running header or footer: the stamp adds them.
NO_MARGIN_BOXES = (
    "<style>@page { @top-left { content: none; } @top-right { content: none; } "
    "@bottom-left { content: none; } @bottom-right { content: none; } }</style>"
)
# The elements whose text the margin boxes repeat (string-set in plan.css), copied to the stamp.
STRING_SOURCES = (
    re.compile(r'<h1 class="app">.*?</h1>', re.S),
    re.compile(r'<span class="badge [^"]*">.*?</span>', re.S),
    re.compile(r'<span class="hash-full">.*?</span>', re.S),
)
STAMP_STYLE = (
    "<style>.stamp-strings { visibility: hidden; height: 0; overflow: hidden; margin: 0; }"
    " .stamp { height: 1px; break-before: page; } .stamp.first { break-before: auto; }"
    " .stamp.annex { page: annex; }</style>"
)


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector off for a render (on again after, as it was).

    WeasyPrint allocates some 100 objects per table cell and frees them by reference counting;
    the cyclic collector, run every 700 allocations, walked them all again and again: a fifth
    to a quarter of annex A's CPU (bench/pdf_plan.py), with no smaller peak for it.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class PartError(Exception):
    """A part failed in its process; the message is the one the caller would have raised."""


@dataclass(frozen=True)
class Part:
    pdf: bytes
    sizes: list[tuple[float, float]]  # each page's width and height, CSS px
    fetched: list[str]


def split(html: str) -> list[str] | None:
    """The document as parts (each a whole HTML document), or None when it has one part."""
    if COVER not in html or not any(start in html for start in PART_STARTS):
        return None
    head_end = html.index("</head>")
    body_start = html.index(COVER)
    prefix = html[:head_end] + NO_MARGIN_BOXES + html[head_end:body_start]  # <body>, watermark
    cuts = [html.index(start) for start in PART_STARTS if start in html]
    bounds = [body_start, *cuts, html.rindex("</body>")]
    return [prefix + html[a:b] + "</body></html>" for a, b in itertools.pairwise(bounds)]


def stamp_html(html: str, sizes: list[tuple[float, float]]) -> str:
    """Empty pages of the given orientations with the plan's running header and footer."""
    head_end = html.index("</head>")
    body_open = html.index("<body")
    body_tag = html[body_open : html.index(">", body_open) + 1]
    strings = "".join(m.group(0) for p in STRING_SOURCES if (m := p.search(html)))
    pages = "".join(
        f'<div class="stamp{" first" if i == 0 else ""}{" annex" if w > h else ""}"></div>'
        for i, (w, h) in enumerate(sizes)
    )
    return (
        html[:head_end]
        + STAMP_STYLE
        + "</head>"
        + body_tag
        + f'<div class="stamp-strings">{strings}</div>'
        + pages
        + "</body></html>"
    )


def render_part(html: str, base_url: str, refuse_attachments) -> Part:
    """One document -> PDF in this process (what html_to_pdf does, page sizes kept)."""
    from weasyprint import HTML

    fetcher = LockedURLFetcher()
    document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render()
    refuse_attachments(document)
    sizes = [(page.width, page.height) for page in document.pages]
    return Part(document.write_pdf(), sizes, list(fetcher.fetched))


def in_children(jobs) -> list[Part]:
    """Run each ``(fn, args)`` in a forked process at the same time; their results, in order."""
    children = []
    for fn, args in jobs:
        read_end, write_end = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: render, send the result (or the error), leave at once
            status = 0
            gc.disable()  # the child exits when done: see gc_paused
            try:
                os.close(read_end)
                try:
                    result = ("ok", fn(*args))
                except BaseException as exc:  # raised again in the parent
                    result = ("error", exc)
                with os.fdopen(write_end, "wb") as out:
                    try:
                        pickle.dump(result, out, protocol=pickle.HIGHEST_PROTOCOL)
                    except Exception:  # an exception that does not pickle: its words do
                        pickle.dump(("error", PartError(repr(result[1]))), out)
            except BaseException:
                status = 1
            finally:
                os._exit(status)  # no atexit, no Django, no Celery teardown in the child
        os.close(write_end)
        children.append((pid, read_end))
    results = []
    for pid, read_end in children:
        with os.fdopen(read_end, "rb") as got:
            data = got.read()
        os.waitpid(pid, 0)
        # Our own child's bytes, over a pipe only it and we hold.
        result = pickle.loads(data) if data else None  # noqa: S301
        results.append(result or ("error", PartError("a render process died")))
    for kind, value in results:
        if kind == "error":
            raise value
    return [r[1] for r in results]


def join(parts: list[Part], stamp: bytes, metadata_from: bytes) -> bytes:
    """The parts' pages in order, each with its stamp page laid over it, as one PDF.

    Each stamp page becomes a form XObject that its part page draws last, after its own
    drawing (kept between ``q``/``Q`` so the stamp starts from the page's default state): the
    part's content streams are referenced as they are, never parsed or rewritten (pypdf's
    ``merge_page`` parsed every operator of every page to rename resources: most of the join).
    """
    import pypdf
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject

    writer = pypdf.PdfWriter()
    for part in parts:
        writer.append(pypdf.PdfReader(io.BytesIO(part.pdf)))
    stamps = pypdf.PdfReader(io.BytesIO(stamp))
    push = writer._add_object(_stream(b"q\n"))
    for i, (page, over) in enumerate(zip(writer.pages, stamps.pages, strict=True)):
        drawing = over.get_contents()  # a stream: an empty dictionary, so never "if drawing"
        form = _stream(b"" if drawing is None else drawing.get_data())
        form[NameObject("/Type")] = NameObject("/XObject")
        form[NameObject("/Subtype")] = NameObject("/Form")
        form[NameObject("/BBox")] = ArrayObject(over.mediabox)
        form[NameObject("/Resources")] = over["/Resources"].clone(writer)
        name = NameObject(f"/RPStamp{i}")
        if "/Resources" not in page:
            page[NameObject("/Resources")] = DictionaryObject()
        resources = page["/Resources"].get_object()
        if "/XObject" not in resources:
            resources[NameObject("/XObject")] = DictionaryObject()
        resources["/XObject"].get_object()[name] = writer._add_object(form.flate_encode())
        contents = page.get(NameObject("/Contents"))
        if contents is None:
            own = []
        elif isinstance(contents.get_object(), ArrayObject):
            own = list(contents.get_object())
        else:
            own = [contents]
        draw = writer._add_object(_stream(f"Q\nq {name} Do Q\n".encode()))
        page[NameObject("/Contents")] = ArrayObject([push, *own, draw])
    metadata = pypdf.PdfReader(io.BytesIO(metadata_from)).metadata
    if metadata:
        writer.add_metadata(dict(metadata.items()))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _stream(data: bytes):
    from pypdf.generic import DecodedStreamObject

    stream = DecodedStreamObject()
    stream.set_data(data)
    return stream
