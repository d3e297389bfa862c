"""Capability estimates of a protection scheme for one app (DESIGN §4, last paragraph).

What RTO and RPO a scheme can deliver, from the app's editable ``Assumptions``:

- ``backup_restore``: RPO = the backup policy's interval. RTO = restore time + redeploy
  overhead, restore time = data the restore moves ÷ restore throughput, where the throughput is
  min(the backup target's restore throughput, the usable link to where the VMs are restored)
  (DESIGN §4; issue "links are a constraint"). Start-up groups restore one after another, so the
  restore reads the total data of the protected VMs (1 GiB = 1,024³ bytes × 8 / 10⁶ =
  8,589.93 Mbit). Per VM, the restore approach (the seed, "Planning your backup strategy",
  Restore) decides what moves: the whole VM or its disks move every disk's used data; app data
  into an existing VM, or a redeploy from a template then the data, move the data disks only.
  The redeploy overhead is added unless every VM restores its app data into an existing VM.
- ``replication``: RPO = the replication interval while the usable link carries the change;
  when the needed replication bandwidth is above it the backlog grows every day and the RPO is
  unbounded. RTO = groups × (boot + checks) + manual steps (one figure for all the app's manual
  steps).
- ``high_availability``: RTO = failover detection. RPO = 0 when the app states synchronous
  replication, the replication interval when it states asynchronous (the seed: "SQL Server
  supports high availability natively for databases using synchronous-commit mode. However, if
  you can only support asynchronous replication, then there will be some data loss");
  unbounded, as for replication, when the link cannot carry the change.
- ``fault_tolerance``: RTO = 0, RPO = 0 (active/active).
- ``none``: unrecoverable, complete data loss (``math.inf``).

Every estimate carries the lines of its arithmetic with numbers and units.
Pure Python: no Django import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from planner.facts import REPLICATING_SCHEMES, SCHEMES, App, Assumptions, BackupPolicy
from planner.rules import _units as u

__all__ = ["Capability", "link_backlog", "restore_throughput", "scheme_capability", "usable_link"]

S_LINK = "DESIGN §4 (required bandwidth, seeding: (link − other traffic) × efficiency)"
S_RESTORE = "DESIGN §4 (backup RTO = data ÷ restore throughput + redeploy overhead)"
S_RESTORE_APPROACH = 'Protect VMs deployed on Azure Stack Hub, "Planning your backup strategy"'
# What each restore approach moves: True = every disk's used data, False = data disks only.
_MOVES_OS_DISK = {"whole_vm": True, "disks": True, "app_data": False, "redeploy": False}
_APPROACH_TEXT = {
    "whole_vm": "whole VM",
    "disks": "its disks",
    "app_data": "app data into the existing VM",
    "redeploy": "redeploy from template + data",
}


def usable_link(a: Assumptions) -> tuple[float, str]:
    """Data rate the app's link carries: (link − other traffic) × efficiency, in Mbit/s, and the
    arithmetic. The same formula as the seeding time (``planner.sizing.seeding``)."""
    free = a.link_mbps - a.delta_mbps
    rate = max(0.0, free) * a.efficiency
    if not math.isfinite(rate) or rate < 0:
        rate = 0.0  # no usable link known: the callers then skip the link
    link = (
        f"({u.mbps(a.link_mbps)} − {u.mbps(a.delta_mbps)} other traffic)"
        if a.delta_mbps
        else u.mbps(a.link_mbps)
    )
    return rate, f"{link} × efficiency {u.num(a.efficiency, 2)} = {u.mbps(rate)}"


def link_backlog(app: App, needed_mbps: float) -> tuple[float, str] | None:
    """When replication needs more link than the app has: (backlog GiB a day, the arithmetic);
    None when the link suffices. ``needed_mbps`` is the sizing's replication bandwidth (link
    rate, already ÷ efficiency); the data rate it carries is needed × efficiency."""
    a = app.assumptions
    usable, how = usable_link(a)
    data = needed_mbps * a.efficiency
    if data <= usable + 1e-9:
        return None
    backlog = (data - usable) * 86_400 / u.MBIT_PER_GIB
    need_link = needed_mbps + a.delta_mbps
    return backlog, (
        f"replication must move {u.mbps(data)} of changed data ({u.mbps(needed_mbps)} needed × "
        f"efficiency {u.num(a.efficiency, 2)}), but the link carries {how}: the backlog grows by "
        f"({u.mbps(data)} − {u.mbps(usable)}) × 86,400 s ÷ {u.num(u.MBIT_PER_GIB, 2)} Mbit/GiB = "
        f"{u.gib(backlog)} a day; a link of at least {u.mbps(need_link)} would do"
    )


def restore_throughput(app: App) -> tuple[float, str]:
    """min(the backup target's restore throughput, the usable link), Mbit/s, and the arithmetic.

    The target's figure is the operator's (``BackupTarget.restore_mbps``); when not set, the
    default restore throughput assumption (DESIGN §4, 1,000 Mbit/s) stands in and the line says so.
    """
    a = app.assumptions
    bt = app.backup_target
    if bt is not None and bt.restore_mbps > 0:
        target, source = bt.restore_mbps, f"target '{bt.name}' restore throughput (operator)"
    else:
        name = f"target '{bt.name}'" if bt is not None else "no backup target:"
        target = a.restore_throughput_mbps
        source = f"{name} default restore throughput (DESIGN §4 assumption)"
    link, how = usable_link(a)
    rate = min(target, link) if link > 0 else target
    return rate, (
        f"restore throughput = min({source} {u.mbps(target)}, usable link {how}) = {u.mbps(rate)}"
    )


_DEFAULT_POLICY = BackupPolicy(name="default (daily)")


@dataclass(frozen=True, slots=True)
class Capability:
    """Estimated recovery time and data loss of a scheme, with the arithmetic shown."""

    rto_minutes: float
    rpo_minutes: float
    explanation: tuple[str, ...] = ()

    def meets(self, rto_minutes: float, rpo_minutes: float) -> bool:
        return self.rto_minutes <= rto_minutes and self.rpo_minutes <= rpo_minutes

    def to_json(self) -> dict[str, Any]:
        """JSON-ready; infinity is written as None ("unrecoverable")."""
        return {
            "rto_minutes": None if math.isinf(self.rto_minutes) else self.rto_minutes,
            "rpo_minutes": None if math.isinf(self.rpo_minutes) else self.rpo_minutes,
            "explanation": list(self.explanation),
        }


def scheme_capability(
    app: App,
    scheme: str,
    boot_groups: int,
    *,
    used_gib: float,
    replication_mbps: float | None = None,
) -> Capability:
    """RTO and RPO that ``scheme`` can deliver for ``app``.

    ``boot_groups``: start-up groups of the protected VMs (see ``bootorder``); ``used_gib``: the
    used data of the protected VMs, in GiB, restored by a backup-restore (when the protected VMs
    list their disks, each VM's restore approach decides what moves instead);
    ``replication_mbps``: the replication bandwidth the sizing computed (None: not known, the
    link is not checked).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}; got {scheme!r}")
    if boot_groups < 0:
        raise ValueError(f"boot_groups must be >= 0, got {boot_groups!r}")
    if used_gib < 0 or not math.isfinite(used_gib):
        raise ValueError(f"used_gib must be a finite number >= 0, got {used_gib!r}")
    a = app.assumptions
    if scheme == "backup_restore":
        return _backup(app, boot_groups, used_gib)
    if scheme == "replication":
        per_group = a.boot_minutes_per_group + a.checks_minutes_per_group
        rto = boot_groups * per_group + a.manual_steps_minutes
        steps = f" ({'; '.join(app.manual_steps)})" if app.manual_steps else ""
        rpo = a.replication_interval_minutes
        rpo_line = f"RPO = replication interval {u.minutes(a.replication_interval_minutes)}"
        backlog = link_backlog(app, replication_mbps) if replication_mbps else None
        if backlog is not None:
            rpo = math.inf
            rpo_line = f"RPO = unbounded, the backlog grows: {backlog[1]}"
        return Capability(
            rto,
            rpo,
            (
                rpo_line,
                f"RTO = {boot_groups} start-up group(s) × (boot {u.minutes(a.boot_minutes_per_group)}"
                f" + checks {u.minutes(a.checks_minutes_per_group)}) + manual steps"
                f" {u.minutes(a.manual_steps_minutes)}{steps} = {u.dur_with_minutes(rto)}",
            ),
        )
    backlog = (
        link_backlog(app, replication_mbps)
        if replication_mbps and scheme in REPLICATING_SCHEMES
        else None
    )
    if backlog is not None:
        detect = a.failover_detection_minutes if scheme == "high_availability" else 0.0
        return Capability(
            detect,
            math.inf,
            (
                f"RTO = {u.minutes(detect)} while the replica is current",
                f"RPO = unbounded, the backlog grows: {backlog[1]}",
            ),
        )
    if scheme == "high_availability":
        rto_line = (
            f"RTO = failover detection {u.minutes(a.failover_detection_minutes)}"
            " (automatic failover to the stand-by deployment)"
        )
        if app.ha_replication == "asynchronous":
            return Capability(
                a.failover_detection_minutes,
                a.replication_interval_minutes,
                (
                    rto_line,
                    "RPO = replication interval "
                    f"{u.minutes(a.replication_interval_minutes)}: the app's HA replication is "
                    "asynchronous, so what was not yet replicated is lost",
                ),
            )
        return Capability(
            a.failover_detection_minutes,
            0.0,
            (
                rto_line,
                "RPO = 0 min: the app's HA replication is synchronous (e.g. SQL Server "
                "synchronous-commit mode)",
            ),
        )
    if scheme == "fault_tolerance":
        return Capability(
            0.0,
            0.0,
            (
                "RTO = 0 min: the app already runs active/active in another cloud",
                "RPO = 0 min: no data loss",
            ),
        )
    return Capability(
        math.inf,
        math.inf,
        ("RTO = unrecoverable: no protection", "RPO = complete data loss"),
    )


def _backup(app: App, boot_groups: int, used_gib: float) -> Capability:
    a = app.assumptions
    policy = app.policy
    lines = []
    if policy is None:
        policy = _DEFAULT_POLICY
        lines.append(
            f"no backup policy: the default interval {u.minutes(policy.interval_minutes)} is assumed"
        )
    rpo = float(policy.interval_minutes)
    lines.append(f"RPO = backup interval of policy '{policy.name}' = {u.dur_with_minutes(rpo)}")
    if a.restore_throughput_mbps <= 0:
        raise ValueError(f"restore_throughput_mbps must be > 0, got {a.restore_throughput_mbps!r}")
    throughput, how = restore_throughput(app)
    lines.append(how)
    moved, move_how, redeploy = restore_data(app, used_gib)
    if move_how:
        lines.append(move_how)
    mbit = moved * u.MBIT_PER_GIB
    seconds = mbit / throughput
    restore = seconds / 60
    groups = (
        f"{boot_groups} start-up groups restored one after another, so the total data counts"
        if boot_groups > 1
        else "one start-up group"
    )
    lines.append(
        f"restore time = {u.gib(moved)} × {u.num(u.MBIT_PER_GIB, 2)} Mbit/GiB"
        f" ÷ {u.mbps(throughput)} = {u.num(seconds, 1)} s = {u.minutes(restore)} ({groups})"
    )
    if redeploy:
        rto = restore + a.redeploy_minutes
        lines.append(
            f"RTO = restore {u.minutes(restore)} + redeploy overhead "
            f"{u.minutes(a.redeploy_minutes)} = {u.dur_with_minutes(rto)}"
        )
    else:
        rto = restore
        lines.append(
            f"RTO = restore {u.minutes(restore)} (app data into existing VMs: no redeploy) = "
            f"{u.dur_with_minutes(rto)}"
        )
    return Capability(rto, rpo, tuple(lines))


def restore_data(app: App, used_gib: float) -> tuple[float, str, bool]:
    """(GiB the restore moves, the arithmetic, whether the redeploy overhead is added).

    Per protected VM, its restore approach: the whole VM or its disks move every disk's used
    data; app data into an existing VM or a redeploy from a template move the data disks only.
    The redeploy overhead is added unless every VM restores app data into an existing VM.
    Without protected VMs that list disks, ``used_gib`` moves as whole VMs; with them, each VM's
    share is scaled to ``used_gib`` (the caller's figure for the same VMs).
    """
    vms = [v for v in app.protected_vms if v.disks]
    facts_used = sum(v.used_gib for v in vms)
    if not vms or facts_used <= 0:
        return used_gib, "", True
    scale = used_gib / facts_used
    parts = []
    moved = 0.0
    for v in vms:
        approach = v.restore_approach if v.restore_approach in _MOVES_OS_DISK else "whole_vm"
        if _MOVES_OS_DISK[approach]:
            gib = v.used_gib * scale
        else:
            gib = sum(d.used_gib for d in v.disks if not d.os_disk) * scale
        moved += gib
        parts.append((approach, gib))
    by: dict[str, list[float]] = {}
    for approach, gib in parts:
        by.setdefault(approach, []).append(gib)
    if set(by) == {"whole_vm"}:
        return moved, "", True
    text = " + ".join(
        f"{_APPROACH_TEXT[k]} {u.plural(len(g), 'VM')} {u.gib(sum(g))}" for k, g in by.items()
    )
    redeploy = any(k != "app_data" for k in by)
    return moved, f"restore moves {text} = {u.gib(moved)} (restore approach per VM)", redeploy
