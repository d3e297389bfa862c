"""Server-rendered SVG charts from plain lists: the PDF and the portal pages use the same ones.

Pure functions, no Django, no JavaScript, no external asset: each returns an ``<svg>`` element
as a string that can be inlined in HTML (mark it safe in a template; every label is escaped
here). Sizes are in user units with a ``viewBox``, so CSS ``width: 100%`` scales them.

    cost_chart_svg([2012.5, 2037.1, ...], months=36)      monthly cost projection, bars
    storage_chart_svg([["full 1", 4227.1], ...])          backup storage by restore point
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from xml.sax.saxutils import escape

__all__ = ["cost_chart_svg", "empty_chart", "nice_ticks", "short_number", "storage_chart_svg"]

WIDTH, HEIGHT = 680, 230
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 14, 34
BAR = "#3b6ea8"
BAR_ALT = "#9bb7d8"
GRID = "#d9dee5"
INK = "#2b2f36"
FONT = 'font-family="DejaVu Sans, Liberation Sans, sans-serif"'


def nice_ticks(top: float, count: int = 5) -> list[float]:
    """Round tick values from 0 to at least ``top``: 0, 1,000, 2,000, … (1, 2, 2.5 or 5 × 10ⁿ).

    The one axis rule of every chart: the PDF's, the portal's and the overview's."""
    if not math.isfinite(top) or top <= 0:
        return [0.0, 1.0]
    raw = top / count
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    n = math.ceil(top / step - 1e-9)
    return [round(i * step, 10) for i in range(n + 1)]


def short_number(value: float) -> str:
    """An axis label: 950, 2.5k, 12k, 1.2M."""
    a = abs(value)
    for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= limit:
            text = f"{value / limit:.1f}".removesuffix(".0")
            return f"{text}{suffix}"
    return f"{value:.2f}".rstrip("0").rstrip(".") if a < 10 else f"{value:.0f}"


def _frame(title: str, ticks: list[float], unit: str) -> tuple[list[str], float, float]:
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = ticks[-1] or 1.0
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
        f'<g {FONT} font-size="10" fill="{INK}">',
    ]
    for t in ticks:
        y = TOP + plot_h - plot_h * t / top
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="{GRID}" stroke-width="0.8"/>'
            f'<text x="{LEFT - 6}" y="{y + 3.5:.1f}" text-anchor="end">{short_number(t)}</text>'
        )
    parts.append(
        f'<text x="12" y="{TOP + plot_h / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 12 {TOP + plot_h / 2:.1f})">{escape(unit)}</text>'
    )
    return parts, plot_w, plot_h


def _finite(values: Sequence[float]) -> list[float]:
    out = []
    for v in values:
        try:
            f = float(v)
        except (TypeError, ValueError):
            f = 0.0
        out.append(f if math.isfinite(f) and f > 0 else 0.0)
    return out


def cost_chart_svg(
    cost_by_month: Sequence[float], months: int = 36, *, currency: str = "USD"
) -> str:
    """Monthly cost for ``months`` months as bars; months 12, 24 and 36 are labelled with
    their amount, so the chart reads without a table."""
    values = _finite(list(cost_by_month)[:months])
    if not values:
        return empty_chart("No cost projection: nothing is billed in a public cloud.")
    ticks = nice_ticks(max(values), 4)
    title = f"Cost by month, {len(values)} months ({currency})"
    parts, plot_w, plot_h = _frame(title, ticks, f"{currency} / month")
    top = ticks[-1] or 1.0
    slot = plot_w / len(values)
    bar_w = max(1.0, slot * 0.72)
    base = TOP + plot_h
    for i, v in enumerate(values):
        h = plot_h * v / top
        x = LEFT + i * slot + (slot - bar_w) / 2
        colour = BAR if (i + 1) % 12 else BAR_ALT
        parts.append(
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
            f'fill="{colour}"/>'
        )
    step = 6 if len(values) > 12 else 1
    for m in range(1, len(values) + 1):
        if m == 1 or m % step == 0:
            x = LEFT + (m - 0.5) * slot
            parts.append(f'<text x="{x:.1f}" y="{base + 13}" text-anchor="middle">{m}</text>')
    for m in (12, 24, 36):
        if m <= len(values):
            v = values[m - 1]
            x = LEFT + (m - 0.5) * slot
            y = base - plot_h * v / top - 4
            parts.append(
                f'<text x="{x:.1f}" y="{max(y, TOP + 8):.1f}" text-anchor="end" '
                f'font-size="9">{short_number(v)}</text>'
            )
    parts.append(
        f'<text x="{LEFT + plot_w / 2:.1f}" y="{HEIGHT - 4}" text-anchor="middle">month</text>'
    )
    parts.append(f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="{INK}"/>')
    parts.append("</g></svg>")
    return "".join(parts)


def storage_chart_svg(points: Sequence[Sequence]) -> str:
    """Backup storage on the target after each restore point (cumulative GiB), as bars.

    ``points`` are ``[label, gib]`` pairs in chain order ("full 1", "inc 1", …, "workspace").
    At most about 20 labels are written, the others are skipped evenly.
    """
    pairs = [(str(p[0]), v) for p, v in zip(points, _finite([p[1] for p in points]), strict=True)]
    if not pairs:
        return empty_chart("No backup storage: the app is not protected by backup-restore.")
    ticks = nice_ticks(max(v for _, v in pairs), 4)
    title = "Backup storage by restore point (GiB, cumulative)"
    parts, plot_w, plot_h = _frame(title, ticks, "GiB")
    top = ticks[-1] or 1.0
    slot = plot_w / len(pairs)
    bar_w = max(1.0, slot * 0.72)
    base = TOP + plot_h
    every = max(1, math.ceil(len(pairs) / 20))
    for i, (label, v) in enumerate(pairs):
        h = plot_h * v / top
        x = LEFT + i * slot + (slot - bar_w) / 2
        full = not label.startswith(("inc", "workspace"))
        parts.append(
            f'<rect x="{x:.1f}" y="{base - h:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
            f'fill="{BAR if full else BAR_ALT}"/>'
        )
        if i % every == 0 or i == len(pairs) - 1:
            cx = LEFT + (i + 0.5) * slot
            parts.append(
                f'<text x="{cx:.1f}" y="{base + 8}" text-anchor="end" font-size="7" '
                f'transform="rotate(-35 {cx:.1f} {base + 8})">{escape(label)}</text>'
            )
    parts.append(f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="{INK}"/>')
    parts.append("</g></svg>")
    return "".join(parts)


def empty_chart(message: str) -> str:
    """A one-line chart that says why there is nothing to draw (never a flat, empty frame)."""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart empty" viewBox="0 0 {WIDTH} 40" '
        f'width="{WIDTH}" height="40" role="img" aria-label="{escape(message)}">'
        f'<text x="{WIDTH / 2}" y="24" text-anchor="middle" {FONT} font-size="11" '
        f'fill="{INK}">{escape(message)}</text></svg>'
    )
