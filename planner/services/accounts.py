"""Accounts from the organisation's directory (OpenID Connect sign-in, portal/sso.py).

    roles_for(directory_groups, role_groups) -> list[str]
        The portal roles (planner.roles.ROLES) that a directory account's groups grant, by the
        configured mapping ``{"owners": [...], "approvers": [...], "operators": [...]}``.
    sign_in_from_directory(issuer, subject, claims, directory_groups, role_groups) -> User
        The user of a directory account: found by (issuer, subject), or created on the first
        sign-in. Its roles are set to exactly what its directory groups grant, at every
        sign-in (the directory is the source of truth for directory users; operators are staff,
        so they reach the admin). Raises ``DirectoryRefused`` with a message for the person
        signing in when the account has none of the mapped groups, or when its user name is
        already taken by a local account (never merged: a local break-glass account stays
        local).

Local accounts (created in the admin or by seed_demo) are never touched here.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from planner.models import DirectoryIdentity
from planner.roles import OPERATORS, ROLES

USERNAME_MAX = 150  # django.contrib.auth's User.username


class DirectoryRefused(Exception):
    """A directory account that may not sign in; the message says why and who can fix it."""


def roles_for(directory_groups, role_groups: dict[str, list[str]]) -> list[str]:
    have = {str(g).casefold() for g in directory_groups or ()}
    return [
        role for role in ROLES if any(g.casefold() in have for g in role_groups.get(role, ()) if g)
    ]


def _clean(value, limit: int) -> str:
    text = "".join(ch for ch in str(value or "") if ch.isprintable()).strip()
    return text[:limit]


@transaction.atomic
def sign_in_from_directory(
    issuer: str, subject: str, claims: dict, directory_groups, role_groups: dict[str, list[str]]
):
    User = get_user_model()
    username = _clean(claims.get("username"), USERNAME_MAX)
    roles = roles_for(directory_groups, role_groups)
    if not roles:
        mapped = ", ".join(g for r in ROLES for g in role_groups.get(r, ())) or "none configured"
        raise DirectoryRefused(
            f"Your directory account ({username or subject}) is in none of the groups that "
            f"give access to Recovery Planner ({mapped}). Ask your directory administrator to "
            "add you to the right group, then sign in again."
        )
    identity = (
        DirectoryIdentity.objects.select_for_update()
        .select_related("user")
        .filter(issuer=issuer, subject=subject)
        .first()
    )
    if identity is None:
        if not username:
            raise DirectoryRefused(
                "The directory sent no user name for your account: ask the operator to check "
                "OIDC_USERNAME_CLAIM (docs/deploy.md)."
            )
        if User.objects.filter(username__iexact=username).exists():
            raise DirectoryRefused(
                f"The user name {username} belongs to a local Recovery Planner account: an "
                "operator must rename or remove that account before you can sign in with the "
                "directory (accounts are never merged)."
            )
        user = User.objects.create_user(username)  # no usable password: directory only
        identity = DirectoryIdentity(user=user, issuer=issuer, subject=subject)
    user = identity.user
    if not user.is_active:
        raise DirectoryRefused(
            f"The Recovery Planner account {user.username} is disabled: ask an operator."
        )
    user.email = _clean(claims.get("email"), 254)
    user.first_name = _clean(claims.get("given_name"), 150)
    user.last_name = _clean(claims.get("family_name"), 150)
    user.is_staff = OPERATORS in roles
    user.save()
    identity.groups = sorted({_clean(g, 200) for g in directory_groups or ()})[:100]
    identity.last_seen = timezone.now()
    identity.save()
    keep = user.groups.exclude(name__in=ROLES)
    user.groups.set([*keep, *Group.objects.filter(name__in=roles)])
    return user
