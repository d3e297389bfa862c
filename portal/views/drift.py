"""Drift a hub sync found (planner.services.hub): the owner sees it and marks it reviewed; and
the resource groups an app claims (a sync adds the VMs that appear in them)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from planner.models import Drift, DriftKind, ResourceGroupClaim, Subscription
from planner.services import hub
from portal import access

SHOWN = 100
DASHBOARD_APPS = 10


def open_drift(app, limit: int = SHOWN) -> tuple[list[Drift], int]:
    """The app's drift nobody reviewed yet (newest first, at most ``limit``) and its count."""
    qs = Drift.objects.filter(application=app, reviewed_at__isnull=True)
    shown = list(qs.order_by("-detected_at", "vm_name")[:limit])
    # Fewer than the limit: that is all of it (no second query to count).
    return shown, len(shown) if len(shown) < limit else qs.count()


def drift_by_app(apps) -> list[dict]:
    """Apps (of the queryset the user may see) with unreviewed drift, counted by kind."""
    counts = {k: Count("pk", filter=Q(kind=k)) for k in DriftKind.values}
    return list(
        Drift.objects.filter(application__in=apps, reviewed_at__isnull=True)
        .values("application_id", "application__name")
        .annotate(total=Count("pk"), **counts)
        .order_by("-total", "application__name")[:DASHBOARD_APPS]
    )


@login_required
@require_POST
def app_drift_review(request, pk):
    app = access.app_for_change(request.user, pk)
    n = hub.review_drift(app, request.user)
    messages.success(
        request,
        f"{n} change(s) on the hub marked reviewed for '{app}': the drift finding goes at the "
        "next sizing. New VMs stay opted out until you opt them in.",
    )
    return redirect(f"{app.get_absolute_url()}#drift")


class ClaimForm(forms.Form):
    subscription = forms.ModelChoiceField(queryset=Subscription.objects.none())
    resource_group = forms.CharField(
        max_length=90,
        label="Resource group",
        help_text="VMs that appear in it at the next hub sync are added to this app, opted out.",
    )

    def __init__(self, *args, app=None, **kwargs):
        super().__init__(*args, **kwargs)
        # select_related: each option's label names the cloud (Subscription.__str__).
        self.fields["subscription"].queryset = Subscription.objects.filter(
            cloud_id=app.source_cloud_id
        ).select_related("cloud")


def claims_context(app) -> dict:
    return {
        "claims": list(
            ResourceGroupClaim.objects.filter(application=app).select_related("subscription")
        ),
        "claim_form": ClaimForm(app=app),
    }


@login_required
@require_POST
def app_claim(request, pk):
    app = access.app_for_change(request.user, pk)
    if request.POST.get("release", "").isdigit():
        hub.release_resource_group(app, int(request.POST["release"]))
        messages.success(request, "The resource group is no longer claimed by this app.")
        return redirect(f"{app.get_absolute_url()}#claims")
    form = ClaimForm(request.POST, app=app)
    if form.is_valid():
        try:
            claim = hub.claim_resource_group(
                app, form.cleaned_data["subscription"], form.cleaned_data["resource_group"]
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request,
                f"'{app}' claims {claim.resource_group}: the next hub sync adds its VMs "
                "(opted out until you opt them in).",
            )
    else:
        messages.error(
            request,
            "Nothing claimed: "
            + " ".join(
                f"{form.fields[f].label or f}: {' '.join(e)}" for f, e in form.errors.items()
            ),
        )
    return redirect(f"{app.get_absolute_url()}#claims")
