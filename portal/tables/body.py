"""The body rows of a portal table as HTML, each column's cell made by a function built once.

django-tables2 renders a cell by looking everything up again for each one: it builds an
``Accessor`` from the column's accessor string, reads the model field behind it (to call
``get_FOO_display()`` on a field with choices), tries ``record[bit]`` before ``getattr`` at
each step (an exception per step on a model), assembles six keyword arguments and, for a
linked column, resolves the column's name once more to find ``get_absolute_url``. On a 50-row
VM list that was half of the page's CPU time (bench/list_pages.py, issue 19). Here all of that
is read once per column; each cell then costs its attribute lookups, its render method and the
escaping. The HTML is the library's, character for character (tests/web/test_lists_body.py
renders every portal table both ways and compares): the same values (choices' labels, the
column's default for an empty value), the same render_FOO methods, links, localization and
escaping (a name like ``<script>`` stays text).

A column this does not know (a column class other than Column, BooleanColumn and
CheckBoxColumn, a link with its own URL or attributes, row attributes set on the table) is
rendered by django-tables2's own code, so the result is the same either way.
"""

from __future__ import annotations

import html
import inspect
from collections.abc import Callable
from functools import partialmethod

import django_tables2 as tables
from django.db.models import Model
from django.utils import formats
from django.utils.encoding import force_str
from django.utils.functional import Promise
from django.utils.hashable import make_hashable
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django_tables2.columns.base import LinkTransform
from django_tables2.utils import Accessor, AttributeDict

# Column classes whose cells are made here (their own render methods are still called).
KNOWN_COLUMNS = (tables.Column, tables.BooleanColumn, tables.CheckBoxColumn)


def _html(content) -> str:
    """``conditional_escape`` without its wrappers (the rows are marked safe once, whole)."""
    if isinstance(content, Promise):
        content = str(content)
    if hasattr(content, "__html__"):
        return content.__html__()
    return html.escape(str(content))  # what django.utils.html.escape does


class _Unresolved(Exception):
    """Raised by a resolver when the library's Accessor would have failed (the value is None)."""


def _step(current, bit: str):
    """One step of ``Accessor.resolve`` from a model instance: an attribute, called if callable.

    ``record[bit]`` is skipped: a model instance cannot be indexed, so the library's first try
    always fails on one. Anything that is not a model goes to the library's resolver."""
    if not isinstance(current, Model):
        return Accessor(bit).resolve(current)
    try:
        current = getattr(current, bit)
    except AttributeError:  # the library then tries current[int(bit)]: a model refuses it too
        raise _Unresolved from None
    if callable(current):
        if getattr(current, "alters_data", False):
            raise _Unresolved
        if not getattr(current, "do_not_call_in_templates", False):
            current = current()
    return current


def _resolve(record, bits: tuple[str, ...]):
    """``Accessor(...).resolve(record)`` for the path ``bits`` (stops at None, as it does)."""
    current = record
    for bit in bits:
        current = _step(current, bit)
        if current is None:
            break
    return current


def _value_function(table, bound_column) -> Callable:
    """record -> the cell's value, as ``BoundRow._get_and_render_with`` computes it."""
    accessor = Accessor(bound_column.accessor)
    bits = tuple(accessor.bits)
    head, last = bits[:-1], bits[-1] if bits else ""
    field = accessor.get_field(table._meta.model) if table._meta.model else None
    choices = bool(getattr(field, "choices", ()))
    display = f"get_{last}_display"
    labels: dict = {}  # model class -> its field's choices as a dict, or None (see _labels)

    def value(record):
        try:
            owner = _resolve(record, head)  # the library's "penultimate"
        except Exception:
            return None
        if choices and isinstance(owner, Model):
            model = type(owner)
            if model not in labels:
                labels[model] = _labels(model, display)
            known = labels[model]
            if known is not None:  # Django's own get_FOO_display, its dict built once
                field_of, by_value = known
                found = getattr(owner, field_of.attname)
                return force_str(by_value.get(make_hashable(found), found), strings_only=True)
            fn = getattr(owner, display, None)
            if fn:
                return fn()
        if owner is None or not last:  # the path stopped at None (or there is no path)
            return None
        try:
            return _step(owner, last)
        except Exception:
            return None

    return value


def _labels(model, display: str):
    """(field, {value: label}) when ``model.get_FOO_display`` is the one Django adds to a field
    with choices (``Model._get_FIELD_display``, which builds that dict again at every call: a
    twentieth of a VM list page), else None (a model's own method is called as it is)."""
    method = inspect.getattr_static(model, display, None)
    if not (
        isinstance(method, partialmethod)
        and method.func is Model._get_FIELD_display
        and not method.args
        and set(method.keywords) == {"field"}
    ):
        return None
    field = method.keywords["field"]
    return field, dict(make_hashable(field.flatchoices))


def _render_function(table, bound_column) -> Callable | None:
    """(value, record, row) -> the cell's content before the link, or None if unknown."""
    from portal.tables import _arguments

    fn = bound_column.render
    func = getattr(fn, "__func__", None)
    if func is tables.Column.render:
        return lambda value, record, row: value
    if func is tables.CheckBoxColumn.render:
        checkbox = _checkbox_function(bound_column)
        if checkbox is not None:
            return checkbox
    args, catch_all = _arguments(func, True) if func is not None else _arguments(fn, False)
    if catch_all:
        return None
    fixed = {"column": bound_column.column, "bound_column": bound_column, "table": table}
    if args == ("value",):
        return lambda value, record, row: fn(value=value)
    if args == ("record",):
        return lambda value, record, row: fn(record=record)

    def call(value, record, row):
        given = {"value": value, "record": record, "bound_row": row, **fixed}
        return fn(**{arg: given[arg] for arg in args})

    if any(arg not in ("value", "record", "bound_row", *fixed) for arg in args):
        return lambda value, record, row: None  # as call_with_appropriate: an unknown argument
    return call


def _checkbox_function(bound_column) -> Callable | None:
    """``CheckBoxColumn.render`` for a box never ticked whose attributes are all fixed text:
    its ``<input>`` made once, each row's value put in (escaped). None: any other box."""
    column = bound_column.column
    mark = "\x00value\x00"
    extra = column.attrs.get("td__input") or column.attrs.get("input") or {}
    attrs = dict({"type": "checkbox", "name": bound_column.name, "value": mark}, **extra)
    if column.checked is not None or any(callable(v) for v in attrs.values()):
        return None
    html = AttributeDict(attrs).as_html()
    if html.count(mark) != 1:
        return None
    head, _, tail = html.partition(mark)
    return lambda value, record, row: mark_safe(f"<input {head}{escape(value)}{tail} />")  # noqa: S308


def _link_function(bound_column) -> Callable | None:
    """(content, record) -> the content inside its link (``linkify=True``), or None if unknown."""
    link = bound_column.link
    if not isinstance(link, LinkTransform):
        return None
    if link.url or link.attrs or link.accessor is not None or link.reverse_args:
        return None
    bits = tuple(Accessor(bound_column.name).bits)

    def linked(content, record):
        try:
            target = _resolve(record, bits)
        except _Unresolved:
            target = None
        if not hasattr(target, "get_absolute_url"):
            target = record  # the library raises a TypeError when the record has none either
        href = target.get_absolute_url()
        if href is None:
            return content
        return SafeString(f'<a href="{_html(href)}">{_html(content)}</a>')  # format_html's

    return linked


def _cell_function(table, bound_column) -> Callable | None:
    """(record, row) -> the cell's HTML, escaped and localized; None: the library's path."""
    column = bound_column.column
    if type(column) not in KNOWN_COLUMNS:
        return None
    render = _render_function(table, bound_column)
    if render is None:
        return None
    link = None
    if bound_column.link:
        link = _link_function(bound_column)
        if link is None:
            return None
    value_of = _value_function(table, bound_column)
    empty, default = column.empty_values, bound_column.default
    use_l10n = None if column.localize is None else bool(column.localize)
    numbers: dict = {}  # a whole number's localized text, read once per page (boot groups)

    def cell(record, row):
        value = value_of(record)
        if value in empty:
            content = default
        else:
            content = render(value, record, row)
            if link is not None:
                content = link(content, record)
        if type(content) is int:
            text = numbers.get(content)
            if text is None:
                text = numbers[content] = _html(formats.localize(content, use_l10n=use_l10n))
            return text
        if not isinstance(content, str):  # formats.localize leaves text as it is
            content = formats.localize(content, use_l10n=use_l10n)
        return _html(content)

    return cell


def body_html(table) -> str | None:
    """The ``<tr>`` rows of the table's current page, or None when a column is not known here."""
    if table.row_attrs:
        return None
    cells = []
    for bound_column in table.columns:
        cell = _cell_function(table, bound_column)
        if cell is None:
            return None
        cells.append((f"<td {bound_column.attrs['td'].as_html()}>", cell))
    parts = []
    for row in table.paginated_rows:
        record = row.record
        parts.append('<tr class="odd">' if row.row_counter % 2 else '<tr class="even">')
        for td, cell in cells:
            parts.append(f"{td}{cell(record, row)}</td>")
        parts.append("</tr>")
    return mark_safe("".join(parts))  # noqa: S308 (each cell escaped above)
