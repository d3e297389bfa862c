"""The access rules (planner.access, portal.access) as DRF permissions.

Row-level access is in the querysets (``for_user``, planner.access.restrict): another owner's app is a 404 before any of
these run. Object permissions never apply to list or create, so each create checks its rights
where it validates the app (``access.changeable_apps`` as the field's queryset).

| who                | reads                   | changes the estate  | catalogs | approves |
|--------------------|-------------------------|---------------------|----------|----------|
| anonymous          | nothing (401)           | no                  | no       | no       |
| owner              | own apps, catalogs      | own apps            | read     | no       |
| approver           | every app, catalogs     | no (403, read-only) | read     | yes      |
| operator           | everything              | every app           | write    | no       |
"""

from __future__ import annotations

from rest_framework.permissions import SAFE_METHODS, BasePermission

from portal import access


class EstatePermission(BasePermission):
    """Apps, VMs, drills, runs, plans: read what you see; change what you own (or operate)."""

    message = access.READ_ONLY

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        return request.method in SAFE_METHODS or access.can_create(user)

    def has_object_permission(self, request, view, obj) -> bool:
        if request.method in SAFE_METHODS:
            return True
        app = view.application_of(obj)
        if app is None:
            return access.is_operator(request.user)
        return access.can_change(request.user, app)


class CatalogPermission(BasePermission):
    """Sites, clouds, targets, products, prices, limits, policies: everyone reads, operators
    write (as in the admin)."""

    message = "Only operators change the catalogs: ask an operator."

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated:
            return False
        return request.method in SAFE_METHODS or access.is_operator(user)


class ApproverPermission(BasePermission):
    """Approving or rejecting a plan: approvers only (never for an app they own: the service
    refuses that with its reason)."""

    message = "Only approvers approve or reject plans."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and access.is_approver(user))
