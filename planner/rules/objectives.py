"""Objective and protection rules: scheme capability against the RTO and RPO, the RTO against
the MTPD (the seed's "App recovery objectives"), and apps or VMs without protection (the seed's
"No recovery": "It's your decision to do without protection"; "you need to opt-in to protection
for each VM"). MTTR against the RTO is in ``drills``. Pure Python: no Django import.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from planner.facts import App
from planner.rules import _units as u
from planner.rules.findings import CODES, Finding, finding

if TYPE_CHECKING:
    from planner.rules.context import RuleContext
    from planner.rules.engine import Derived


def _remedy(code: str, d: Derived) -> str:
    rec = d.recommendation
    base = CODES[code].remedy
    if rec.scheme and rec.scheme != d.app.scheme:
        return f"{base} The cheapest scheme that meets the objectives and constraints is {u.scheme(rec.scheme)}."
    if not rec.scheme:
        return f"{base} No scheme meets the objectives under the current constraints."
    return base


def _looser_than_tier(app: App) -> list[str]:
    """The objectives of ``app`` looser than its tier's defaults, each naming both figures."""
    t = app.tier_objectives
    if t is None:
        return []
    out = []
    if app.rto_minutes > t.rto_minutes:
        out.append(
            f"RTO {u.dur_with_minutes(app.rto_minutes)} > tier {t.tier}'s "
            f"{u.dur_with_minutes(t.rto_minutes)}"
        )
    if app.rpo_minutes > t.rpo_minutes:
        out.append(
            f"RPO {u.dur_with_minutes(app.rpo_minutes)} > tier {t.tier}'s "
            f"{u.dur_with_minutes(t.rpo_minutes)}"
        )
    if t.mtpd_minutes is not None:
        if app.mtpd_minutes is None:
            out.append(f"no MTPD, tier {t.tier}'s is {u.dur_with_minutes(t.mtpd_minutes)}")
        elif app.mtpd_minutes > t.mtpd_minutes:
            out.append(
                f"MTPD {u.dur_with_minutes(app.mtpd_minutes)} > tier {t.tier}'s "
                f"{u.dur_with_minutes(t.mtpd_minutes)}"
            )
    return out


def check(app: App, ctx: RuleContext, d: Derived) -> Iterator[Finding]:
    looser = _looser_than_tier(app)
    if looser:
        yield finding(
            "OBJECTIVES_LOOSER_THAN_TIER",
            app.id,
            f"'{app.name}' has objectives looser than its tier's service level: "
            + "; ".join(looser),
        )
    if app.mtpd_minutes is not None and app.rto_minutes > app.mtpd_minutes:
        yield finding(
            "OBJECTIVE_RTO_OVER_MTPD",
            app.id,
            f"the RTO {u.dur_with_minutes(app.rto_minutes)} is longer than the maximum tolerable "
            f"period of disruption {u.dur_with_minutes(app.mtpd_minutes)}",
        )
    if app.scheme == "none":
        dec = app.no_protection_decision
        if dec is None:
            yield finding(
                "PROTECTION_NONE_UNDECIDED",
                app.id,
                f"'{app.name}' has no protection (unrecoverable, complete data loss) and no "
                "recorded decision to do without it",
            )
        else:
            yield finding(
                "PROTECTION_NONE_DECIDED",
                app.id,
                f"'{app.name}' has no protection by decision of {dec.by} on {dec.at:%Y-%m-%d}: "
                f"{dec.why}",
            )
        if app.tier == 1:
            yield finding(
                "PROTECTION_NONE_TIER1",
                app.id,
                f"'{app.name}' is tier 1 (mission critical) and has no protection"
                + (" despite the recorded decision" if dec is not None else ""),
            )
        return
    protected = d.protected
    if app.vms and not protected:
        yield finding(
            "PROTECTION_NO_VMS_OPTED_IN",
            app.id,
            f"'{app.name}' uses {u.scheme(app.scheme)} but none of its {u.plural(len(app.vms), 'VM')} is "
            "opted in, so nothing is protected",
            vm_ids=[v.id for v in app.vms],
        )
    elif protected and len(protected) < len(app.vms):
        left = [
            v for v in app.vms if not v.opted_in and not v.scale_set and v.no_protection is None
        ]
        if left:
            yield finding(
                "PROTECTION_VMS_NOT_OPTED_IN",
                app.id,
                f"{u.plural(len(left), 'VM')} of '{app.name}' "
                f"{'is' if len(left) == 1 else 'are'} not opted in: "
                f"{u.names([v.name for v in left])}",
                vm_ids=[v.id for v in left],
            )
    decided = [(v, dec) for v in app.vms if not v.opted_in and (dec := v.no_protection) is not None]
    if decided:
        yield finding(
            "PROTECTION_VM_NONE_DECIDED",
            app.id,
            f"{u.plural(len(decided), 'VM')} of '{app.name}' "
            f"{'goes' if len(decided) == 1 else 'go'} without protection by recorded decision: "
            + "; ".join(
                f"{v.name} ({dec.by}, {dec.at:%Y-%m-%d}: {dec.why})" for v, dec in decided[:10]
            )
            + (f"; and {len(decided) - 10} more" if len(decided) > 10 else ""),
            vm_ids=[v.id for v, _ in decided],
        )
    cap = d.capability
    how = "; ".join(cap.explanation)
    rpo_how = "; ".join(x for x in cap.explanation if x.startswith(("RPO", "no backup policy")))
    rto_how = "; ".join(x for x in cap.explanation if not x.startswith("RPO"))
    rto_ok = cap.rto_minutes <= app.rto_minutes
    rpo_ok = cap.rpo_minutes <= app.rpo_minutes
    if not rto_ok:
        yield finding(
            "OBJECTIVE_RTO_NOT_MET",
            app.id,
            f"{u.scheme(app.scheme)} recovers in about {u.dur_with_minutes(cap.rto_minutes)}, more than the "
            f"RTO {u.dur_with_minutes(app.rto_minutes)} ({rto_how})",
            remedy=_remedy("OBJECTIVE_RTO_NOT_MET", d),
        )
    if not rpo_ok:
        yield finding(
            "OBJECTIVE_RPO_NOT_MET",
            app.id,
            f"{u.scheme(app.scheme)} can lose up to {u.dur_with_minutes(cap.rpo_minutes)} of data, more than "
            f"the RPO {u.dur_with_minutes(app.rpo_minutes)} ({rpo_how})",
            remedy=_remedy("OBJECTIVE_RPO_NOT_MET", d),
        )
    if rto_ok and rpo_ok:
        yield finding(
            "OBJECTIVE_MET",
            app.id,
            f"{u.scheme(app.scheme)}: RTO capability {u.dur_with_minutes(cap.rto_minutes)} ≤ "
            f"{u.dur_with_minutes(app.rto_minutes)}, RPO capability "
            f"{u.dur_with_minutes(cap.rpo_minutes)} ≤ {u.dur_with_minutes(app.rpo_minutes)} ({how})",
            remedy="",
        )
