"""Roles as groups: owners, approvers, operators (DESIGN §1)."""

from __future__ import annotations

OWNERS, APPROVERS, OPERATORS = "owners", "approvers", "operators"
ROLES = (OWNERS, APPROVERS, OPERATORS)


def ensure_groups(**kwargs) -> None:
    """Create the groups; operators get every permission on the planner's models and unlock sign-ins.

    Runs after each migrate (post_migrate), when Django has created the permissions.
    """
    from django.contrib.auth.models import Group, Permission

    groups = {name: Group.objects.get_or_create(name=name)[0] for name in ROLES}
    planner_perms = Permission.objects.filter(content_type__app_label="planner")
    groups[OPERATORS].permissions.add(*planner_perms)
    groups[OPERATORS].permissions.add(
        *Permission.objects.filter(content_type__app_label="auth", codename__in=["view_user"])
    )
    # Sign-in lockouts (django-axes): operators see them and unlock by deleting the attempt.
    groups[OPERATORS].permissions.add(
        *Permission.objects.filter(
            content_type__app_label="axes",
            codename__in=[
                "view_accessattempt",
                "delete_accessattempt",
                "view_accesslog",
                "view_accessfailurelog",
            ],
        )
    )


def has_role(user, role: str) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    cache = getattr(user, "_role_cache", None)
    if cache is None:
        cache = set(user.groups.values_list("name", flat=True))
        user._role_cache = cache
    return role in cache
