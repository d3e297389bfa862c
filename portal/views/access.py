"""Who may see and change what, in one place (pages and exports call these).

Owners see and change their own apps and VMs; approvers see every app read-only; operators see
and change everything. "Not yours" is a plain 404, exactly as if the app did not exist; "yours to
see but not to change" (an approver) is a 403 that says so.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from planner.models import Application, SizingRun, VirtualMachine
from planner.roles import APPROVERS, OPERATORS, OWNERS, has_role

READ_ONLY = (
    "Approvers see apps read-only: ask the app's owner (or an operator) to make this change."
)


def is_operator(user) -> bool:
    return has_role(user, OPERATORS)


def is_approver(user) -> bool:
    return has_role(user, APPROVERS)


def can_create(user) -> bool:
    return has_role(user, OWNERS) or has_role(user, OPERATORS)


def can_change(user, app: Application) -> bool:
    return app.owner_id == user.pk or has_role(user, OPERATORS)


def changeable_apps(user):
    """The apps this user may change: their own, or all of them for an operator."""
    if not user.is_authenticated:
        return Application.objects.none()
    if has_role(user, OPERATORS):
        return Application.objects.all()
    return Application.objects.filter(owner=user)


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
    run = get_object_or_404(SizingRun.objects.select_related("application", "requested_by"), pk=pk)
    if run.application_id is None:
        if not (has_role(user, OPERATORS) or has_role(user, APPROVERS)):
            raise_404()
        return run
    app_for_user(user, run.application_id)
    return run


def raise_404():
    from django.http import Http404

    raise Http404("No such sizing run.")
