"""Capability estimates of a protection scheme for one app (DESIGN §4, last paragraph).

What RTO and RPO a scheme can deliver, from the app's editable ``Assumptions``:

- ``backup_restore``: RPO = the backup policy's interval. RTO = restore time + redeploy
  overhead, restore time = used data ÷ restore throughput. Start-up groups restore one after
  another, so the restore reads the total used data of the protected VMs
  (1 GiB = 1,024³ bytes × 8 / 10⁶ = 8,589.93 Mbit).
- ``replication``: RPO = the replication interval. RTO = groups × (boot + checks) + manual steps
  (one figure for all the app's manual steps).
- ``high_availability``: RTO = failover detection. RPO = 0 when the app states synchronous
  replication, the replication interval when it states asynchronous (the seed: "SQL Server
  supports high availability natively for databases using synchronous-commit mode. However, if
  you can only support asynchronous replication, then there will be some data loss").
- ``fault_tolerance``: RTO = 0, RPO = 0 (active/active).
- ``none``: unrecoverable, complete data loss (``math.inf``).

Every estimate carries the lines of its arithmetic with numbers and units.
Pure Python: no Django import.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from planner.facts import SCHEMES, App, BackupPolicy
from planner.rules import _units as u

__all__ = ["Capability", "scheme_capability"]

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


def scheme_capability(app: App, scheme: str, boot_groups: int, *, used_gib: float) -> Capability:
    """RTO and RPO that ``scheme`` can deliver for ``app``.

    ``boot_groups``: start-up groups of the protected VMs (see ``bootorder``); ``used_gib``: the
    used data of the protected VMs, in GiB, restored by a backup-restore.
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
        return Capability(
            rto,
            a.replication_interval_minutes,
            (
                f"RPO = replication interval {u.minutes(a.replication_interval_minutes)}",
                f"RTO = {boot_groups} start-up group(s) × (boot {u.minutes(a.boot_minutes_per_group)}"
                f" + checks {u.minutes(a.checks_minutes_per_group)}) + manual steps"
                f" {u.minutes(a.manual_steps_minutes)}{steps} = {u.dur_with_minutes(rto)}",
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
    throughput = a.restore_throughput_mbps
    if throughput <= 0:
        raise ValueError(f"restore_throughput_mbps must be > 0, got {throughput!r}")
    mbit = used_gib * u.MBIT_PER_GIB
    seconds = mbit / throughput
    restore = seconds / 60
    groups = (
        f"{boot_groups} start-up groups restored one after another, so the total data counts"
        if boot_groups > 1
        else "one start-up group"
    )
    lines.append(
        f"restore time = {u.gib(used_gib)} used × {u.num(u.MBIT_PER_GIB, 2)} Mbit/GiB"
        f" ÷ {u.mbps(throughput)} = {u.num(seconds, 1)} s = {u.minutes(restore)} ({groups})"
    )
    rto = restore + a.redeploy_minutes
    lines.append(
        f"RTO = restore {u.minutes(restore)} + redeploy overhead {u.minutes(a.redeploy_minutes)}"
        f" = {u.dur_with_minutes(rto)}"
    )
    return Capability(rto, rpo, tuple(lines))
