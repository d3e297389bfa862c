"""Notifications: an outbox of messages about events people must act on, and who wants which.

One row per (event, recipient): ``event_key`` names the event ("plan-submitted:r42", "run-failed:
7"), and the unique constraint makes a second report of the same event a no-op, so a message is
created at most once however often a sweep or a retried task sees it. The row is written in the
same transaction as the event (a plan's submission, a run's end), so it is never lost with a
worker or a broker; ``planner.services.notifications`` sends it, and a beat sweep retries what is
still pending. Without SMTP settings a row is shown in the portal instead (channel "portal").
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class NotificationKind(models.TextChoices):
    PLAN_SUBMITTED = "plan_submitted", "A plan was submitted for approval"
    PLAN_APPROVED = "plan_approved", "Your plan was approved"
    PLAN_REJECTED = "plan_rejected", "Your plan was rejected"
    PLAN_STALE = "plan_stale", "Your approved plan went stale"
    REVIEW_SOON = "review_soon", "Your plan's yearly review is due within 30 days"
    REVIEW_OVERDUE = "review_overdue", "Your plan's yearly review is overdue"
    DRILL_OVERDUE = "drill_overdue", "A recovery drill is overdue"
    RUN_FAILED = "run_failed", "A sizing run failed"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    PORTAL = "portal", "Portal"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # e-mail not sent yet (retried by the sweep)
    SENDING = "sending", "Sending"  # claimed by a worker
    SENT = "sent", "Sent"  # accepted by the SMTP server
    SHOWN = "shown", "In the portal"  # the portal channel: nothing to send


class Notification(models.Model):
    event_key = models.CharField(max_length=200)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices)
    subject = models.CharField(max_length=200)
    text = models.TextField(help_text="The message in plain text (the e-mail's text part)")
    html = models.TextField(help_text="The same message in HTML (the e-mail's HTML part)")
    url = models.CharField(max_length=500, help_text="The page the message is about")
    created_at = models.DateTimeField(auto_now_add=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["event_key", "recipient"], name="notification_once_per_event"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["recipient", "read_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.recipient_id} ({self.channel}, {self.status})"


class NotificationOptOut(models.Model):
    """A kind of notification a user chose not to receive (everything is on by default)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_opt_outs"
    )
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_opt_out_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} opted out of {self.kind}"


class DirectoryIdentity(models.Model):
    """The directory account (OpenID Connect issuer + subject) a user signs in with.

    Users are matched on this pair, never on an e-mail address or a user name, so a directory
    account cannot take over a local (break-glass, demo) account that happens to share one."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="directory_identity"
    )
    issuer = models.CharField(max_length=200)
    subject = models.CharField(max_length=255)
    groups = models.JSONField(
        default=list, blank=True, help_text="Directory groups at last sign-in"
    )
    first_seen = models.DateTimeField(auto_now_add=True)
    last_seen = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="directory_identity_once")
        ]
        verbose_name_plural = "directory identities"

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
