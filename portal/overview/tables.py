"""The overview's tables (django-tables2, also the CSV columns), the rows they show from
``planner.services.estate``, and the links behind every figure."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import timedelta
from urllib.parse import urlencode

import django_tables2 as tables
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from planner.services.estate.capacity import CloudCapacity
from planner.services.estate.costs import CostRow
from planner.services.estate.queries import STATE_LABELS, STATES
from planner.services.estate.rollup import EstateOverview, ProtectionRow
from planner.units import fmt_gib, fmt_num

NUM = {"td": {"class": "num"}, "th": {"class": "num"}}


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


def fmt_pct(v: float | None) -> str:
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
    storage_pct = Figure(verbose_name="% of free", fmt=fmt_pct)
    ingest = Figure(verbose_name="ingest a night (GiB)")
    night = Figure(verbose_name="night capacity (GiB)")
    ingest_headroom = Figure(verbose_name="ingest headroom (GiB)")
    ingest_pct = Figure(verbose_name="% of night", fmt=fmt_pct)
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


def _protection_rows(rows: list[ProtectionRow], links: Links, dimension: str) -> list[dict]:
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


def _target_rows(o: EstateOverview, links: Links) -> list[dict]:
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


def _cloud_rows(o: EstateOverview, links: Links) -> list[dict]:
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
                "status": cloud_status(c),
                "status_bad": c.deficit,
                "status_title": "Stand-by memory and VM counts follow the VMs' sizes, not their "
                "data, so growth does not exhaust them; a new VM or a bigger size does.",
            }
        )
    return out


def cloud_status(c: CloudCapacity) -> str:
    short = []
    if c.memory_headroom_gib is not None and c.memory_headroom_gib < 0:
        short.append("memory")
    if c.vm_headroom is not None and c.vm_headroom < 0:
        short.append("VM slots")
    if short:
        return "short of " + " and ".join(short)
    return "fits" if c.is_hub else "no limit modelled"


def _cost_rows(rows: list[CostRow], links: Links, months: int) -> list[dict]:
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


def _onboarding_rows(o: EstateOverview, links: Links) -> list[dict]:
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


def _night_rows(o: EstateOverview, links: Links) -> list[dict]:
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


def calendar_vm_rows(o: EstateOverview) -> list[dict]:
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


def _finding_rows(o: EstateOverview, links: Links) -> list[dict]:
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


def _version_rows(o: EstateOverview, links: Links) -> list[dict]:
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
def overview_tables(o: EstateOverview, links: Links, months: int) -> dict:
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
