"""Directory accounts (planner.services.accounts) and the sign-in pages when single sign-on is
off or its provider is unreachable. The full flow against a real provider in a real browser is
tests/browser/test_sso_browser.py."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from planner.models import DirectoryIdentity
from planner.roles import ensure_groups
from planner.services.accounts import DirectoryRefused, roles_for, sign_in_from_directory

pytestmark = pytest.mark.django_db

ISSUER = "https://login.microsoftonline.com/0000-tenant/v2.0"
MAP = {
    "owners": ["Planner-Owners", "6f1c-owner-object-id"],
    "approvers": ["Planner-Approvers"],
    "operators": ["Planner-Operators"],
}


@pytest.fixture(autouse=True)
def groups():
    ensure_groups()


def sign_in(subject="sub-1", username="dana@corp.example", groups=("Planner-Owners",), **claims):
    return sign_in_from_directory(
        ISSUER,
        subject,
        {"username": username, "email": "dana@corp.example", "given_name": "Dana", **claims},
        list(groups),
        MAP,
    )


def test_roles_come_from_the_mapping_case_insensitively_by_name_or_object_id():
    assert roles_for(["planner-owners"], MAP) == ["owners"]
    assert roles_for(["6F1C-OWNER-OBJECT-ID", "Planner-Operators"], MAP) == ["owners", "operators"]
    assert roles_for(["Staff"], MAP) == [] and roles_for(None, MAP) == []
    assert roles_for(["Planner-Owners"], {"owners": []}) == []


def test_first_sign_in_creates_the_user_and_each_sign_in_resets_its_roles_from_the_directory():
    user = sign_in()
    assert (user.username, user.email, user.first_name) == (
        "dana@corp.example",
        "dana@corp.example",
        "Dana",
    )
    assert not user.has_usable_password() and not user.is_staff
    assert list(user.groups.values_list("name", flat=True)) == ["owners"]
    extra = Group.objects.create(name="pilot-users")  # not a role: left alone
    user.groups.add(extra)

    again = sign_in(groups=["Planner-Operators", "Planner-Approvers"])
    assert again.pk == user.pk and User.objects.count() == 1
    assert sorted(again.groups.values_list("name", flat=True)) == [
        "approvers",
        "operators",
        "pilot-users",
    ]
    assert again.is_staff, "operators use the admin"
    assert DirectoryIdentity.objects.get(user=user).groups == [
        "Planner-Approvers",
        "Planner-Operators",
    ]

    # Renamed in the directory: the same person (same subject), not a new account.
    renamed = sign_in(username="dana.smith@corp.example", groups=["Planner-Owners"])
    assert renamed.pk == user.pk and not renamed.is_staff


def test_no_mapped_group_a_local_name_clash_or_a_disabled_account_is_refused():
    with pytest.raises(DirectoryRefused, match="none of the groups"):
        sign_in(groups=["Staff"])
    User.objects.create_user("owner", password="recovery-demo")  # a local (demo) account
    with pytest.raises(DirectoryRefused, match="belongs to a local Recovery Planner account"):
        sign_in(subject="sub-2", username="OWNER")
    assert User.objects.get(username="owner").has_usable_password(), "never merged"
    user = sign_in()
    user.is_active = False
    user.save()
    with pytest.raises(DirectoryRefused, match="disabled"):
        sign_in()
    with pytest.raises(DirectoryRefused, match="no user name"):
        sign_in(subject="sub-3", username="")
    assert not DirectoryIdentity.objects.filter(subject__in=["sub-2", "sub-3"]).exists()


def test_with_single_sign_on_off_the_pages_say_nothing_of_it_and_its_urls_are_404(settings):
    settings.OIDC_ENABLED = False
    c = Client()
    assert "sso-sign-in" not in c.get("/login/").content.decode()
    assert c.get("/oidc/authenticate/").status_code == 404
    assert c.get("/oidc/callback/?code=x&state=y").status_code == 404


def test_an_unreachable_provider_sends_back_to_sign_in_with_a_message_never_a_500(settings):
    from portal import sso

    sso._cache.clear()
    settings.OIDC_ENABLED = True
    settings.OIDC_ISSUER = "http://127.0.0.1:9/nothing-listens-here"
    settings.OIDC_RP_CLIENT_ID = "x"
    settings.OIDC_TIMEOUT = 2
    c = Client()
    page = c.get("/login/").content.decode()
    assert "Sign in with your organisation&#x27;s directory" in page
    response = c.get("/oidc/authenticate/", follow=True)
    assert response.status_code == 200 and response.redirect_chain[-1][0] == "/login/"
    assert "is unavailable right now" in response.content.decode()
    assert c.get("/oidc/callback/?code=x&state=y").status_code == 302
    sso._cache.clear()


def test_a_local_account_signs_in_with_its_password_while_the_directory_is_down(settings, alice):
    from portal import sso

    sso._cache.clear()
    settings.OIDC_ENABLED = True
    settings.OIDC_ISSUER = "http://127.0.0.1:9/nothing-listens-here"
    settings.OIDC_RP_CLIENT_ID = "x"
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "portal.sso.DirectoryBackend",
    ]
    c = Client()
    response = c.post("/login/", {"username": "alice", "password": "pw-alice"})
    assert response.status_code == 302 and response["Location"] == "/"
    bad = Client().post("/login/", {"username": "alice", "password": "wrong"})
    assert bad.status_code == 200 and "didn't match" in bad.content.decode()


def test_a_callback_without_a_started_sign_in_or_with_an_error_is_sent_back_never_a_500(
    settings,
):
    settings.OIDC_ENABLED = True
    settings.OIDC_ISSUER = "http://127.0.0.1:9/nothing-listens-here"
    settings.OIDC_RP_CLIENT_ID = "x"
    c = Client()
    forged = c.get("/oidc/callback/?code=x&state=not-one-of-ours", follow=True)
    assert forged.redirect_chain[-1][0] == "/login/"
    refused = c.get("/oidc/callback/?error=access_denied%00&state=s", follow=True)
    assert refused.redirect_chain[-1][0] == "/login/"
    assert "did not sign you in (access_denied)" in refused.content.decode()
