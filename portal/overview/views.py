"""The operators' estate overview in the admin: protection, capacity, cost and onboarding at a
glance, with a drill-down behind every figure and every table as CSV.

The figures come from ``planner.services.estate``; this module only lays them out: tables
(``portal.overview.tables``), charts (``planner.charts``) and links. The pages are wired, for
operators only, by ``portal.overview.urls.overview_urls``.
"""

from __future__ import annotations

from urllib.parse import urlencode

import django_tables2 as tables
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render

from planner import charts
from planner.exports import csv_response
from planner.services.estate.capacity import CloudCapacity
from planner.services.estate.queries import (
    CONDITION_LABELS,
    DECIDED,
    PROTECTED,
    STATE_LABELS,
    STATES,
    UNDECIDED,
    target_names,
)
from planner.services.estate.rollup import EstateOverview, estate_overview
from planner.units import fmt_money, fmt_num
from portal.overview.filters import BadFilter, filter_apps, filter_vms
from portal.overview.tables import (
    AppTable,
    CalendarVmTable,
    Links,
    VmTable,
    calendar_vm_rows,
    cloud_status,
    fmt_pct,
    fmt_size,
    overview_tables,
)

STATE_COLOURS = {PROTECTED: charts.OK, DECIDED: "#8fa3b8", UNDECIDED: charts.BAD}


PER_PAGE = 50


def _context(request, title: str, **extra) -> dict:
    site = request.admin_site
    return {**site.each_context(request), "title": title, **extra}


def overview(request: HttpRequest) -> HttpResponse:
    """The estate at a glance."""
    months = 36 if request.GET.get("months") == "36" else 12
    o = estate_overview()
    links = Links(request)
    made = {name: cls(rows) for name, (cls, rows) in overview_tables(o, links, months).items()}
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


def _glance(o: EstateOverview, links: Links) -> list[dict]:
    """The top of the page: protection, what blocks, capacity, cost and onboarding in six tiles,
    each opening the apps or VMs behind it (or, for a count of targets, its section)."""
    tiles = [
        {
            "value": fmt_pct(o.vms.protected_pct),
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
            "href": links.vms(state=UNDECIDED),
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
        f"{x.name}: {cloud_status(x)}"
        if isinstance(x, CloudCapacity)
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
                if isinstance(one, CloudCapacity)
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


def _kpis(o: EstateOverview, links: Links) -> list[dict]:
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


def _attention(o: EstateOverview, links: Links) -> list[dict]:
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
            "label": CONDITION_LABELS[name],
            "value": o.attention[name],
            "href": links.apps(**{"is": name}),
            "bad": o.attention[name] > 0,
        }
        for name in order
    ]


def _charts(o: EstateOverview, links: Links, months: int) -> dict:
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
        qs, said = filter_apps(params)
    except BadFilter as exc:
        return HttpResponseBadRequest(str(exc))
    qs = qs.select_related("source_cloud", "result")
    names = target_names()
    table = AppTable(qs, target_names=names)
    return _list(request, table, said, "apps", params)


def vm_list(request: HttpRequest) -> HttpResponse:
    """The VMs behind a figure, with CSV."""
    params = _params(request)
    try:
        qs, said = filter_vms(params)
    except BadFilter as exc:
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
    o = estate_overview()
    links = Links(request)
    filename = f"estate-{name}-{o.today.isoformat()}.csv"
    if name == "onboarding-vms":
        # One row per VM of the estate (10,000 and more): its rows hold finished values already,
        # so they are written straight under the table's headers, not cell by cell through it.
        rows = calendar_vm_rows(o)
        columns = list(CalendarVmTable(rows[:1]).columns)
        values = ([row[c.name] for c in columns] for row in rows)
        return csv_response(filename, [c.header for c in columns], values)
    made = overview_tables(o, links, 36)
    if name not in made:
        return HttpResponseBadRequest(f"no table {name!r}: use one of {', '.join(made)}")
    cls, rows = made[name]
    values = cls(rows).as_values()
    header = next(values)
    return csv_response(filename, header, values)
