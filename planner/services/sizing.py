"""Size apps and save the results: load facts -> planner.assess (pure) -> bulk write.

A chunk of apps costs a fixed number of queries whatever its size: five to load the facts, a
few for the estate context (loads on the targets, dependencies across apps), and per table one
DELETE and one batched INSERT to swap the results in. The swap is one transaction, so readers
see an app's previous results or its new ones, never half; an app whose sizing fails (or whose
figures are not finite, or whose rows the database refuses) keeps its previous results and gets
a RunError naming it and the reason, and the other apps of the chunk are stored.

Where the other apps' figures come from (the loads on backup targets and hubs, the ASR
appliances they run on a source hub, the capability of the apps a VM depends on):
- an estate run sizes in two passes (``planner.services.runs``): ``figure_and_save`` stores every
  app's own figures and capability with the run (``RunFigures``), then ``size_and_save`` reads
  them back, so the findings do not depend on the order of the chunks or on an earlier run;
- a run of one app, a plan revision and the what-if read the other apps' stored results
  (``AppResult``); the findings' arithmetic and the result's ``detail["context"]`` name which
  (app, run and time), and a plan revision keeps that detail. Only those named are read with
  their name, run and time (``estate_context``).
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db import DatabaseError, transaction
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
    RunFigures,
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

log = logging.getLogger(__name__)

# How many other apps' stored results a finding's arithmetic names before "and N more".
NAMED_SOURCES = 3


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
    """Size the given apps and swap their results in; with a chunk, also close the chunk.

    In the second pass of an estate run the other apps' figures come from the run's first pass
    (``figure_and_save``); otherwise from their stored results (module docstring)."""
    now = now or timezone.now()
    catalogs = Catalogs.load()
    failed: list[tuple[int, str]] = []
    apps = load_apps(app_ids, failed)
    assessments, context, assess_failed = assess_apps(apps, catalogs, now, run=run)
    failed.extend(assess_failed)
    with transaction.atomic():
        # Close the chunk first: the conditional UPDATE locks the row, so of two deliveries
        # running at once (a visibility-timeout duplicate) exactly one writes.
        if chunk is not None and not RunChunk.objects.filter(
            pk=chunk.pk, status=RunStatus.RUNNING
        ).update(status=RunStatus.SUCCEEDED, finished_at=timezone.now()):
            return _outcome(assessments, failed)
        stored = save_isolated(
            assessments, run=run, catalogs=catalogs, now=now, context=context, failed=failed
        )
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
    return _outcome(stored, failed)


def _outcome(assessments, failed) -> Outcome:
    return Outcome(
        vms=sum(len(a.sizing.vms) for a in assessments), apps=len(assessments), failed=failed
    )


def reason(exc: BaseException) -> str:
    """An exception as a run error's message: the engine's own ValueErrors read as they are."""
    text = str(exc) if isinstance(exc, ValueError) else f"{exc.__class__.__name__}: {exc}"
    return text[:1000]


def assess_apps(apps: list[facts.App], catalogs: Catalogs, now: datetime, run=None):
    """Size every app, then evaluate each against the estate context (two passes: the loads on
    the targets include the new figures of the apps sized here). An app that fails is named in
    the returned failures and the others go on."""
    sized, failed = [], []
    for app in apps:
        try:
            sized.append((app, assess.size(app, catalogs.prices, catalogs.limits)))
        except Exception as exc:  # one app's failure never fails the others
            log.warning("sizing %s failed", app.id, exc_info=not isinstance(exc, ValueError))
            failed.append((app.id, f"{app.name}: {reason(exc)}"))
    context = estate_context(
        [a for a, _ in sized], [s for _, s in sized], run=run, limits=catalogs.limits
    )
    assessments = []
    for app, sizing in sized:
        try:
            assessments.append(
                assess.assess(
                    app,
                    sizing,
                    context.for_app(app, sizing, catalogs.limits, now, prices=catalogs.prices),
                )
            )
        except Exception as exc:
            log.warning("rules of %s failed", app.id, exc_info=not isinstance(exc, ValueError))
            failed.append((app.id, f"{app.name}: {reason(exc)}"))
    return assessments, context, failed


# --- the first pass of an estate run ----------------------------------------------------------


def figure_and_save(app_ids, *, run: SizingRun, chunk: RunChunk | None = None, now=None) -> Outcome:
    """The first pass of an estate run: each app's own figures and the capability of its chosen
    scheme, stored with the run for the second pass. No estate context is read. An app that
    fails here is left out (the second pass records its error)."""
    now = now or timezone.now()
    catalogs = Catalogs.load()
    failed: list[tuple[int, str]] = []
    rows, vms = [], 0
    for app in load_apps(app_ids, failed):
        try:
            s = assess.size(app, catalogs.prices, catalogs.limits)
            cap = assess.own_capability(app, s, catalogs.limits, now)
        except Exception as exc:
            failed.append((app.id, f"{app.name}: {reason(exc)}"))
            continue
        row = RunFigures(
            run=run,
            application_id=app.id,
            scheme=app.scheme,
            backup_target_id=app.backup_target.id if app.backup_target else None,
            recovery_target_id=app.recovery_target.id if app.recovery_target else None,
            protected_vm_count=len(s.vms),
            backup_gib=s.backup_gib,
            churn_gib_day=s.churn_gib_day,
            standby_memory_gib=s.standby_memory_gib,
            rto_capability_minutes=_capability(cap.rto_minutes),
            rpo_capability_minutes=_capability(cap.rpo_minutes),
            source_cloud_id=app.source_cloud.id if app.source_cloud else None,
            asr_appliances=s.asr_appliances,
        )
        bad = non_finite(
            {"backup_gib": row.backup_gib, "churn_gib_day": row.churn_gib_day},
            {"standby_memory_gib": row.standby_memory_gib},
        )
        if bad:
            failed.append((app.id, f"{app.name}: {bad}"))
            continue
        rows.append(row)
        vms += len(s.vms)
    with transaction.atomic():
        if chunk is not None and not RunChunk.objects.filter(
            pk=chunk.pk, status=RunStatus.RUNNING
        ).update(status=RunStatus.SUCCEEDED, finished_at=timezone.now()):
            return Outcome(vms=vms, apps=len(rows), failed=failed)
        RunFigures.objects.filter(run=run, application_id__in=list(app_ids)).delete()
        RunFigures.objects.bulk_create(rows, batch_size=500)
        if chunk is not None:
            SizingRun.objects.filter(pk=chunk.run_id).update(
                done_chunks=F("done_chunks") + 1, figured_vms=F("figured_vms") + chunk.vm_count
            )
    return Outcome(vms=vms, apps=len(rows), failed=failed)


def _capability(minutes: float | None) -> float | None:
    """As ``AppResult`` stores it: None for unknown or infinite (no protection)."""
    return None if minutes is None or not math.isfinite(minutes) else minutes


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
    # Where the other apps' figures came from: "run" (this run's first pass) or "stored".
    figures_from: str = "stored"
    # Stored results read instead of this run's figures: app id -> {app, run_id, computed_at},
    # and which of them each target, hub and app's dependencies used.
    sources: dict[int, dict] = field(default_factory=dict)
    target_sources: dict[int, set[int]] = field(default_factory=dict)
    cloud_sources: dict[int, set[int]] = field(default_factory=dict)
    external_sources: dict[int, set[int]] = field(default_factory=dict)

    def for_app(self, app, sizing, limits, now, *, prices=None):
        """The rule context of one app; with ``prices``, every recommendation candidate is
        sized for its cost and capacity (``assess.candidate_figures``)."""
        candidates = None
        if prices is not None:
            candidates = assess.candidate_figures(
                app,
                sizing,
                prices,
                limits,
                clouds=self.clouds,
                backup_targets=self.backup_targets,
            )
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
            candidates=candidates,
        )

    def relied_on(self, app: facts.App) -> dict:
        """What this app's findings read of the other apps: for its result's detail and so for
        a plan revision's snapshot."""
        ids = set(self.external_sources.get(app.id, ()))
        if app.backup_target:
            ids |= self.target_sources.get(app.backup_target.id, set())
        if app.recovery_target:
            ids |= self.cloud_sources.get(app.recovery_target.id, set())
        ids.discard(app.id)
        return {
            "figures_from": self.figures_from,
            "stored_results": [{"app_id": i, **self.sources[i]} for i in sorted(ids)],
        }


def _basis(app_ids: set[int], sources: dict[int, dict]) -> str:
    """ " (2 from stored results: 'crm' run 12 at 2026-12-06 01:02 UTC, …)" for a message."""
    if not app_ids:
        return ""
    ids = sorted(app_ids)
    named = [
        f"'{sources[i]['app']}' run {sources[i]['run_id'] or '?'} at {sources[i]['at']}"
        for i in ids[:NAMED_SOURCES]
    ]
    more = f" and {len(ids) - NAMED_SOURCES} more" if len(ids) > NAMED_SOURCES else ""
    return f" ({len(ids)} from stored results: {', '.join(named)}{more})"


def _source(name: str, run_id, computed_at) -> dict:
    return {
        "app": name,
        "run_id": run_id,
        "computed_at": computed_at.isoformat() if computed_at else None,
        "at": computed_at.strftime("%Y-%m-%d %H:%M UTC") if computed_at else "an unknown time",
    }


def _stored_sources(pks: dict[int, int]) -> dict[int, dict]:
    """App id -> ``_source`` of the stored result (app id -> its pk) its figures were read from.

    A result swapped in since (another run stored the app meanwhile) is named as it is now;
    an app deleted since is named by its id."""
    if not pks:
        return {}
    rows = AppResult.objects.filter(
        Q(pk__in=list(pks.values())) | Q(application_id__in=list(pks))
    ).values_list("application_id", "pk", "application__name", "run_id", "computed_at")
    found: dict[int, tuple] = {}
    for app_id, pk, name, run_id, at in rows:
        if app_id not in found or pk == pks.get(app_id):
            found[app_id] = (name, run_id, at)
    return {app_id: _source(*found.get(app_id, (f"app {app_id}", None, None))) for app_id in pks}


def estate_context(apps: list[facts.App], sizings: list, run=None, limits=None) -> EstateContext:
    """Loads on the targets and dependencies across apps, and the estate's catalogs.

    The other apps' figures: in the second pass of an estate run (``run.two_phase``), the
    figures its first pass stored (``RunFigures``), falling back to the stored results of an
    app the first pass could not size; otherwise their stored results (``AppResult``), read as
    figures only (a one-app run reads every other app's), then named in ``sources`` where a
    message or a result's detail names them: the first NAMED_SOURCES of each target and hub,
    and every one on the targets and hubs of the apps given here (``relied_on``). The apps
    given here count with their new figures. Sums are exact
    (``math.fsum``), so they do not depend on the order of the apps. What already runs on a
    target hub is counted by ``hub_capacity.hub_figures`` (inventory, operator's figure, ASR),
    with the other apps' ASR appliances from the same source as their loads."""
    ids = [a.id for a in apps]
    new = dict(zip(ids, sizings, strict=True))
    from_run = run is not None and run.two_phase
    # Every backup target and hub, not only these apps': the recommendation checks the room each
    # candidate target has.
    all_targets = list(BackupTarget.objects.select_related("site", "cloud__site"))
    target_ids = {t.id for t in all_targets}
    clouds = {c.id: cloud_facts(c) for c in Cloud.objects.select_related("site")}
    # The other apps' figures: app id -> (target, cloud, scheme, backup, churn, memory, vms).
    others: dict[int, tuple] = {}
    sources: dict[int, dict] = {}
    figured = RunFigures.objects.filter(run=run) if from_run else RunFigures.objects.none()
    if from_run:
        for row in (
            figured.exclude(application_id__in=ids)
            .filter(
                Q(backup_target_id__in=target_ids, scheme="backup_restore")
                | Q(recovery_target_id__in=list(clouds), standby_memory_gib__gt=0)
            )
            .values_list(
                "application_id",
                "backup_target_id",
                "recovery_target_id",
                "scheme",
                "backup_gib",
                "churn_gib_day",
                "standby_memory_gib",
                "protected_vm_count",
            )
        ):
            others[row[0]] = row[1:]
    stored = (
        AppResult.objects.filter(
            Q(application__backup_target_id__in=target_ids, application__scheme="backup_restore")
            | Q(application__recovery_target_id__in=list(clouds), standby_memory_gib__gt=0)
        )
        .exclude(application_id__in=ids)
        .exclude(application_id__in=figured.values("application_id"))
    )
    # Figures only: which stored result each came from is read below for the few the findings
    # and the results' detail name (a target's first NAMED_SOURCES, the sized apps' own targets).
    stored_pks: dict[int, int] = {}
    for app_id, pk, *row in stored.values_list(
        "application_id",
        "pk",
        "application__backup_target_id",
        "application__recovery_target_id",
        "application__scheme",
        "backup_gib",
        "churn_gib_day",
        "standby_memory_gib",
        "protected_vm_count",
    ):
        others[app_id] = tuple(row)
        stored_pks[app_id] = pk
    for app in apps:
        s = new[app.id]
        others[app.id] = (
            app.backup_target.id if app.backup_target else None,
            app.recovery_target.id if app.recovery_target else None,
            app.scheme,
            s.backup_gib,
            s.churn_gib_day,
            s.standby_memory_gib,
            len(s.vms),
        )
    # Backup targets: the needs of every backup_restore app on them.
    needed, ingest, users = defaultdict(list), defaultdict(list), defaultdict(set)
    memory, vm_count, cloud_users = defaultdict(list), defaultdict(int), defaultdict(set)
    for app_id, (target, cloud, scheme, gib, churn, mem, n_vms) in sorted(others.items()):
        if target in target_ids and scheme == "backup_restore":
            needed[target].append(gib or 0)
            ingest[target].append(churn or 0)
            users[target].add(app_id)
        if cloud in clouds and (mem or 0) > 0:
            memory[cloud].append(mem)
            vm_count[cloud] += n_vms or 0
            cloud_users[cloud].add(app_id)
    target_sources = {t: users[t] & stored_pks.keys() for t in target_ids}
    cloud_sources = {c: cloud_users[c] & stored_pks.keys() for c in clouds}
    named: set[int] = set()
    for group in (*target_sources.values(), *cloud_sources.values()):
        named.update(sorted(group)[:NAMED_SOURCES])
    for app in apps:
        if app.backup_target:
            named |= target_sources.get(app.backup_target.id, set())
        if app.recovery_target:
            named |= cloud_sources.get(app.recovery_target.id, set())
    sources.update(_stored_sources({i: stored_pks[i] for i in named}))
    target_loads = {
        t: TargetLoad(
            needed_gib=math.fsum(needed[t]),
            nightly_ingest_gib=math.fsum(ingest[t]),
            apps=len(users[t]),
            basis=_basis(target_sources[t], sources),
        )
        for t in target_ids
    }
    # Recovery clouds (Azure Stack Hub): stand-by memory and VM count against the ASH formula.
    cloud_loads = {}
    hubs = hub_figures(
        [c for c, cloud in clouds.items() if cloud.kind == "azure_stack_hub" and cloud.nodes],
        limits if limits is not None else Limit.in_force(),
        new=zip(apps, sizings, strict=True),
        run=run if from_run else None,
    )
    for cloud_id, hub in hubs.items():
        cloud_loads[cloud_id] = CloudLoad(
            standby_memory_gib=math.fsum(memory[cloud_id]),
            vm_count=vm_count[cloud_id],
            available_memory_gib=hub.available_gib,
            apps=len(cloud_users[cloud_id]),
            basis=_basis(cloud_sources[cloud_id], sources),
            running_vms=hub.running.vm_count,
            explanation=hub.explanation,
        )
    # Dependencies across apps, both ways.
    through = VirtualMachine.depends_on.through.objects
    dependents: dict[int, dict[int, list[Dependent]]] = defaultdict(lambda: defaultdict(list))
    for to_id, to_app, app_id, app_name, rto, rpo, vm_name, vm_id in (
        through.filter(to_virtualmachine__application_id__in=ids)
        .exclude(from_virtualmachine__application_id=F("to_virtualmachine__application_id"))
        .order_by("to_virtualmachine_id", "from_virtualmachine_id")
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
    edges = list(
        through.filter(from_virtualmachine__application_id__in=ids)
        .exclude(from_virtualmachine__application_id=F("to_virtualmachine__application_id"))
        .values_list(
            "from_virtualmachine__application_id",
            "to_virtualmachine_id",
            "to_virtualmachine__name",
            "to_virtualmachine__application_id",
            "to_virtualmachine__application__name",
            "to_virtualmachine__application__scheme",
            "to_virtualmachine__opted_in",
            "to_virtualmachine__application__result__rto_capability_minutes",
            "to_virtualmachine__application__result__rpo_capability_minutes",
            "to_virtualmachine__application__result__run_id",
            "to_virtualmachine__application__result__computed_at",
        )
    )
    # The capability of the apps depended on: this run's first pass, else their stored result.
    capability: dict[int, tuple] = {}
    if from_run:
        for app_id, rto, rpo in figured.filter(
            application_id__in={e[3] for e in edges}
        ).values_list("application_id", "rto_capability_minutes", "rpo_capability_minutes"):
            capability[app_id] = (rto, rpo)
    external: dict[int, dict[int, ExternalVm]] = defaultdict(dict)
    external_sources: dict[int, set[int]] = defaultdict(set)
    for from_app, to_id, name, app_id, app_name, scheme, opted, *stored_cap in edges:
        if app_id not in capability:
            rto, rpo, run_id, at = stored_cap
            capability[app_id] = (rto, rpo)
            if at is not None:  # a stored result (none: the app was never sized)
                sources[app_id] = _source(app_name, run_id, at)
        rto_cap, rpo_cap = capability[app_id]
        external[from_app][to_id] = ExternalVm(
            name, app_id, app_name, scheme, rto_cap, rpo_cap, opted
        )
        if app_id in sources:
            external_sources[from_app].add(app_id)
    return EstateContext(
        clouds=tuple(clouds.values()),
        backup_targets=tuple(target_facts(t) for t in all_targets),
        products=tuple(product_facts(p) for p in Product.objects.all()),
        target_loads=target_loads,
        cloud_loads=cloud_loads,
        dependents={a: {v: tuple(d) for v, d in vms.items()} for a, vms in dependents.items()},
        external=dict(external),
        figures_from="run" if from_run else "stored",
        sources=sources,
        target_sources=target_sources,
        cloud_sources=cloud_sources,
        external_sources=dict(external_sources),
    )


# --- writing ----------------------------------------------------------------------------------


def non_finite(*rows) -> str:
    """A message naming the first number that is NaN or infinite in ``rows`` (dicts, lists and
    the JSON inside them), or "". Such a number never reaches the database: PostgreSQL refuses
    it in JSON and SQLite in a float column."""
    stack = [("", r) for r in rows]
    while stack:
        path, value = stack.pop()
        if isinstance(value, float):
            if not math.isfinite(value):
                return f"the engine computed {value} for {path.lstrip('.') or 'a figure'}"
        elif isinstance(value, dict):
            stack.extend((f"{path}.{k}", v) for k, v in value.items())
        elif isinstance(value, list | tuple):
            stack.extend((f"{path}[{i}]", v) for i, v in enumerate(value))
    return ""


def save_isolated(assessments, *, run, catalogs: Catalogs, now, context, failed) -> list:
    """Save the apps' results; an app whose figures are not finite, or whose rows the database
    refuses, keeps its previous results and is added to ``failed``. Returns the apps stored."""
    ok = []
    for a in assessments:
        rows = _rows(a, context)
        bad = non_finite(rows[1], rows[0])
        if bad:
            failed.append((a.app.id, f"{a.app.name}: {bad}; its previous results are kept"))
        else:
            ok.append((a, rows))
    try:
        with transaction.atomic():
            _write(ok, run=run, catalogs=catalogs, now=now)
        return [a for a, _ in ok]
    except DatabaseError:
        log.warning("a batch of results was refused; saving app by app", exc_info=True)
    stored = []
    for a, rows in ok:
        try:
            with transaction.atomic():
                _write([(a, rows)], run=run, catalogs=catalogs, now=now)
            stored.append(a)
        except DatabaseError as exc:
            failed.append(
                (a.app.id, f"{a.app.name}: the database refused its results: {reason(exc)}")
            )
    return stored


def save_assessments(assessments, *, run, catalogs: Catalogs, now, context=None) -> None:
    """Swap the apps' results in: one DELETE and one batched INSERT per table."""
    _write([(a, _rows(a, context)) for a in assessments], run=run, catalogs=catalogs, now=now)


def _rows(a, context) -> tuple[list[dict], dict, list[dict]]:
    app_row = a.app_row()
    if context is not None:
        app_row["detail"]["context"] = context.relied_on(a.app)
    return a.vm_rows(), app_row, a.finding_rows()


def _write(prepared, *, run, catalogs: Catalogs, now) -> None:
    ids = [a.app.id for a, _ in prepared]
    VmResult.objects.filter(application_id__in=ids).delete()
    AppResult.objects.filter(application_id__in=ids).delete()
    Finding.objects.filter(application_id__in=ids).delete()
    vm_rows, app_rows, finding_rows = [], [], []
    for _, (vms, app_row, findings) in prepared:
        vm_rows.extend(VmResult(run=run, **row) for row in vms)
        app_rows.append(
            AppResult(
                run=run,
                computed_at=now,
                engine_version=ENGINE_VERSION,
                prices_version=catalogs.prices_version,
                limits_version=catalogs.limits_version,
                sizes_version=catalogs.sizes_version,
                **app_row,
            )
        )
        finding_rows.extend(Finding(run=run, **row) for row in findings)
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
