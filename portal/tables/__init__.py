"""The portal's tables (django-tables2): columns declared once, used by the page and its CSV.

Each table has a ``rows(queryset)`` that adds the joins and per-row counts its columns show, as
SQL (select_related and subqueries), so a page costs the same number of queries for 10 rows as for
500, and the CSV export of the same table costs one query more.
"""

from __future__ import annotations

from functools import lru_cache

import django_tables2 as tables
from django.db.models import OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils.html import format_html
from django_tables2.rows import BoundRow, BoundRows
from django_tables2.utils import signature

from planner.models import Application, Disk, RunError, SizingRun, VirtualMachine
from planner.units import fmt_duration, fmt_gib, fmt_money
from portal.paging import page_rows, subcount, vm_counts

ATTRS = {"class": "table"}


@lru_cache(maxsize=1024)
def _arguments(fn, bound: bool) -> tuple[tuple[str, ...], str | None]:
    """The parameters ``fn`` takes (as django-tables2's ``signature``), read once per function.

    django-tables2 inspects the signature of a column's render/value method for every cell
    (``call_with_appropriate``): a fifth of a table page's time (issue 19). The methods do not
    change while the process runs, so the answer is kept, keyed by the plain function.
    """
    return signature(fn.__get__(object()) if bound else fn)


def _call_with_appropriate(fn, kwargs: dict):
    """``django_tables2.utils.call_with_appropriate`` with the signature read once per function."""
    func = getattr(fn, "__func__", None)
    args, catch_all = _arguments(func, True) if func is not None else _arguments(fn, False)
    if catch_all:
        return fn(**kwargs)
    if any(arg not in kwargs for arg in args):
        return None
    return fn(**{arg: kwargs[arg] for arg in args})


class FastBoundRow(BoundRow):
    """A row whose cells call render_FOO/value_FOO without inspecting them again."""

    def _call_render(self, bound_column, value=None):
        render_kwargs = self._optional_cell_arguments(bound_column, value)
        content = _call_with_appropriate(bound_column.render, render_kwargs)
        return bound_column.link(content, **render_kwargs) if bound_column.link else content

    def items(self):
        """(bound column, cell) pairs, as BoundRow.items, without looking each column up by name."""
        for column in self.table.columns:
            column.current_value = self._get_and_render_with(
                column, render_func=self._call_render, default=column.default
            )
            column.current_record = self.record
            yield column, column.current_value

    def _call_value(self, bound_column, value=None):
        return _call_with_appropriate(
            bound_column.value, self._optional_cell_arguments(bound_column, value)
        )


class FastBoundRows(BoundRows):
    """Rows of FastBoundRow; a page of a queryset is read by ids first (portal/paging.py)."""

    def __iter__(self):
        if any(
            self.pinned_data.values()
        ):  # no table here pins rows: the library's path if one does
            yield from super().__iter__()
            return
        for record in self.data:
            yield FastBoundRow(record, table=self.table)

    def __getitem__(self, key):
        if isinstance(key, slice):
            queryset = getattr(self.data, "data", None)
            if isinstance(queryset, QuerySet):
                rows = page_rows(queryset, key, len(self.data))  # the paginator has counted
            else:
                rows = self.data[key]
            return FastBoundRows(data=rows, table=self.table, pinned_data=self.pinned_data)
        return FastBoundRow(record=self.data[key], table=self.table)


class Table(tables.Table):
    """The portal's base table: rows that render cells without per-cell signature inspection."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = FastBoundRows(data=self.data, table=self, pinned_data=self.pinned_data)


def badge(text: str, kind: str) -> str:
    return format_html('<span class="badge badge-{}">{}</span>', kind, text)


def compliance_badge(result) -> str:
    if result is None:
        return badge("not sized", "muted")
    if result.compliant:
        return badge("compliant", "ok")
    return badge(f"{result.blocking_count} blocking", "bad")


class ApplicationTable(Table):
    name = tables.Column(linkify=True, attrs={"td": {"class": "strong"}})
    owner = tables.Column(accessor="owner__username", verbose_name="Owner")
    tier = tables.Column()
    scheme = tables.Column()
    source_cloud = tables.Column(verbose_name="Source")
    recovery_target = tables.Column(verbose_name="Target", default="—")
    protected = tables.Column(
        accessor="n_protected", verbose_name="VMs protected", order_by=("n_protected",)
    )
    compliance = tables.Column(
        accessor="result__blocking_count",
        verbose_name="Compliance",
        order_by=("result__compliant", "-result__blocking_count"),
        empty_values=(),  # "not sized" is rendered, not left blank
    )
    monthly_cost = tables.Column(
        accessor="result__monthly_cost", verbose_name="Cost / month", default="—"
    )
    last_run = tables.Column(
        accessor="result__computed_at", verbose_name="Last sized", default="never"
    )

    class Meta:
        model = Application
        fields = ()
        sequence = (
            "name",
            "owner",
            "tier",
            "scheme",
            "source_cloud",
            "recovery_target",
            "protected",
            "compliance",
            "monthly_cost",
            "last_run",
        )
        attrs = ATTRS
        template_name = "portal/table.html"
        empty_text = "No apps match. Register one with “New app”, or clear the filters."

    @staticmethod
    def rows(queryset):
        # Without the result's detail (every figure's arithmetic, a JSON document no column
        # shows): decoding it was two thirds of reading a page of apps (issue 19).
        return (
            queryset.select_related("owner", "source_cloud", "recovery_target", "result")
            .defer("result__detail")
            .annotate(**vm_counts("n_vms", "n_protected"))
        )

    def render_tier(self, record):
        return format_html('<span class="tier tier-{}">{}</span>', record.tier, record.tier)

    def value_tier(self, record):
        return record.get_tier_display()

    def render_scheme(self, record):
        return record.get_scheme_display()

    def render_protected(self, record):
        share = f"{100 * record.n_protected / record.n_vms:.0f} %" if record.n_vms else "—"
        return format_html(
            '{} of {} <span class="muted">({})</span>', record.n_protected, record.n_vms, share
        )

    def value_protected(self, record):
        return f"{record.n_protected} of {record.n_vms}"

    def render_compliance(self, record):
        return compliance_badge(getattr(record, "result", None))

    def value_compliance(self, record):
        result = getattr(record, "result", None)
        if result is None:
            return "not sized"
        return "compliant" if result.compliant else f"{result.blocking_count} blocking"

    def render_monthly_cost(self, value):
        return fmt_money(value)

    def render_last_run(self, value):
        return format_html('<span title="{}">{}</span>', value, value.strftime("%Y-%m-%d %H:%M"))


# What a VM table's rows read (its columns; the links need the VM's and the app's ids only), and
# nothing else: a VM's result carries its arithmetic, a JSON list that took two thirds of
# reading a page's rows (bench/list_pages.py, issue 19). tests/web/test_lists_body.py checks
# that a page of sized VMs and its CSV read no other field (each would be a query per row).
VM_COLUMNS = (
    "name",
    "application__name",
    "resource_group",
    "os_type",
    "size__name",
    "role",
    "opted_in",
    "result__backup_gib",
    "result__boot_group",
    "result__monthly_cost",
)


class VirtualMachineTable(Table):
    select = tables.CheckBoxColumn(
        accessor="pk",
        attrs={"th__input": {"data-select-all": "select", "aria-label": "Select all"}},
    )
    name = tables.Column(linkify=True, attrs={"td": {"class": "strong"}})
    application = tables.Column(linkify=True, verbose_name="App")  # the app's own URL
    resource_group = tables.Column(verbose_name="Resource group")
    os_type = tables.Column(verbose_name="OS")
    size = tables.Column(accessor="size__name", verbose_name="Size", default="—")
    role = tables.Column()
    opted_in = tables.BooleanColumn(verbose_name="Opted in", yesno="yes,no")
    provisioned = tables.Column(
        accessor="disk_gib", verbose_name="Provisioned", order_by=("disk_gib",)
    )
    backup_gib = tables.Column(accessor="result__backup_gib", verbose_name="Backup", default="—")
    boot_group = tables.Column(
        accessor="result__boot_group", verbose_name="Boot group", default="—"
    )
    monthly_cost = tables.Column(
        accessor="result__monthly_cost", verbose_name="Cost / month", default="—"
    )

    class Meta:
        model = VirtualMachine
        fields = ()
        sequence = (
            "select",
            "name",
            "application",
            "resource_group",
            "os_type",
            "size",
            "role",
            "opted_in",
            "provisioned",
            "backup_gib",
            "boot_group",
            "monthly_cost",
        )
        attrs = ATTRS
        template_name = "portal/table.html"
        empty_text = "No VMs match. Import an inventory or add a VM, or clear the filters."

    @staticmethod
    def rows(queryset):
        disk_gib = Subquery(
            Disk.objects.filter(vm=OuterRef("pk"))
            .order_by()
            .values("vm")
            .annotate(s=Sum("provisioned_gib"))
            .values("s")[:1]
        )
        return (
            queryset.select_related("application", "size", "result")
            .only(*VM_COLUMNS)
            .annotate(disk_gib=Coalesce(disk_gib, Value(0.0)))
        )

    # The OS and the role show their choices' labels: django-tables2 reads get_FOO_display()
    # for a field with choices (no render_FOO to call a second time per cell).

    def render_opted_in(self, value):
        return badge("opted in", "ok") if value else badge("not opted in", "muted")

    def render_provisioned(self, value):
        return fmt_gib(value)

    def render_backup_gib(self, value):
        return fmt_gib(value)

    def render_monthly_cost(self, value):
        return fmt_money(value)


class SizingRunTable(Table):
    id = tables.Column(linkify=True, verbose_name="Run")
    application = tables.Column(default="whole estate")
    trigger = tables.Column()
    requested_by = tables.Column(accessor="requested_by__username", verbose_name="By", default="—")
    status = tables.Column()
    progress = tables.Column(accessor="done_vms", verbose_name="Progress", orderable=False)
    created_at = tables.Column(verbose_name="Requested")
    duration = tables.Column(accessor="finished_at", verbose_name="Took", orderable=False)
    n_errors = tables.Column(verbose_name="Errors")

    class Meta:
        model = SizingRun
        fields = ()
        sequence = (
            "id",
            "application",
            "trigger",
            "requested_by",
            "status",
            "progress",
            "created_at",
            "duration",
            "n_errors",
        )
        attrs = ATTRS
        template_name = "portal/table.html"
        empty_text = "No sizing runs yet: start one from an app's page."

    @staticmethod
    def rows(queryset):
        return queryset.select_related("application", "requested_by").annotate(
            n_errors=subcount(RunError.objects.filter(run=OuterRef("pk")), "run")
        )

    def render_id(self, value):
        return f"#{value}"

    def render_trigger(self, record):
        return record.get_trigger_display()

    def render_status(self, record):
        kind = {
            "succeeded": "ok",
            "failed": "bad",
            "partial": "warn",
            "running": "info",
            "pending": "muted",
        }[record.status]
        return badge(record.get_status_display(), kind)

    def value_status(self, record):
        return record.status

    def render_progress(self, record):
        return f"{record.percent} %"

    def render_created_at(self, value):
        return value.strftime("%Y-%m-%d %H:%M:%S")

    def render_duration(self, record):
        seconds = record.duration_seconds
        if seconds is None:
            return "—"
        return f"{seconds:.1f} s" if seconds < 120 else fmt_duration(seconds / 60)

    def render_n_errors(self, value):
        return badge(str(value), "bad") if value else "0"
