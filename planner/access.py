"""Who may see and change what: the only place that says it (DESIGN §1).

Owners see and change their own apps (and the VMs, drills, runs and plan revisions of those apps);
approvers see every app read-only and approve plans; operators see and change everything. Pages,
the API, the admin, the overview, exports and template tags all ask here.

Row-level access is ``restrict(queryset, user, action)`` (after NetBox's
``RestrictedQuerySet.restrict``): every planner queryset whose rows belong to an app has it as
``.for_user(user, action)``. Roles are read once per request: ``planner.roles.has_role`` caches the
user's groups on the user object.
"""

from __future__ import annotations

from django.db import models

from planner.roles import APPROVERS, OPERATORS, OWNERS, has_role

VIEW, CHANGE = "view", "change"

READ_ONLY = (
    "Approvers see apps read-only: ask the app's owner (or an operator) to make this change."
)


def is_operator(user) -> bool:
    return has_role(user, OPERATORS)


def is_approver(user) -> bool:
    return has_role(user, APPROVERS)


def is_owner(user) -> bool:
    return has_role(user, OWNERS)


def sees_all(user) -> bool:
    """Operators and approvers see every app (approvers read-only)."""
    return has_role(user, OPERATORS) or has_role(user, APPROVERS)


def can_create(user) -> bool:
    """Register apps, add VMs, import: owners (into their own apps) and operators."""
    return has_role(user, OWNERS) or has_role(user, OPERATORS)


def can_change(user, app) -> bool:
    """Change this app and what belongs to it: its owner, or an operator."""
    return app.owner_id == user.pk or has_role(user, OPERATORS)


def can_change_owned(user, owner_id) -> bool:
    """``can_change`` for an app known only by its owner's id."""
    return owner_id == user.pk or has_role(user, OPERATORS)


def restrict(queryset: models.QuerySet, user, action: str = VIEW) -> models.QuerySet:
    """The rows of ``queryset`` the user may ``action`` ("view" or "change").

    The queryset's class names the path from its rows to the owning app's owner
    (``owner_path``); rows without an app (estate-wide runs) follow the app-less rule: operators
    and approvers see them, operators change them."""
    if action not in (VIEW, CHANGE):
        raise ValueError(f"Unknown action {action!r}: use 'view' or 'change'.")
    if not user.is_authenticated:
        return queryset.none()
    if has_role(user, OPERATORS) or (action == VIEW and has_role(user, APPROVERS)):
        return queryset
    return queryset.filter(**{queryset.owner_path: user})


class RestrictedQuerySet(models.QuerySet):
    """A queryset of rows that belong to an app; ``owner_path`` leads to its owner."""

    owner_path = "application__owner"

    def for_user(self, user, action: str = VIEW):
        return restrict(self, user, action)


def changeable_apps(user):
    """The apps this user may change: their own, or all of them for an operator."""
    from planner.models import Application

    return Application.objects.for_user(user, CHANGE)
