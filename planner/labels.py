"""Every label a scheme or a state is shown with: the portal, the API, the PDF and the rules' messages.

One table per kind, so a scheme reads the same in a form, a finding and a plan. The model choices
(``planner.models.Scheme``, ``PlanState``) take their labels from here. Pure Python: no Django
import, so ``planner.rules`` can use it too.
"""

from __future__ import annotations

__all__ = [
    "PLAN_STATES",
    "PROTECTION_STATES",
    "SCHEMES",
    "plan_state_banner",
    "scheme",
    "scheme_title",
]

# name: (title, in a sentence). The titles are the seed's five recovery options; the sentence form
# is what a rule message writes after "uses" or "does not support".
SCHEMES: dict[str, tuple[str, str]] = {
    "none": ("No recovery", "no protection"),
    "backup_restore": ("Backup-restore", "backup-restore"),
    "replication": ("Replication / manual failover", "replication"),
    "high_availability": ("High availability / automatic failover", "high availability"),
    "fault_tolerance": ("Fault tolerance (active/active)", "fault tolerance"),
}

# A plan's workflow state: (title, what it means, as the PDF's banner says it).
PLAN_STATES: dict[str, tuple[str, str]] = {
    "draft": ("Draft", "not submitted, not signed"),
    "submitted": ("Submitted", "awaiting approval"),
    "approved": ("Approved", ""),
    "rejected": ("Rejected", ""),
}

# A VM's protection state on the dashboard and the overview.
PROTECTION_STATES: dict[str, str] = {
    "protected": "Protected",
    "decided": "Unprotected, decision recorded",
    "undecided": "Unprotected, no decision",
}


def scheme(name: str) -> str:
    """A scheme in a sentence: "backup-restore", "high availability"; unknown names as given."""
    return SCHEMES[name][1] if name in SCHEMES else name


def scheme_title(name: str) -> str:
    """A scheme as a heading or a choice: "Replication / manual failover"; "" for no scheme."""
    return SCHEMES[name][0] if name in SCHEMES else (name or "")


def plan_state_banner(state: str) -> str:
    """A plan's state with what it means: "Draft — not submitted, not signed", "Approved"."""
    title, meaning = PLAN_STATES.get(state, (state, ""))
    return f"{title} — {meaning}" if meaning else title
