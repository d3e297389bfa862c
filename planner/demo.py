"""A realistic, deterministic demo estate (``manage.py seed_demo``).

Two countries, a customer-operated and a CSP-operated Azure Stack Hub, a second hub for
failover, global Azure and a service provider; a backup target for every row of the seed's
"Recommended topologies" table; apps of every tier with database/middleware/web VMs, scale-set
web tiers, dependencies (also on shared apps), a Windows/Linux mix, disks and drills.

Idempotent: apps are named demo-0001...; a run creates only the apps (and their VMs) that are
missing, so a second run with the same arguments changes nothing. Bulk inserts throughout.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from planner import catalog_defaults, reference
from planner.models import (
    Application,
    BackupPolicy,
    BackupTarget,
    Cloud,
    Disk,
    Drill,
    Price,
    Product,
    Site,
    Subscription,
    VirtualMachine,
    VmSize,
)
from planner.roles import APPROVERS, OPERATORS, OWNERS, ensure_groups

BUSINESS_NAMES = (
    "Payroll",
    "CRM",
    "ERP Finance",
    "Web Shop",
    "Data Warehouse",
    "HR Portal",
    "Intranet",
    "Ticketing",
    "Billing",
    "Logistics",
    "Procurement",
    "Document Archive",
    "Claims",
    "Customer Portal",
    "Fleet Tracking",
    "Inventory",
    "Lab Results",
    "Point of Sale",
    "Treasury",
    "Reporting",
    "Mail Relay",
    "Build Farm",
    "Test Lab",
    "Sandbox",
)

DEMO_ACCOUNTS = (
    ("owner", OWNERS, False),
    ("owner2", OWNERS, False),
    ("approver", APPROVERS, False),
    ("operator", OPERATORS, True),
)


@dataclass
class SeedResult:
    apps_created: int
    vms_created: int
    accounts: list[str]


def _infrastructure() -> dict:
    """Sites, clouds, subscriptions, targets and policies (update_or_create: idempotent)."""
    sites = {}
    for key, name, country, city in (
        ("fra", "Frankfurt DC1", "DE", "Frankfurt"),
        ("muc", "Munich DC2", "DE", "Munich"),
        ("vie", "Vienna CSP datacenter", "AT", "Vienna"),
        ("ams", "Azure West Europe", "NL", "Amsterdam"),
    ):
        sites[key] = Site.objects.update_or_create(
            name=name, defaults={"country": country, "city": city}
        )[0]
    clouds = {}
    for key, name, kind, op, site, nodes, mem, largest in (
        ("ash_fra", "ASH Frankfurt", "azure_stack_hub", "customer", "fra", 8, 768, 112),
        ("ash_muc", "ASH Munich", "azure_stack_hub", "customer", "muc", 4, 384, 112),
        ("ash_vie", "ASH Vienna (CSP)", "azure_stack_hub", "csp", "vie", 12, 768, 224),
        ("azure", "Azure West Europe", "azure", "microsoft", "ams", 0, 0, 0),
        ("sp", "Contoso Cloud Services", "service_provider", "csp", "vie", 0, 0, 0),
    ):
        clouds[key] = Cloud.objects.update_or_create(
            name=name,
            defaults={
                "kind": kind,
                "operated_by": op,
                "site": sites[site],
                "nodes": nodes,
                "memory_per_node_gib": mem,
                "largest_vm_gib": largest,
            },
        )[0]
    subs = []
    for cloud_key in ("ash_fra", "ash_vie"):
        for i in range(1, 4):
            subs.append(
                Subscription.objects.update_or_create(
                    cloud=clouds[cloud_key],
                    subscription_id=f"00000000-0000-4000-8000-{cloud_key[-3:]}{i:09d}",
                    defaults={"name": f"{clouds[cloud_key].name} sub {i}"},
                )[0]
            )
    targets = {}
    for key, name, kind, site, cloud, cap, ingest, streams, copy in (
        (
            "existing",
            "Frankfurt existing backup",
            "existing_external",
            "fra",
            None,
            400_000,
            2000,
            8,
            False,
        ),
        (
            "dedicated",
            "Munich dedicated ASH backup",
            "dedicated_external",
            "muc",
            None,
            250_000,
            1500,
            6,
            False,
        ),
        (
            "azure",
            "Azure Backup vault (West Europe)",
            "azure",
            "ams",
            "azure",
            10_000_000,
            1000,
            16,
            False,
        ),
        (
            "sp",
            "Contoso backup service",
            "service_provider",
            "vie",
            "sp",
            1_000_000,
            1000,
            8,
            False,
        ),
        (
            "appliance",
            "Virtual backup appliance on ASH Frankfurt",
            "same_cloud_appliance",
            "fra",
            "ash_fra",
            50_000,
            800,
            4,
            False,
        ),
        (
            "rack",
            "Physical appliance in ASH Frankfurt rack",
            "rack_appliance",
            "fra",
            None,
            100_000,
            2000,
            4,
            False,
        ),
    ):
        targets[key] = BackupTarget.objects.update_or_create(
            name=name,
            defaults={
                "kind": kind,
                "site": sites[site],
                "cloud": clouds[cloud] if cloud else None,
                "capacity_gib": cap,
                "ingest_mbps": ingest,
                "streams": streams,
                "window_hours": 8,
                "continuous_external_copy": copy,
            },
        )[0]
    policies = {}
    for key, name, interval, points, method, every, w, m, y in (
        (
            "daily14",
            "Daily, 14 points, forever forward",
            1440,
            14,
            "forever_forward",
            None,
            0,
            0,
            0,
        ),
        ("daily30", "Daily, 30 points, reverse", 1440, 30, "reverse", None, 0, 0, 0),
        (
            "weekly",
            "Daily, 28 points, weekly active full",
            1440,
            28,
            "forward_periodic_full",
            7,
            0,
            0,
            0,
        ),
        (
            "gfs",
            "Daily 14 + GFS 4 weekly, 12 monthly, 1 yearly",
            1440,
            14,
            "forward_periodic_synthetic_full",
            7,
            4,
            12,
            1,
        ),
        ("hourly", "Every 4 hours, 42 points", 240, 42, "forever_forward", None, 0, 0, 0),
    ):
        policies[key] = BackupPolicy.objects.update_or_create(
            name=name,
            defaults={
                "interval_minutes": interval,
                "retention_points": points,
                "method": method,
                "full_every": every,
                "gfs_weekly": w,
                "gfs_monthly": m,
                "gfs_yearly": y,
            },
        )[0]
    return {
        "sites": sites,
        "clouds": clouds,
        "subs": subs,
        "targets": targets,
        "policies": policies,
    }


def _accounts(password: str) -> dict:
    ensure_groups()
    User = get_user_model()
    users = {}
    for username, group, staff in DEMO_ACCOUNTS:
        user, created = User.objects.get_or_create(
            username=username, defaults={"email": f"{username}@example.com", "is_staff": staff}
        )
        if created:
            user.set_password(password)
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=group))
        users[username] = user
    return users


# scheme, target cloud key, backup target key, policy key: one combination per app, in turn, so
# every verdict of the seed's topology table appears in any estate of ten apps or more.
COMBINATIONS = (
    ("backup_restore", "ash_muc", "existing", "daily14"),
    ("backup_restore", "ash_muc", "dedicated", "daily30"),
    ("backup_restore", "azure", "azure", "gfs"),
    ("replication", "ash_muc", None, None),
    ("backup_restore", "sp", "sp", "weekly"),
    ("replication", "azure", None, None),
    ("backup_restore", "ash_muc", "appliance", "daily14"),
    ("high_availability", "ash_muc", None, None),
    ("backup_restore", "ash_muc", "rack", "hourly"),
    ("replication", "sp", None, None),
    ("none", None, None, None),
    ("fault_tolerance", "azure", None, None),
)
TIER_BY_SCHEME = {
    "backup_restore": (2, 3),
    "replication": (1, 2),
    "high_availability": (1,),
    "fault_tolerance": (1,),
    "none": (4,),
}
# objectives (rto, rpo) in minutes per tier
OBJECTIVES = {1: (60, 15), 2: (240, 60), 3: (1440, 1440), 4: (4320, 10080)}


def seed(apps: int = 40, vms: int = 400, seed: int = 1, password: str = "") -> SeedResult:
    """Build the demo estate; returns what was created this time."""
    rng = random.Random(seed)
    with transaction.atomic():
        reference.load(_RealApps())
        _internal_rates()
        infra = _infrastructure()
        users = _accounts(password)
        created_apps, created_vms = _estate(rng, infra, users, apps, vms)
    return SeedResult(created_apps, created_vms, [u for u, _, _ in DEMO_ACCOUNTS])


# Example internal rates for on-premises capacity, so the demo's recommendations compare real
# costs: with every rate at 0, each on-premises candidate costs nothing and ties decide.
DEMO_INTERNAL_RATES = {
    "internal.hub_vcpu_month": 20.0,
    "internal.hub_storage_gib_month": 0.05,
    "internal.backup_storage_gib_month": 0.03,
}


def _internal_rates() -> None:
    """The demo operator's internal rates, where no operator has set one yet (never overwrites)."""
    in_force = Price.in_force()
    for entry in catalog_defaults.PRICES:
        rate = DEMO_INTERNAL_RATES.get(entry.key)
        if rate is None or in_force.get(entry.key, 0) > 0:
            continue
        Price.objects.update_or_create(
            key=entry.key,
            effective_date=timezone.localdate(),
            defaults={
                "value": rate,
                "unit": entry.unit,
                "description": entry.description,
                "source": "Demo estate: an example operator's internal rate (seed_demo); "
                "operators set their own in the admin",
            },
        )


class _RealApps:
    """The app registry reference.load() expects, backed by the real models."""

    @staticmethod
    def get_model(app_label, name):
        from django.apps import apps

        return apps.get_model(app_label, name)


def _estate(rng, infra, users, n_apps, n_vms):
    clouds, subs, targets, policies = (
        infra["clouds"],
        infra["subs"],
        infra["targets"],
        infra["policies"],
    )
    sizes = {s.name: s for s in VmSize.objects.all()}
    products = {p.name: p for p in Product.objects.all()}
    names = [f"demo-{i:04d}" for i in range(1, n_apps + 1)]
    existing = set(Application.objects.filter(name__in=names).values_list("name", flat=True))
    per_app = max(1, n_vms // max(1, n_apps))
    extra = n_vms - per_app * n_apps  # the first `extra` apps get one VM more
    now = timezone.now().replace(microsecond=0)
    owners = [users["owner"], users["owner2"]]

    new_apps = []
    plans = []  # (app, vm count, rng state) for apps created now
    for i, name in enumerate(names):
        # Draw for every app, created or not, so each app's facts depend only on (seed, index).
        app_rng = random.Random(rng.random())
        count = per_app + (1 if i < extra else 0)
        if name in existing:
            continue
        scheme, target_key, bt_key, pol_key = COMBINATIONS[i % len(COMBINATIONS)]
        tier = app_rng.choice(TIER_BY_SCHEME[scheme])
        rto, rpo = OBJECTIVES[tier]
        source = clouds["ash_vie"] if i % 3 == 2 else clouds["ash_fra"]
        target = clouds[target_key] if target_key else None
        if target is not None and target.pk == source.pk:
            target = clouds["ash_muc"]
        linux_heavy = i % 4 == 1
        product = _product_for(products, scheme, linux_heavy, i)
        decided = scheme == "none" and i % 2 == 0
        app = Application(
            name=name,
            description=f"{BUSINESS_NAMES[i % len(BUSINESS_NAMES)]} (demo)",
            owner=owners[i % 2],
            tier=tier,
            rto_minutes=rto,
            rpo_minutes=rpo,
            mtpd_minutes=rto * 4,
            scheme=scheme,
            source_cloud=source,
            recovery_target=target,
            backup_target=targets[bt_key] if bt_key else None,
            policy=policies[pol_key] if pol_key else None,
            product=product,
            allow_azure=i % 5 != 4,
            allow_service_provider=True,
            allowed_countries="" if i % 7 else "DE, AT",
            native_ha=scheme in ("high_availability", "fault_tolerance"),
            no_protection_by=users["owner"] if decided else None,
            no_protection_at=now if decided else None,
            no_protection_why="Dev/test: rebuilt from templates" if decided else "",
            manual_steps="Re-point DNS to the target\nRun the smoke test"
            if scheme != "none"
            else "",
        )
        new_apps.append(app)
        plans.append((app, count, app_rng, linux_heavy))
    Application.objects.bulk_create(new_apps, batch_size=500)

    vm_rows, disk_specs, dep_specs, drills = [], [], [], []
    windows_sizes = ["Standard_D2_v2", "Standard_D4_v2", "Standard_DS3_v2", "Standard_F8s_v2"]
    db_sizes = ["Standard_E8_v3", "Standard_DS13_v2", "Standard_D14_v2"]
    for app, count, app_rng, linux_heavy in plans:
        sub = subs[(app.pk % 3) + (3 if app.source_cloud_id == clouds["ash_vie"].pk else 0)]
        rg = f"rg-{app.name}"
        roles = _roles(count)
        scale_set = f"vmss-{app.name}-web" if app_rng.random() < 0.5 else ""
        first_in_role: dict[str, int] = {}
        for j, role in enumerate(roles):
            linux = app_rng.random() < (0.7 if linux_heavy else 0.2)
            size = app_rng.choice(db_sizes if role == "database" else windows_sizes)
            vm = VirtualMachine(
                application=app,
                subscription=sub,
                resource_group=rg,
                name=f"{app.name}-{role[:3]}-{j + 1:02d}",
                os_type="linux" if linux else "windows",
                size=sizes.get(size),
                role=role,
                scale_set=scale_set if role == "web" else "",
                opted_in=app.scheme != "none" and app_rng.random() < 0.85,
                change_rate=round(app_rng.choice((0.02, 0.05, 0.05, 0.1, 0.15)), 2),
                growth_per_year=round(app_rng.choice((0.0, 0.1, 0.2, 0.3)), 2),
            )
            vm_rows.append(vm)
            first_in_role.setdefault(role, len(vm_rows) - 1)
            n_data = 3 if role == "database" else app_rng.choice((0, 1, 1, 2))
            # An occasional very large database disk (above ASR-on-ASH's 1,022 GiB limit).
            big = role == "database" and app_rng.random() < 0.1
            disk_specs.append((len(vm_rows) - 1, n_data, big, app_rng.random()))
            dep_role = {"web": "middleware", "middleware": "database"}.get(role)
            if dep_role and dep_role in first_in_role:
                dep_specs.append((len(vm_rows) - 1, first_in_role[dep_role]))
        for k in range(app_rng.choice((0, 0, 1, 2, 3))):
            started = now - timedelta(days=app_rng.randint(10, 200) + 60 * k)
            minutes = app.rto_minutes * app_rng.uniform(0.4, 1.3)
            drills.append(
                Drill(
                    application=app,
                    kind="drill" if app_rng.random() < 0.8 else "incident",
                    started_at=started,
                    restored_at=started + timedelta(minutes=round(minutes)),
                    data_loss_minutes=round(app.rpo_minutes * app_rng.uniform(0, 1.2)),
                )
            )
    VirtualMachine.objects.bulk_create(vm_rows, batch_size=2000)

    disks = []
    for idx, n_data, big, r in disk_specs:
        vm = vm_rows[idx]
        disks.append(
            Disk(vm=vm, name="osdisk", lun=None, provisioned_gib=127, used_gib=round(30 + 60 * r))
        )
        for lun in range(n_data):
            prov = 2048 if big and lun == 0 else (128, 256, 512, 1023)[int(r * 4 + lun) % 4]
            disks.append(
                Disk(
                    vm=vm,
                    name=f"data{lun}",
                    lun=lun,
                    provisioned_gib=prov,
                    used_gib=round(prov * (0.3 + 0.6 * ((r * (lun + 3)) % 1)), 1),
                )
            )
    Disk.objects.bulk_create(disks, batch_size=2000)
    Through = VirtualMachine.depends_on.through
    deps = [
        Through(from_virtualmachine_id=vm_rows[a].pk, to_virtualmachine_id=vm_rows[b].pk)
        for a, b in dep_specs
    ]
    # Shared dependencies across apps: every 6th app's middleware needs the first database.
    shared_db = next((v for v in vm_rows if v.role == "database"), None)
    index = {app.pk: int(app.name.rsplit("-", 1)[1]) for app in new_apps}
    if shared_db is not None:
        for vm in vm_rows:
            if (
                vm.role == "middleware"
                and vm.application_id != shared_db.application_id
                and index[vm.application_id] % 6 == 0
            ):
                deps.append(
                    Through(from_virtualmachine_id=vm.pk, to_virtualmachine_id=shared_db.pk)
                )
    Through.objects.bulk_create(deps, batch_size=2000, ignore_conflicts=True)
    Drill.objects.bulk_create(drills, batch_size=2000)
    return len(new_apps), len(vm_rows)


def _roles(count: int) -> list[str]:
    """A three-tier app: about 20 % databases, 30 % middleware, the rest web."""
    if count == 1:
        return ["database"]
    n_db = max(1, round(count * 0.2))
    n_mw = max(1, round(count * 0.3)) if count > 2 else 0
    return ["database"] * n_db + ["middleware"] * n_mw + ["web"] * (count - n_db - n_mw)


def _product_for(products, scheme, linux_heavy, i):
    if scheme == "none":
        return None
    if scheme == "backup_restore":
        if i % 24 == 20:
            return products.get("Hypervisor-level backup agent")
        name = (
            "Veeam Backup & Replication"
            if linux_heavy
            else (
                "Azure Backup Server (MABS)"
                if i % 2 == 0
                else "Commvault Complete Backup & Recovery"
            )
        )
    elif scheme == "replication":
        name = (
            "Zerto Virtual Replication" if linux_heavy else "Azure Site Recovery on Azure Stack Hub"
        )
    else:
        name = (
            "Partner clustering (e.g. SIOS, Pacemaker)"
            if linux_heavy
            else ("SQL Server Always On / Windows Server Failover Clustering")
        )
    return products.get(name)


# --- plans in every state (manage.py prepare_demo) ---------------------------------------------

SHOWCASE_STATES = ("approved", "stale", "submitted", "draft", "rejected")
WAIVER_WHY = (
    "Accepted by the service's risk owner until the next platform review: the gap is known, "
    "monitored and documented in the runbook."
)


def showcase_plans() -> dict[str, str]:
    """Leave a plan in every state on the demo owner's sized apps, through the real workflow.

    The owner (``owner``) takes, submits; the approver (``approver``, who owns none of them)
    waives, approves and rejects, so separation of duties holds as for any user. Apps are the
    owner's first sized, protected apps by name (what their dashboard lists first): the two with
    the fewest blocking findings are approved (each blocking finding waived by the approver with
    a justification), and one of them then changes (a VM's daily change rate, as an edit would)
    so its approved plan is stale; the one with the most is rejected with the reason; the others
    stay submitted and draft. Does nothing when any plan exists. Returns {state: app name}.
    """
    from planner.models import PlanRevision
    from planner.services import plans as plan_service

    if PlanRevision.objects.exists():
        return {}
    User = get_user_model()
    owner = User.objects.get(username="owner")
    approver = User.objects.get(username="approver")
    apps = list(
        Application.objects.filter(owner=owner, result__isnull=False)
        .exclude(scheme="none")
        .select_related("result")
        .order_by("name")[: len(SHOWCASE_STATES)]
    )
    if len(apps) < len(SHOWCASE_STATES):
        return {}
    by_blocking = sorted(apps, key=lambda a: (a.result.blocking_count, a.name))
    chosen = {
        "approved": by_blocking[0],
        "stale": by_blocking[1],
        "rejected": by_blocking[-1],
    }
    rest = [a for a in apps if a not in chosen.values()]
    chosen["submitted"], chosen["draft"] = rest

    made = {}
    for state in SHOWCASE_STATES:
        app = chosen[state]
        rev = plan_service.create_revision(app, owner, "demo: first plan of the app")
        made[state] = app.name
        if state == "draft":
            continue
        rev = plan_service.submit_revision(rev, owner, "Ready for review.")
        if state == "submitted":
            continue
        if state == "rejected":
            codes = ", ".join(sorted(set(rev.blocking_codes))) or "none"
            plan_service.reject_revision(
                rev,
                approver,
                f"Blocking findings without a waiver: {codes}. Fix them, or justify a waiver "
                "for each, and submit a new revision.",
            )
            continue
        for code in sorted(set(rev.blocking_codes)):
            plan_service.add_waiver(rev, code, approver, WAIVER_WHY)
        rev = plan_service.approve_revision(rev, approver, "Approved with the recorded waivers.")
        if state == "stale":
            _edit_after_approval(app, owner)
    return made


def _edit_after_approval(app: Application, owner) -> None:
    """The owner measures a higher daily change rate on one VM after the plan was approved: the
    approved plan no longer matches the app (stale) and the app is sized again by the workers
    (the edit is ``actions.save_vm``'s, as in the portal)."""
    from planner.services import actions

    vm = app.vms.filter(opted_in=True).order_by("name").first() or app.vms.order_by("name").first()
    vm.change_rate = min(0.5, round(vm.change_rate + 0.05, 2))

    def save() -> VirtualMachine:
        vm.save(update_fields=["change_rate"])
        return vm

    actions.save_vm(vm, owner, save)
