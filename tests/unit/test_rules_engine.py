"""``evaluate`` as a whole: order, determinism, limits from the catalog, shared dependencies on
both sides across apps, and purity (no Django, no planner.sizing)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from planner.facts import Disk
from planner.rules import (
    CODES,
    Finding,
    SizingFigures,
    VmFigures,
    app_capability,
    dependency_maps,
    evaluate,
)
from planner.rules.findings import SEVERITY_RANK
from tests.unit.rulefacts import (
    ASR,
    BASE,
    DB,
    LIMITS,
    MID,
    WEB,
    app,
    asr_app,
    codes,
    ctx,
    many_vms,
    only,
    replicating,
    run,
    vm,
)

ROOT = Path(__file__).resolve().parents[2]


def test_findings_are_sorted_by_severity_code_and_vms():
    a = app(
        rto_minutes=30,
        rpo_minutes=60,
        product=None,
        drills=(),
        vms=(DB, MID, replace(WEB, scale_set="ss")),
    )
    findings = evaluate(a, ctx())
    keys = [(SEVERITY_RANK[f.severity], f.code, f.vm_ids) for f in findings]
    assert keys == sorted(keys)
    assert findings[0].severity == "blocking"
    assert {f.severity for f in findings} == {"blocking", "warning", "info"}


def test_deterministic():
    a = asr_app(many_vms(130))
    assert evaluate(a, ctx()) == evaluate(a, ctx())


def test_finding_to_dict_and_validation():
    f = only(run(app(rto_minutes=30)), "OBJECTIVE_RTO_NOT_MET")
    d = f.to_dict()
    assert d["code"] == "OBJECTIVE_RTO_NOT_MET" and d["severity"] == "blocking"
    assert d["vm_ids"] == [] and d["remedy"] and d["source"]
    with pytest.raises(ValueError, match="severity"):
        Finding("X", "fatal", "m", "s", 1)


def test_rto_not_met_remedy_names_the_recommended_scheme():
    f = only(run(app(rto_minutes=60)), "OBJECTIVE_RTO_NOT_MET")
    assert "87.3 min" in f.message and "60 min" in f.message
    assert f.remedy.endswith("is replication.")


def test_sizing_figures_replace_the_facts_used_data():
    """With 3,000 GiB per VM (grown), the restore takes 9,000 × 8,589.93 / 1,000 / 60 =
    1,288.5 min + 30 > 240: the RTO is no longer met."""
    figs = {v.id: VmFigures(0, 3000, 4000) for v in BASE.vms}
    findings = run(BASE, ctx(sizing=SizingFigures(vms=figs)))
    f = only(findings, "OBJECTIVE_RTO_NOT_MET")
    assert "9,000 GiB × 8,589.93" in f.message


def test_limits_come_from_the_catalog():
    big = asr_app((vm(1, "db", disks=(Disk("data", 2000, 10),)),))
    assert "ASR_DISK_TOO_LARGE" in codes(run(big))
    limits = dict(LIMITS, **{"asr_ash.max_disk_gib": 4095})
    assert "ASR_DISK_TOO_LARGE" not in codes(run(big, ctx(limits=limits)))
    limits = dict(LIMITS, **{"seeding.goal_hours": 100})
    sized = ctx(limits=limits, sizing=SizingFigures(seeding_hours=80))
    assert "SEEDING_OVER_GOAL" not in codes(run(replicating(), sized))
    limits = dict(LIMITS, **{"boot.max_groups": 2})
    assert "BOOT_GROUPS_MERGED" in codes(run(app(), ctx(limits=limits)))


def test_a_missing_limit_is_named():
    limits = {k: v for k, v in LIMITS.items() if k != "boot.max_groups"}
    with pytest.raises(ValueError, match=r"boot\.max_groups"):
        run(app(), ctx(limits=limits))


def test_asr_limits_apply_to_microsoft_or_unknown_products_only():
    assert "ASR_APPLIANCE_ON_SOURCE" in codes(run(replicating(product=None)))
    assert "ASR_APPLIANCE_ON_SOURCE" in codes(run(replicating(product=ASR)))
    assert "ASR_APPLIANCE_ON_SOURCE" not in codes(run(replicating()))  # Veeam: partner


def test_asr_disk_finding_names_vm_and_disk():
    a = asr_app((vm(7, "sql", disks=(Disk("os", 128, 40), Disk("data", 2048, 900))),))
    f = only(run(a), "ASR_DISK_TOO_LARGE")
    assert f.vm_ids == (7,)
    assert "'sql'" in f.message and "'data' (2,048 GiB)" in f.message and "1,022 GiB" in f.message


def test_shared_dependency_both_sides_across_apps():
    """'billing' (RTO 30 min, RPO 15 min, replication) has VM 'api' that needs 'ad-1' of
    'directory' (backup-restore, RTO 240 min). Directory's VM inherits billing's objectives and
    cannot meet them; billing sees that its prerequisite cannot meet its objectives."""
    directory = app(id=2, name="directory", vms=(vm(901, "ad-1", app_id=2, role="database"),))
    billing = replicating(
        id=3,
        name="billing",
        rto_minutes=30,
        rpo_minutes=15,
        vms=(vm(301, "api", app_id=3, depends_on=(901,)),),
    )
    apps = [directory, billing]
    caps = {a.id: app_capability(a, LIMITS) for a in apps}
    dependents, external = dependency_maps(apps, caps)
    assert set(dependents) == {2} and set(external) == {3}
    assert dependents[2][901][0].app_name == "billing"
    assert external[3][901].app_name == "directory"

    provider = evaluate(directory, ctx(dependents=dependents[2]))
    f = only(provider, "DEPENDENCY_SHARED_NOT_MET")
    assert f.vm_ids == (901,)
    assert "'ad-1' is needed by 'api' of 'billing'" in f.message
    assert "RTO 30 min (from 'billing')" in f.message and "RPO 15 min" in f.message

    dependent = evaluate(billing, ctx(external_vms=external[3]))
    f = only(dependent, "DEPENDENCY_PREREQUISITE_AT_RISK")
    assert f.vm_ids == (301,)
    assert "'ad-1' of app 'directory'" in f.message
    assert "DEPENDENCY_EXTERNAL_PREREQUISITES" in codes(dependent)


def test_objectives_roll_up_transitively():
    """A (RTO 30) -> B (RTO 240) -> C: C's VM inherits A's 30 min through B."""
    c = app(id=3, name="C", vms=(vm(31, "c1", app_id=3),))
    b = app(id=2, name="B", vms=(vm(21, "b1", app_id=2, depends_on=(31,)),))
    a = replicating(id=1, name="A", rto_minutes=30, vms=(vm(11, "a1", depends_on=(21,)),))
    dependents, _ = dependency_maps([a, b, c])
    assert dependents[3][31][0].rto_minutes == 30
    assert dependents[2][21][0].rto_minutes == 30


def test_unprotected_prerequisite_is_at_risk():
    directory = app(id=2, name="directory", scheme="none", vms=(vm(901, "ad-1", app_id=2),))
    billing = app(id=3, name="billing", vms=(vm(301, "api", app_id=3, depends_on=(901,)),))
    _, external = dependency_maps([directory, billing])
    assert external[3][901].rto_capability_minutes == float("inf")
    f = only(evaluate(billing, ctx(external_vms=external[3])), "DEPENDENCY_PREREQUISITE_AT_RISK")
    assert "is not protected" in f.message


def test_vm_not_opted_in_cannot_meet_inherited_objectives():
    from planner.rules import Dependent

    a = app(vms=(replace(DB, opted_in=False), replace(MID, depends_on=()), WEB))
    f = only(
        run(a, ctx(dependents={101: (Dependent(2, "billing", 600, 1440, "api"),)})),
        "DEPENDENCY_SHARED_NOT_MET",
    )
    assert "not protected" in f.message


def test_every_finding_code_is_registered():
    a = app(rto_minutes=30, rpo_minutes=60, product=None, drills=())
    for f in run(a):
        assert f.code in CODES


def test_rules_import_neither_django_nor_sizing():
    code = (
        "import sys, planner.rules; "
        "bad = [m for m in sys.modules if m.startswith(('django', 'planner.sizing'))]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True)


def test_docs_list_every_code():
    text = (ROOT / "docs" / "rules.md").read_text()
    missing = [c for c in CODES if f"`{c}`" not in text]
    assert not missing


def test_no_crash_on_any_combination_of_sparse_facts():
    """Every scheme with missing or odd targets, products, policies, VMs and drills."""
    import itertools

    from planner.facts import SCHEMES
    from tests.unit.rulefacts import AZURE, DEDICATED, MABS, SRC, VEEAM, decision

    odd_vms = ((), (DB, MID, WEB), (vm(1, "l", os_type="linux", scale_set="s", depends_on=(1, 5)),))
    for scheme, source, target, backup, product, vms, policy in itertools.product(
        SCHEMES,
        (None, SRC),
        (None, SRC, AZURE),
        (None, DEDICATED, replace(DEDICATED, capacity_gib=0, ingest_mbps=0, window_hours=0)),
        (None, MABS, VEEAM),
        odd_vms,
        (None, BASE.policy),
    ):
        a = app(
            scheme=scheme,
            source_cloud=source,
            recovery_target=target,
            backup_target=backup,
            product=product,
            vms=vms,
            policy=policy,
            drills=(),
            no_protection_decision=decision() if scheme == "none" else None,
        )
        findings = evaluate(a, ctx())
        assert all(f.code in CODES for f in findings)
