"""Issue 14 items 1, 2, 8, 9, 10 on the demo estate, through the services: links constrain the
RPO and the restore, restore throughput and approach, hubs counted from the inventory, unknown
VM sizes, ASR appliances for ASR only, one onboarding figure, and the PDF's figures and sources.
"""

from __future__ import annotations

import io
import re

import pypdf
import pytest
from django.db.models import Q, Sum
from django.urls import reverse

from planner.demo import seed
from planner.models import (
    Application,
    AppResult,
    BackupTarget,
    Disk,
    Finding,
    Limit,
    Product,
    RunFigures,
    Subscription,
    Trigger,
    VirtualMachine,
    VmSize,
)
from planner.services import plans, runs
from planner.services.estate.rollup import estate_overview
from planner.services.hub_capacity import hub_figures
from planner.services.sizing import size_and_save
from portal.views.whatif import modified_facts, recompute
from tests.shared import module_rows

# The demo estate, sized, built once for the module (tests/shared.py): each test gets a clean copy.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("demo_once")]

MBIT_PER_GIB = 1024**3 * 8 / 1e6


@pytest.fixture(scope="module")
def demo_once(django_db_setup, django_db_blocker):
    with module_rows(django_db_blocker):
        with django_db_blocker.unblock():
            seed()
            size_and_save(list(Application.objects.values_list("id", flat=True)))
        yield


@pytest.fixture
def demo(demo_once, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def resize(app) -> AppResult:
    size_and_save([app.pk])
    return AppResult.objects.get(application=app)


def codes(app) -> dict[str, Finding]:
    return {f.code: f for f in Finding.objects.filter(application=app)}


def backup_app() -> Application:
    """A demo backup app whose VMs restore whole (the default) and whose target has a window."""
    return (
        Application.objects.filter(scheme="backup_restore", backup_target__isnull=False)
        .order_by("name")
        .first()
    )


def test_replication_app_on_a_5_mbit_link_is_blocked_and_misses_its_rpo(demo, client):
    app = Application.objects.filter(scheme="replication").order_by("name").first()
    before = codes(app)
    assert "LINK_TOO_SLOW_FOR_RPO" not in before
    Application.objects.filter(pk=app.pk).update(link_mbps=5)
    result = resize(app)
    found = codes(app)
    link = found["LINK_TOO_SLOW_FOR_RPO"]
    assert link.severity == "blocking"
    needed = result.bandwidth_mbps
    # Both figures, and what link would do: needed × 0.75 of data against 5 × 0.75 = 3.75.
    assert f"{needed * 0.75:,.2f} Mbit/s of changed data" in link.message
    assert "5 Mbit/s × efficiency 0.75 = 3.75 Mbit/s" in link.message
    assert f"a link of at least {needed:,.2f} Mbit/s would do" in link.message
    assert link.source.startswith("DESIGN §4")
    # The RPO capability is unbounded (the backlog grows) and the RPO is not met.
    assert result.rpo_capability_minutes is None
    assert "OBJECTIVE_RPO_NOT_MET" in found
    client.force_login(app.owner)
    page = client.get(app.get_absolute_url()).content.decode()
    assert "unbounded (backlog grows)" in page and "LINK_TOO_SLOW_FOR_RPO" in page
    rpo_line = result.detail["capability"]["explanation"][0]
    backlog = (needed * 0.75 - 3.75) * 86_400 / MBIT_PER_GIB
    assert rpo_line.startswith("RPO = unbounded, the backlog grows")
    assert f"{backlog:,.1f} GiB a day" in rpo_line
    assert not result.compliant


def test_backup_rto_follows_the_link_and_the_targets_restore_throughput(demo, client):
    app = backup_app()
    used = AppResult.objects.get(application=app).used_gib
    redeploy = 30

    def rto(link=None, restore=None):
        if link is not None:
            Application.objects.filter(pk=app.pk).update(link_mbps=link)
        if restore is not None:
            BackupTarget.objects.filter(pk=app.backup_target_id).update(restore_mbps=restore)
        return resize(app)

    # Default: min(1,000 Mbit/s default restore, link 1,000 × 0.75 = 750) = 750 Mbit/s.
    r = rto()
    assert r.rto_capability_minutes == pytest.approx(used * MBIT_PER_GIB / 750 / 60 + redeploy)
    lines = " ".join(r.detail["capability"]["explanation"])
    assert "default restore throughput (DESIGN §4 assumption) 1,000 Mbit/s" in lines
    assert "usable link 1,000 Mbit/s × efficiency 0.75 = 750 Mbit/s) = 750 Mbit/s" in lines
    # A slower link: min(1,000, 100 × 0.75 = 75) = 75 Mbit/s.
    r = rto(link=100)
    assert r.rto_capability_minutes == pytest.approx(used * MBIT_PER_GIB / 75 / 60 + redeploy)
    # A fast link and the operator's 400 Mbit/s on the target: min(400, 7,500) = 400.
    r = rto(link=10_000, restore=400)
    assert r.rto_capability_minutes == pytest.approx(used * MBIT_PER_GIB / 400 / 60 + redeploy)
    lines = " ".join(r.detail["capability"]["explanation"])
    assert "restore throughput (operator) 400 Mbit/s" in lines
    # The same through the what-if page: a link change moves RTO and seeding, nothing is saved.
    client.force_login(app.owner)
    html = client.post(
        reverse("app-whatif", args=[app.pk]), {"link_mbps": 50}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "RTO capability" in html and "Initial seeding / first full" in html
    a = recompute(modified_facts(app.pk, {"link_mbps": 50}))
    assert a.capability.rto_minutes == pytest.approx(used * MBIT_PER_GIB / 37.5 / 60 + redeploy)
    assert AppResult.objects.get(application=app).rto_capability_minutes == pytest.approx(
        r.rto_capability_minutes
    )


def test_restore_approach_decides_what_moves_and_the_redeploy(demo):
    app = backup_app()
    Application.objects.filter(pk=app.pk).update(link_mbps=10_000)
    vms = VirtualMachine.objects.filter(application=app, opted_in=True)
    data = Disk.objects.filter(vm__in=vms, lun__isnull=False).aggregate(g=Sum("used_gib"))["g"]
    vms.update(restore_approach="app_data")
    r = resize(app)
    # Data disks only, at min(1,000, 7,500) Mbit/s, and no redeploy (the VMs exist).
    assert r.rto_capability_minutes == pytest.approx(data * MBIT_PER_GIB / 1000 / 60)
    lines = " ".join(r.detail["capability"]["explanation"])
    assert "app data into the existing VM" in lines and "no redeploy" in lines
    vms.update(restore_approach="redeploy")
    r = resize(app)
    assert r.rto_capability_minutes == pytest.approx(data * MBIT_PER_GIB / 1000 / 60 + 30)


def test_backup_run_that_does_not_fit_the_window_is_a_warning(demo):
    app = backup_app()
    assert "BACKUP_WINDOW_EXCEEDED" not in codes(app)
    Application.objects.filter(pk=app.pk).update(link_mbps=1)
    resize(app)
    f = codes(app)["BACKUP_WINDOW_EXCEEDED"]
    assert f.severity == "warning"
    assert "usable link 1 Mbit/s × efficiency 0.75" in f.message and "window" in f.message


def test_target_hub_counts_inventory_and_asr_and_agrees_with_the_overview(demo):
    app = (
        Application.objects.filter(
            scheme="replication",
            recovery_target__kind="azure_stack_hub",
            recovery_target__nodes__gt=0,
        )
        .order_by("name")
        .first()
    )
    hub = app.recovery_target
    # The demo runs no VM on its target hub: inventory three there, one of unknown size.
    sub = Subscription.objects.create(cloud=hub, name="munich-prod", subscription_id="m-1")
    sizes = list(VmSize.objects.order_by("name")[:2])
    for i, size in enumerate([*sizes, None]):
        VirtualMachine.objects.create(
            application=app, subscription=sub, resource_group="rg", name=f"m{i}", size=size
        )
    result = resize(app)
    lines = result.detail["target_hub"]
    inventoried = VirtualMachine.objects.filter(subscription__cloud=hub).count()
    assert inventoried == 3
    memory = sum(s.memory_gib for s in sizes)
    assert f"3 inventoried VMs {memory:,.1f} GiB".replace(".0 GiB", " GiB") in lines[1]
    assert "1 of unknown size, memory not known" in lines[1]
    asr_to_hub = (
        Application.objects.filter(
            recovery_target=hub, scheme="replication", source_cloud__kind="azure_stack_hub"
        )
        .filter(Q(product__isnull=True) | Q(product__vendor="microsoft"))
        .exists()
    )
    assert ("ASR resource provider 84 GiB" in lines[1]) == asr_to_hub
    # The overview shows the same available memory as the app's detail (one computation).
    o = estate_overview()
    row = next(c for c in o.clouds if c.id == hub.id)
    assert f"{row.memory_available_gib:,.1f} GiB is available" in lines[0]
    assert row.memory_explanation == tuple(lines[1:])


def test_unknown_vm_size_is_a_warning_naming_the_vm_and_never_zero(demo, client):
    app = Application.objects.filter(scheme="replication").order_by("name").first()
    vm = VirtualMachine.objects.filter(application=app, opted_in=True).order_by("name").first()
    VirtualMachine.objects.filter(pk=vm.pk).update(size=None)
    resize(app)
    f = codes(app)["VM_SIZE_UNKNOWN"]
    assert f.severity == "warning" and f"'{vm.name}'" in f.message and vm.pk in f.vm_ids
    client.force_login(app.owner)
    page = client.get(app.get_absolute_url()).content.decode()
    assert "unknown for 1 VM" in page
    page = client.get(vm.get_absolute_url()).content.decode()
    assert "vCPU and memory unknown" in page


def test_asr_appliances_only_for_asr_products(demo):
    app = (
        Application.objects.filter(
            scheme="replication",
            source_cloud__kind="azure_stack_hub",
            recovery_target__kind="azure_stack_hub",
        )
        .order_by("name")
        .first()
    )
    partner = Product.objects.filter(vendor="partner", supports_replication=True).first()
    Application.objects.filter(pk=app.pk).update(product=None)
    assert resize(app).asr_appliances >= 1
    Application.objects.filter(pk=app.pk).update(product=partner)
    r = resize(app)
    assert r.asr_appliances == 0
    assert "ASR_APPLIANCE_ON_SOURCE" not in codes(app)


def test_one_onboarding_figure_for_page_api_and_schedule(demo):
    for r in AppResult.objects.filter(application__scheme="backup_restore"):
        schedule = r.detail.get("schedule")
        if schedule is None:
            continue
        assert r.seeding_hours == pytest.approx(schedule["total_hours"])
        streams_used = {s["stream"] for s in schedule["slots"]}
        assert len(streams_used) <= len(schedule["slots"])
        target = r.application.backup_target
        link = r.application.link_mbps * 0.75
        rate = min(target.ingest_mbps, link)
        streams = min(target.streams, len(schedule["slots"]))
        assert schedule["stream_mbps"] == pytest.approx(rate / streams)


def test_pdf_shows_the_new_figures_and_their_sources(demo):
    app = Application.objects.filter(scheme="replication").order_by("name").first()
    Application.objects.filter(pk=app.pk).update(link_mbps=5)
    rev = plans.create_revision(app, app.owner)
    pdf, _ = plans.revision_pdf(rev)
    text = re.sub(
        r"\s+", " ", "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    )
    assert "LINK_TOO_SLOW_FOR_RPO" in text
    assert "the backlog grows" in text
    assert "unbounded: the link is too slow" in text
    assert "Source" in text and "DESIGN §4" in text
    assert "Azure Site Recovery on Azure Stack Hub capacity planning" in text
    assert "Initial seeding / first full" in text
    if app.recovery_target.kind == "azure_stack_hub" and app.recovery_target.nodes:
        assert "Target hub memory" in text and "inventoried VMs" in text


def test_a_two_pass_run_counts_appliances_from_its_first_pass_not_stored_results(demo):
    """The ASR appliances other apps run on a source hub come, in an estate run, from the run's
    first pass (RunFigures), like the other loads: a stale stored result does not change them,
    so the hub count does not depend on which chunk stored its results first."""
    app = (
        Application.objects.filter(
            scheme="replication",
            source_cloud__kind="azure_stack_hub",
            recovery_target__kind="azure_stack_hub",
        )
        .filter(Q(product__isnull=True) | Q(product__vendor="microsoft"))
        .order_by("name")
        .first()
    )
    hub = app.source_cloud
    run = runs.request_run(trigger=Trigger.CLI, dispatch=False)
    queue = []
    runs.plan_run(run.pk, enqueue=lambda run_id, index: queue.append(index))
    while queue:
        runs.run_chunk(run.pk, queue.pop(0), enqueue=lambda run_id, index: queue.append(index))
    run.refresh_from_db()
    assert run.two_phase and run.status == "succeeded"
    mine = RunFigures.objects.get(run=run, application=app)
    assert (mine.source_cloud_id, mine.asr_appliances) == (hub.id, resize(app).asr_appliances)
    assert mine.asr_appliances >= 1
    first_pass = RunFigures.objects.filter(run=run, source_cloud_id=hub.id).aggregate(
        k=Sum("asr_appliances")
    )["k"]
    # An earlier run's result, stale: 40 appliances more than this run's first pass found.
    AppResult.objects.filter(application=app).update(asr_appliances=mine.asr_appliances + 40)
    limits = Limit.in_force()
    stored = hub_figures([hub.id], limits)[hub.id]
    in_run = hub_figures([hub.id], limits, run=run)[hub.id]
    assert f"+ {first_pass + 40} ASR appliance VMs" in stored.running.explanation[0]
    assert f"+ {first_pass} ASR appliance VMs" in in_run.running.explanation[0]
    assert stored.running.vm_count - in_run.running.vm_count == 40
