"""Size apps and save the results: load facts -> planner.assess (pure) -> bulk write.

A chunk of apps costs a fixed number of queries whatever its size: five to load the facts, five
for the estate context (loads on the targets, dependencies across apps), and per table one
DELETE and one batched INSERT to swap the results in. The swap is one transaction, so readers
see an app's previous results or its new ones, never half; an app whose sizing fails keeps its
previous results and gets a RunError naming it and the reason.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from planner import assess, facts
from planner.models import (
    AppResult,
    BackupTarget,
    Cloud,
    Finding,
    Limit,
    Price,
    Product,
    RunChunk,
    RunError,
    RunStatus,
    SizingRun,
    VirtualMachine,
    VmResult,
    VmSize,
)
from planner.rules.context import CloudLoad, Dependent, ExternalVm, TargetLoad
from planner.services.facts import cloud_facts, load_apps, product_facts, target_facts
from planner.services.hub import drift_findings
from planner.services.hub_capacity import hub_figures
from planner.sizing import ENGINE_VERSION


def engine_version() -> str:
    return ENGINE_VERSION


def catalog_versions() -> tuple[str, str, str]:
    """The prices, limits and VM sizes versions a run records."""
    return Price.version(), Limit.version(), VmSize.version()


@dataclass
class Outcome:
    vms: int = 0
    apps: int = 0
    failed: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Catalogs:
    prices: dict
    limits: dict
    prices_version: str
    limits_version: str
    sizes_version: str = ""

    @classmethod
    def load(cls) -> Catalogs:
        return cls(
            Price.in_force(), Limit.in_force(), Price.version(), Limit.version(), VmSize.version()
        )


def size_and_save(
    app_ids, *, run: SizingRun | None = None, chunk: RunChunk | None = None, now=None
) -> Outcome:
    """Size the given apps and swap their results in; with a chunk, also close the chunk."""
    now = now or timezone.now()
    catalogs = Catalogs.load()
    apps = load_apps(app_ids)
    assessments, failed = assess_apps(apps, catalogs, now)
    outcome = Outcome(
        vms=sum(len(a.sizing.vms) for a in assessments), apps=len(assessments), failed=failed
    )
    with transaction.atomic():
        # Close the chunk first: the conditional UPDATE locks the row, so of two deliveries
        # running at once (a visibility-timeout duplicate) exactly one writes.
        if chunk is not None and not RunChunk.objects.filter(
            pk=chunk.pk, status=RunStatus.RUNNING
        ).update(status=RunStatus.SUCCEEDED, finished_at=timezone.now()):
            return outcome
        save_assessments(assessments, run=run, catalogs=catalogs, now=now)
        if run is not None and failed:
            RunError.objects.bulk_create(
                [
                    RunError(
                        run=run,
                        application_id=app_id,
                        chunk_index=chunk.index if chunk else None,
                        message=message,
                    )
                    for app_id, message in failed
                ],
                ignore_conflicts=True,
            )
        if chunk is not None:
            SizingRun.objects.filter(pk=chunk.run_id).update(
                done_chunks=F("done_chunks") + 1, done_vms=F("done_vms") + chunk.vm_count
            )
    return outcome


def assess_apps(apps: list[facts.App], catalogs: Catalogs, now: datetime):
    """Size every app, then evaluate each against the estate context (two passes: the loads on
    the targets include the new figures of the apps sized here)."""
    sized, failed = [], []
    for app in apps:
        try:
            sized.append((app, assess.size(app, catalogs.prices, catalogs.limits)))
        except ValueError as exc:
            failed.append((app.id, f"{app.name}: {exc}"))
    context = estate_context([a for a, _ in sized], [s for _, s in sized], catalogs.limits)
    assessments = []
    for app, sizing in sized:
        try:
            assessments.append(
                assess.assess(app, sizing, context.for_app(app, sizing, catalogs.limits, now))
            )
        except ValueError as exc:
            failed.append((app.id, f"{app.name}: {exc}"))
    return assessments, failed


# --- estate context ---------------------------------------------------------------------------


@dataclass
class EstateContext:
    target_loads: dict[int, TargetLoad]
    cloud_loads: dict[int, CloudLoad]
    dependents: dict[int, dict[int, tuple[Dependent, ...]]]  # app id -> vm id -> dependents
    external: dict[int, dict[int, ExternalVm]]  # app id -> external vm id -> facts
    # The estate's catalogs: the recommendation looks for an allowed target and product.
    clouds: tuple = ()
    backup_targets: tuple = ()
    products: tuple = ()

    def for_app(self, app, sizing, limits, now):
        return assess.rule_context(
            app,
            sizing,
            limits=limits,
            now=now,
            target_loads=self.target_loads,
            cloud_loads=self.cloud_loads,
            dependents=self.dependents.get(app.id, {}),
            external_vms=self.external.get(app.id, {}),
            clouds=self.clouds,
            backup_targets=self.backup_targets,
            products=self.products,
        )


def estate_context(apps: list[facts.App], sizings: list, limits=None) -> EstateContext:
    """Loads on the targets and dependencies across apps: stored results of the other apps plus
    the new figures of these ones, and the estate's catalogs. Eight queries."""
    ids = [a.id for a in apps]
    new = dict(zip(ids, sizings, strict=True))
    # Backup targets: stored needs of other apps + new needs of these.
    target_ids = {a.backup_target.id for a in apps if a.backup_target}
    needed = defaultdict(float)
    ingest = defaultdict(float)
    users = defaultdict(int)
    for target_id, gib, churn, n in (
        AppResult.objects.filter(
            application__backup_target_id__in=target_ids,
            application__scheme="backup_restore",  # as the new figures below
        )
        .exclude(application_id__in=ids)
        .values("application__backup_target_id")
        .annotate(g=Sum("backup_gib"), c=Sum("churn_gib_day"), n=Count("id"))
        .values_list("application__backup_target_id", "g", "c", "n")
    ):
        needed[target_id] += gib or 0
        ingest[target_id] += churn or 0
        users[target_id] += n
    for app in apps:
        if app.backup_target and app.scheme == "backup_restore":
            s = new[app.id]
            needed[app.backup_target.id] += s.backup_gib
            ingest[app.backup_target.id] += s.churn_gib_day
            users[app.backup_target.id] += 1
    target_loads = {
        t: TargetLoad(needed_gib=needed[t], nightly_ingest_gib=ingest[t], apps=users[t])
        for t in target_ids
    }
    # Recovery clouds (Azure Stack Hub): stand-by memory and VM count against the ASH formula.
    clouds = {a.recovery_target.id: a.recovery_target for a in apps if a.recovery_target}
    memory = defaultdict(float)
    vm_count = defaultdict(int)
    cloud_users = defaultdict(int)
    for cloud_id, mem, n_vms, n in (
        AppResult.objects.filter(application__recovery_target_id__in=list(clouds))
        .exclude(application_id__in=ids)
        .filter(standby_memory_gib__gt=0)
        .values("application__recovery_target_id")
        .annotate(m=Sum("standby_memory_gib"), v=Sum("protected_vm_count"), n=Count("id"))
        .values_list("application__recovery_target_id", "m", "v", "n")
    ):
        memory[cloud_id] += mem or 0
        vm_count[cloud_id] += n_vms or 0
        cloud_users[cloud_id] += n
    for app in apps:
        s = new[app.id]
        if app.recovery_target and s.standby_memory_gib > 0:
            memory[app.recovery_target.id] += s.standby_memory_gib
            vm_count[app.recovery_target.id] += len(s.vms)
            cloud_users[app.recovery_target.id] += 1
    cloud_loads = {}
    hubs = hub_figures(
        [c for c, cloud in clouds.items() if cloud.kind == "azure_stack_hub" and cloud.nodes],
        limits if limits is not None else Limit.in_force(),
        new=zip(apps, sizings, strict=True),
    )
    for cloud_id, hub in hubs.items():
        cloud_loads[cloud_id] = CloudLoad(
            standby_memory_gib=memory[cloud_id],
            vm_count=vm_count[cloud_id],
            available_memory_gib=hub.available_gib,
            apps=cloud_users[cloud_id],
            running_vms=hub.running.vm_count,
            explanation=hub.explanation,
        )
    # Dependencies across apps, both ways.
    through = VirtualMachine.depends_on.through.objects
    dependents: dict[int, dict[int, list[Dependent]]] = defaultdict(lambda: defaultdict(list))
    for to_id, to_app, app_id, app_name, rto, rpo, vm_name, vm_id in (
        through.filter(to_virtualmachine__application_id__in=ids)
        .exclude(from_virtualmachine__application_id=F("to_virtualmachine__application_id"))
        .values_list(
            "to_virtualmachine_id",
            "to_virtualmachine__application_id",
            "from_virtualmachine__application_id",
            "from_virtualmachine__application__name",
            "from_virtualmachine__application__rto_minutes",
            "from_virtualmachine__application__rpo_minutes",
            "from_virtualmachine__name",
            "from_virtualmachine_id",
        )
    ):
        dependents[to_app][to_id].append(Dependent(app_id, app_name, rto, rpo, vm_name, vm_id))
    external: dict[int, dict[int, ExternalVm]] = defaultdict(dict)
    for from_app, to_id, name, app_id, app_name, scheme, rto_cap, rpo_cap, opted in (
        through.filter(from_virtualmachine__application_id__in=ids)
        .exclude(from_virtualmachine__application_id=F("to_virtualmachine__application_id"))
        .values_list(
            "from_virtualmachine__application_id",
            "to_virtualmachine_id",
            "to_virtualmachine__name",
            "to_virtualmachine__application_id",
            "to_virtualmachine__application__name",
            "to_virtualmachine__application__scheme",
            "to_virtualmachine__application__result__rto_capability_minutes",
            "to_virtualmachine__application__result__rpo_capability_minutes",
            "to_virtualmachine__opted_in",
        )
    ):
        external[from_app][to_id] = ExternalVm(
            name, app_id, app_name, scheme, rto_cap, rpo_cap, opted
        )
    return EstateContext(
        clouds=tuple(cloud_facts(c) for c in Cloud.objects.select_related("site")),
        backup_targets=tuple(
            target_facts(t) for t in BackupTarget.objects.select_related("site", "cloud__site")
        ),
        products=tuple(product_facts(p) for p in Product.objects.all()),
        target_loads=target_loads,
        cloud_loads=cloud_loads,
        dependents={a: {v: tuple(d) for v, d in vms.items()} for a, vms in dependents.items()},
        external=dict(external),
    )


# --- writing ----------------------------------------------------------------------------------


def save_assessments(assessments, *, run, catalogs: Catalogs, now) -> None:
    """Swap the apps' results in: one DELETE and one batched INSERT per table."""
    ids = [a.app.id for a in assessments]
    VmResult.objects.filter(application_id__in=ids).delete()
    AppResult.objects.filter(application_id__in=ids).delete()
    Finding.objects.filter(application_id__in=ids).delete()
    vm_rows, app_rows, finding_rows = [], [], []
    for a in assessments:
        vm_rows.extend(VmResult(run=run, **row) for row in a.vm_rows())
        app_rows.append(
            AppResult(
                run=run,
                computed_at=now,
                engine_version=ENGINE_VERSION,
                prices_version=catalogs.prices_version,
                limits_version=catalogs.limits_version,
                sizes_version=catalogs.sizes_version,
                **a.app_row(),
            )
        )
        finding_rows.extend(Finding(run=run, **row) for row in a.finding_rows())
    finding_rows.extend(Finding(run=run, **row) for row in drift_findings(ids))
    VmResult.objects.bulk_create(vm_rows, batch_size=2000)
    AppResult.objects.bulk_create(app_rows, batch_size=500)
    Finding.objects.bulk_create(finding_rows, batch_size=2000)


def run_summary(run_id: int) -> dict:
    """Totals of a finished run, for its record and the command line."""
    results = AppResult.objects.filter(run_id=run_id)
    totals = results.aggregate(
        apps=Count("id"),
        vms=Sum("protected_vm_count"),
        backup_gib=Sum("backup_gib"),
        replica_gib=Sum("replica_gib"),
        bandwidth_mbps=Sum("bandwidth_mbps"),
        monthly_cost=Sum("monthly_cost"),
        blocking=Sum("blocking_count"),
        warning=Sum("warning_count"),
    )
    totals = {k: (v or 0) for k, v in totals.items()}
    totals["failures"] = RunError.objects.filter(run_id=run_id).count()
    totals["noncompliant_apps"] = results.filter(~Q(blocking_count=0)).count()
    return totals
