"""Formatting filters for the portal's templates: the engine's own unit helpers, and badges."""

from __future__ import annotations

from django import template
from django.template import defaultfilters
from django.utils import formats
from django.utils.html import conditional_escape, escape, format_html
from django.utils.http import urlencode
from django.utils.safestring import mark_safe

from planner import access, units
from planner.labels import scheme_title
from portal.tables.body import body_html

register = template.Library()

SEVERITY_KIND = {"blocking": "bad", "warning": "warn", "info": "info"}


@register.filter
def gib(value):
    return "—" if value is None else units.fmt_gib(value)


@register.filter
def money(value):
    return "—" if value is None else units.fmt_money(value)


@register.filter
def duration(value):
    if value is None:
        return "unrecoverable"
    try:
        return units.fmt_duration(value)
    except ValueError:
        return "—"


@register.filter
def mbps(value):
    return "—" if value is None else units.fmt_mbps(value)


@register.filter
def hours(value):
    return "—" if value is None else units.fmt_hours(value)


@register.filter
def num(value, decimals=1):
    return "—" if value is None else units.fmt_num(value, int(decimals))


@register.filter
def severity(value):
    return format_html(
        '<span class="badge badge-{}">{}</span>', SEVERITY_KIND.get(value, "muted"), value
    )


@register.filter
def svg(value):
    """A chart made by planner.charts (which escapes its own text)."""
    return mark_safe(value)  # noqa: S308


@register.filter
def scheme_label(value):
    return scheme_title(value) or "—"


@register.simple_tag
def role_of(user):
    if not user.is_authenticated:
        return ""
    if access.is_operator(user):
        return "operator"
    if access.is_approver(user):
        return "approver"
    if access.is_owner(user):
        return "owner"
    return "no role"


@register.simple_tag(takes_context=True)
def querystring_with(context, **kwargs):
    """The current query string with some keys replaced (empty value: removed)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value in (None, ""):
            query.pop(key, None)
        else:
            query[key] = value
    return "?" + query.urlencode() if query else "?"


@register.simple_tag
def table_rows(table):
    """The body rows of a django-tables2 table, rendered here instead of by its template.

    A portal table's rows come from ``portal.tables.body.body_html`` (each column's cell made by
    a function built once per page). Any other table, or one with a column that function does
    not know, gets the same cells as ``django_tables2/table.html`` (row and cell attributes,
    each cell localized and escaped as ``{{ cell }}`` would be), without a template node per
    cell. A cell's attributes are the column's, computed once per column: the portal's tables
    set none that depend on the row."""
    html = body_html(table)
    if html is not None:
        return html if html or not table.empty_text else _empty_row(table)
    parts = []
    td = {column.name: column.attrs["td"].as_html() for column in table.columns}
    for row in table.paginated_rows:
        parts.append(f"<tr {row.attrs.as_html()}>")
        for column, cell in row.items():
            if column.localize is None:
                cell = formats.localize(cell)
            elif column.localize:
                cell = formats.localize(cell, use_l10n=True)
            else:
                cell = formats.localize(cell, use_l10n=False)
            parts.append(f"<td {td[column.name]}>{conditional_escape(cell)}</td>")
        parts.append("</tr>")
    if not parts and table.empty_text:
        return _empty_row(table)
    return mark_safe("".join(parts))  # noqa: S308 (attributes and cells escaped above)


@register.simple_tag(takes_context=True)
def table_head(context, table):
    """The ``table.thead`` block of ``django_tables2/table.html``, written here: the same HTML,
    whitespace included (tests/web/test_lists_body.py compares them), without a template node
    and a ``querystring_replace`` per column (the request's query string is read once)."""
    indent = "\n            "
    if not table.show_header:
        return mark_safe(indent + indent)  # noqa: S308 (whitespace)
    thead = getattr(table.attrs.get("thead"), "as_html", None)
    field = table.prefixed_order_by_field
    query = dict(context["request"].GET)
    parts = [
        f"{indent}\n                <thead {thead() if thead else ''}>\n                    <tr>"
    ]
    parts.append("\n                    ")
    for column in table.columns:
        header = conditional_escape(formats.localize(column.header))
        parts.append(f"\n                        <th {column.attrs['th'].as_html()}>")
        parts.append("\n                            ")
        if column.orderable:
            params = dict(query)
            if field not in ("", None):
                params[field] = column.order_by_alias.next
            href = escape("?" + urlencode(params, doseq=True))
            parts.append(f'\n                                <a href="{href}">{header}</a>')
        else:
            parts.append(f"\n                                {header}")
        parts.append(
            "\n                            \n                        </th>\n                    "
        )
    parts.append("\n                    </tr>\n                </thead>\n            ")
    parts.append(indent)
    return mark_safe("".join(parts))  # noqa: S308 (headers and links escaped above)


def _empty_row(table):
    return format_html('<tr><td colspan="{}">{}</td></tr>', len(table.columns), table.empty_text)


# Loops of the dashboard and the app page written in Python: the same HTML as the template loops
# they replace, character for character (tests/web/test_page_rows.py renders both and compares),
# without a node render per cell (issue 19: the app page rendered ~650 nodes a request). Each
# value goes through the filter the template applied and is then shown as ``{{ value }}`` shows
# it (show); a missing key is "", as a template's failed lookup is.


def show(value) -> str:
    """``{{ value }}``: localized, then escaped unless safe (render_value_in_context)."""
    return conditional_escape(formats.localize(value))


def _key(value, *path, missing=""):
    """``value.a.b`` of a template on the engine's JSON: ``missing`` when a step is missing
    ("" shown, None in an ``{% if %}``, as a template's failed lookup is)."""
    for step in path:
        try:
            value = value[step]
        except (KeyError, TypeError, IndexError):
            return missing
    return value


@register.simple_tag
def attention_rows(apps):
    """The rows of the dashboard's "What needs attention first" table."""
    parts = []
    for app in apps:
        url = show(app.get_absolute_url())
        result = getattr(app, "result", None)
        first = app.first_blocking
        parts.append(
            "\n      <tr>\n"
            f'        <td class="strong"><a href="{url}">{show(app.name)}</a>'
            f'<div class="muted small">{show(app.owner.username)}</div></td>\n'
            f'        <td><span class="tier tier-{show(app.tier)}">{show(app.tier)}</span>'
            "</td>\n        <td>"
            + (
                f'<span class="badge badge-bad">{show(result.blocking_count)} blocking</span>'
                if result
                else '<span class="badge badge-muted">not sized</span>'
            )
            + "</td>\n        <td>"
            + (
                f'<span class="muted small">{show(first[0])}</span><br>'
                f"{show(defaultfilters.truncatechars(first[1], 180))}"
                if first
                else '<span class="muted">Never sized: opt its VMs in and run a sizing.</span>'
            )
            + "</td>\n"
            f'        <td><a class="btn btn-small" href="{url}#findings">Open</a></td>\n'
            "      </tr>\n    "
        )
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped by show)


@register.simple_tag
def finding_blocks(findings):
    """The app page's findings, one block each (``vm_names`` set by the view)."""
    parts = []
    for f in findings:
        parts.append(
            f'\n  <div class="finding {show(f.severity)}" id="finding-{show(f.pk)}">\n'
            f'    <div class="head">{show(severity(f.severity))} '
            f'<span class="code">{show(f.code)}</span></div>\n'
            f"    <div>{show(f.message)}</div>\n    "
        )
        if f.remedy:
            parts.append(f'<div class="remedy">{show(f.remedy)}</div>')
        parts.append("\n    ")
        if f.vm_names:
            names = defaultfilters.join(f.vm_names, ", ", autoescape=True)
            parts.append(
                f'<div class="small muted">VMs: '
                f"{show(defaultfilters.truncatechars(names, 300))}</div>"
            )
        parts.append("\n    ")
        if f.source:
            parts.append(f'<div class="source">Source: {show(f.source)}</div>')
        parts.append("\n  </div>\n  ")
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped by show)


@register.simple_tag
def candidate_rows(candidates):
    """The rows of the app page's recommendation table (the engine's candidates)."""
    parts = []
    for c in candidates:
        cost = _key(c, "monthly_cost", missing=None)
        parts.append(
            f"\n          <tr><td>{show(scheme_label(_key(c, 'scheme')))}</td>"
            f"<td>{show(defaultfilters.default(_key(c, 'target', 'name'), '—'))}</td>"
            f'<td class="num">{"—" if cost is None else show(money(cost))}</td>'
            f"<td>{show(duration(_key(c, 'capability', 'rto_minutes')))} / "
            f"{show(duration(_key(c, 'capability', 'rpo_minutes')))}</td><td>"
            + (
                '<span class="badge badge-ok">fits</span>'
                if _key(c, "ok")
                else f'<span class="small">{show(_key(c, "why"))}</span>'
            )
            + "</td></tr>\n        "
        )
    return mark_safe("".join(parts))  # noqa: S308 (every value escaped by show)


@register.simple_tag
def schedule_rows(slots):
    """The rows of the app page's onboarding schedule (the view's first 60 slots)."""
    return mark_safe(  # noqa: S308 (every value escaped by show)
        "".join(
            f"<tr><td>{show(_key(s, 'night'))}</td><td>{show(_key(s, 'name'))}</td>"
            f"<td>{show(_key(s, 'stream'))}</td>"
            f'<td class="num">{show(num(_key(s, "gib")))}</td>'
            f'<td class="num">{show(duration(_key(s, "start_offset_minutes")))}</td>'
            f'<td class="num">{show(duration(_key(s, "duration_minutes")))}</td></tr>'
            for s in slots
        )
    )
