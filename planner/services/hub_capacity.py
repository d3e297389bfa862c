"""What already runs on each Azure Stack Hub, counted from what the planner knows.

One function for the sizing run (the CAPACITY_ASH_* rules), the overview, the app page and the
PDF, so they show the same figure: the inventoried VMs on the hub (their catalog sizes), the
operator's figure for VMs the planner does not know (``Cloud.running_tenant_gib`` and
``running_vm_count``), the ASR resource provider when an app replicates to the hub with ASR and
the ASR appliance VMs of apps replicating from it (``planner.sizing.hub_running``); then the
memory left for tenant VMs with the Azure Stack Hub formula (``ash_available_memory``).
Four queries whatever the number of hubs (five in the second pass of a two-pass estate run).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from django.db.models import Count, Q, Sum

from planner.models import Application, AppResult, Cloud, CloudKind, RunFigures, VirtualMachine
from planner.sizing import AshMemory, HubRunning, ash_available_memory, hub_running


@dataclass(frozen=True)
class HubFigures:
    cloud_id: int
    running: HubRunning
    memory: AshMemory | None  # None when the stamp's figures cannot be computed
    problem: str = ""

    @property
    def available_gib(self) -> float:
        return self.memory.available_gib if self.memory is not None else 0.0

    @property
    def explanation(self) -> tuple[str, ...]:
        lines = self.running.explanation
        if self.memory is not None:
            lines += self.memory.explanation
        elif self.problem:
            lines += (f"cannot compute: {self.problem}",)
        return lines


def hub_figures(
    cloud_ids: Iterable[int],
    limits: Mapping[str, float],
    *,
    new: Iterable = (),
    run=None,
) -> dict[int, HubFigures]:
    """Per Azure Stack Hub id (with nodes), what runs there and the memory left.

    ``new``: (facts.App, AppSizing) pairs sized now; their appliances and ASR use replace the
    stored ones (a what-if or a run in progress).
    ``run``: the second pass of a two-pass estate run: the other apps' ASR appliances come from
    its first pass (``RunFigures``), as the other loads do, so the count does not depend on which
    chunk stored its results first; an app the first pass could not size counts with its stored
    result. One more query.
    """
    new = list(new)
    ids = set(cloud_ids)
    hubs = {
        c.id: c
        for c in Cloud.objects.filter(id__in=ids, kind=CloudKind.AZURE_STACK_HUB, nodes__gt=0)
    }
    if not hubs:
        return {}
    inventory = {
        cid: (n, mem or 0.0, unknown)
        # order_by(): without it the VMs' default ordering (by their app's name) joins every
        # VM to its app, which cost PostgreSQL most of a one-app run's time.
        for cid, n, mem, unknown in VirtualMachine.objects.filter(subscription__cloud_id__in=hubs)
        .order_by()
        .values("subscription__cloud_id")
        .annotate(
            n=Count("id"),
            mem=Sum("size__memory_gib"),
            unknown=Count("id", filter=Q(size__isnull=True)),
        )
        .values_list("subscription__cloud_id", "n", "mem", "unknown")
    }
    new_ids = [a.id for a, _ in new]
    rp_hubs = set(
        Application.objects.filter(
            recovery_target_id__in=hubs,
            scheme="replication",
            source_cloud__kind=CloudKind.AZURE_STACK_HUB,
        )
        .filter(Q(product__isnull=True) | Q(product__vendor="microsoft"))
        .exclude(id__in=new_ids)
        .order_by()
        .values_list("recovery_target_id", flat=True)
        .distinct()
    )
    appliances: dict[int, int] = defaultdict(int)
    stored = AppResult.objects.all()
    if run is not None:
        figured = RunFigures.objects.filter(run=run)
        for cid, k in (
            figured.filter(source_cloud_id__in=hubs, asr_appliances__gt=0)
            .exclude(application_id__in=new_ids)
            .values("source_cloud_id")
            .annotate(k=Sum("asr_appliances"))
            .values_list("source_cloud_id", "k")
        ):
            appliances[cid] += k or 0
        stored = stored.exclude(application_id__in=figured.values("application_id"))
    for cid, k in (
        stored.filter(application__source_cloud_id__in=hubs, asr_appliances__gt=0)
        .exclude(application_id__in=new_ids)
        .values("application__source_cloud_id")
        .annotate(k=Sum("asr_appliances"))
        .values_list("application__source_cloud_id", "k")
    ):
        appliances[cid] += k or 0
    for app, sizing in new:
        if app.uses_asr:
            rp_hubs.add(app.recovery_target.id)
            appliances[app.source_cloud.id] += sizing.asr_appliances
    rp_mem = float(limits.get("asr_ash.rp_memory_gib", 84.0))
    appl_mem = float(limits.get("asr_ash.appliance_memory_gib", 28.0))
    out = {}
    for cid, c in hubs.items():
        n, mem, unknown = inventory.get(cid, (0, 0.0, 0))
        running = hub_running(
            inventory_vms=n,
            inventory_memory_gib=mem,
            unknown_size_vms=unknown,
            other_vms=c.running_vm_count,
            other_memory_gib=c.running_tenant_gib,
            asr_rp=cid in rp_hubs,
            rp_memory_gib=rp_mem,
            appliances=appliances.get(cid, 0),
            appliance_memory_gib=appl_mem,
        )
        try:
            memory = ash_available_memory(
                c.nodes,
                c.memory_per_node_gib,
                c.largest_vm_gib,
                running.memory_gib,
                infra_base_gib=limits.get("ash.infra_base_gib", 242.0),
                infra_per_node_gib=limits.get("ash.infra_per_node_gib", 4.0),
            )
            out[cid] = HubFigures(cid, running, memory)
        except ValueError as exc:
            out[cid] = HubFigures(cid, running, None, str(exc))
    return out
