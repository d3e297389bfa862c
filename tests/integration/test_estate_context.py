"""A one-app run's estate context: the other apps' figures read as figures only, and named only
where a message or a result's detail names them, give exactly what reading and naming every
stored result gave (issue 19).

CI runs this file on SQLite and on PostgreSQL (scripts/test.sh)."""

import math
from collections import defaultdict

import pytest

from planner import assess
from planner.demo import seed
from planner.models import Application, AppResult, BackupTarget, Cloud, RunStatus, Trigger
from planner.services import runs
from planner.services.facts import load_apps
from planner.services.sizing import Catalogs, estate_context

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def reference(apps, sizings):
    """The loads as estate_context computed them before issue 19: every other app's stored
    result read with its name, run and time, summed with math.fsum, every source named."""
    ids = {a.id for a in apps}
    targets = set(BackupTarget.objects.values_list("id", flat=True))
    clouds = set(Cloud.objects.values_list("id", flat=True))
    others, sources = {}, {}
    for app_id, name, run_id, at, *row in AppResult.objects.exclude(
        application_id__in=ids
    ).values_list(
        "application_id",
        "application__name",
        "run_id",
        "computed_at",
        "application__backup_target_id",
        "application__recovery_target_id",
        "application__scheme",
        "backup_gib",
        "churn_gib_day",
        "standby_memory_gib",
        "protected_vm_count",
    ):
        others[app_id] = tuple(row)
        sources[app_id] = (name, run_id, at.strftime("%Y-%m-%d %H:%M UTC"))
    for app, s in zip(apps, sizings, strict=True):
        others[app.id] = (
            app.backup_target.id if app.backup_target else None,
            app.recovery_target.id if app.recovery_target else None,
            app.scheme,
            s.backup_gib,
            s.churn_gib_day,
            s.standby_memory_gib,
            len(s.vms),
        )
    t_gib, t_churn, t_users = defaultdict(list), defaultdict(list), defaultdict(set)
    c_mem, c_vms, c_users = defaultdict(list), defaultdict(int), defaultdict(set)
    for app_id, (target, cloud, scheme, gib, churn, mem, n) in others.items():
        if target in targets and scheme == "backup_restore":
            t_gib[target].append(gib or 0)
            t_churn[target].append(churn or 0)
            t_users[target].add(app_id)
        if cloud in clouds and (mem or 0) > 0:
            c_mem[cloud].append(mem)
            c_vms[cloud] += n or 0
            c_users[cloud].add(app_id)

    def basis(users):
        named = sorted(users & sources.keys())
        if not named:
            return ""
        shown = ", ".join(
            f"'{sources[i][0]}' run {sources[i][1]} at {sources[i][2]}" for i in named[:3]
        )
        more = f" and {len(named) - 3} more" if len(named) > 3 else ""
        return f" ({len(named)} from stored results: {shown}{more})"

    loads = {
        t: (math.fsum(t_gib[t]), math.fsum(t_churn[t]), len(t_users[t]), basis(t_users[t]))
        for t in targets
    }
    hubs = {c: (math.fsum(c_mem[c]), c_vms[c], len(c_users[c]), basis(c_users[c])) for c in clouds}
    read = {}
    for app in apps:
        users = set()
        if app.backup_target:
            users |= t_users[app.backup_target.id]
        if app.recovery_target:
            users |= c_users[app.recovery_target.id]
        read[app.id] = sorted((users & sources.keys()) - {app.id})
    return loads, hubs, read


def context_of(app_ids):
    catalogs = Catalogs.load()
    apps = load_apps(app_ids)
    sizings = [assess.size(a, catalogs.prices, catalogs.limits) for a in apps]
    ctx = estate_context(apps, sizings, limits=catalogs.limits)
    loads = {
        t: (x.needed_gib, x.nightly_ingest_gib, x.apps, x.basis)
        for t, x in ctx.target_loads.items()
    }
    hubs = {
        c: (x.standby_memory_gib, x.vm_count, x.apps, x.basis) for c, x in ctx.cloud_loads.items()
    }
    read = {}
    for app in apps:
        named = ctx.relied_on(app)["stored_results"]
        read[app.id] = [r["app_id"] for r in named if r["app_id"] not in _external(ctx, app)]
    return (loads, hubs, read), reference(apps, sizings)


def _external(ctx, app):
    return (
        ctx.external_sources.get(app.id, set())
        - (ctx.target_sources.get(app.backup_target.id, set()) if app.backup_target else set())
        - (ctx.cloud_sources.get(app.recovery_target.id, set()) if app.recovery_target else set())
    )


def test_one_app_runs_get_the_estate_figures_of_every_stored_result(settings):
    settings.SIZING_CHUNK_VMS = 100
    seed(apps=60, vms=600, seed=5, password="x")
    run = runs.run_sync(runs.request_run(trigger=Trigger.CLI, dispatch=False))
    assert run.status == RunStatus.SUCCEEDED
    ids = list(Application.objects.order_by("id").values_list("id", flat=True))
    stored_apps = 0
    for app_id in ids:
        (loads, hubs, read), (ref_loads, ref_hubs, ref_read) = context_of([app_id])
        assert loads == ref_loads
        assert {c: hubs[c] for c in hubs} == {c: ref_hubs[c] for c in hubs}
        assert read == ref_read
        stored_apps += bool(read[app_id])
    # The comparison covered apps that name other apps' stored results, and loads with a basis.
    assert stored_apps > len(ids) // 2
    assert any("and " in basis and "more)" in basis for *_, basis in ref_loads.values())
    # A chunk of many apps (a run of several, or the benchmark's) the same.
    (loads, hubs, read), (ref_loads, ref_hubs, ref_read) = context_of(ids[:25])
    assert (loads, read) == (ref_loads, ref_read)
    assert {c: hubs[c] for c in hubs} == {c: ref_hubs[c] for c in hubs}
