"""Plain-Python builders of facts and contexts for the rules tests (no Django).

The default app is a healthy backup-restore plan that raises no blocking finding and no
warning: three Windows VMs (db, app, web, 100 GiB used each) on hub "ash-a" (site 1, FR),
backed up daily (14 points) by a partner product to a dedicated external target in site 2,
restored to "ash-b" (site 2), with a recent drill. Its backup capability: restore throughput
min(1,000 Mbit/s default, link 1,000 × 0.75 = 750 Mbit/s) = 750 Mbit/s; 300 GiB × 8,589.93
Mbit/GiB ÷ 750 Mbit/s = 3,436 s = 57.3 min + 30 min redeploy = 87.3 min; RPO 1,440 min.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from planner.catalog_defaults import limits
from planner.facts import (
    App,
    BackupPolicy,
    BackupTarget,
    Cloud,
    Decision,
    Disk,
    Drill,
    Product,
    Vm,
)
from planner.rules import RuleContext, evaluate

NOW = datetime(2025, 6, 1, 12, 0)
LIMITS = limits()

SRC = Cloud(
    1,
    "ash-a",
    "azure_stack_hub",
    "customer",
    site_id=1,
    site_name="DC-A",
    country="FR",
    nodes=4,
    memory_per_node_gib=384,
    largest_vm_gib=112,
)
ASH_B = Cloud(
    2,
    "ash-b",
    "azure_stack_hub",
    "customer",
    site_id=2,
    site_name="DC-B",
    country="FR",
    nodes=4,
    memory_per_node_gib=384,
    largest_vm_gib=112,
)
ASH_SAME_SITE = Cloud(
    4,
    "ash-a2",
    "azure_stack_hub",
    "customer",
    site_id=1,
    site_name="DC-A",
    country="FR",
    nodes=4,
    memory_per_node_gib=384,
)
CSP_ASH = Cloud(
    5,
    "csp-hub",
    "azure_stack_hub",
    "csp",
    site_id=3,
    site_name="CSP-1",
    country="FR",
    nodes=8,
    memory_per_node_gib=768,
)
AZURE = Cloud(3, "azure-weu", "azure", "microsoft", country="NL")
PROVIDER = Cloud(6, "provider", "service_provider", "csp", site_id=4, country="FR")

DEDICATED = BackupTarget(
    10,
    "bk-dedicated",
    "dedicated_external",
    site_id=2,
    country="FR",
    capacity_gib=100_000,
    used_gib=10_000,
    ingest_mbps=1000,
    streams=4,
    window_hours=8,
)

VEEAM = Product(
    1, "Veeam", "partner", True, True, frozenset({"backup_restore", "replication"}), "guest"
)
MABS = Product(2, "MABS", "microsoft", True, False, frozenset({"backup_restore"}), "guest")
ASR = Product(3, "ASR on ASH", "microsoft", True, False, frozenset({"replication"}), "guest")
CLUSTER = Product(
    4,
    "Clustering",
    "partner",
    True,
    True,
    frozenset({"high_availability", "fault_tolerance"}),
    "guest",
)
DAILY = BackupPolicy("daily", interval_minutes=1440, retention_points=14)


def disk(name: str = "os", provisioned: float = 200, used: float = 100) -> Disk:
    return Disk(name, provisioned, used)


def vm(
    vid: int,
    name: str | None = None,
    *,
    app_id: int = 1,
    role: str = "other",
    used: float = 100,
    provisioned: float = 200,
    **kw,
) -> Vm:
    kw.setdefault("opted_in", True)
    kw.setdefault("disks", (disk("os", provisioned, used),))
    kw.setdefault("memory_gib", 8)
    kw.setdefault("vcpu", 2)
    return Vm(vid, name or f"vm{vid}", app_id, role=role, **kw)


def drill(
    days_ago: float = 30, minutes: float = 60, loss: float = 60, kind: str = "drill"
) -> Drill:
    start = NOW - timedelta(days=days_ago)
    return Drill(start, start + timedelta(minutes=minutes), loss, kind)


DB = vm(101, "db", role="database")
MID = vm(102, "app", role="middleware", depends_on=(101,))
WEB = vm(103, "web", role="web", depends_on=(102,))

BASE = App(
    1,
    "shop",
    owner="alice",
    tier=2,
    rto_minutes=240,
    rpo_minutes=1440,
    scheme="backup_restore",
    source_cloud=SRC,
    recovery_target=ASH_B,
    backup_target=DEDICATED,
    policy=DAILY,
    product=VEEAM,
    vms=(DB, MID, WEB),
    drills=(drill(),),
    manual_steps=("re-point DNS",),
)


def app(**kw) -> App:
    """The default app with fields replaced."""
    return replace(BASE, **kw)


def replicating(**kw) -> App:
    """The default app protected by replication to ash-b (RTO 3 × 10 + 15 = 45 min, RPO 15)."""
    kw.setdefault("scheme", "replication")
    kw.setdefault("recovery_target", ASH_B)
    return app(**kw)


def asr_app(vms=None, **kw) -> App:
    """Replication ASH -> ASH with Azure Site Recovery (the ASR limits apply)."""
    kw.setdefault("product", ASR)
    if vms is not None:
        kw["vms"] = vms
    return replicating(**kw)


def decision(why: str = "dev/test, rebuilt from templates") -> Decision:
    return Decision("bob", NOW - timedelta(days=3), why)


def ctx(**kw) -> RuleContext:
    kw.setdefault("limits", LIMITS)
    kw.setdefault("now", NOW)
    return RuleContext(**kw)


def run(a: App, c: RuleContext | None = None):
    return evaluate(a, c or ctx())


def codes(findings) -> set[str]:
    return {f.code for f in findings}


def only(findings, code: str):
    """The one finding of ``code``."""
    found = [f for f in findings if f.code == code]
    assert len(found) == 1, (code, [f.code for f in findings])
    return found[0]


def many_vms(n: int, start: int = 1000, **kw) -> tuple[Vm, ...]:
    return tuple(vm(start + i, f"n{i:03d}", **kw) for i in range(n))
