"""Server-rendered SVG charts: plain lists in, an SVG string out.

No JavaScript and no assets, so the same chart reads the same in the browser, in the PDF
(WeasyPrint renders inline SVG) and offline. Pure Python: no Django import; the text is escaped
here. ``storage_chart`` draws the saved ``storage_by_point`` pairs of a sizing result,
``cost_chart`` the first 12 or 36 months of ``cost_by_month``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from html import escape

from planner.reports.charts import empty_chart, nice_ticks
from planner.sizing.units import fmt_money, fmt_num

__all__ = ["bar_chart", "cost_chart", "nice_ticks", "storage_chart"]

# A presentation attribute, not style="...": the Content-Security-Policy refuses inline styles.
FONT = "system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif"
BAR = "#2f6fb0"
BAR_LAST = "#8a5cc2"
GRID = "#e3e7ed"
TEXT = "#3b4350"


def bar_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    unit: str,
    width: int = 720,
    height: int = 260,
    fmt: Callable[[float], str] | None = None,
    highlight_last: bool = False,
    max_labels: int = 12,
) -> str:
    """A bar chart as an SVG string: one bar per value, a labelled y axis, a title.

    ``labels`` and ``values`` have the same length; values are finite and >= 0. Only about
    ``max_labels`` x labels are written so they never overlap; every bar has a tooltip."""
    if len(labels) != len(values):
        raise ValueError(f"{len(labels)} labels for {len(values)} values")
    values = [float(v) for v in values]
    if any(not math.isfinite(v) or v < 0 for v in values):
        raise ValueError("chart values must be finite numbers >= 0")
    fmt = fmt or (lambda v: fmt_num(v, 1))
    left, right, top, bottom = 64, 12, 34, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
        f'class="chart" font-family="{FONT}">',
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="18" font-size="13" font-weight="600" fill="{TEXT}">'
        f"{escape(title)}</text>",
    ]
    if not values:
        out.append(
            f'<text x="{width / 2:.0f}" y="{height / 2:.0f}" font-size="13" fill="{TEXT}" '
            'text-anchor="middle">No data yet: run a sizing.</text></svg>'
        )
        return "".join(out)
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
        colour = BAR_LAST if highlight_last and i == n - 1 else BAR
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
    """Backup storage on the target, cumulative by retention point ([label, GiB] pairs).

    The last pair is the merge workspace when the engine adds one: drawn in another colour."""
    labels = [str(p[0]) for p in storage_by_point]
    values = [float(p[1]) for p in storage_by_point]
    workspace = bool(labels) and labels[-1] == "workspace"
    return bar_chart(
        labels,
        values,
        title="Backup storage by retention point (cumulative)",
        unit="GiB",
        highlight_last=workspace,
        **kwargs,
    )


def cost_chart(cost_by_month: Sequence[float], months: int = 12, **kwargs) -> str:
    """Public-cloud cost per month over the first ``months`` (12 or 36) months."""
    if months not in (12, 36):
        raise ValueError(f"months must be 12 or 36, got {months!r}")
    values = [float(v) for v in list(cost_by_month)[:months]]
    if not any(values):  # as the PDF does: a sentence, not a flat empty chart
        return empty_chart(
            f"Public-cloud cost per month, {months} months: none. Nothing is billed in a public "
            "cloud; the copies stay on targets the organisation runs."
        )
    labels = [f"M{i}" for i in range(1, len(values) + 1)]
    total = sum(values)
    return bar_chart(
        labels,
        values,
        title=f"Public-cloud cost per month, {months} months (total {fmt_money(total)})",
        unit="USD / month",
        fmt=lambda v: fmt_num(v, 2),
        **kwargs,
    )
