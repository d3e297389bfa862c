"""The operators' estate overview's pages, wired in ``portal/urls.py`` under ``admin/overview/``
(namespace "overview"): every page is for operators only: anyone signed in who is not one gets
403, anyone not signed in the admin login (``admin_site.admin_view``, which also keeps the admin's
CSRF and no-cache)."""

from __future__ import annotations

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import URLPattern, path

from planner import access
from portal.overview import views


def overview_urls(admin_site) -> list[URLPattern]:
    """The overview's pages, to include under ``admin/overview/`` with the namespace "overview":

        path("admin/overview/", include((overview_urls(admin.site), "overview"))),

    (before ``path("admin/", admin.site.urls)``, whose catch-all would answer first)."""

    def view(func):
        return _operators_only(admin_site.admin_view(func), admin_site)

    return [
        path("", view(views.overview), name="overview"),
        path("apps/", view(views.app_list), name="overview-apps"),
        path("vms/", view(views.vm_list), name="overview-vms"),
        path("export/<slug:name>.csv", view(views.export), name="overview-export"),
    ]


def _operators_only(func, admin_site):
    """403 for a signed-in user who is not an operator (owners and approvers are not staff; the
    admin would only offer them its login); the admin view behind sends the rest to its login."""

    @wraps(func)
    def wrapped(request: HttpRequest, *args, **kwargs):
        if request.user.is_authenticated and not access.is_operator(request.user):
            raise PermissionDenied("The estate overview is for operators.")
        request.admin_site = admin_site
        return func(request, *args, **kwargs)

    return wrapped
