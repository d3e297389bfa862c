"""Formatting filters for the portal's templates: the engine's own unit helpers, and badges."""

from __future__ import annotations

from django import template
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
