"""A plan PDF rendered as parts in parallel processes, joined page by page (issue 19).

WeasyPrint lays a document out on one core. A plan's sections that start on a page of their own
(the plan itself, annex A's VM table, annex B's arithmetic) do not depend on one another's
layout: each part is rendered in a forked process, at the same time, with its page margins left
empty. The running headers and footers ("Page X of Y", the revision's SHA-256, the app's name
and state) are then rendered once, as a document of empty pages of the same sizes and margins
(the plan's own stylesheet, so the margin boxes are exactly those of a single render), and
stamped on the parts' pages. What the reader sees is the same text as a one-piece render.

A part longer than ``PLAN_PDF_ITEMS_PER_PART`` items (annex A's rows, annex B's paragraphs) is
rendered as a chain of chunks, one process after another (``Run``): each process holds a chunk's
boxes, not the whole annex's; a shorter annex B is cut in two all the same, to balance the two
cores (``chunk_size``). The parts report their page sizes as soon as they are laid out, and the
stamp is rendered while they paint and write. A plan whose annexes list few VMs is not cut at
all (``PLAN_PDF_PARALLEL_FROM_VMS``, planner/reports/render.py ``plan_to_pdf``).

Measured by bench/pdf_plan.py (2 cores shared with other work, CPU seconds of every process):
the plan of 200 VMs takes about half the CPU of its parts plus the join, instead of their sum;
the 1,000-VM plan with its annexes peaks at 169 MiB per process instead of 351 in one piece.
"""

from __future__ import annotations

import contextlib
import gc
import io
import itertools
import os
import pickle
import re
import select
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field

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


def annex_vms(parts: list[str]) -> int:
    """The most items of any of the parts' runs: the VMs the annexes list (0: annex A is the
    CSV beside the PDF, and there is no annex B)."""
    return max((len(run.items) for part in parts if (run := run_of(part))), default=0)


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


@dataclass(frozen=True)
class Run:
    """A part whose body is a run of like items (annex A's table rows, annex B's paragraphs),
    cut into chunks rendered one after another, each in a process of its own: a process holds
    the boxes of a chunk, not of the whole annex (a 1,000-row table: 350 MiB in one piece).

    A chunk that ends before the run does has its last page dropped: that page's first item is
    where the next chunk starts, at the top of a page, as in a one-piece render. The page breaks
    are the same because the layout before a page break never depends on what follows it.
    """

    head: str  # the part up to its first item
    cont: str  # a later chunk's start: the part's head without its heading and introduction
    items: tuple[str, ...]
    close: str  # what ends a chunk that stops before the run does
    tail: str  # what follows the last item
    halves: bool = False  # cut in two even when short: its pages are cheap to lay out again

    def chunk(self, start: int, end: int) -> str:
        last = end >= len(self.items)
        return (
            (self.head if start == 0 else self.cont)
            + "".join(self.items[start:end])
            + (self.tail if last else self.close)
        )


# Runs of items (the template's annex A and B): where the run's items start and how it ends,
# and whether a short run is cut in two all the same (``Run.halves``, see ``chunk_size``).
RUNS = (
    # (section, what the run starts after, item, run end, halves)
    ('<section class="annex">', '<table class="grid vms">', "<tbody>", "<tr>", "</tbody>", False),
    ('<section class="annex-b">', "", "", '<p class="vmcalc">', "</section>", True),
)
# A run of fewer items than this is never cut in two for balance (a chunk's process costs more
# than it saves).
HALVES_FROM = 40


def chunk_size(run: Run | None, items_per_part: int) -> int | None:
    """How many items each of the run's chunks starts with; None: the part in one piece.

    A run longer than ``items_per_part`` (0: none is cut) is cut for memory. Annex B is also cut
    in two when it is shorter (``Run.halves``): 200 VMs' paragraphs are the largest part of
    the plan (about 1.5 s of CPU against 1.5 for annex A and 1 for the plan, bench/pdf_plan.py),
    and its second half starts as soon as the first is laid out, on the core the plan leaves
    free; a chunk's dropped last page is one page of paragraphs laid out again (some 0.05 s).
    Annex A is not: its dropped page is some 35 table rows, a sixth of a 200-row annex.
    """
    if run is None or not items_per_part:
        return None
    if len(run.items) > items_per_part:
        return items_per_part
    if run.halves and len(run.items) >= HALVES_FROM:
        return -(-len(run.items) // 2)
    return None


def run_of(part: str) -> Run | None:
    """The part as a run of items, or None (the plan itself, or an annex of a CSV app)."""
    for section, table, body, item, end, halves in RUNS:
        at = part.find(section)
        if at < 0:
            continue
        table_at = part.find(table, at) if table else at
        body_at = part.find(body, table_at) + len(body) if body else at + len(section)
        first = part.find(item, body_at)
        if table_at < 0 or first < 0:
            return None
        stop = part.index(end, first)
        items = tuple(item + x for x in part[first:stop].split(item)[1:])
        reopen = part[table_at:body_at] if table else ""
        close = ("</tbody></table>" if table else "") + "</section></body></html>"
        cont = part[: at + len(section)] + reopen
        return Run(part[:first], cont, items, close, part[stop:], halves)
    return None


def render_part(
    send, html: str, base_url: str, refuse_attachments, run_from: int | None = None
) -> Part:
    """One document -> PDF in this process (what html_to_pdf does, page sizes kept).

    ``send`` reports the page sizes as soon as the layout is done (the parent renders the
    stamp meanwhile). ``run_from``: the document is a chunk of a run starting at that item and
    ending before the run does; its last page is dropped and the item it starts with is
    reported (``("next", index)``; None when that item began on the page before: too tall for
    a page, so it cannot start the next chunk).
    """
    from weasyprint import HTML

    fetcher = LockedURLFetcher()
    page = HTML(string=html, base_url=base_url, url_fetcher=fetcher)
    document = page.render()
    refuse_attachments(document)
    if run_from is not None:
        send(("next", _next_item(page, document, run_from)))
        document = document.copy(document.pages[:-1])
    sizes = [(p.width, p.height) for p in document.pages]
    send(("sizes", sizes))
    return Part(document.write_pdf(), sizes, list(fetcher.fetched))


def _next_item(page, document, run_from: int) -> int | None:
    """The run's index of the item the document's last page starts with, or None."""
    root = page.etree_element
    items = [row for body in root.iter("tbody") for row in body]
    items += [p for p in root.iter("p") if "vmcalc" in (p.get("class") or "").split()]
    index = {id(item): i for i, item in enumerate(items)}
    pages = document.pages

    def on(page_) -> list[int]:
        return [
            index[id(box.element)]
            for box in page_._page_box.descendants()
            if id(getattr(box, "element", None)) in index
        ]

    last = on(pages[-1])
    if len(pages) < 2 or not last or last[0] == 0 or last[0] in on(pages[-2]):
        return None
    return run_from + last[0]


@dataclass
class _Lane:
    """One part of the plan: rendered in one piece, or as a chain of chunks (a Run)."""

    html: str
    run: Run | None
    size: int = 0  # the items a chunk starts with (chunk_size)
    pieces: list[Part | None] = field(default_factory=list)
    sizes: list[list | None] = field(default_factory=list)
    whole: bool = False  # the chunks gave up: the part in one piece
    final: bool = False  # the piece that ends the part is started

    @property
    def laid_out(self) -> bool:
        """Every page size of the part is known."""
        return self.final and all(s is not None for s in self.sizes)


def render_parts(
    parts: list[str],
    base_url: str,
    refuse_attachments,
    *,
    items_per_part: int,
    on_sizes,
    max_processes: int = 2,
) -> tuple[list[Part], object]:
    """Render the parts in forked processes at once; their Parts in order, and what
    ``on_sizes(sizes)`` returned (called in this process once every page's size is known,
    while the parts are still being written). A part that is a run of more than
    ``items_per_part`` items (0: none) is rendered as a chain of chunks, one process at a time.
    At most ``max_processes`` render at once (``PLAN_PDF_PROCESSES``: one per core).
    """
    lanes = []
    for p in parts:
        run = run_of(p)
        size = chunk_size(run, items_per_part)
        lanes.append(_Lane(p, run if size else None, size or 0))
    children: dict[int, tuple[int, _Lane, int, bool]] = {}  # fd -> pid, lane, piece, current
    waiting: list[tuple[_Lane, int, tuple]] = []  # pieces to fork when a process slot frees

    def start(lane: _Lane, first: int | None) -> None:
        """Queue the lane's next piece: the whole part (None), or its chunk from ``first``."""
        if first is None:
            args, lane.whole, lane.final = (lane.html, base_url, refuse_attachments), True, True
        else:
            end = first + lane.size
            if len(lane.run.items) - end < lane.size // 4:  # not a chunk of a few items more
                end = len(lane.run.items)
            lane.final = end >= len(lane.run.items)
            run_from = None if lane.final else first
            args = (lane.run.chunk(first, end), base_url, refuse_attachments, run_from)
        lane.pieces.append(None)
        lane.sizes.append(None)
        waiting.append((lane, len(lane.pieces) - 1, args))
        launch()

    def launch() -> None:
        """Fork what waits, while fewer than ``max_processes`` render at once: a chunk that
        reported where the next starts still paints and writes; its successor may wait."""
        while waiting and len(children) < max_processes:
            lane, piece, args = waiting.pop(0)
            pid, fd = _fork(render_part, args)
            children[fd] = (pid, lane, piece, True)

    for lane in lanes:
        start(lane, 0 if lane.run else None)
    import pypdf  # noqa: F401 - for the join, while the parts render (0.1 s of CPU, once)

    stamp, errors, buffers = None, [], {}
    while children:
        ready, _, _ = select.select(list(children), [], [])
        for fd in ready:
            pid, lane, piece, _ = children[fd]
            chunk = os.read(fd, 1 << 20)
            if chunk:
                buffers[fd] = buffers.get(fd, b"") + chunk
                messages, buffers[fd] = _frames(buffers[fd])
            else:  # the child is done
                os.close(fd)
                os.waitpid(pid, 0)
                current = children.pop(fd)[3]
                if buffers.pop(fd, b"") or (current and lane.pieces[piece] is None):
                    errors.append(PartError("a render process died"))
                launch()
                continue
            for kind, value in messages:
                if not children[fd][3]:  # its lane restarted in one piece: ignore what it says
                    continue
                if kind == "error":
                    errors.append(value)
                elif kind == "next":
                    if value is None:  # restart the part in one piece
                        for fd2, (p2, l2, i2, _) in children.items():
                            if l2 is lane:
                                children[fd2] = (p2, l2, i2, False)
                        waiting[:] = [w for w in waiting if w[0] is not lane]
                        lane.pieces.clear()
                        lane.sizes.clear()
                        start(lane, None)
                    else:
                        start(lane, value)
                elif kind == "sizes":
                    lane.sizes[piece] = value
                    if stamp is None and not errors and all(x.laid_out for x in lanes):
                        try:
                            stamp = on_sizes([s for x in lanes for got in x.sizes for s in got])
                        except BaseException as exc:  # raised once every child is reaped
                            errors.append(exc)
                            stamp = exc
                elif kind == "ok":
                    lane.pieces[piece] = value
    if errors:
        raise errors[0]
    return [p for lane in lanes for p in lane.pieces], stamp


def _fork(fn, args) -> tuple[int, int]:
    """Run ``fn(send, *args)`` in a forked process; (its pid, the pipe end to read).

    The child sends length-prefixed pickles: what ``fn`` sends on its way, then ``("ok",
    result)`` or ``("error", exception)``, and leaves at once (no atexit, no Django, no Celery
    teardown in the child).
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid:
        os.close(write_end)
        return pid, read_end
    status = 0
    gc.disable()  # the child exits when done: see gc_paused
    try:
        os.close(read_end)
        with os.fdopen(write_end, "wb") as out:

            def send(message) -> None:
                try:
                    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
                    if message[0] == "error":
                        pickle.loads(data)  # noqa: S301 - our own bytes, read back
                except Exception:  # an exception that does not pickle (back): its words do
                    data = pickle.dumps(("error", PartError(repr(message[1]))))
                out.write(struct.pack("!Q", len(data)) + data)
                out.flush()

            try:
                result = ("ok", fn(send, *args))
            except BaseException as exc:  # raised again in the parent
                result = ("error", exc)
            send(result)
    except BaseException:
        status = 1
    finally:
        os._exit(status)


def _frames(data: bytes) -> tuple[list, bytes]:
    """The whole messages at the start of ``data``, and what is left of it."""
    messages = []
    while len(data) >= 8:
        (size,) = struct.unpack("!Q", data[:8])
        if len(data) < 8 + size:
            break
        try:  # our own child's bytes, over a pipe only it and we hold
            messages.append(pickle.loads(data[8 : 8 + size]))  # noqa: S301
        except Exception as exc:
            messages.append(("error", PartError(f"a render process's answer: {exc!r}")))
        data = data[8 + size :]
    return messages, data


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
