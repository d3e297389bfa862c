"""The operators' estate overview in the admin: protection, capacity, cost and onboarding at a
glance, with a drill-down behind every figure and every table as CSV.

Wire it with ``overview_urls(admin.site)`` under ``admin/overview/`` (namespace "overview"):
every page is for operators only: anyone signed in who is not one gets 403, anyone not signed in
the admin login (``admin_site.admin_view``, which also keeps the admin's CSRF and no-cache). The figures come from ``planner.services.estate``; this
module only lays them out: tables (django-tables2, also the CSV columns), charts
(``planner.charts``) and links.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from functools import wraps
from urllib.parse import urlencode

import django_tables2 as tables
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html

from planner import access, charts
from planner.exports import csv_response
from planner.services import estate
from planner.services.estate import PROTECTED, STATE_LABELS, STATES
from planner.units import fmt_gib, fmt_money, fmt_num

STATE_COLOURS = {PROTECTED: charts.OK, estate.DECIDED: "#8fa3b8", estate.UNDECIDED: charts.BAD}
PER_PAGE = 50
NUM = {"td": {"class": "num"}, "th": {"class": "num"}}


def overview_urls(admin_site) -> list[URLPattern]:
    """The overview's pages, to include under ``admin/overview/`` with the namespace "overview":

        path("admin/overview/", include((overview_urls(admin.site), "overview"))),

    (before ``path("admin/", admin.site.urls)``, whose catch-all would answer first)."""

    def view(func):
        return _operators_only(admin_site.admin_view(func), admin_site)

    return [
        path("", view(overview), name="overview"),
        path("apps/", view(app_list), name="overview-apps"),
        path("vms/", view(vm_list), name="overview-vms"),
        path("export/<slug:name>.csv", view(export), name="overview-export"),
    ]


def _operators_only(func, admin_site):
    """403 for a signed-in user who is not an operator (owners and approvers are not staff; the
    admin would only offer them its login); the admin view behind sends the rest to its login."""

    @wraps(func)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if request.user.is_authenticated and not access.is_operator(request.user):
            raise PermissionDenied("The estate overview is for operators.")
        request.admin_site = admin_site
        return func(request, *args, **kwargs)

    return wrapped


# --- links --------------------------------------------------------------------------------------


class Links:
    """URLs of the overview's drill-downs and of the admin changelists, in whatever namespace the
    overview was included under."""

    def __init__(self, request: HttpRequest):
        match = request.resolver_match
        self.ns = f"{match.namespace}:" if match and match.namespace else ""

    def _own(self, view: str, params: Mapping[str, object] | None = None, **kwargs) -> str:
        url = reverse(f"{self.ns}{view}", kwargs=kwargs or None)
        return f"{url}?{urlencode(params)}" if params else url

    def index(self, **params) -> str:
        return self._own("overview", params)

    def apps(self, **params) -> str:
        return self._own("overview-apps", params)

    def vms(self, **params) -> str:
        return self._own("overview-vms", params)

    def export(self, name: str, **params) -> str:
        return self._own("overview-export", params, name=name)

    @staticmethod
    def admin(model: str, **params) -> str:
        url = reverse(f"admin:planner_{model}_changelist")
        return f"{url}?{urlencode(params)}" if params else url

    @staticmethod
    def change(model: str, pk: int) -> str:
        return reverse(f"admin:planner_{model}_change", args=[pk])

    def target_admin(self, key: str) -> str:
        """The admin's app changelist for a data target (``bt-3``: its backup target)."""
        kind, _, pk = key.partition("-")
        field = "backup_target" if kind == "bt" else "recovery_target"
        return self.admin("application", **{f"{field}__id__exact": pk})


# --- tables -------------------------------------------------------------------------------------


class Figure(tables.Column):
    """A number, formatted on the page and plain in the CSV, linked to what it counts when the
    row has ``<column>_href``; ``bad`` marks it red when the row has ``<column>_bad``."""

    def __init__(self, *args, fmt: Callable[[float], str] | None = None, **kwargs):
        kwargs.setdefault("attrs", NUM)
        kwargs.setdefault("default", "—")
        super().__init__(*args, **kwargs)
        self.fmt = fmt or (lambda v: fmt_num(v, 0))

    def render(self, value, record, bound_column):
        text = self.fmt(value) if isinstance(value, int | float) else str(value)
        href = record.get(f"{bound_column.name}_href")
        bad = record.get(f"{bound_column.name}_bad")
        title = record.get(f"{bound_column.name}_title", "")
        cls = "bad" if bad else ""
        if href:
            return format_html('<a href="{}" class="{}" title="{}">{}</a>', href, cls, title, text)
        return format_html('<span class="{}" title="{}">{}</span>', cls, title, text)

    def value(self, value, record, bound_column):
        if isinstance(value, float):
            return round(value, 2)
        return value


class Name(tables.Column):
    """A row's name, linked to the admin changelist of what it names (``name_href``), its kind
    written small below (the CSV has the kind in a column of its own)."""

    def render(self, value, record):
        href = record.get("name_href")
        kind = record.get("kind")
        note = format_html('<br><small class="quiet">{}</small>', kind) if kind else ""
        if href:
            return format_html('<a href="{}">{}</a>{}', href, value, note)
        return format_html("{}{}", value, note)

    def value(self, value):
        return value


class Text(tables.Column):
    """Words, with a tooltip from ``<column>_title`` and red when the row has ``<column>_bad``."""

    def render(self, value, record, bound_column):
        title = record.get(f"{bound_column.name}_title", "")
        cls = "bad" if record.get(f"{bound_column.name}_bad") else ""
        if title or cls:
            return format_html('<span class="{}" title="{}">{}</span>', cls, title, value)
        return value

    def value(self, value):
        return value


class OverviewTable(tables.Table):
    class Meta:
        orderable = False
        attrs = {"class": "ov-table"}
        template_name = "django_tables2/table.html"


def fmt_size(gib: float) -> str:
    """GiB up to 10,000, TiB beyond: short enough for a chart's margin."""
    if abs(gib) < 10_000:
        return f"{fmt_num(gib, 0)} GiB"
    return f"{fmt_num(gib / 1024, 1)} TiB"


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{v:,.0f} %"


class ProtectionTable(OverviewTable):
    class Meta(OverviewTable.Meta):
        pass

    name = Name(verbose_name="")
    vms_protected = Figure(verbose_name="VMs protected")
    vms_decided = Figure(verbose_name="VMs unprotected, decided")
    vms_undecided = Figure(verbose_name="VMs unprotected, no decision")
    vms_total = Figure(verbose_name="VMs")
    vms_pct = Figure(verbose_name="protected", fmt=lambda v: f"{v:,.0f} %")
    apps_protected = Figure(verbose_name="apps protected")
    apps_decided = Figure(verbose_name="apps decided")
    apps_undecided = Figure(verbose_name="apps no decision")
    apps_total = Figure(verbose_name="apps")


class SubscriptionTable(ProtectionTable):
    class Meta(OverviewTable.Meta):
        exclude = ("apps_protected", "apps_decided", "apps_undecided")


class FindingTable(OverviewTable):
    class Meta(OverviewTable.Meta):
        pass

    name = Name(verbose_name="blocking finding")
    apps = Figure(verbose_name="apps")
    findings = Figure(verbose_name="findings")


class VersionTable(OverviewTable):
    class Meta(OverviewTable.Meta):
        pass

    engine = tables.Column(verbose_name="engine")
    prices = tables.Column(verbose_name="prices")
    limits = tables.Column(verbose_name="limits")
    apps = Figure(verbose_name="apps sized with these")
    status = Text(verbose_name="")


class TargetTable(OverviewTable):
    class Meta(OverviewTable.Meta):
        pass

    name = Name(verbose_name="backup target")
    kind = tables.Column(verbose_name="kind", visible=False)
    apps = Figure(verbose_name="apps")
    vms = Figure(verbose_name="VMs")
    needed = Figure(verbose_name="storage needed (GiB)")
    free = Figure(verbose_name="free (GiB)")
    headroom = Figure(verbose_name="headroom (GiB)")
    storage_pct = Figure(verbose_name="% of free", fmt=_pct)
    ingest = Figure(verbose_name="ingest a night (GiB)")
    night = Figure(verbose_name="night capacity (GiB)")
    ingest_headroom = Figure(verbose_name="ingest headroom (GiB)")
    ingest_pct = Figure(verbose_name="% of night", fmt=_pct)
    growth = Figure(verbose_name="growth a year", fmt=lambda v: f"{v:.1%}")
    exhausted = Text(verbose_name="full on")


class CloudTable(OverviewTable):
    class Meta(OverviewTable.Meta):
        pass

    name = Name(verbose_name="recovery cloud")
    kind = tables.Column(verbose_name="kind", visible=False)
    apps = Figure(verbose_name="apps with stand-by")
    standby_vms = Figure(verbose_name="stand-by VMs")
    memory = Figure(verbose_name="stand-by memory (GiB)")
    available = Figure(verbose_name="memory for tenants (GiB)")
    memory_headroom = Figure(verbose_name="memory headroom (GiB)")
    vms_needed = Figure(verbose_name="VMs running + stand-by")
    vm_limit = Figure(verbose_name="VM limit")
    vm_headroom = Figure(verbose_name="VM headroom")
    replica_apps = Figure(verbose_name="replicating apps")
    replica = Figure(verbose_name="replica storage (GiB)")
    bandwidth = Figure(verbose_name="replication (Mbit/s)")
    status = Text(verbose_name="status")


def _cost_table(months: int) -> type[OverviewTable]:
    """A cost table with one column per month (12 or 36), then the totals."""
    attrs = {
        "Meta": type("Meta", (OverviewTable.Meta,), {}),
        "name": Name(verbose_name="target"),
        "kind": tables.Column(verbose_name="kind", visible=False),
        "apps": Figure(verbose_name="apps paying"),
    }
    for m in range(1, months + 1):
        attrs[f"m{m}"] = Figure(verbose_name=f"M{m}", fmt=lambda v: fmt_num(v, 0))
    attrs["total12"] = Figure(verbose_name="12 months (USD)", fmt=lambda v: fmt_num(v, 0))
    attrs["total36"] = Figure(verbose_name="36 months (USD)", fmt=lambda v: fmt_num(v, 0))
    attrs["prices"] = tables.Column(verbose_name="prices version")
    return type(f"CostTable{months}", (OverviewTable,), attrs)


class OnboardingTable(OverviewTable):
    class Meta(OverviewTable.Meta):
        pass

    name = Name(verbose_name="through")
    kind = tables.Column(verbose_name="kind", visible=False)
    apps = Figure(verbose_name="apps")
    vms = Figure(verbose_name="VMs")
    gib = Figure(verbose_name="initial transfer (GiB)")
    night = Figure(verbose_name="a night's capacity (GiB)")
    longest = Figure(verbose_name="longest app schedule (nights)")
    together = Figure(verbose_name="night 1 if all started at once (GiB)")
    nights = Figure(verbose_name="estate calendar (nights)")
    min_nights = Figure(verbose_name="at least (nights)")


class NightTable(OverviewTable):
    class Meta(OverviewTable.Meta):
        pass

    night = Figure(verbose_name="night")
    on = tables.Column(verbose_name="date (if started tonight)")
    vms = Figure(verbose_name="VMs starting")
    gib = Figure(verbose_name="GiB moved")
    apps = Figure(verbose_name="apps transferring")


class CalendarVmTable(OverviewTable):
    """One row per VM of the estate calendar (CSV only)."""

    class Meta(OverviewTable.Meta):
        pass

    night = tables.Column(verbose_name="estate night")
    on = tables.Column(verbose_name="date (if started tonight)")
    target = tables.Column(verbose_name="through")
    app = tables.Column(verbose_name="app")
    vm = tables.Column(verbose_name="VM")
    app_night = tables.Column(verbose_name="night of the app's schedule")
    stream = tables.Column(verbose_name="stream")
    start_minutes = tables.Column(verbose_name="start (minutes into the window)")
    duration_minutes = tables.Column(verbose_name="transfer (minutes)")
    nights_spanned = tables.Column(verbose_name="nights spanned")
    gib = tables.Column(verbose_name="GiB")


class AppTable(tables.Table):
    """The apps behind a figure."""

    name = tables.Column(
        verbose_name="app", linkify=lambda record: Links.change("application", record.pk)
    )
    tier = tables.Column(verbose_name="tier")
    scheme = tables.Column(verbose_name="scheme")
    source_cloud = tables.Column(verbose_name="source")
    data_target = tables.Column(verbose_name="data to", empty_values=())
    state = tables.Column(verbose_name="protection")
    vms = tables.Column(
        verbose_name="VMs opted in", accessor="result__protected_vm_count", default="—", attrs=NUM
    )
    blocking = tables.Column(
        verbose_name="blocking", accessor="result__blocking_count", default="—", attrs=NUM
    )
    monthly_cost = tables.Column(
        verbose_name="USD / month", accessor="result__monthly_cost", default="—", attrs=NUM
    )
    computed_at = tables.Column(
        verbose_name="sized", accessor="result__computed_at", default="never"
    )
    last_approved_at = tables.Column(verbose_name="plan approved", default="—")
    last_drill_at = tables.Column(verbose_name="last drill", default="—")

    class Meta:
        attrs = {"class": "ov-table"}
        template_name = "django_tables2/table.html"
        order_by = ("name",)

    def __init__(self, *args, target_names: Mapping[str, str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.target_names = target_names or {}

    def render_state(self, value):
        return STATE_LABELS.get(value, value)

    def render_data_target(self, value):
        return self.target_names.get(value, "—") if value else "—"

    def value_data_target(self, value):
        return self.target_names.get(value, "") if value else ""

    def render_monthly_cost(self, value):
        return fmt_num(value, 2)

    def render_computed_at(self, value, record):
        flag = " (older catalog)" if getattr(record, "is_outdated", False) else ""
        return f"{value:%Y-%m-%d}{flag}"

    def render_last_approved_at(self, value):
        return f"{value:%Y-%m-%d}"

    def render_last_drill_at(self, value):
        return f"{value:%Y-%m-%d}"


class VmTable(tables.Table):
    """The VMs behind a figure."""

    name = tables.Column(
        verbose_name="VM", linkify=lambda record: Links.change("virtualmachine", record.pk)
    )
    application = tables.Column(
        verbose_name="app",
        linkify=lambda record: Links.change("application", record.application_id),
    )
    subscription = tables.Column(verbose_name="subscription", accessor="subscription__name")
    cloud = tables.Column(verbose_name="cloud", accessor="subscription__cloud__name")
    tier = tables.Column(verbose_name="tier", accessor="application__tier")
    state = tables.Column(verbose_name="protection")
    opted_in = tables.BooleanColumn(verbose_name="opted in")
    night = tables.Column(
        verbose_name="night of the app's schedule",
        accessor="result__onboarding_night",
        default="—",
        attrs=NUM,
    )
    backup_gib = tables.Column(
        verbose_name="backup GiB", accessor="result__backup_gib", default="—", attrs=NUM
    )
    monthly_cost = tables.Column(
        verbose_name="USD / month", accessor="result__monthly_cost", default="—", attrs=NUM
    )

    class Meta:
        attrs = {"class": "ov-table"}
        template_name = "django_tables2/table.html"
        order_by = ("application", "name")

    def render_state(self, value):
        return STATE_LABELS.get(value, value)

    def render_tier(self, record):
        return record.application.get_tier_display()

    def render_backup_gib(self, value):
        return fmt_num(value, 1)

    def render_monthly_cost(self, value):
        return fmt_num(value, 2)


# --- rows for the tables ------------------------------------------------------------------------


def _protection_rows(rows: list[estate.ProtectionRow], links: Links, dimension: str) -> list[dict]:
    admin_link = {
        "cloud": lambda k: links.admin("virtualmachine", subscription__cloud__id__exact=k),
        "sub": lambda k: links.admin("virtualmachine", subscription__id__exact=k),
        "tier": lambda k: links.admin("application", tier__exact=k),
    }[dimension]
    out = []
    for r in rows:
        d = {"name": r.name, "name_href": admin_link(r.key)}
        for state in STATES:
            d[f"vms_{state}"] = r.vms.get(state)
            d[f"vms_{state}_href"] = links.vms(state=state, **r.params)
            if r.apps is not None:
                d[f"apps_{state}"] = r.apps.get(state)
                d[f"apps_{state}_href"] = links.apps(state=state, **r.params)
        d["vms_undecided_bad"] = r.vms.undecided > 0
        d["vms_total"] = r.vms.total
        d["vms_total_href"] = links.vms(**r.params)
        d["vms_pct"] = r.vms.protected_pct
        d["apps_total"] = r.app_count
        d["apps_total_href"] = links.apps(**r.params)
        out.append(d)
    return out


def _target_rows(o: estate.EstateOverview, links: Links) -> list[dict]:
    out = []
    for t in o.targets:
        ex = t.exhaustion
        out.append(
            {
                "name": t.name,
                "name_href": links.admin("application", backup_target__id__exact=t.id),
                "kind": t.kind_label,
                "apps": t.apps,
                "apps_href": links.apps(data=t.key),
                "vms": t.vms,
                "vms_href": links.vms(data=t.key, sized=1),
                "needed": t.needed_gib,
                "free": t.free_gib,
                "free_title": f"{fmt_gib(t.capacity_gib)} capacity − {fmt_gib(t.used_gib)} "
                "used outside the planner",
                "headroom": t.headroom_gib,
                "headroom_bad": t.headroom_gib < 0,
                "storage_pct": t.storage_pct,
                "storage_pct_bad": (t.storage_pct or 0) > 100,
                "ingest": t.ingest_needed_gib,
                "night": t.night_capacity_gib,
                "night_title": f"{fmt_num(t.ingest_mbps)} Mbit/s × {fmt_num(t.window_hours)} h "
                f"window, {t.streams} streams",
                "ingest_headroom": t.ingest_headroom_gib,
                "ingest_headroom_bad": t.ingest_headroom_gib < 0,
                "ingest_pct": t.ingest_pct,
                "ingest_pct_bad": (t.ingest_pct or 0) > 100,
                "growth": t.storage_growth,
                "growth_title": "the apps' VMs' growth a year, weighted by their backup storage",
                "exhausted": ex.label,
                "exhausted_bad": ex.already,
                "exhausted_title": f"storage: {t.storage_exhaustion.explanation}; "
                f"ingest: {t.ingest_exhaustion.explanation}",
            }
        )
    return out


def _cloud_rows(o: estate.EstateOverview, links: Links) -> list[dict]:
    out = []
    for c in o.clouds:
        out.append(
            {
                "name": c.name,
                "name_href": links.admin("application", recovery_target__id__exact=c.id),
                "kind": c.kind_label,
                "apps": c.apps,
                "apps_href": links.apps(standby=c.id),
                "standby_vms": c.standby_vms,
                "standby_vms_href": links.vms(standby=c.id),
                "memory": c.standby_memory_gib,
                "available": c.memory_available_gib,
                "available_title": "; ".join(c.memory_explanation),
                "memory_headroom": c.memory_headroom_gib,
                "memory_headroom_bad": (c.memory_headroom_gib or 0) < 0,
                "vms_needed": c.vms_needed,
                "vms_needed_title": f"{c.running_vms} running + {c.standby_vms} stand-by",
                "vm_limit": c.vm_limit,
                "vm_limit_title": c.vm_limit_explanation,
                "vm_headroom": c.vm_headroom,
                "vm_headroom_bad": (c.vm_headroom or 0) < 0,
                "replica_apps": c.replica_apps,
                "replica_apps_href": links.apps(data=f"rt-{c.id}"),
                "replica": c.replica_gib,
                "bandwidth": c.bandwidth_mbps,
                "status": _cloud_status(c),
                "status_bad": c.deficit,
                "status_title": "Stand-by memory and VM counts follow the VMs' sizes, not their "
                "data, so growth does not exhaust them; a new VM or a bigger size does.",
            }
        )
    return out


def _cloud_status(c: estate.CloudCapacity) -> str:
    short = []
    if c.memory_headroom_gib is not None and c.memory_headroom_gib < 0:
        short.append("memory")
    if c.vm_headroom is not None and c.vm_headroom < 0:
        short.append("VM slots")
    if short:
        return "short of " + " and ".join(short)
    return "fits" if c.is_hub else "no limit modelled"


def _cost_rows(rows: list[estate.CostRow], links: Links, months: int) -> list[dict]:
    out = []
    for r in rows:
        name_href = (
            links.target_admin(r.key)
            if r.dimension == "data"
            else links.admin("virtualmachine", subscription__id__exact=r.key)
        )
        d = {
            "name": r.name,
            "name_href": name_href,
            "kind": r.kind_label,
            "apps": r.apps,
            "apps_href": links.apps(**r.params),
            "total12": r.total(12),
            "total36": r.total(36),
            "prices": ", ".join(sorted(r.prices_versions)),
        }
        for m in range(1, months + 1):
            d[f"m{m}"] = r.months[m - 1]
        out.append(d)
    return out


def _onboarding_rows(o: estate.EstateOverview, links: Links) -> list[dict]:
    return [
        {
            "name": t.name,
            "name_href": links.target_admin(t.key),
            "kind": t.kind_label,
            "apps": t.apps,
            "apps_href": links.apps(data=t.key, **{"is": "scheduled"}),
            "vms": t.vms,
            "gib": t.gib,
            "night": t.night_capacity_gib,
            "longest": t.longest_app_nights,
            "together": t.together_peak_gib,
            "together_bad": t.night_capacity_gib is not None
            and t.together_peak_gib > t.night_capacity_gib,
            "nights": t.nights,
            "min_nights": t.min_nights,
        }
        for t in o.onboarding
    ]


def _night_rows(o: estate.EstateOverview, links: Links) -> list[dict]:
    return [
        {
            "night": n.night,
            "on": n.on.isoformat(),
            "vms": n.vms,
            "vms_href": links.vms(night=n.night) if n.vms else "",
            "gib": n.gib,
            "apps": len(n.apps),
        }
        for n in o.nights
    ]


def _calendar_vm_rows(o: estate.EstateOverview) -> list[dict]:
    names = {t.key: t.name for t in o.onboarding}
    rows = []
    for c in o.calendar:
        for s in c.slots:
            night = c.start_night + int(s["night"]) - 1
            rows.append(
                {
                    "night": night,
                    "on": (o.today + timedelta(days=night - 1)).isoformat(),
                    "target": names.get(c.target, c.target),
                    "app": c.name,
                    "vm": s["name"],
                    "app_night": s["night"],
                    "stream": s.get("stream"),
                    "start_minutes": round(float(s.get("start_offset_minutes") or 0), 1),
                    "duration_minutes": round(float(s.get("duration_minutes") or 0), 1),
                    "nights_spanned": s.get("nights_spanned") or 1,
                    "gib": round(float(s["gib"]), 2),
                }
            )
    rows.sort(key=lambda r: (r["night"], r["target"], r["app"], r["stream"] or 0, r["vm"]))
    return rows


def _finding_rows(o: estate.EstateOverview, links: Links) -> list[dict]:
    return [
        {
            "name": f.code,
            "name_href": links.admin("finding", severity__exact="blocking", code__exact=f.code),
            "apps": f.apps,
            "apps_href": links.apps(code=f.code),
            "findings": f.findings,
        }
        for f in o.blocking_by_code
    ]


def _version_rows(o: estate.EstateOverview, links: Links) -> list[dict]:
    return [
        {
            "engine": v.engine,
            "prices": v.prices,
            "limits": v.limits,
            "apps": v.apps,
            "apps_href": links.apps(versions=v.param),
            "apps_bad": not v.current,
            "status": "current" if v.current else "older catalog: re-size",
            "status_title": ""
            if v.current
            else "Catalog changes take effect at the next sizing run",
        }
        for v in o.version_rows
    ]


# The overview's tables by export name: (table class, rows builder).
def _tables(o: estate.EstateOverview, links: Links, months: int) -> dict:
    return {
        "protection-cloud": (ProtectionTable, _protection_rows(o.by_cloud, links, "cloud")),
        "protection-subscription": (
            SubscriptionTable,
            _protection_rows(o.by_subscription, links, "sub"),
        ),
        "protection-tier": (ProtectionTable, _protection_rows(o.by_tier, links, "tier")),
        "blocking-findings": (FindingTable, _finding_rows(o, links)),
        "versions": (VersionTable, _version_rows(o, links)),
        "backup-targets": (TargetTable, _target_rows(o, links)),
        "recovery-clouds": (CloudTable, _cloud_rows(o, links)),
        "cost-by-target": (_cost_table(months), _cost_rows(o.cost_by_target, links, months)),
        "cost-by-subscription": (
            _cost_table(months),
            _cost_rows(o.cost_by_subscription, links, months),
        ),
        "onboarding-targets": (OnboardingTable, _onboarding_rows(o, links)),
        "onboarding-nights": (NightTable, _night_rows(o, links)),
    }


# --- views --------------------------------------------------------------------------------------


def _context(request, title: str, **extra) -> dict:
    site = request.admin_site
    return {**site.each_context(request), "title": title, **extra}


def overview(request: HttpRequest) -> HttpResponse:
    """The estate at a glance."""
    months = 36 if request.GET.get("months") == "36" else 12
    o = estate.estate_overview()
    links = Links(request)
    made = {name: cls(rows) for name, (cls, rows) in _tables(o, links, months).items()}
    made["cost-by-subscription"].columns["name"].column.verbose_name = "subscription"
    csv = {name: links.export(name) for name in [*made, "onboarding-vms"]}
    return render(
        request,
        "admin/overview/index.html",
        _context(
            request,
            "Estate overview",
            o=o,
            months=months,
            t={name.replace("-", "_"): table for name, table in made.items()},
            csv={name.replace("-", "_"): href for name, href in csv.items()},
            exports=list(csv.items()),
            kpis=_kpis(o, links),
            glance=_glance(o, links),
            attention=_attention(o, links),
            charts=_charts(o, links, months),
            cost={
                "m1": fmt_num(o.cost_total[0], 0),
                "m12": fmt_num(o.cost_total[11], 0),
                "y1": fmt_num(o.cost(12), 0),
                "y3": fmt_num(o.cost(36), 0),
                "versions": sorted(o.cost_prices_versions.items()),
            },
            review_days=fmt_num(o.limits.get("plan.review_days", 365), 0),
            drill_days=fmt_num(o.limits.get("drill.max_age_days", 90), 0),
            paying_href=links.apps(**{"is": "paying"}),
            outdated_href=links.apps(**{"is": "outdated"}),
            unsized_href=links.apps(**{"is": "unsized"}),
            months_href=links.index(months=12 if months == 36 else 36) + "#cost",
        ),
    )


def _glance(o: estate.EstateOverview, links: Links) -> list[dict]:
    """The top of the page: protection, what blocks, capacity, cost and onboarding in six tiles,
    each opening the apps or VMs behind it (or, for a count of targets, its section)."""
    tiles = [
        {
            "value": _pct(o.vms.protected_pct),
            "label": "of the VMs protected",
            "share": f"{fmt_num(o.vms.protected, 0)} of {fmt_num(o.vms.total, 0)} VMs",
            "href": links.vms(state=PROTECTED),
            "cls": "ov-protected",
        },
        {
            "value": fmt_num(o.vms.undecided, 0),
            "label": "VMs unprotected, no decision",
            "share": "opted out, and nobody recorded why"
            if o.vms.undecided
            else "every VM protected or decided",
            "href": links.vms(state=estate.UNDECIDED),
            "cls": "ov-bad" if o.vms.undecided else "ov-ok",
        },
        {
            "value": fmt_num(o.attention["blocking"], 0),
            "label": "apps with blocking findings",
            "share": f"{len(o.blocking_by_code)} rules",
            "href": links.apps(**{"is": "blocking"}),
            "cls": "ov-bad" if o.attention["blocking"] else "ov-ok",
        },
    ]
    short = [t for t in o.targets if t.deficit] + [c for c in o.clouds if c.deficit]
    where = "; ".join(
        f"{x.name}: {_cloud_status(x)}"
        if isinstance(x, estate.CloudCapacity)
        else f"{x.name}: short of "
        + " and ".join(
            w for w, h in (("storage", x.headroom_gib), ("ingest", x.ingest_headroom_gib)) if h < 0
        )
        for x in short
    )
    one = short[0] if len(short) == 1 else None
    tiles.append(
        {
            "value": fmt_num(len(short), 0),
            "label": "targets short of capacity now",
            "share": where or f"of {len(o.targets)} backup targets and {len(o.clouds)} clouds",
            "href": (
                links.apps(standby=one.id)
                if isinstance(one, estate.CloudCapacity)
                else links.apps(data=one.key)
                if one
                else "#capacity"
            ),
            "cls": "ov-bad" if short else "ov-ok",
        }
    )
    coming = sorted(
        (t.exhaustion.on, t) for t in o.targets if t.exhaustion.on and not t.exhaustion.already
    )
    if coming:
        on, t = coming[0]
        tiles.append(
            {
                "value": on.isoformat(),
                "label": "first backup target full by growth",
                "share": t.name,
                "href": links.apps(data=t.key),
                "cls": "ov-warn" if (on - o.today).days < 365 else "",
            }
        )
    tiles.append(
        {
            "value": f"USD {fmt_num(o.cost(12), 0)}",
            "label": "public-cloud cost, next 12 months",
            "share": f"36 months: USD {fmt_num(o.cost(36), 0)}; "
            f"{o.attention['paying']} apps paying",
            "href": links.apps(**{"is": "paying"}),
            "cls": "",
        }
    )
    if o.nights:
        tiles.append(
            {
                "value": f"{len(o.nights)} nights",
                "label": "to onboard the opted-in VMs",
                "share": f"{fmt_num(sum(n.vms for n in o.nights), 0)} VMs, "
                f"{fmt_size(sum(n.gib for n in o.nights))}",
                "href": "#onboarding",
                "cls": "",
            }
        )
    return tiles


def _kpis(o: estate.EstateOverview, links: Links) -> list[dict]:
    out = []
    for what, counts, link in (("VMs", o.vms, links.vms), ("apps", o.apps, links.apps)):
        for state in STATES:
            n = counts.get(state)
            out.append(
                {
                    "label": f"{what} {STATE_LABELS[state].lower()}",
                    "value": fmt_num(n, 0),
                    "share": f"{100 * n / counts.total:.0f} % of {fmt_num(counts.total, 0)}"
                    if counts.total
                    else "",
                    "href": link(state=state),
                    "state": state,
                }
            )
    return out


def _attention(o: estate.EstateOverview, links: Links) -> list[dict]:
    order = (
        "blocking",
        "plan_stale",
        "review_overdue",
        "review_soon",
        "no_plan",
        "drill_overdue",
        "drill_never",
        "unsized",
        "outdated",
        "edited",
    )
    return [
        {
            "label": estate.CONDITION_LABELS[name],
            "value": o.attention[name],
            "href": links.apps(**{"is": name}),
            "bad": o.attention[name] > 0,
        }
        for name in order
    ]


def _charts(o: estate.EstateOverview, links: Links, months: int) -> dict:
    legend = [(STATE_LABELS[s], STATE_COLOURS[s]) for s in STATES]

    def protection(rows, dimension, label):
        return charts.stacked_bars(
            [
                (
                    r.name,
                    [
                        charts.Segment(
                            r.vms.get(s),
                            STATE_COLOURS[s],
                            links.vms(state=s, **{dimension: r.key}),
                            f"{r.name}: {fmt_num(r.vms.get(s), 0)} VMs {STATE_LABELS[s].lower()}",
                        )
                        for s in STATES
                    ],
                )
                for r in rows
            ],
            legend,
            title=f"VMs by {label}",
            percent=False,
        )

    storage = [
        charts.Bar(t.name, t.needed_gib, t.free_gib, links.apps(data=t.key)) for t in o.targets
    ]
    ingest = [
        charts.Bar(t.name, t.ingest_needed_gib, t.night_capacity_gib, links.apps(data=t.key))
        for t in o.targets
    ]
    hubs = [c for c in o.clouds if c.is_hub]
    memory = [
        charts.Bar(c.name, c.standby_memory_gib, c.memory_available_gib, links.apps(standby=c.id))
        for c in hubs
    ]
    vm_count = [
        charts.Bar(c.name, c.vms_needed, c.vm_limit, links.apps(standby=c.id)) for c in hubs
    ]
    cost_series = [(r.name, r.months[:months]) for r in o.cost_by_target]
    nights = o.nights
    return {
        "tier": protection(o.by_tier, "tier", "priority tier"),
        "cloud": protection(o.by_cloud, "cloud", "cloud"),
        "storage": charts.capacity_bars(
            storage, title="Backup storage needed vs free", unit="GiB", fmt=fmt_size
        ),
        "ingest": charts.capacity_bars(
            ingest, title="Nightly ingest needed vs a night's capacity", unit="GiB", fmt=fmt_size
        ),
        "memory": charts.capacity_bars(
            memory, title="Stand-by memory vs memory for tenant VMs (ASH)", unit="GiB", fmt=fmt_size
        ),
        "vm_count": charts.capacity_bars(
            vm_count, title="VMs running + stand-by vs the VM limit (ASH)", unit="VMs"
        ),
        "cost": charts.stacked_columns(
            [f"M{m}" for m in range(1, months + 1)],
            cost_series,
            title=f"Public-cloud cost per month by target, {months} months "
            f"(total {fmt_money(o.cost(months))})",
            unit="USD / month",
            width=1100,
        ),
        "onboarding": charts.stacked_columns(
            [str(n.night) for n in nights],
            [(t.name, [t.gib_by_night.get(n.night, 0.0) for n in nights]) for t in o.onboarding],
            title="Estate onboarding calendar: GiB moved per night by target",
            unit="GiB / night",
            width=1100,
            hrefs=[links.vms(night=n.night) if n.vms else "" for n in nights],
        ),
    }


def app_list(request: HttpRequest) -> HttpResponse:
    """The apps behind a figure (the overview's links say which), with CSV."""
    params = _params(request)
    try:
        qs, said = estate.filter_apps(params)
    except estate.BadFilter as exc:
        return HttpResponseBadRequest(str(exc))
    qs = qs.select_related("source_cloud", "result")
    names = estate.target_names()
    table = AppTable(qs, target_names=names)
    return _list(request, table, said, "apps", params)


def vm_list(request: HttpRequest) -> HttpResponse:
    """The VMs behind a figure, with CSV."""
    params = _params(request)
    try:
        qs, said = estate.filter_vms(params)
    except estate.BadFilter as exc:
        return HttpResponseBadRequest(str(exc))
    qs = qs.select_related("application", "subscription__cloud", "result")
    return _list(request, VmTable(qs), said, "VMs", params)


def _params(request: HttpRequest) -> dict[str, str]:
    return {k: v for k, v in request.GET.items() if k not in ("page", "sort", "export")}


def _list(request, table, said, what, params) -> HttpResponse:
    if request.GET.get("export") == "csv":
        rows = table.as_values()
        header = next(rows)
        return csv_response(f"overview-{what.lower()}.csv", header, rows)
    tables.RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    links = Links(request)
    csv_href = "?" + urlencode({**params, "export": "csv"})
    return render(
        request,
        "admin/overview/list.html",
        _context(
            request,
            f"{what[0].upper()}{what[1:]}: " + ("; ".join(said) if said else "all"),
            table=table,
            what=what,
            count=table.paginator.count,
            csv_href=csv_href,
            overview_href=links.index(),
        ),
    )


def export(request: HttpRequest, name: str) -> HttpResponse:
    """One of the overview's tables as CSV (costs month by month, all 36 months)."""
    o = estate.estate_overview()
    links = Links(request)
    filename = f"estate-{name}-{o.today.isoformat()}.csv"
    if name == "onboarding-vms":
        # One row per VM of the estate (10,000 and more): its rows hold finished values already,
        # so they are written straight under the table's headers, not cell by cell through it.
        rows = _calendar_vm_rows(o)
        columns = list(CalendarVmTable(rows[:1]).columns)
        values = ([row[c.name] for c in columns] for row in rows)
        return csv_response(filename, [c.header for c in columns], values)
    made = _tables(o, links, 36)
    if name not in made:
        return HttpResponseBadRequest(f"no table {name!r}: use one of {', '.join(made)}")
    cls, rows = made[name]
    values = cls(rows).as_values()
    header = next(values)
    return csv_response(filename, header, values)


__all__ = ["overview_urls"]
