"""Backup policy, seeding and onboarding rules: a backup policy for backup-restore, the
planning horizon against the longest retention (DESIGN §4), periodic active fulls (the seed:
prefer incremental or differential backups "to minimize the need for full backups"), seeding
time against its goal (DESIGN §4) and staggered onboarding of the initial fulls (the seed:
"Consider staggered backups when on-boarding a large number of new VMs").

Retention span of a policy = the longest of: interval × retention points, weekly GFS × 7 days,
monthly GFS × 30 days, yearly GFS × 365 days. Pure Python: no Django import.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import TYPE_CHECKING

from planner.facts import (
    DEFAULT_REDUCTION,
    REPLICATING_SCHEMES,
    App,
    BackupPolicy,
    effective_policy,
)
from planner.rules import _units as u
from planner.rules.capability import usable_link
from planner.rules.findings import Finding, finding
from planner.rules.stagger import stagger

if TYPE_CHECKING:
    from planner.rules.context import RuleContext
    from planner.rules.engine import Derived


def retention_days(policy: BackupPolicy) -> tuple[float, str]:
    """The longest retention of ``policy`` in days, and what sets it."""
    spans = [
        (
            policy.interval_minutes * policy.retention_points / u.MINUTES_PER_DAY,
            f"{policy.retention_points} points × {u.duration(policy.interval_minutes)}",
        ),
        (policy.gfs_weekly * 7.0, f"{policy.gfs_weekly} weekly fulls × 7 days"),
        (policy.gfs_monthly * 30.0, f"{policy.gfs_monthly} monthly fulls × 30 days"),
        (policy.gfs_yearly * 365.0, f"{policy.gfs_yearly} yearly fulls × 365 days"),
    ]
    return max(spans, key=lambda s: s[0])


def check(app: App, ctx: RuleContext, d: Derived) -> Iterator[Finding]:
    if app.scheme == "none":
        return
    p = app.policy
    if p is None:
        if app.scheme == "backup_restore":
            yield finding(
                "POLICY_MISSING",
                app.id,
                f"'{app.name}' uses backup-restore but has no backup policy; the capability "
                "assumes a daily backup",
            )
    else:
        days, why = retention_days(p)
        horizon = app.assumptions.horizon_days
        if horizon < days:
            yield finding(
                "POLICY_HORIZON_SHORT",
                app.id,
                f"the planning horizon of {u.num(horizon, 0)} days is shorter than the longest "
                f"retention of policy '{p.name}': {why} = {u.num(days, 1)} days",
            )
        if p.method == "forward_periodic_full":
            every = f"every {p.full_every} runs" if p.full_every else "periodically"
            yield finding(
                "POLICY_PERIODIC_FULL",
                app.id,
                f"policy '{p.name}' takes an active full {every}: each one moves and stores the "
                "whole data again",
            )
    goal = ctx.limit("seeding.goal_hours")
    if app.scheme in REPLICATING_SCHEMES and ctx.sizing is not None:
        hours = ctx.sizing.seeding_hours
        if hours > goal:
            yield finding(
                "SEEDING_OVER_GOAL",
                app.id,
                f"initial seeding takes {u.hours(hours)}, more than the {u.hours(goal)} goal: "
                f"seed in {math.ceil(hours / goal)} batches",
            )
    yield from _onboarding(app, ctx, d, goal)


def _onboarding(app: App, ctx: RuleContext, d: Derived, goal: float) -> Iterator[Finding]:
    bt = app.backup_target
    if (
        app.scheme != "backup_restore"
        or bt is None
        or not d.protected
        or bt.ingest_mbps <= 0
        or not 0 < bt.window_hours <= 24
        or bt.streams < 1
    ):
        return
    # effective_policy() always states the reduction; the default only satisfies the type.
    stated = effective_policy(app)[0].reduction
    reduction = stated if stated is not None else DEFAULT_REDUCTION
    per_vm = ctx.sizing.vms if ctx.sizing is not None else {}
    items = []
    for v in d.protected:
        fig = per_vm.get(v.id)
        used = fig.used_gib if fig is not None else v.used_gib
        items.append((v.id, v.name, used * reduction))
    # The same schedule as planner.assess.onboarding: min(target ingest, usable link), never
    # more streams than VMs.
    link, _ = usable_link(app.assumptions)
    rate = min(bt.ingest_mbps, link) if link > 0 else bt.ingest_mbps
    if not (0 < rate < math.inf):
        return
    streams = max(1, min(bt.streams, len(items)))
    sched = stagger(
        items,
        ingest_mbps=rate,
        window_hours=bt.window_hours,
        streams=streams,
        goal_hours=goal,
    )
    if sched.unscheduled:
        yield finding(
            "ONBOARDING_OVER_A_YEAR",
            app.id,
            "; ".join(w for w in sched.warnings if "not scheduled" in w),
            vm_ids=sched.unscheduled,
        )
    if sched.oversized:
        yield finding(
            "ONBOARDING_VM_OVER_WINDOW",
            app.id,
            "; ".join(w for w in sched.warnings if w.startswith("VM ")),
            vm_ids=sched.oversized,
        )
    if sched.nights > 1:
        nights = sched.by_night()
        plan = "; ".join(
            f"night {n}: {', '.join(s.name for s in slots)}" for n, slots in sorted(nights.items())
        )
        goal_text = ("within" if sched.within_goal else "beyond") + f" the {u.hours(goal)} goal"
        yield finding(
            "ONBOARDING_STAGGERED",
            app.id,
            f"the initial fulls ({u.gib(sched.total_gib)} after reduction × {reduction}) need "
            f"{sched.nights} nights through '{bt.name}' ({u.gib(sched.night_capacity_gib)} a night "
            f"at {u.mbps(rate)}, {u.plural(streams, 'stream')}), {u.hours(sched.total_hours)} elapsed, {goal_text}: "
            f"{plan}",
        )
