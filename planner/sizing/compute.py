"""Compute on Azure Stack Hub: memory available for tenant VMs, VM-count limits, stand-by
compute on the target and the Azure Site Recovery appliances on the source hub.

Sources: Azure Stack Hub compute capacity planning (azure-stack-docs,
azure-stack/operator/azure-stack-capacity-planning-compute.md): available memory, resiliency
reserve, infrastructure overhead, 60 VMs per node and 700 per stamp; Azure Site Recovery on Azure
Stack Hub capacity planning (azure-stack-docs, azure-stack/operator/
site-recovery-capacity-planning.md): appliance VM (Standard_DS4_v2) tested with about 120 VMs,
resource provider on the target; DESIGN §4 "Standby compute".

Units: GiB of memory, vCPU, VM counts. Pure Python: no Django import.
"""

from __future__ import annotations

from dataclasses import dataclass

from planner.facts import SCHEMES
from planner.units import fmt_gib, fmt_num

from .explain import Figure, check_choice, check_count, check_nonnegative, check_positive

__all__ = [
    "OS_RESERVE",
    "Appliances",
    "AshMemory",
    "HubRunning",
    "Standby",
    "ash_available_memory",
    "ash_available_memory_gib",
    "ash_vm_capacity",
    "asr_appliances",
    "hub_running",
    "standby_compute",
]

OS_RESERVE = 0.15  # R: host OS reserve, 15 % of node memory


@dataclass(frozen=True, slots=True)
class AshMemory:
    """Memory of an Azure Stack Hub stamp, in GiB, and how it splits."""

    total_gib: float  # N · H
    reserve_gib: float  # resiliency reserve
    infrastructure_gib: float
    running_gib: float  # tenant VMs already placed
    available_gib: float  # may be negative: the stamp is over-committed
    explanation: tuple[str, ...]


def ash_available_memory(
    nodes: int,
    memory_per_node_gib: float,
    largest_vm_gib: float,
    running_tenant_gib: float = 0.0,
    *,
    infra_base_gib: float = 242.0,
    infra_per_node_gib: float = 4.0,
) -> AshMemory:
    """Memory for tenant VM placement on an ASH stamp (azure-stack-docs, compute capacity planning).

    available = N·H − reserve − infrastructure − running tenant VMs, with
    reserve = H + R·(N − 1)·H + V·(N − 2) (R = 0.15 host OS reserve, H memory per node, N nodes,
    V largest VM) and infrastructure = 242 GiB + 4 GiB × N (the docs write GB; the capacity
    planner uses binary units). The docs' formula is for stamps of 4 to 16 nodes; for a smaller
    N the V·(N − 2) term is taken as 0 rather than negative. The result is negative when the
    stamp is already over-committed.
    """
    n = check_count("nodes", nodes, 1)
    h = check_positive("memory_per_node_gib", memory_per_node_gib)
    v = check_nonnegative("largest_vm_gib", largest_vm_gib)
    if v > h:
        raise ValueError(
            f"largest_vm_gib ({fmt_num(v)} GiB) cannot exceed memory_per_node_gib ({fmt_num(h)} GiB)"
        )
    running = check_nonnegative("running_tenant_gib", running_tenant_gib)
    base = check_nonnegative("infra_base_gib", infra_base_gib)
    per_node = check_nonnegative("infra_per_node_gib", infra_per_node_gib)
    total = n * h
    extra_nodes = max(n - 2, 0)
    reserve = h + OS_RESERVE * (n - 1) * h + v * extra_nodes
    infra = base + per_node * n
    available = total - reserve - infra - running
    lines = (
        f"stamp memory = {n} nodes × {fmt_gib(h)} = {fmt_gib(total)}",
        f"resiliency reserve = {fmt_gib(h)} + 0.15 × ({n} − 1) × {fmt_gib(h)} + {fmt_gib(v)} × "
        f"{'(' + str(n) + ' − 2)' if n >= 2 else '0'} = {fmt_gib(reserve)}",
        f"infrastructure = {fmt_gib(base)} + {fmt_gib(per_node)} × {n} = {fmt_gib(infra)}",
        f"available for tenant VMs = {fmt_gib(total)} − {fmt_gib(reserve)} − {fmt_gib(infra)} − "
        f"{fmt_gib(running)} running = {fmt_gib(available)}",
    )
    return AshMemory(total, reserve, infra, running, available, lines)


def ash_available_memory_gib(
    nodes: int,
    memory_per_node_gib: float,
    largest_vm_gib: float,
    running_tenant_gib: float = 0.0,
    *,
    infra_base_gib: float = 242.0,
    infra_per_node_gib: float = 4.0,
) -> float:
    """``ash_available_memory(...).available_gib``: GiB left for tenant VMs on the stamp."""
    return ash_available_memory(
        nodes,
        memory_per_node_gib,
        largest_vm_gib,
        running_tenant_gib,
        infra_base_gib=infra_base_gib,
        infra_per_node_gib=infra_per_node_gib,
    ).available_gib


def ash_vm_capacity(nodes: int, *, per_node: int = 60, per_stamp: int = 700) -> Figure:
    """Tenant VMs a stamp accepts: min(60 × N, 700) (azure-stack-docs, compute capacity planning)."""
    n = check_count("nodes", nodes, 1)
    k = check_count("per_node", per_node, 1)
    cap = check_count("per_stamp", per_stamp, 1)
    count = min(n * k, cap)
    return Figure(
        float(count),
        (f"VM limit = min({n} nodes × {k}, {cap} per stamp) = {count} VMs",),
    )


@dataclass(frozen=True, slots=True)
class Standby:
    """Compute held on the recovery target for one VM."""

    vcpu: float
    memory_gib: float
    running: bool  # True when the stand-by consumes compute all the time (HA, FT)
    explanation: tuple[str, ...]


_STANDBY_WORDING = {
    "replication": "quota reserved on the target (nothing runs until failover)",
    "high_availability": "stand-by VM kept running on the target",
    "fault_tolerance": "full second deployment running on the target",
}


def standby_compute(vcpu: float, memory_gib: float, scheme: str) -> Standby:
    """Compute held on the target per VM (DESIGN §4 "Standby compute").

    replication reserves quota for the VM's vCPU and memory but runs nothing; high_availability
    keeps a stand-by VM of the same size running; fault_tolerance runs a full second deployment
    (one VM of the same size per VM). backup_restore and none hold nothing.
    """
    check_choice("scheme", scheme, SCHEMES)
    cpu = check_nonnegative("vcpu", vcpu)
    mem = check_nonnegative("memory_gib", memory_gib)
    wording = _STANDBY_WORDING.get(scheme)
    if wording is None:
        return Standby(0.0, 0.0, False, ())
    return Standby(
        cpu,
        mem,
        scheme != "replication",
        (f"stand-by = {fmt_num(cpu)} vCPU, {fmt_gib(mem)} memory: {wording}",),
    )


@dataclass(frozen=True, slots=True)
class Appliances:
    """Azure Site Recovery appliance VMs on the source hub."""

    count: int
    vcpu: float
    memory_gib: float
    explanation: tuple[str, ...]


def asr_appliances(
    vm_count: int,
    *,
    vms_per_appliance: float = 120,
    appliance_vcpu: float = 8,
    appliance_memory_gib: float = 28,
) -> Appliances:
    """ASR appliances on the source hub: ceil(VMs ÷ 120), each a Standard_DS4_v2 (8 vCPU, 28 GiB).

    Source: Azure Site Recovery on Azure Stack Hub capacity planning (one vault per appliance,
    tested with about 120 VMs per appliance). Counted against the source hub's capacity.
    """
    n = check_count("vm_count", vm_count)
    per = check_count("vms_per_appliance", vms_per_appliance, 1)
    cpu = check_nonnegative("appliance_vcpu", appliance_vcpu)
    mem = check_nonnegative("appliance_memory_gib", appliance_memory_gib)
    count = -(-n // per)
    return Appliances(
        count,
        count * cpu,
        count * mem,
        (
            f"ASR appliances = ceil({n} VMs ÷ {per}) = {count}, on the source hub: "
            f"{count} × {fmt_num(cpu)} vCPU = {fmt_num(count * cpu)} vCPU, "
            f"{count} × {fmt_gib(mem)} = {fmt_gib(count * mem)}",
        ),
    )


@dataclass(frozen=True, slots=True)
class HubRunning:
    """What already runs on an Azure Stack Hub stamp, as the planner knows it."""

    memory_gib: float  # counted against the stamp's available memory
    vm_count: int  # counted against the VM-count limit
    unknown_size_vms: int  # inventoried VMs whose size is not in the catalog (not counted)
    explanation: tuple[str, ...]


def hub_running(
    *,
    inventory_vms: int,
    inventory_memory_gib: float,
    unknown_size_vms: int = 0,
    other_vms: int = 0,
    other_memory_gib: float = 0.0,
    asr_rp: bool = False,
    rp_memory_gib: float = 84.0,
    appliances: int = 0,
    appliance_memory_gib: float = 28.0,
) -> HubRunning:
    """Tenant memory and VMs already running on a hub (issue 14 "hubs are counted from what the
    planner knows"; Azure Stack Hub compute capacity planning; ASR on ASH capacity planning).

    running memory = Σ catalog memory of the inventoried VMs on the hub + the operator's figure
    for VMs the planner does not know + the ASR resource provider (once, when an app replicates
    to the hub with ASR) + the ASR appliance VMs of apps replicating from the hub with ASR.
    running VMs = inventoried VMs + the operator's count + the appliance VMs (the resource
    provider's VMs are infrastructure of the RP and not in the tenant VM count).
    Inventoried VMs of unknown size count as VMs, but their memory is unknown: it is not added,
    and the line says so (the rules raise VM_SIZE_UNKNOWN).
    """
    n = check_count("inventory_vms", inventory_vms)
    inv = check_nonnegative("inventory_memory_gib", inventory_memory_gib)
    unknown = check_count("unknown_size_vms", unknown_size_vms)
    o_n = check_count("other_vms", other_vms)
    o_mem = check_nonnegative("other_memory_gib", other_memory_gib)
    rp = check_nonnegative("rp_memory_gib", rp_memory_gib) if asr_rp else 0.0
    k = check_count("appliances", appliances)
    appl = k * check_nonnegative("appliance_memory_gib", appliance_memory_gib)
    memory = inv + o_mem + rp + appl
    vms = n + o_n + k
    parts = [f"{n:,} inventoried VMs {fmt_gib(inv)} (catalog sizes"]
    if unknown:
        parts[0] += f"; {unknown:,} of unknown size, memory not known"
    parts[0] += ")"
    parts.append(f"{o_n:,} VMs outside the planner {fmt_gib(o_mem)} (operator's figure)")
    if asr_rp:
        parts.append(f"ASR resource provider {fmt_gib(rp)}")
    if k:
        parts.append(f"{k} ASR appliance VMs × {fmt_gib(appliance_memory_gib)} = {fmt_gib(appl)}")
    line = f"running on the hub = {' + '.join(parts)} = {fmt_gib(memory)}, {vms:,} VMs"
    return HubRunning(memory, vms, unknown, (line,))
