"""Every chart the planner draws: plain lists in, an SVG string out.

The owners' pages, the plan PDF and the operators' overview use this one module, so a chart has
one title, one look and one escaping wherever it appears: the portal's app page and the PDF draw
the same ``storage_chart`` and ``cost_chart``. Server-rendered: no JavaScript, no external asset
(WeasyPrint renders inline SVG), sizes in user units with a ``viewBox`` so CSS can scale them.
Pure Python, no Django: every text is escaped here with ``html.escape``, quotes included, so a
name is safe inside ``aria-label="…"`` as well as inside an element (mark the result safe in a
template).

    bar_chart(labels, values, title=..., unit=...)   one series of bars with tooltips
    storage_chart([["full 1", 4227.1], ...])         backup storage by restore point
    cost_chart([2012.5, 2037.1, ...], months=36)     public-cloud cost per month
    stacked_bars / capacity_bars / stacked_columns   the overview's kinds, each bar a link
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

from planner.units import fmt_money, fmt_num

__all__ = [
    "Bar",
    "Segment",
    "bar_chart",
    "capacity_bars",
    "cost_chart",
    "empty_chart",
    "nice_ticks",
    "stacked_bars",
    "stacked_columns",
    "storage_chart",
]

# A presentation attribute, not style="...": the Content-Security-Policy refuses inline styles.
FONT = "system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif"
TEXT = "#3b4350"
MUTED = "#6b7480"
GRID = "#e3e7ed"
TRACK = "#eef1f5"
BAR = "#2f6fb0"
BAR_LIGHT = "#9bb7d8"
OK, WARN, BAD = "#3a9a5b", "#d99a1e", "#c2453d"
PALETTE = (
    "#2f6fb0",
    "#e08a1e",
    "#3a9a5b",
    "#8a5cc2",
    "#c2453d",
    "#2aa3b8",
    "#b8a12a",
    "#d45f9c",
    "#6b7480",
    "#5a8f29",
)


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top``: 0, 1,000, 2,000, … (1, 2, 2.5 or 5 × 10ⁿ).

    The one axis rule of every chart."""
    if not math.isfinite(top) or top <= 0:
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    n = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(n + 1)]


def _open(width: int, height: int, title: str, x: int = 0) -> list[str]:
    """The ``<svg>`` element with its accessible name, tooltip and visible title."""
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
        f'class="chart" font-family="{FONT}">',
        f"<title>{escape(title)}</title>",
        f'<text x="{x}" y="16" font-size="13" font-weight="600" fill="{TEXT}">{escape(title)}</text>',
    ]


def _empty(out: list[str], width: int, height: int, message: str) -> str:
    out.append(
        f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" font-size="13" fill="{MUTED}" '
        f'text-anchor="middle">{escape(message)}</text></svg>'
    )
    return "".join(out)


def empty_chart(message: str, width: int = 720) -> str:
    """A one-line chart that says why there is nothing to draw (never a flat, empty frame)."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart empty" viewBox="0 0 {width} 40" '
        f'width="{width}" height="40" role="img" aria-label="{escape(message)}" '
        f'font-family="{FONT}"><text x="{width / 2:.0f}" y="24" text-anchor="middle" '
        f'font-size="12" fill="{TEXT}">{escape(message)}</text></svg>'
    )


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    unit: str,
    width: int = 720,
    height: int = 260,
    fmt: Callable[[float], str] | None = None,
    colours: Sequence[str] | None = None,
    max_labels: int = 12,
) -> str:
    """A bar chart as an SVG string: one bar per value, a labelled y axis, a title.

    ``labels`` and ``values`` have the same length; values are finite and >= 0; ``colours`` (one
    per bar, default all ``BAR``). Only about ``max_labels`` x labels are written so they never
    overlap; every bar has a tooltip."""
    if len(labels) != len(values):
        raise ValueError(f"{len(labels)} labels for {len(values)} values")
    values = [float(v) for v in values]
    _check(values)
    if colours is not None and len(colours) != len(values):
        raise ValueError(f"{len(colours)} colours for {len(values)} values")
    fmt = fmt or (lambda v: fmt_num(v, 1))
    left, right, top, bottom = 64, 12, 34, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    out = _open(width, height, title, x=left)
    if not values:
        return _empty(out, width, height, "No data yet: run a sizing.")
    ticks = nice_ticks(max(values))
    y_max = ticks[-1]

    def y(v: float) -> float:
        return top + plot_h - (v / y_max) * plot_h

    for t in ticks:
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
            f'stroke="{GRID}" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y(t) + 4:.1f}" font-size="11" fill="{TEXT}" '
            f'text-anchor="end">{escape(fmt(t))}</text>'
        )
    out.append(
        f'<text x="12" y="{top + plot_h / 2:.0f}" font-size="11" fill="{TEXT}" '
        f'text-anchor="middle" transform="rotate(-90 12 {top + plot_h / 2:.0f})">'
        f"{escape(unit)}</text>"
    )
    n = len(values)
    slot = plot_w / n
    bar_w = max(1.0, slot * 0.72)
    every = max(1, math.ceil(n / max_labels))
    for i, (label, v) in enumerate(zip(labels, values, strict=True)):
        x = left + i * slot + (slot - bar_w) / 2
        colour = colours[i] if colours is not None else BAR
        h = max(0.0, top + plot_h - y(v))
        out.append(
            f'<rect x="{x:.1f}" y="{y(v):.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
            f'fill="{colour}"><title>{escape(str(label))}: {escape(fmt(v))} {escape(unit)}'
            "</title></rect>"
        )
        if i % every == 0:
            out.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" font-size="11" '
                f'fill="{TEXT}" text-anchor="middle">{escape(str(label))}</text>'
            )
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{TEXT}" stroke-width="1"/></svg>'
    )
    return "".join(out)


def storage_chart(storage_by_point: Sequence[Sequence], **kwargs) -> str:
    """Backup storage on the target after each restore point (cumulative GiB), as bars.

    ``storage_by_point`` are the sizing's ``[label, GiB]`` pairs in chain order ("full 1",
    "inc 1", …, "workspace"): fulls dark, incrementals and the merge workspace light."""
    labels = [str(p[0]) for p in storage_by_point]
    if not labels:
        return empty_chart("No backup storage: the app is not protected by backup-restore.")
    values = [float(p[1]) for p in storage_by_point]
    colours = [BAR_LIGHT if s.startswith(("inc", "workspace")) else BAR for s in labels]
    return bar_chart(
        labels,
        values,
        title="Backup storage by restore point (GiB, cumulative)",
        unit="GiB",
        colours=colours,
        **kwargs,
    )


def cost_chart(cost_by_month: Sequence[float], months: int = 12, **kwargs) -> str:
    """Public-cloud cost per month over the first ``months`` (12 or 36) months; every 12th
    month light. Nothing billed: a sentence instead of a flat, empty chart."""
    if months not in (12, 36):
        raise ValueError(f"months must be 12 or 36, got {months!r}")
    values = [float(v) for v in list(cost_by_month)[:months]]
    if not any(values):
        return empty_chart(
            f"Public-cloud cost per month, {months} months: none. Nothing is billed in a public "
            "cloud; the copies stay on targets the organisation runs."
        )
    labels = [f"M{i}" for i in range(1, len(values) + 1)]
    return bar_chart(
        labels,
        values,
        title=f"Public-cloud cost per month, {months} months (total {fmt_money(sum(values))})",
        unit="USD / month",
        fmt=lambda v: fmt_num(v, 2),
        colours=[BAR_LIGHT if i % 12 == 0 else BAR for i in range(1, len(values) + 1)],
        **kwargs,
    )


# --- the operators' overview: stacked bars, capacity bars and stacked columns, each a link ---


@dataclass(frozen=True)
class Segment:
    """One part of a stacked bar: a value, its colour, where it links and what it says."""

    value: float
    colour: str
    href: str = ""
    title: str = ""


@dataclass(frozen=True)
class Bar:
    """One capacity row: ``needed`` against ``available`` (None: no limit known)."""

    label: str
    needed: float
    available: float | None
    href: str = ""
    note: str = ""


def _rect(x: float, y: float, w: float, h: float, colour: str, href: str, title: str) -> str:
    rect = (
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{max(w, 0):.1f}" height="{max(h, 0):.1f}" '
        f'fill="{colour}"><title>{escape(title)}</title></rect>'
    )
    return f'<a href="{escape(href)}">{rect}</a>' if href else rect


def _check(values: Sequence[float]) -> None:
    if any(not math.isfinite(v) or v < 0 for v in values):
        raise ValueError("chart values must be finite numbers >= 0")


def _key_width(name: str) -> float:
    return 18 + 7 * len(name) + 12


def _legend_lines(items: Sequence[tuple[str, str]], width: int) -> int:
    lines, cx = 1, 0.0
    for name, _ in items:
        w = _key_width(name)
        if cx + w > width and cx > 0:
            lines, cx = lines + 1, 0.0
        cx += w
    return lines


def _legend(out: list[str], items: Sequence[tuple[str, str]], x: float, y: float, width: int):
    """Colour keys on as many lines as they need; returns the y below the last line."""
    cx = x
    for name, colour in items:
        w = _key_width(name)
        if cx + w > width and cx > x:
            cx, y = x, y + 18
        out.append(
            f'<rect x="{cx:.0f}" y="{y - 10:.0f}" width="11" height="11" fill="{colour}"/>'
            f'<text x="{cx + 15:.0f}" y="{y:.0f}" font-size="11" fill="{TEXT}">'
            f"{escape(name)}</text>"
        )
        cx += w
    return y + 18


def stacked_bars(
    rows: Sequence[tuple[str, Sequence[Segment]]],
    legend: Sequence[tuple[str, str]],
    *,
    title: str,
    width: int = 640,
    row_height: int = 26,
    label_width: int = 180,
    percent: bool = True,
) -> str:
    """Horizontal stacked bars, one per row; each segment links to what it counts.

    With ``percent`` every bar fills the width (shares); otherwise bars scale to the largest
    total. The row's total is written at the end of its bar."""
    for _, segs in rows:
        _check([s.value for s in segs])
    top = 28
    legend_h = 22
    height = top + legend_h + max(1, len(rows)) * row_height + 8
    out = _open(width, height, title)
    if not rows or all(sum(s.value for s in segs) == 0 for _, segs in rows):
        return _empty(out, width, height, "Nothing to show yet.")
    y0 = _legend(out, legend, 0, top + 10, width)
    plot_w = width - label_width - 60
    biggest = max(sum(s.value for s in segs) for _, segs in rows) or 1.0
    for i, (label, segs) in enumerate(rows):
        y = y0 + i * row_height
        total = sum(s.value for s in segs)
        out.append(_label(label, label_width - 8, y + row_height / 2 + 1, label_width))
        scale = plot_w / (total if percent else biggest) if total else 0.0
        x = float(label_width)
        out.append(
            f'<rect x="{x:.1f}" y="{y + 3}" width="{plot_w:.1f}" height="{row_height - 8}" '
            f'fill="{TRACK}"/>'
            if percent
            else ""
        )
        for s in segs:
            w = s.value * scale
            if w <= 0:
                continue
            out.append(_rect(x, y + 3, w, row_height - 8, s.colour, s.href, s.title))
            if w > 34:
                out.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + row_height / 2 + 1:.0f}" font-size="11" '
                    f'fill="#fff" text-anchor="middle" pointer-events="none">'
                    f"{escape(fmt_num(s.value, 0))}</text>"
                )
            x += w
        out.append(
            f'<text x="{label_width + plot_w + 6:.0f}" y="{y + row_height / 2 + 1:.0f}" '
            f'font-size="11" fill="{MUTED}">{escape(fmt_num(total, 0))}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def capacity_bars(
    bars: Sequence[Bar],
    *,
    title: str,
    unit: str,
    width: int = 640,
    row_height: int = 30,
    label_width: int = 230,
    fmt: Callable[[float], str] | None = None,
) -> str:
    """Needed as a share of available, one row each: green below 80 %, amber to 100 %, red
    beyond (drawn up to 150 %, with the 100 % line marked). A row without a limit shows the
    figure only. ``fmt`` writes a figure with its unit (default: "1,234 <unit>")."""
    _check([b.needed for b in bars])
    fmt = fmt or (lambda v: f"{fmt_num(v, 0)} {unit}")
    top = 30
    height = top + max(1, len(bars)) * row_height + 22
    out = _open(width, height, title)
    if not bars:
        return _empty(out, width, height, "No targets yet.")
    plot_w = width - label_width - 170
    full = plot_w / 1.5  # 100 %
    x0 = label_width
    for i, b in enumerate(bars):
        y = top + i * row_height
        label = _label(b.label, label_width - 8, y + row_height / 2 + 1, label_width)
        out.append(
            (f'<a href="{escape(b.href)}">{label}</a>' if b.href else label)
            + f'<rect x="{x0}" y="{y + 5}" width="{plot_w:.1f}" height="{row_height - 12}" '
            f'fill="{TRACK}"/>'
        )
        if b.available is None:
            text = f"{fmt(b.needed)} (no limit modelled)"
        elif b.available <= 0:
            out.append(_rect(x0, y + 5, plot_w, row_height - 12, BAD, b.href, "no capacity"))
            text = f"{fmt(b.needed)} of {fmt(max(b.available, 0))}"
        else:
            share = b.needed / b.available
            colour = OK if share < 0.8 else WARN if share <= 1.0 + 1e-9 else BAD
            w = min(share, 1.5) * full
            tip = f"{b.label}: {fmt(b.needed)} of {fmt(b.available)} ({share:.0%})"
            out.append(_rect(x0, y + 5, w, row_height - 12, colour, b.href, tip))
            text = f"{share:.0%} · {fmt(b.needed)} of {fmt(b.available)}"
        out.append(
            f'<text x="{x0 + plot_w + 8:.0f}" y="{y + row_height / 2 + 1:.0f}" font-size="11" '
            f'fill="{TEXT}">{escape(text)}</text>'
        )
        if b.note:
            out[-1] = out[-1].replace("</text>", f" {escape(b.note)}</text>")
    line_x = x0 + full
    bottom = top + len(bars) * row_height
    out.append(
        f'<line x1="{line_x:.1f}" x2="{line_x:.1f}" y1="{top}" y2="{bottom}" stroke="{TEXT}" '
        f'stroke-dasharray="3 3"/>'
        f'<text x="{line_x:.1f}" y="{bottom + 14}" font-size="11" fill="{MUTED}" '
        f'text-anchor="middle">100 %</text></svg>'
    )
    return "".join(out)


def stacked_columns(
    labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    *,
    title: str,
    unit: str,
    width: int = 720,
    height: int = 280,
    fmt: Callable[[float], str] | None = None,
    hrefs: Sequence[str] | None = None,
    max_labels: int = 18,
) -> str:
    """Vertical columns, one per label, stacked by series (name, values per label), coloured
    from the palette in order; a column links to ``hrefs[i]`` when given."""
    for _, values in series:
        if len(values) != len(labels):
            raise ValueError(f"{len(values)} values for {len(labels)} labels")
        _check(values)
    fmt = fmt or (lambda v: fmt_num(v, 0))
    colours = [(name, PALETTE[i % len(PALETTE)]) for i, (name, _) in enumerate(series)]
    legend_lines = _legend_lines(colours, width)
    height += 18 * (legend_lines - 1)  # a long legend grows the chart, never squashes the plot
    out = _open(width, height, title)
    totals = [sum(v[i] for _, v in series) for i in range(len(labels))]
    if not labels or not any(totals):
        return _empty(out, width, height, "Nothing to show yet.")
    top = _legend(out, colours, 0, 38, width)
    left, right, bottom = 70, 10, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    ticks = nice_ticks(max(totals))
    y_max = ticks[-1]

    def y(v: float) -> float:
        return top + plot_h - v / y_max * plot_h

    for t in ticks:
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y(t):.1f}" y2="{y(t):.1f}" '
            f'stroke="{GRID}"/><text x="{left - 6}" y="{y(t) + 4:.1f}" font-size="11" '
            f'fill="{TEXT}" text-anchor="end">{escape(fmt(t))}</text>'
        )
    out.append(
        f'<text x="12" y="{top + plot_h / 2:.0f}" font-size="11" fill="{TEXT}" '
        f'text-anchor="middle" transform="rotate(-90 12 {top + plot_h / 2:.0f})">'
        f"{escape(unit)}</text>"
    )
    n = len(labels)
    slot = plot_w / n
    bar_w = max(1.0, slot * 0.75)
    every = max(1, math.ceil(n / max_labels))
    for i, label in enumerate(labels):
        x = left + i * slot + (slot - bar_w) / 2
        base = 0.0
        parts = []
        for (name, values), (_, colour) in zip(series, colours, strict=True):
            v = values[i]
            if v <= 0:
                continue
            tip = f"{label} · {name}: {fmt(v)} {unit} (column {fmt(totals[i])})"
            parts.append(_rect(x, y(base + v), bar_w, y(base) - y(base + v), colour, "", tip))
            base += v
        column = "".join(parts)
        if hrefs and hrefs[i] and column:
            column = f'<a href="{escape(hrefs[i])}">{column}</a>'
        out.append(column)
        if i % every == 0:
            out.append(
                f'<text x="{x + bar_w / 2:.1f}" y="{top + plot_h + 16}" font-size="11" '
                f'fill="{TEXT}" text-anchor="middle">{escape(label)}</text>'
            )
    out.append(
        f'<line x1="{left}" x2="{width - right}" y1="{top + plot_h}" y2="{top + plot_h}" '
        f'stroke="{TEXT}"/></svg>'
    )
    return "".join(out)


def _label(text: str, x: float, y: float, width: int) -> str:
    """A row's label, right-aligned at ``x``, shortened to fit; the full text as its tooltip."""
    return (
        f'<text x="{x:.0f}" y="{y:.0f}" font-size="12" fill="{TEXT}" text-anchor="end">'
        f"<title>{escape(text)}</title>{escape(_clip(text, width))}</text>"
    )


def _clip(text: str, width: int, char: float = 6.6) -> str:
    """Shorten a label to about ``width`` pixels (the full text stays in the table)."""
    most = max(4, int((width - 12) / char))
    return text if len(text) <= most else text[: most - 1] + "…"
