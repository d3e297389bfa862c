"""Decisions to go without protection for one VM (the seed: "It's your decision to do without
protection"; "you need to opt-in to protection for each VM").

An owner records why a VM goes unprotected; who and when are stamped here, whichever way the
reason arrives (portal form, REST API, admin), so the three agree. A VM with a recorded decision
leaves PROTECTION_VMS_NOT_OPTED_IN and counts as decided in the overview.
"""

from __future__ import annotations

from django.utils import timezone

from planner.models import VirtualMachine


def stamp_vm_decision(vm: VirtualMachine, user, *, before: str = "", now=None) -> None:
    """Stamp who and when on ``vm``'s decision before it is saved (the caller saves).

    ``before`` is the reason stored until now: an unchanged reason keeps its author and date;
    a new or changed one is stamped with ``user`` and now; an empty one clears the decision.
    """
    why = (vm.no_protection_why or "").strip()
    vm.no_protection_why = why
    if not why:
        vm.no_protection_by = None
        vm.no_protection_at = None
    elif why != (before or "").strip() or vm.no_protection_at is None:
        vm.no_protection_by = user if user is not None and user.is_authenticated else None
        vm.no_protection_at = now or timezone.now()
