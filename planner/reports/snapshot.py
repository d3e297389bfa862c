"""The content of a plan revision, frozen once: inputs, results, findings, runbooks, versions.

A snapshot is plain JSON. It holds everything the PDF prints, so a signed plan reads the same
whatever happens to the app, the catalogs or the code afterwards:

    schema        snapshot format version
    revision      number, created_at, created_by (username and name)
    inputs        the app's facts exactly as the engine read them (``planner.facts.App``)
    inputs_sha256 SHA-256 of ``inputs``: compared with the app's facts now to detect a stale plan
    app           what the reader needs beside the facts: description, labels, clouds' sites
    scheme        the seed's description of the chosen scheme (RTO class, RPO, topology)
    topology      source/target combination (the seed's cell) and the topology verdicts
    versions      engine, prices and limits versions of the results
    result        the app's figures (``AppResult``) and ``detail`` (explanations, cost by month,
                  storage by point, capability, recommendation, boot plan, schedule, drills)
    vms           one row per VM: inventory, disks and, when protected, its figures and arithmetic
    findings      every finding with its rule title, remedy, source and the names of its VMs
    blocking_codes the codes a waiver must cover before approval
    drills        the recorded drills and incidents

``inputs`` is built by ``inputs_json`` from ``planner.services.facts.load_apps`` — the very
facts the sizing run used — so the stale check compares like with like.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import Any

from planner import facts
from planner.reports.canonical import content_sha256, normalized
from planner.rules.findings import CODES
from planner.rules.topology import COMBINATIONS, combination_key

SCHEMA = 1

# The seed's five recovery options ("App recovery objectives"), as it words them.
SCHEMES = {
    "none": {
        "label": "No recovery",
        "rto": "Unrecoverable",
        "rpo": "Complete data loss",
        "topology": "—",
        "summary": "Some apps may not need protection against unplanned downtime or data loss, "
        "for example VMs used for development and testing. Doing without protection is an "
        "explicit, recorded decision.",
    },
    "backup_restore": {
        "label": "Backup-restore",
        "rto": "Downtime measured in hours",
        "rpo": "Variable data loss (depending on backup frequency)",
        "topology": "Active/passive",
        "summary": "VMs are backed up from within the guest OS or through the Azure Stack Hub "
        "storage and compute APIs (never at the hypervisor level) and restored to the same or "
        "a new cloud; the restore may redeploy from a template and restore the data.",
    },
    "replication": {
        "label": "Replication / manual failover",
        "rto": "Downtime measured in minutes",
        "rpo": "Variable data loss (depending on replication frequency)",
        "topology": "Active/passive stand-by",
        "summary": "The app's VMs are replicated to another cloud and powered on there by a "
        "manual failover; a multi-tier app needs its start-up sequence and the steps to run "
        "before it serves requests.",
    },
    "high_availability": {
        "label": "High availability / automatic failover",
        "rto": "Downtime measured in seconds",
        "rpo": "Minimal data loss",
        "topology": "Active/active stand-by",
        "summary": "The app supports high availability natively or through clustering "
        "software; scale sets and fault domains protect against node failures and the "
        "stand-by cloud starts the app automatically.",
    },
    "fault_tolerance": {
        "label": "Fault tolerance",
        "rto": "No downtime",
        "rpo": "No data loss",
        "topology": "Active/active",
        "summary": "The same app already runs in another cloud and keeps serving requests "
        "without interruption when a cloud goes offline.",
    },
}

CLOUD_KINDS = {
    "azure_stack_hub": "Azure Stack Hub",
    "azure": "Global Azure",
    "service_provider": "Trusted service provider",
}
OPERATORS = {"customer": "the customer", "csp": "a CSP", "microsoft": "Microsoft"}
TARGET_COLUMNS = {
    "azure": "Global Azure",
    "csp": "Azure Stack Hub deployed into a CSP datacenter and operated by the CSP",
    "customer": "Azure Stack Hub deployed into the customer datacenter and operated by the "
    "customer",
}
SOURCE_ROWS = {
    "csp": "Azure Stack Hub deployed into a CSP datacenter and operated by the CSP",
    "customer": "Azure Stack Hub deployed into the customer datacenter and operated by the "
    "customer",
}

# AppResult columns copied into the snapshot (``detail`` is copied whole).
RESULT_FIELDS = (
    "vm_count",
    "protected_vm_count",
    "used_gib",
    "provisioned_gib",
    "backup_gib",
    "replica_gib",
    "churn_gib_day",
    "bandwidth_mbps",
    "seeding_hours",
    "standby_vcpu",
    "standby_memory_gib",
    "public_instances",
    "monthly_cost",
    "asr_appliances",
    "rto_capability_minutes",
    "rpo_capability_minutes",
    "mttr_minutes",
    "recommended_scheme",
    "blocking_count",
    "warning_count",
    "compliant",
    "onboarding_nights",
)
VM_RESULT_FIELDS = (
    "used_gib_horizon",
    "backup_gib",
    "backup_data_gib",
    "backup_workspace_gib",
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
    "onboarding_offset_minutes",
)


def _plain(value: Any) -> Any:
    """Facts (frozen dataclasses, tuples, frozensets, datetimes) as plain, ordered JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, frozenset | set):
        return sorted(_plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC)
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def inputs_json(app: facts.App) -> dict:
    """An app's facts as canonical-ready JSON: VMs by name, drills by date, so that the same
    estate always gives the same bytes whatever order the database returned rows in."""
    data = _plain(app)
    data["vms"] = sorted(data["vms"], key=lambda v: (v["name"], v["id"]))
    data["drills"] = sorted(
        data["drills"],
        key=lambda d: (d["started_at"], d["restored_at"], d["data_loss_minutes"], d["kind"]),
    )
    return normalized(data)


def inputs_sha256(app: facts.App) -> str:
    return content_sha256(inputs_json(app))


def _cloud(c: facts.Cloud | None) -> dict | None:
    if c is None:
        return None
    return {
        "name": c.name,
        "kind": c.kind,
        "kind_label": CLOUD_KINDS.get(c.kind, c.kind),
        "operated_by": OPERATORS.get(c.operated_by, c.operated_by),
        "site": c.site_name,
        "country": c.country,
    }


def topology(app: facts.App, findings: Iterable[dict]) -> dict:
    """The seed's cell for the source/target combination and the topology verdicts."""
    src, rt = app.source_cloud, app.recovery_target
    combination = None
    if src is not None and rt is not None and src.kind == "azure_stack_hub" and src.id != rt.id:
        row, col = combination_key(src, rt)
        combination = {
            "source": SOURCE_ROWS[row],
            "target": TARGET_COLUMNS[col],
            "text": COMBINATIONS[(row, col)],
        }
    verdicts = [
        {
            "code": f["code"],
            "severity": f["severity"],
            "title": f["title"],
            "message": f["message"],
        }
        for f in findings
        if f["code"].startswith(("TOPOLOGY_", "SOVEREIGNTY_"))
        and f["code"] != "TOPOLOGY_COMBINATION"
    ]
    return {
        "source": _cloud(src),
        "recovery_target": _cloud(rt),
        "combination": combination,
        "verdicts": verdicts,
    }


def build(
    *,
    app_facts: facts.App,
    application,
    result,
    vm_rows: Iterable[dict],
    finding_rows: Iterable[dict],
    drill_rows: Iterable[dict],
    number: int,
    created_at: datetime,
    created_by,
) -> dict:
    """The snapshot of one app (see the module docstring), normalized as stored.

    ``application`` is the Application row (for what facts leave out), ``result`` its AppResult,
    ``vm_rows`` dicts of VM inventory (``id``, ``name``, ``resource_group``, ``subscription``)
    with a ``result`` dict or None, ``finding_rows`` dicts of Finding columns, ``drill_rows``
    dicts of Drill columns. The caller (``planner.services.plans``) loads them in a few queries.
    """
    inputs = inputs_json(app_facts)
    names = {v.id: v.name for v in app_facts.vms}
    findings = []
    for f in finding_rows:
        info = CODES.get(f["code"])
        findings.append(
            {
                "code": f["code"],
                "severity": f["severity"],
                "title": info.title if info else f["code"],
                "message": f["message"],
                "remedy": f["remedy"],
                "source": f["source"],
                "vm_names": [names.get(i, f"VM {i}") for i in f["vm_ids"]],
            }
        )
    rank = {"blocking": 0, "warning": 1, "info": 2}
    findings.sort(key=lambda f: (rank.get(f["severity"], 3), f["code"], f["message"]))
    facts_by_id = {v.id: v for v in app_facts.vms}
    vms = []
    for row in sorted(vm_rows, key=lambda r: (r["name"], r["id"])):
        v = facts_by_id.get(row["id"])
        vms.append(
            {
                "id": row["id"],
                "name": row["name"],
                "resource_group": row["resource_group"],
                "subscription": row["subscription"],
                "os_type": v.os_type if v else "",
                "size": v.size if v else "",
                "vcpu": v.vcpu if v else 0,
                "memory_gib": v.memory_gib if v else 0,
                "role": v.role if v else "",
                "scale_set": v.scale_set if v else "",
                "opted_in": v.opted_in if v else False,
                "keep_in_backup": v.keep_in_backup if v else False,
                "no_protection": (
                    {
                        "by": v.no_protection.by,
                        "at": _plain(v.no_protection.at),
                        "why": v.no_protection.why,
                    }
                    if v and v.no_protection
                    else None
                ),
                "disks": len(v.disks) if v else 0,
                "used_gib": v.used_gib if v else 0,
                "provisioned_gib": v.provisioned_gib if v else 0,
                "depends_on": [names.get(i, f"VM {i} (another app)") for i in v.depends_on]
                if v
                else [],
                "result": row.get("result"),
            }
        )
    owner = application.owner
    snapshot = {
        "schema": SCHEMA,
        "revision": {
            "number": number,
            "created_at": _plain(created_at),
            "created_by": created_by.username,
            "created_by_name": created_by.get_full_name() or created_by.username,
        },
        "inputs": inputs,
        "inputs_sha256": content_sha256(inputs),
        "app": {
            "id": application.pk,
            "name": application.name,
            "description": application.description,
            "owner": owner.username,
            "owner_name": owner.get_full_name() or owner.username,
            "owner_email": owner.email,
            "tier_label": application.get_tier_display(),
            "scheme_label": application.get_scheme_display(),
            "allowed_countries": application.allowed_countries,
            "no_protection_by": app_facts.no_protection_decision.by
            if app_facts.no_protection_decision
            else "",
        },
        "scheme": {"name": app_facts.scheme, **SCHEMES.get(app_facts.scheme, SCHEMES["none"])},
        "topology": topology(app_facts, findings),
        "versions": {
            "engine": result.engine_version,
            "prices": result.prices_version,
            "limits": result.limits_version,
            "sizes": result.sizes_version,
        },
        "result": {
            "computed_at": _plain(result.computed_at),
            **{name: _plain(getattr(result, name)) for name in RESULT_FIELDS},
            "detail": result.detail,
        },
        "vms": vms,
        "findings": findings,
        "blocking_codes": sorted({f["code"] for f in findings if f["severity"] == "blocking"}),
        "drills": [
            {
                "kind": d["kind"],
                "started_at": _plain(d["started_at"]),
                "restored_at": _plain(d["restored_at"]),
                "recovery_minutes": (d["restored_at"] - d["started_at"]).total_seconds() / 60,
                "data_loss_minutes": d["data_loss_minutes"],
                "notes": d["notes"],
            }
            for d in sorted(drill_rows, key=lambda d: d["started_at"])
        ],
    }
    return normalized(snapshot)


def vm_result_json(row: dict) -> dict:
    """A VmResult's values as the snapshot stores them."""
    return {name: _plain(row[name]) for name in (*VM_RESULT_FIELDS, "explanation")}
