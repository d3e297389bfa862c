"""The access rules (planner.access) as the web answers them: pages, exports and the API call
these.

"Not yours" is a plain 404, exactly as if the app did not exist; "yours to see but not to change"
(an approver) is a 403 that says so.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from planner.access import (  # noqa: F401  (the rules, re-exported for the web's callers)
    CHANGE,
    READ_ONLY,
    VIEW,
    can_change,
    can_create,
    changeable_apps,
    is_approver,
    is_operator,
    sees_all,
)
from planner.models import Application, SizingRun, VirtualMachine


def app_for_user(user, pk, queryset=None) -> Application:
    """The app if the user may see it, else 404."""
    qs = queryset if queryset is not None else Application.objects.all()
    return get_object_or_404(qs.for_user(user), pk=pk)


def app_for_change(user, pk, queryset=None) -> Application:
    """The app if the user may change it; 404 if not theirs to see, 403 if read-only."""
    app = app_for_user(user, pk, queryset)
    if not can_change(user, app):
        raise PermissionDenied(READ_ONLY)
    return app


def vm_for_user(user, pk, queryset=None) -> VirtualMachine:
    qs = queryset if queryset is not None else VirtualMachine.objects.select_related("application")
    return get_object_or_404(qs.for_user(user), pk=pk)


def vm_for_change(user, pk, queryset=None) -> VirtualMachine:
    vm = vm_for_user(user, pk, queryset)
    if not can_change(user, vm.application):
        raise PermissionDenied(READ_ONLY)
    return vm


def run_for_user(user, pk) -> SizingRun:
    """The run if the user may see it (an estate-wide run: operators and approvers), else 404."""
    qs = SizingRun.objects.select_related("application", "requested_by").for_user(user)
    return get_object_or_404(qs, pk=pk)
