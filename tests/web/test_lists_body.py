"""The tables' body rows made by portal/tables/body.py: the same HTML as django-tables2's own
cells (its BoundRow, the library's per-cell path), escaped, for every portal table and role."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.utils import formats
from django.utils.html import conditional_escape
from django_tables2 import RequestConfig
from django_tables2.rows import BoundRow

from planner.models import Application, RunError, SizingRun, VirtualMachine
from planner.services.sizing import size_and_save
from portal.tables import ApplicationTable, SizingRunTable, VirtualMachineTable
from portal.tables.body import body_html
from portal.templatetags.portal import table_rows
from tests.factories import DiskFactory, VmFactory
from tests.web.test_portal_estate import build

pytestmark = pytest.mark.django_db

NASTY = '<script>alert("x")</script> & co'


@pytest.fixture
def estate(alice, bob):
    estate = build(alice, bob)
    size_and_save([estate.app.pk])  # alice's VMs sized, bob's not: both kinds of row
    estate.app.name = NASTY
    estate.app.save()
    vm = VmFactory(application=estate.app, subscription=estate.vm.subscription, name=NASTY)
    DiskFactory(vm=vm, name="osdisk")
    VmFactory(application=estate.app, subscription=estate.vm.subscription, size=None, name="bare")
    run = SizingRun.objects.create(application=None, trigger="cli", status="failed")
    RunError.objects.create(run=run, application=estate.app, message="chunk failed")
    return estate


def library_body(table) -> str:
    """The rows as django_tables2/table.html renders them, cell by cell with BoundRow."""
    parts = []
    for record in [row.record for row in table.paginated_rows]:
        row = BoundRow(record, table=table)
        parts.append(f"<tr {row.attrs.as_html()}>")
        for column, cell in row.items():
            if column.localize is None:
                cell = formats.localize(cell)
            else:
                cell = formats.localize(cell, use_l10n=bool(column.localize))
            parts.append(f"<td {column.attrs['td'].as_html()}>{conditional_escape(cell)}</td>")
        parts.append("</tr>")
    return "".join(parts)


def tables_for(queryset_of, sort: str = ""):
    request = RequestFactory().get("/", {"sort": sort} if sort else {})
    for table_class, model in (
        (ApplicationTable, Application),
        (VirtualMachineTable, VirtualMachine),
        (SizingRunTable, SizingRun),
    ):
        made = []
        for _ in range(2):  # one for each renderer: a table counts its rows (even/odd)
            table = table_class(table_class.rows(queryset_of(model)))
            RequestConfig(request, paginate=False).configure(table)
            table.paginate(page=1, per_page=50)
            made.append(table)
        yield table_class, made


@pytest.mark.parametrize("sort", ["", "-name", "application"])
def test_every_table_body_is_the_librarys_html(estate, sort):
    for table_class, (fast, slow) in tables_for(lambda m: m.objects.all(), sort):
        html = body_html(fast)
        assert html is not None, table_class  # every portal column is known
        assert html.count("<tr ") == len(list(slow.paginated_rows)) > 0, table_class
        assert html == library_body(slow), table_class


def test_names_stay_text(estate):
    for table_class, (table, _) in tables_for(lambda m: m.objects.all()):
        html = body_html(table)
        if table_class is SizingRunTable:
            continue  # a run shows its app's name only as a link text: checked in the others
        assert "<script>" not in html, table_class
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; co" in html, table_class


def test_an_owner_sees_their_rows_only(estate, alice):
    vms = VirtualMachineTable(VirtualMachineTable.rows(VirtualMachine.objects.for_user(alice)))
    vms.paginate(page=1, per_page=50)
    html = body_html(vms)
    assert "bob-vm-00" not in html and "alice-vm-00" in html


def test_an_empty_page_says_so(estate):
    table = VirtualMachineTable(VirtualMachineTable.rows(VirtualMachine.objects.none()))
    table.paginate(page=1, per_page=50)
    assert body_html(table) == ""
    assert "No VMs match" in table_rows(table)


def test_a_column_it_does_not_know_goes_the_librarys_way(estate):
    import django_tables2 as tables

    class WithTemplate(VirtualMachineTable):
        note = tables.TemplateColumn("<b>{{ record.name }}</b>")

    table = WithTemplate(VirtualMachineTable.rows(VirtualMachine.objects.all()))
    table.paginate(page=1, per_page=50)
    assert body_html(table) is None
    assert "<b>alice-vm-00</b>" in table_rows(table)


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"tier": "gold", "os_type": "linux", "opted_in": "no", "status": "failed"},
        {"tier": "nonsense", "role": "<b>", "target": "1", "compliance": "blocking"},
    ],
)
def test_filter_forms_select_the_same_html_as_djangos(estate, query):
    """Every list's filter form through the cached widget renderer (FORM_RENDERER,
    portal/forms/renderer.py), first and second time, against Django's own renderer."""
    from django import forms
    from django.forms.renderers import DjangoTemplates

    from portal.filtersets import (
        ApplicationFilterSet,
        SizingRunFilterSet,
        VirtualMachineFilterSet,
    )

    request = RequestFactory().get("/", query)
    for filterset_class in (ApplicationFilterSet, VirtualMachineFilterSet, SizingRunFilterSet):
        django_form = filterset_class(query or None, request=request).form
        django_form.renderer = DjangoTemplates()
        selects = [name for name, f in django_form.fields.items() if type(f.widget) is forms.Select]
        assert selects, filterset_class
        for _ in range(2):  # the second time from the cache
            ours = filterset_class(query or None, request=request).form
            for name in django_form.fields:
                assert str(ours[name]) == str(django_form[name]), (filterset_class, name)
            assert "<select" in str(ours[selects[0]])


def test_the_rows_hold_every_field_the_cells_read(estate, django_assert_num_queries):
    """VirtualMachineTable.rows reads the shown columns only (VM_COLUMNS): rendering a page of
    sized VMs, and its CSV values, asks the database nothing more."""
    table = VirtualMachineTable(VirtualMachineTable.rows(VirtualMachine.objects.all()))
    table.paginate(page=1, per_page=50)
    records = [row.record for row in table.paginated_rows]
    assert any(getattr(r, "result", None) for r in records)  # sized rows among them
    with django_assert_num_queries(0):
        assert body_html(table).count("<tr ") == len(records)
        assert len(library_body(table)) > 0
        values = list(VirtualMachineTable(records).as_values())
    assert len(values) == len(records) + 1


def test_app_rows_hold_every_field_the_cells_read(estate, django_assert_num_queries):
    """ApplicationTable.rows leaves the result's detail out: a page of sized apps, and its CSV
    values, read nothing more."""
    table = ApplicationTable(ApplicationTable.rows(Application.objects.all()))
    table.paginate(page=1, per_page=50)
    records = [row.record for row in table.paginated_rows]
    assert any(getattr(r, "result", None) for r in records)
    with django_assert_num_queries(0):
        assert body_html(table).count("<tr ") == len(records)
        values = list(ApplicationTable(records).as_values())
    assert len(values) == len(records) + 1


@pytest.mark.parametrize(
    "query", [{}, {"sort": "name"}, {"sort": "-application", "q": "a&b", "page": "2"}]
)
def test_table_heads_are_the_librarys_html(estate, query):
    """The table_head tag against django_tables2/table.html's own thead block, every table."""
    from django.template.loader import render_to_string

    request = RequestFactory().get("/", query)
    for table_class, (ours, theirs) in tables_for(lambda m: m.objects.all(), query.get("sort", "")):
        mine = render_to_string("portal/table.html", {"table": ours}, request=request)
        library = render_to_string("django_tables2/table.html", {"table": theirs}, request=request)
        end = "</thead>\n            \n            "  # the block's end, as the library writes it
        head = mine[: mine.index(end) + len(end)]
        assert "<thead" in head and head == library[: library.index(end) + len(end)], table_class
