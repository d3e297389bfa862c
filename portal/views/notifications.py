"""Notifications in the portal: the header's unread list, the full list, and preferences.

Writes go through planner.services.notifications; a user sees only their own notifications.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Window
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_POST

from planner.models import Notification, NotificationKind
from planner.models.notifications import Channel
from planner.services import notifications

HEADER_LIMIT = 5


def unread(request):
    """Context processor: the user's unread portal notifications (queried only when used)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def load():
        # One query: the newest few, each with the total count (a window over the same rows).
        rows = list(
            Notification.objects.filter(
                recipient=user, channel=Channel.PORTAL, read_at__isnull=True
            )
            .only("pk", "subject", "created_at")
            .annotate(total=Window(Count("pk")))[:HEADER_LIMIT]
        )
        return {"count": rows[0].total if rows else 0, "latest": rows}

    return {"unread_notifications": SimpleLazyObject(load)}


@login_required
def notification_list(request):
    rows = Notification.objects.filter(recipient=request.user).only(
        "pk",
        "kind",
        "channel",
        "status",
        "subject",
        "created_at",
        "sent_at",
        "read_at",
        "attempts",
        "last_error",
    )
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(request, "portal/notification_list.html", {"page": page})


@login_required
def notification_open(request, pk):
    """Mark one notification read and go to the page it is about."""
    row = get_object_or_404(Notification, pk=pk, recipient=request.user)
    notifications.mark_read(request.user, [row.pk])
    # The stored link is absolute (PORTAL_URL, for e-mail); here only its path counts, so it
    # never leaves this site.
    parts = urlsplit(row.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    target += f"#{parts.fragment}" if parts.fragment else ""
    if not target.startswith("/") or target.startswith("//"):
        target = ""
    return redirect(target or "dashboard")


@require_POST
@login_required
def notification_read_all(request):
    count = notifications.mark_read(request.user)
    messages.success(request, f"{count} notification(s) marked as read.")
    return redirect("notification-list")


@login_required
def notification_preferences(request):
    if request.method == "POST":
        chosen = request.POST.getlist("kinds")
        unknown = [k for k in chosen if k not in NotificationKind.values]
        if unknown:
            messages.error(
                request,
                f"Unknown kind(s) {', '.join(k[:40] for k in unknown[:5])}: tick the boxes "
                "shown on this page only.",
            )
        else:
            notifications.set_preferences(request.user, chosen)
            messages.success(request, "Your notification preferences are saved.")
            return redirect("notification-preferences")
    wanted = notifications.wanted_kinds(request.user)
    kinds = [(value, label, value in wanted) for value, label in NotificationKind.choices]
    return render(
        request,
        "portal/notification_preferences.html",
        {"kinds": kinds, "by_email": notifications.email_enabled() and bool(request.user.email)},
    )
