"""A plan revision's PDF: snapshot -> template context -> HTML (templates/reports/plan.html)
-> PDF through WeasyPrint with the locked URL fetcher; and the CSV VM annex of large apps.

Everything printed comes from the snapshot (and, for the sign-off block, the revision's
decision, waivers and audit trail), never from the live database: a signed plan reads the same
years later. Figures are formatted here with ``planner.units`` so the PDF reads like the
engine's explanations and the portal.

Memory and time grow with the document (RELIABILITY.md: 2,000 rows, 49 pages, 236 MiB), so an
app of more than ``ANNEX_CSV_OVER_VMS`` VMs gets its VM annex as a CSV beside the PDF, whose
SHA-256 the PDF prints; rendering runs in the ``reports`` worker (``planner.tasks``).
"""

from __future__ import annotations

import csv
import io
import logging
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from planner.assess import FIGURE_SOURCES
from planner.charts import cost_chart, storage_chart
from planner.exports import safe_cell
from planner.labels import plan_state_banner, scheme_title
from planner.reports.canonical import sha256_hex
from planner.reports.columns import Column, text_columns
from planner.reports.fetcher import FetchRefused, LockedURLFetcher
from planner.units import (
    fmt_duration,
    fmt_gib,
    fmt_hours,
    fmt_mbps,
    fmt_money,
    fmt_num,
)

log = logging.getLogger(__name__)

ANNEX_CSV_OVER_VMS = 300  # more VMs than this: the VM annex goes to a CSV beside the PDF
PAPERS = {"a4": "A4", "letter": "letter"}
TEMPLATE = "reports/plan.html"
SEVERITY_LABELS = {"blocking": "Blocking", "warning": "Warning", "info": "Info"}
KIND_NAMES = {
    "azure_stack_hub": "another Azure Stack Hub",
    "azure": "global Azure",
    "service_provider": "a trusted service provider",
}
ROLE_LABELS = {"database": "Database", "middleware": "Middleware", "web": "Web", "other": "Other"}
# Annex A's columns after the VM and its resource group: one monospaced cell per VM
# (planner/reports/columns.py says why).
ANNEX_FIGURES = (
    Column("os", "OS"),
    Column("size", "Size", wrap=18),
    Column("role", "Role", wrap=16),
    Column("protected", "Prot."),
    Column("disks", "Disks", right=True),
    Column("used", "Used GiB", right=True),
    Column("provisioned", "Prov. GiB", right=True),
    Column("backup", "Backup GiB", right=True),
    Column("replica", "Replica GiB", right=True),
    Column("group", "Boot group", right=True),
    Column("night", "Night", right=True),
    Column("cost", "USD / month", right=True),
)


class RenderError(Exception):
    """The PDF could not be rendered (the message says why)."""


@dataclass(frozen=True)
class Decision:
    """The sign-off block's content: who decided, when, what they wrote."""

    state: str
    by: str = ""
    at: datetime | None = None
    comment: str = ""


@dataclass(frozen=True)
class RevisionMeta:
    """What the PDF prints beside the snapshot: state, hash, decision, waivers, audit trail.

    ``waivers``: dicts with code, by, at (datetime), justification. ``transitions``: dicts with
    at, by, from_state, to_state, comment.
    """

    state: str
    sha256: str
    decision: Decision | None = None
    waivers: tuple[dict, ...] = ()
    transitions: tuple[dict, ...] = ()


@dataclass
class RenderedPlan:
    pdf: bytes
    pages: int
    annex_csv: bytes | None = None
    seconds: float = 0.0
    fetched: list[str] = field(default_factory=list)

    @property
    def pdf_sha256(self) -> str:
        return sha256_hex(self.pdf)


# --- formatting -------------------------------------------------------------------------------


def dur(minutes, none: str = "unrecoverable") -> str:
    if minutes is None:
        return none
    try:
        return fmt_duration(float(minutes))
    except ValueError:
        return none


def when(value) -> str:
    """An ISO string or datetime as "2025-11-25 10:23 UTC"."""
    if not value:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is not None:
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return value.strftime("%Y-%m-%d %H:%M")


def day(value) -> str:
    return when(value)[:10] if value else "—"


def names_list(names, limit: int = 12) -> str:
    names = list(names)
    if len(names) > limit:
        return ", ".join(names[:limit]) + f" and {len(names) - limit} more"
    return ", ".join(names)


# --- the context --------------------------------------------------------------------------------


def _objectives(s: dict) -> tuple[list[dict], bool]:
    inputs, res = s["inputs"], s["result"]
    rec = res["detail"].get("recommendation") or {}
    rto, rpo = inputs["rto_minutes"], inputs["rpo_minutes"]
    eff_rto = rec.get("rto_minutes", rto)
    eff_rpo = rec.get("rpo_minutes", rpo)
    cap_rto, cap_rpo = res["rto_capability_minutes"], res["rpo_capability_minutes"]
    mttr = res["mttr_minutes"]
    rows = []

    def objective(value, effective):
        text = dur(value)
        if effective is not None and effective < value:
            text += f" (tightened to {dur(effective)} by dependent apps)"
        return text

    def met(cap, goal):
        return cap is not None and goal is not None and cap <= goal + 1e-9

    rows.append(
        {
            "what": "Recovery time (RTO)",
            "objective": objective(rto, eff_rto),
            "capability": dur(cap_rto),
            "ok": met(cap_rto, eff_rto),
        }
    )
    rows.append(
        {
            "what": "Recovery point (RPO)",
            "objective": objective(rpo, eff_rpo),
            # None: no protection (complete loss), or a link too slow for the change (backlog).
            "capability": dur(
                cap_rpo,
                "complete data loss"
                if (s.get("scheme") or {}).get("name", "none") == "none"
                else "unbounded: the link is too slow, the backlog grows",
            ),
            "ok": met(cap_rpo, eff_rpo),
        }
    )
    rows.append(
        {
            "what": "Mean time to recover (MTTR, from drills)",
            "objective": f"≤ RTO {dur(eff_rto)}",
            "capability": dur(mttr, "unknown: no drill recorded"),
            "ok": met(mttr, eff_rto) if mttr is not None else None,
        }
    )
    if inputs.get("mtpd_minutes") is not None:
        rows.append(
            {
                "what": "Max. tolerable disruption (MTPD)",
                "objective": f"RTO ≤ {dur(inputs['mtpd_minutes'])}",
                "capability": f"RTO {dur(rto)}",
                "ok": rto <= inputs["mtpd_minutes"],
            }
        )
    return rows, all(r["ok"] is not False for r in rows)


def count(n: int, word: str) -> str:
    """ "1 warning", "3 warnings"."""
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _verdict(s: dict, waived: set[str], objectives_ok: bool, state: str) -> dict:
    """The plan's verdict for the cover: can it be signed, and is it (state)?"""
    blocking = [f for f in s["findings"] if f["severity"] == "blocking"]
    open_ = [f for f in blocking if f["code"] not in waived]
    n_warnings = sum(1 for f in s["findings"] if f["severity"] == "warning")
    warnings = count(n_warnings, "warning")
    if open_:
        codes = sorted({f["code"] for f in open_})
        verdict = {
            "ok": False,
            "title": "Not approvable",
            "text": f"{count(len(open_), 'blocking finding')} without a waiver "
            f"({', '.join(codes)}). Fix them and create a new revision, or record a waiver "
            "with its justification.",
        }
    elif blocking:
        verdict = {
            "ok": True,
            "title": "Approvable with waivers",
            "text": f"{count(len(blocking), 'blocking finding')}, each waived with a recorded "
            f"justification (section 7); {warnings}.",
        }
    else:
        text = "No blocking finding" + (f"; {warnings} to review." if n_warnings else ".")
        if objectives_ok:
            text = "The plan meets the app's objectives. " + text
        verdict = {"ok": True, "title": "Approvable", "text": text}
    if state == "approved":
        verdict["title"] = verdict["title"].replace("Approvable", "Approved")
    elif state == "rejected":
        verdict = {**verdict, "ok": False, "title": f"Rejected ({verdict['title'].lower()})"}
    return verdict


def _boot(s: dict) -> dict:
    boot = s["result"]["detail"].get("boot") or {}
    names = {v["id"]: v["name"] for v in s["vms"]}
    groups = [
        {"n": i, "count": len(g), "vms": ", ".join(names.get(v, f"VM {v}") for v in g)}
        for i, g in enumerate(boot.get("groups", ()), 1)
    ]
    return {
        "groups": groups,
        "failover": boot.get("failover", []),
        "failback": boot.get("failback", []),
        "shutdown": boot.get("shutdown", []),
        "notes": boot.get("notes", []),
        "cycle": [names.get(v, f"VM {v}") for v in boot.get("cycle", [])],
        "manual_steps": s["inputs"].get("manual_steps", []),
    }


def _schedule(s: dict) -> dict | None:
    sched = s["result"]["detail"].get("schedule")
    if not sched:
        return None
    nights: dict[int, dict] = defaultdict(lambda: {"count": 0, "gib": 0.0, "names": [], "on": None})
    for slot in sched.get("slots", ()):
        n = nights[slot["night"]]
        n["count"] += 1
        n["gib"] += slot["gib"]
        n["names"].append(slot["name"])
        n["on"] = n["on"] or slot.get("on")
        n["last"] = max(n.get("last", 0), slot["night"] + slot.get("nights_spanned", 1) - 1)
    rows = [
        {
            "night": k,
            "on": day(v["on"]) if v["on"] else "",
            "count": v["count"],
            "gib": fmt_gib(v["gib"]),
            "names": names_list(v["names"], 10),
            "last": v["last"],
        }
        for k, v in sorted(nights.items())
    ]
    return {
        "summary": f"{sched['nights']} night(s), {fmt_hours(sched['total_hours'])} elapsed, "
        f"{fmt_gib(sched['total_gib'])} to move; goal {fmt_hours(sched['goal_hours'])}: "
        + ("met" if sched.get("within_goal") else "not met"),
        "within_goal": sched.get("within_goal"),
        "explanation": sched.get("explanation", []),
        "warnings": sched.get("warnings", []),
        "nights": rows,
    }


TARGET_KINDS = {
    "existing_external": "external target already in the datacenter",
    "dedicated_external": "external target dedicated to Azure Stack Hub",
    "azure": "global Azure (Azure Backup)",
    "service_provider": "trusted service provider",
    "same_cloud_appliance": "virtual appliance on the same Azure Stack Hub cloud",
    "rack_appliance": "physical appliance in the Azure Stack Hub rack",
}
METHODS = {
    "forever_forward": "forever forward incremental",
    "reverse": "reverse incremental",
    "forward_periodic_full": "forward incremental with periodic active fulls",
    "forward_periodic_synthetic_full": "forward incremental with periodic synthetic fulls",
}


def _settings_rows(inputs: dict) -> list[tuple[str, str, str]]:
    """Backup target, policy and product as (what, name, description) rows."""
    rows = []
    t = inputs.get("backup_target")
    if t:
        desc = (
            f"{TARGET_KINDS.get(t['kind'], t['kind'])}; capacity {fmt_gib(t['capacity_gib'])} "
            f"({fmt_gib(t['used_gib'])} used outside the planner), ingest "
            f"{fmt_mbps(t['ingest_mbps'])}, {t['streams']} streams, "
            f"{fmt_hours(t['window_hours'])} window"
        )
        if t.get("continuous_external_copy"):
            desc += "; continuously copied to an external location"
        rows.append(("Backup target", t["name"], desc))
    else:
        rows.append(("Backup target", "none", ""))
    p = inputs.get("policy")
    if p:
        desc = (
            f"{METHODS.get(p['method'], p['method'])}"
            + (f", a full every {p['full_every']} runs" if p.get("full_every") else "")
            + f"; every {dur(p['interval_minutes'])}, {p['retention_points']} restore points"
        )
        if p["gfs_weekly"] or p["gfs_monthly"] or p["gfs_yearly"]:
            desc += (
                f"; GFS {p['gfs_weekly']} weekly, {p['gfs_monthly']} monthly, "
                f"{p['gfs_yearly']} yearly"
            )
        if p.get("reduction") is None:
            desc += "; reduction: the product's figure (0.5 when it states none)"
        else:
            desc += f"; reduction {p['reduction']:g} (stored/original)"
        desc += f"; Azure storage {(p.get('redundancy') or 'lrs').upper()}"
        rows.append(("Backup policy", p["name"], desc))
    else:
        rows.append(("Backup policy", "none", ""))
    pr = inputs.get("product")
    if pr:
        os_ = [
            n
            for n, ok in (("Windows", pr["supports_windows"]), ("Linux", pr["supports_linux"]))
            if ok
        ]
        desc = (
            f"{'Microsoft' if pr['vendor'] == 'microsoft' else 'partner'} product, "
            f"{'guest OS' if pr['level'] == 'guest' else pr['level']} level; "
            f"protects {' and '.join(os_) or 'no OS'}; schemes: "
            + ", ".join(x.replace("_", " ") for x in pr["schemes"])
        )
        if pr.get("reduction") is not None:
            desc += f"; data reduction {pr['reduction']:g}"
        if pr.get("chain") == "periodic_full":
            desc += f"; periodic fulls (every {pr.get('full_every', 7)} runs)"
        elif pr.get("chain"):
            desc += "; incrementals forever"
        rows.append(("Product", pr["name"], desc))
    else:
        rows.append(("Product", "none", ""))
    return rows


def _vm_rows(s: dict) -> list[dict]:
    rows = []
    for v in s["vms"]:
        r = v.get("result") or {}
        decision = v.get("no_protection")
        rows.append(
            {
                "decision": (
                    f"{decision['why']} (recorded by {decision['by'] or 'unknown'} on "
                    f"{when(decision['at'])})"
                    if decision
                    else ""
                ),
                "name": v["name"],
                "rg": v["resource_group"],
                "os": "Win" if v["os_type"] == "windows" else "Linux",
                "size": v["size"] or "—",
                "role": ROLE_LABELS.get(v["role"], v["role"])
                + (
                    (" (scale set, kept in backup)" if v.get("keep_in_backup") else " (scale set)")
                    if v["scale_set"]
                    else ""
                ),
                "protected": "yes" if v["opted_in"] else ("no, decided" if decision else "no"),
                "disks": v["disks"],
                "used": fmt_num(v["used_gib"], 1),
                "provisioned": fmt_num(v["provisioned_gib"], 1),
                "backup": fmt_num(r["backup_gib"], 1) if r else "—",
                "replica": fmt_num(r["replica_gib"], 1) if r else "—",
                "group": r.get("boot_group") or "—",
                "night": r.get("onboarding_night") or "—",
                "cost": fmt_num(r["monthly_cost"], 2) if r else "—",
                "explanation": r.get("explanation", []) if r else [],
            }
        )
    return rows


def plan_context(
    snapshot: dict,
    meta: RevisionMeta,
    *,
    paper: str = "A4",
    annex_csv_sha256: str | None = None,
    annex_csv_name: str = "",
) -> dict:
    """Everything the template prints, formatted; pure (no database)."""
    s = snapshot
    inputs, res, detail = s["inputs"], s["result"], s["result"]["detail"]
    sources = detail.get("sources") or FIGURE_SOURCES
    waivers = {w["code"]: w for w in meta.waivers}
    objectives, objectives_ok = _objectives(s)
    rec = detail.get("recommendation") or {}
    cost = detail.get("cost_by_month") or []
    findings = []
    for f in s["findings"]:
        w = waivers.get(f["code"]) if f["severity"] == "blocking" else None
        findings.append(
            {
                **f,
                "severity_label": SEVERITY_LABELS.get(f["severity"], f["severity"]),
                "vms": names_list(f["vm_names"], 8),
                "waiver": {**w, "at": when(w["at"])} if w else None,
            }
        )
    drills = detail.get("drills") or {}
    in_csv = annex_csv_sha256 is not None
    vm_rows = _vm_rows(s)
    annex_figures = None  # annex A's figures column (none when the VM table is the CSV)
    if not in_csv:
        header, texts, chars = text_columns(ANNEX_FIGURES, vm_rows)
        for row, text in zip(vm_rows, texts, strict=True):
            row["figures"] = text
        annex_figures = {"header": header, "chars": chars}
    return {
        "paper": PAPERS.get(paper.lower(), "A4"),
        "s": s,
        "app": s["app"],
        "inputs": inputs,
        "state": meta.state,
        "state_label": plan_state_banner(meta.state),
        "draft": meta.state == "draft",
        "sha256": meta.sha256,
        "revision": s["revision"]["number"],
        "created_at": when(s["revision"]["created_at"]),
        "created_by": s["revision"]["created_by_name"],
        "computed_at": when(res["computed_at"]),
        "versions": s["versions"],
        "objectives": objectives,
        "verdict": _verdict(s, set(waivers), objectives_ok, meta.state),
        "scheme": s["scheme"],
        "recommended": rec.get("scheme") or "",
        "recommended_label": scheme_title(rec.get("scheme") or ""),
        "recommendation_reasons": rec.get("reasons", []),
        "candidates": [
            {
                "scheme": c["scheme"].replace("_", " "),
                "target": (c.get("target") or {}).get("name", "—"),
                "cost": "—" if c.get("monthly_cost") is None else fmt_num(c["monthly_cost"], 2),
                "recommended": bool(
                    rec.get("target")
                    and c.get("target") == rec.get("target")
                    and c["scheme"] == rec.get("scheme")
                ),
                "ok": c["ok"],
                "why": c["why"],
                "rto": dur(c["capability"]["rto_minutes"]),
                "rpo": dur(c["capability"]["rpo_minutes"], "complete data loss"),
            }
            for c in rec.get("candidates", [])
        ],
        "figures": [
            (label, value, sources.get(key, ""))
            for label, value, key in (
                (
                    "VMs protected",
                    f"{res['protected_vm_count']:,} of {res['vm_count']:,}",
                    "",
                ),
                ("Used data now", fmt_gib(res["used_gib"]), "used_gib"),
                ("Backup storage on the target", fmt_gib(res["backup_gib"]), "backup_gib"),
                ("Replica storage on the target", fmt_gib(res["replica_gib"]), "replica_gib"),
                (
                    "Daily change (churn)",
                    f"{fmt_gib(res['churn_gib_day'])}/day",
                    "churn_gib_day",
                ),
                ("Bandwidth needed", fmt_mbps(res["bandwidth_mbps"]), "bandwidth_mbps"),
                (
                    "Initial seeding / first full",
                    fmt_hours(res["seeding_hours"]),
                    "seeding_hours",
                ),
                (
                    "Stand-by compute on the target",
                    f"{fmt_num(res['standby_vcpu'], 1)} vCPU, {fmt_gib(res['standby_memory_gib'])}",
                    "standby_vcpu",
                ),
                ("ASR appliances", f"{res['asr_appliances']}", "asr_appliances"),
                ("Public cloud, steady month", fmt_money(res["monthly_cost"]), "monthly_cost"),
            )
        ],
        "target_hub_lines": detail.get("target_hub") or [],
        "capability_source": sources.get("rto_capability_minutes", ""),
        "hub_source": sources.get("hub_memory", ""),
        "topology": s["topology"],
        "settings_rows": _settings_rows(inputs),
        "sovereignty": {
            "kinds": ", ".join(KIND_NAMES.get(k, k) for k in inputs["allowed_target_kinds"]),
            "countries": s["app"]["allowed_countries"] or "any",
        },
        "sizing_lines": detail.get("explanation", []),
        "capability_lines": (detail.get("capability") or {}).get("explanation", []),
        "appliances": detail.get("appliances") or {},
        "storage_svg": mark_safe(storage_chart(detail.get("storage_by_point") or [])),  # noqa: S308 - escaped by charts
        "cost_svg": mark_safe(cost_chart(cost, months=36)),  # noqa: S308 - escaped by charts
        "cost_rows": [(m, fmt_money(cost[m - 1])) for m in (1, 6, 12, 24, 36) if m <= len(cost)],
        # Nothing billed in any month: a sentence says so instead of a flat, empty chart.
        "cost_zero": not any(cost),
        # The engine's own totals, quoted rather than re-added from rounded months.
        "cost_lines": [
            line
            for line in detail.get("explanation", [])
            if line.startswith(("monthly cost", "month ", "12-month total"))
        ],
        "boot": _boot(s),
        "schedule": _schedule(s),
        "findings": findings,
        "counts": {
            sev: sum(1 for f in s["findings"] if f["severity"] == sev)
            for sev in ("blocking", "warning", "info")
        },
        "waivers": [{**w, "at": when(w["at"])} for w in meta.waivers],
        "drills": {
            "count": drills.get("count", 0),
            "mttr": dur(drills.get("mttr_minutes"), "unknown"),
            "achieved_rpo": dur(drills.get("achieved_rpo_minutes"), "unknown"),
            "last": day(drills.get("last_at")),
            "explanation": drills.get("explanation", []),
            "rows": [
                {
                    "kind": d["kind"],
                    "started": when(d["started_at"]),
                    "restored": when(d["restored_at"]),
                    "took": dur(d["recovery_minutes"]),
                    "loss": dur(d["data_loss_minutes"]),
                    "notes": d["notes"],
                }
                for d in s["drills"]
            ],
        },
        "vm_count": len(vm_rows),
        "vms": None if in_csv else vm_rows,
        "annex_figures": annex_figures,
        "decided_vms": [v for v in vm_rows if v["decision"]],
        "annex_csv": {"sha256": annex_csv_sha256, "name": annex_csv_name} if in_csv else None,
        "decision": meta.decision,
        "decided_at": when(meta.decision.at) if meta.decision and meta.decision.at else "",
        "transitions": [
            {**t, "at": when(t["at"]), "from_state": t["from_state"] or "—"}
            for t in meta.transitions
        ],
        "submitted": next(
            (
                {"by": t["by"], "at": when(t["at"])}
                for t in reversed(meta.transitions)
                if t["to_state"] == "submitted"
            ),
            None,
        ),
    }


# --- rendering ----------------------------------------------------------------------------------


def static_root() -> Path:
    return Path(settings.STATICFILES_DIRS[0])


def render_html(context: dict) -> str:
    return render_to_string(TEMPLATE, context)


def _refuse_attachments(document) -> None:
    """Attachments are fetched lazily, at write time: refuse them before that."""
    attached = [a.name or a.description or "a file" for a in document.metadata.attachments]
    attached += [
        link[1] for page in document.pages for link in page.links if link[0] == "attachment"
    ]
    if attached:
        raise RenderError(
            f"The plan template asks to attach {attached[0]}: a plan PDF carries no attachment."
        )


def html_to_pdf(
    html: str, *, fetcher: LockedURLFetcher | None = None, base_url: str | None = None
) -> tuple[bytes, int]:
    """HTML -> (PDF bytes, page count), reading only what the locked fetcher serves.

    Relative URLs resolve against the project's static directory. A document that asks for an
    attachment (``<link rel=attachment>``, ``<a rel=attachment>``) is refused before anything
    is written, even when the fetcher could serve the file: a plan PDF embeds no file.
    """
    from weasyprint import HTML

    from planner.reports.parallel import gc_paused

    fetcher = fetcher or LockedURLFetcher()
    base_url = base_url or static_root().resolve().as_uri() + "/"
    try:
        with gc_paused():
            document = HTML(string=html, base_url=base_url, url_fetcher=fetcher).render()
            _refuse_attachments(document)
            pdf = document.write_pdf()
    except FetchRefused as exc:
        # A BaseException: turn it into an ordinary error before it reaches Celery.
        raise RenderError(f"The plan template names a forbidden resource: {exc}") from None
    return pdf, len(document.pages)


def plan_to_pdf(html: str, *, fetcher: LockedURLFetcher | None = None) -> tuple[bytes, int]:
    """A plan's HTML -> (PDF bytes, page count): its parts in parallel processes, joined.

    The plan and each annex start on a page of their own, so each is rendered on its own
    (planner/reports/parallel.py) and the running header and footer are laid over the joined
    pages afterwards: the same text as ``html_to_pdf`` of the whole, in the time of the largest
    part. ``PLAN_PDF_PARALLEL = False`` (or a document of one part) renders in one piece, and
    so does a plan whose annexes list fewer than ``PLAN_PDF_PARALLEL_FROM_VMS`` VMs (an app of
    more than ``ANNEX_CSV_OVER_VMS``, its VM table in the CSV, lists none): its parts would save
    less time than the CPU they add (the stamp, the join, a process per part). An annex of more
    than ``PLAN_PDF_ITEMS_PER_PART`` VMs is a chain of chunks (parallel.Run).
    """
    from planner.reports import parallel

    fetcher = fetcher or LockedURLFetcher()
    parts = parallel.split(html) if getattr(settings, "PLAN_PDF_PARALLEL", True) else None
    if parts is None or parallel.annex_vms(parts) < getattr(
        settings, "PLAN_PDF_PARALLEL_FROM_VMS", 100
    ):
        return html_to_pdf(html, fetcher=fetcher)
    import weasyprint  # noqa: F401 - once, here, rather than in each part's process (0.3 s)

    base_url = static_root().resolve().as_uri() + "/"
    sizes: list[tuple[float, float]] = []

    def stamp(page_sizes):  # called while the parts are still being written
        sizes.extend(page_sizes)
        return html_to_pdf(parallel.stamp_html(html, sizes), fetcher=fetcher)[0]

    try:
        rendered, stamped = parallel.render_parts(
            parts,
            base_url,
            _refuse_attachments,
            items_per_part=getattr(settings, "PLAN_PDF_ITEMS_PER_PART", 250),
            on_sizes=stamp,
            max_processes=max(1, getattr(settings, "PLAN_PDF_PROCESSES", 2)),
        )
    except FetchRefused as exc:
        raise RenderError(f"The plan template names a forbidden resource: {exc}") from None
    except parallel.PartError as exc:
        raise RenderError(f"The plan could not be rendered: {exc}") from None
    for part in rendered:
        fetcher.fetched.extend(url for url in part.fetched if url not in fetcher.fetched)
    with parallel.gc_paused():
        return parallel.join(rendered, stamped, rendered[0].pdf), len(sizes)


def annex_csv(snapshot: dict) -> bytes:
    """Every VM of the snapshot with its figures and arithmetic, as CSV (formula-safe cells)."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    header = [
        "vm",
        "resource_group",
        "subscription",
        "os_type",
        "size",
        "vcpu",
        "memory_gib",
        "role",
        "scale_set",
        "keep_in_backup",
        "opted_in",
        "no_protection_why",
        "no_protection_by",
        "no_protection_at",
        "disks",
        "used_gib",
        "provisioned_gib",
        "used_gib_horizon",
        "backup_gib",
        "replica_gib",
        "churn_gib_day",
        "bandwidth_mbps",
        "seeding_hours",
        "standby_vcpu",
        "standby_memory_gib",
        "public_instances",
        "monthly_cost",
        "boot_group",
        "onboarding_night",
        "depends_on",
        "explanation",
    ]
    writer.writerow(header)
    for v in snapshot["vms"]:
        r = v.get("result") or {}
        writer.writerow(
            [
                safe_cell(c)
                for c in (
                    v["name"],
                    v["resource_group"],
                    v["subscription"],
                    v["os_type"],
                    v["size"],
                    v["vcpu"],
                    v["memory_gib"],
                    v["role"],
                    v["scale_set"],
                    v.get("keep_in_backup", False),
                    v["opted_in"],
                    (v.get("no_protection") or {}).get("why", ""),
                    (v.get("no_protection") or {}).get("by", ""),
                    (v.get("no_protection") or {}).get("at", ""),
                    v["disks"],
                    v["used_gib"],
                    v["provisioned_gib"],
                    r.get("used_gib_horizon"),
                    r.get("backup_gib"),
                    r.get("replica_gib"),
                    r.get("churn_gib_day"),
                    r.get("bandwidth_mbps"),
                    r.get("seeding_hours"),
                    r.get("standby_vcpu"),
                    r.get("standby_memory_gib"),
                    r.get("public_instances"),
                    r.get("monthly_cost"),
                    r.get("boot_group"),
                    r.get("onboarding_night"),
                    "; ".join(v["depends_on"]),
                    " | ".join(r.get("explanation", [])),
                )
            ]
        )
    return out.getvalue().encode("utf-8")


def annex_name(pdf_name: str) -> str:
    """The CSV annex's file name beside a PDF: "x-plan-r3.pdf" -> "x-plan-r3-vms.csv"."""
    stem = pdf_name[:-4] if pdf_name.lower().endswith(".pdf") else pdf_name
    return f"{stem}-vms.csv"


def render_snapshot(
    snapshot: dict,
    meta: RevisionMeta,
    *,
    paper: str = "A4",
    pdf_name: str = "plan.pdf",
    annex_over: int | None = None,
) -> RenderedPlan:
    """Render a snapshot; an app of more than ``annex_over`` VMs (default
    ``ANNEX_CSV_OVER_VMS``) gets its annex as CSV."""
    started = time.perf_counter()
    annex_over = ANNEX_CSV_OVER_VMS if annex_over is None else annex_over
    csv_bytes = annex_csv(snapshot) if len(snapshot["vms"]) > annex_over else None
    context = plan_context(
        snapshot,
        meta,
        paper=paper,
        annex_csv_sha256=sha256_hex(csv_bytes) if csv_bytes is not None else None,
        annex_csv_name=annex_name(Path(pdf_name).name),
    )
    fetcher = LockedURLFetcher()
    pdf, pages = plan_to_pdf(render_html(context), fetcher=fetcher)
    seconds = time.perf_counter() - started
    log.info(
        "plan %s r%s rendered: %d pages, %.2f s",
        snapshot["app"]["name"],
        snapshot["revision"]["number"],
        pages,
        seconds,
    )
    return RenderedPlan(pdf, pages, csv_bytes, seconds, fetcher.fetched)


def revision_meta(revision) -> RevisionMeta:
    """The state, decision, waivers and audit trail of a PlanRevision (two queries)."""
    decision = None
    if revision.decided:
        by = revision.decided_by
        decision = Decision(
            state=revision.state,
            by=(by.get_full_name() or by.username) if by else "",
            at=revision.decided_at,
            comment=revision.decision_comment,
        )
    waivers = tuple(
        {
            "code": w.code,
            "by": w.by.get_full_name() or w.by.username,
            "at": w.at,
            "justification": w.justification,
        }
        for w in revision.waivers.select_related("by").order_by("code")
    )
    transitions = tuple(
        {
            "at": t.at,
            "by": t.by.get_full_name() or t.by.username,
            "from_state": t.from_state,
            "to_state": t.to_state,
            "comment": t.comment,
        }
        for t in revision.transitions.select_related("by").order_by("at", "id")
    )
    return RevisionMeta(
        state=revision.state,
        sha256=revision.sha256,
        decision=decision,
        waivers=waivers,
        transitions=transitions,
    )


def render_revision(revision, *, paper: str | None = None) -> RenderedPlan:
    """Render a PlanRevision as it stands (state, decision, waivers, trail)."""
    paper = paper or getattr(settings, "PLAN_PDF_PAPER", "A4")
    return render_snapshot(
        revision.snapshot, revision_meta(revision), paper=paper, pdf_name=revision.pdf_filename
    )
