"""Plan revisions: immutable snapshots of an app's plan, their sign-off trail and waivers.

A revision is born a draft (``planner.services.plans.create_revision``) and only that module
moves it on: draft -> submitted -> approved | rejected. Once submitted, nothing changes it
through the ORM, the admin or the API:

- ``PlanRevision.save()`` raises ``RevisionLocked`` for a revision that is not a draft, and
  for a draft that is saved in any other state than draft (no skipping the workflow);
- ``PlanRevision.objects...update()`` refuses rows that are not drafts and the workflow's
  fields (state, decision, snapshot, hash, PDF) on any row; ``...delete()`` refuses rows that
  are not drafts, and so does deleting them by cascade (a ``pre_delete`` receiver), so an app
  with a signed plan cannot be deleted;
- the audit trail (``PlanTransition``) and waivers are append-only: ``save()`` of an existing
  row, ``QuerySet.update()`` and deleting a submitted revision's rows are refused, and on
  PostgreSQL a trigger refuses UPDATE and DELETE statements from any client.

The workflow's own writes go through ``PlanRevisionQuerySet._service_update()``: conditional
updates (``filter(pk=…, state=SUBMITTED)._service_update(state=APPROVED, …) == 1``), so two
approvers deciding at once cannot both win. Nothing else may call it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.signals import pre_delete
from django.dispatch import receiver

from planner.access import RestrictedQuerySet
from planner.labels import PLAN_STATES
from planner.models.estate import Application
from planner.reports.canonical import content_sha256


class PlanError(Exception):
    """A plan action that cannot be done; the message says why and what to do instead."""


class PdfNotReady(PlanError):
    """The reports worker has not stored a revision's PDF yet: ask again in ``retry_after``
    seconds (the web process does not render it meanwhile; see ``plans.revision_pdf``)."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class RevisionLocked(PlanError):
    """An attempt to change a plan revision (or its trail) outside the workflow."""


class PlanState(models.TextChoices):
    DRAFT = "draft", PLAN_STATES["draft"][0]
    SUBMITTED = "submitted", PLAN_STATES["submitted"][0]
    APPROVED = "approved", PLAN_STATES["approved"][0]
    REJECTED = "rejected", PLAN_STATES["rejected"][0]


# Fields only the workflow (planner.services.plans) writes, through _service_update().
WORKFLOW_FIELDS = frozenset(
    {
        "state",
        "decided_by",
        "decided_by_id",
        "decided_at",
        "decision_comment",
        "snapshot",
        "sha256",
        "number",
        "application",
        "application_id",
        "pdf",
        "pdf_sha256",
        "flagged_for_review_at",
    }
)


def _locked_message(what: str) -> str:
    return (
        f"{what}: a submitted plan revision can no longer change. Create a new revision of the "
        "app (planner.services.plans.create_revision) and have it signed."
    )


class PlanRevisionQuerySet(RestrictedQuerySet):
    """Row-level access (``for_user``): the revisions of the apps the user may see
    (planner.access)."""

    def approved(self) -> PlanRevisionQuerySet:
        return self.filter(state=PlanState.APPROVED)

    def update(self, **kwargs):
        workflow = sorted(set(kwargs) & WORKFLOW_FIELDS)
        if workflow:
            raise RevisionLocked(
                f"Refused to update {', '.join(workflow)} of plan revisions directly: only "
                "planner.services.plans changes them (submit, approve, reject)."
            )
        if self.exclude(state=PlanState.DRAFT).exists():
            raise RevisionLocked(_locked_message("Refused to update plan revisions"))
        return super().update(**kwargs)

    update.alters_data = True

    def delete(self):
        if self.exclude(state=PlanState.DRAFT).exists():
            raise RevisionLocked(_locked_message("Refused to delete plan revisions"))
        return super().delete()

    delete.alters_data = True
    delete.queryset_only = True

    def _service_update(self, **kwargs) -> int:
        """The workflow's conditional update (planner.services.plans and planner.reports only)."""
        return super().update(**kwargs)


class PlanRevision(models.Model):
    objects = PlanRevisionQuerySet.as_manager()

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="plans")
    number = models.PositiveIntegerField()
    state = models.CharField(max_length=10, choices=PlanState.choices, default=PlanState.DRAFT)
    snapshot = models.JSONField(default=dict)
    sha256 = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_comment = models.TextField(blank=True)
    pdf = models.FileField(upload_to="plans/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    flagged_for_review_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the yearly review sweep flagged this approved plan as due for review",
    )

    class Meta:
        ordering = ["application", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["application", "number"], name="plan_number_unique")
        ]

    def __str__(self) -> str:
        return f"{self.application} plan r{self.number} ({self.state})"

    # --- immutability ---------------------------------------------------------------------

    def save(self, *args, **kwargs):
        if self._state.adding:
            if self.state != PlanState.DRAFT or self.decided_by_id or self.decided_at:
                raise RevisionLocked(
                    "A plan revision is born a draft: create it with "
                    "planner.services.plans.create_revision() and move it on with the workflow."
                )
        else:
            stored = (
                type(self)._base_manager.filter(pk=self.pk).values_list("state", flat=True).first()
            )
            if stored is not None and stored != PlanState.DRAFT:
                raise RevisionLocked(_locked_message(f"Revision r{self.number} is {stored}"))
            if self.state != PlanState.DRAFT or self.decided_by_id or self.decided_at:
                raise RevisionLocked(
                    "Only planner.services.plans moves a revision out of draft "
                    "(submit_revision, approve_revision, reject_revision)."
                )
        # The hash always matches the content it stands for.
        self.sha256 = content_sha256(self.snapshot)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "snapshot" in update_fields:
            kwargs["update_fields"] = {*update_fields, "sha256"}
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.state != PlanState.DRAFT:
            raise RevisionLocked(_locked_message(f"Refused to delete revision r{self.number}"))
        return super().delete(*args, **kwargs)

    # --- reading ----------------------------------------------------------------------------

    @property
    def locked(self) -> bool:
        """True once submitted: the revision and its waivers can no longer change."""
        return self.state != PlanState.DRAFT

    @property
    def decided(self) -> bool:
        return self.state in (PlanState.APPROVED, PlanState.REJECTED)

    @property
    def inputs_sha256(self) -> str:
        return self.snapshot.get("inputs_sha256", "")

    @property
    def blocking_codes(self) -> list[str]:
        return list(self.snapshot.get("blocking_codes", ()))

    def snapshot_intact(self) -> bool:
        """True when the stored snapshot still hashes to the recorded SHA-256."""
        return content_sha256(self.snapshot) == self.sha256

    @property
    def pdf_filename(self) -> str:
        """The name a downloaded PDF gets: "<app>-plan-r<N>.pdf"."""
        from django.utils.text import slugify

        return f"{slugify(self.application.name) or 'app'}-plan-r{self.number}.pdf"


def _kept_message(revision) -> str:
    return (
        f"'{revision.application}' has plan revision r{revision.number} ({revision.state}): "
        "submitted and signed plans, their audit trail and waivers are kept, so they (and the "
        "app) cannot be deleted."
    )


@receiver(pre_delete, sender=PlanRevision)
def _refuse_cascade_delete(sender, instance: PlanRevision, **kwargs) -> None:
    """Deleting an app (or a user) by cascade must not erase a submitted or signed plan."""
    if instance.state != PlanState.DRAFT:
        raise RevisionLocked(_kept_message(instance))


class TrailQuerySet(models.QuerySet):
    """Append-only rows (the audit trail, waivers): ``update()`` is refused, and ``delete()``
    too unless every row belongs to a draft (a draft is deleted whole, trail and all).

    On PostgreSQL a trigger refuses the same UPDATE and DELETE statements whoever sends them
    (migration 0006_h5_append_only)."""

    def update(self, **kwargs):
        raise RevisionLocked(
            f"{self.model._meta.verbose_name_plural.capitalize()} are append-only: rows are "
            "added, never changed."
        )

    update.alters_data = True

    def delete(self):
        if self.exclude(revision__state=PlanState.DRAFT).exists():
            raise RevisionLocked(
                f"{self.model._meta.verbose_name_plural.capitalize()} of a submitted plan "
                "revision are kept: they cannot be deleted."
            )
        return super().delete()

    delete.alters_data = True
    delete.queryset_only = True


class PlanTransition(models.Model):
    """The audit trail: every change of state, who made it, when and why (append-only)."""

    objects = TrailQuerySet.as_manager()

    revision = models.ForeignKey(PlanRevision, on_delete=models.CASCADE, related_name="transitions")
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    from_state = models.CharField(max_length=10, choices=PlanState.choices, blank=True)
    to_state = models.CharField(max_length=10, choices=PlanState.choices)
    comment = models.TextField(blank=True)

    class Meta:
        ordering = ["revision", "at", "id"]

    def __str__(self) -> str:
        return f"r{self.revision.number}: {self.from_state or '—'} → {self.to_state}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RevisionLocked("The audit trail is append-only: a transition never changes.")
        super().save(*args, **kwargs)


class Waiver(models.Model):
    """An accepted blocking finding: who accepted it, when and why; printed in the PDF."""

    objects = TrailQuerySet.as_manager()

    revision = models.ForeignKey(PlanRevision, on_delete=models.CASCADE, related_name="waivers")
    code = models.CharField(max_length=60)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    justification = models.TextField()

    class Meta:
        ordering = ["revision", "code"]
        constraints = [
            models.UniqueConstraint(fields=["revision", "code"], name="waiver_once_per_code")
        ]

    def __str__(self) -> str:
        return f"waiver of {self.code} on r{self.revision.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise RevisionLocked("A waiver never changes: record who, when and why once.")
        if self.revision.decided:
            raise RevisionLocked(
                f"Revision r{self.revision.number} is {self.revision.state}: waivers are "
                "recorded before the decision. Create a new revision."
            )
        super().save(*args, **kwargs)


@receiver(pre_delete, sender=PlanTransition)
@receiver(pre_delete, sender=Waiver)
def _refuse_trail_delete(sender, instance, **kwargs) -> None:
    revision = (
        PlanRevision._base_manager.select_related("application")
        .filter(pk=instance.revision_id)
        .first()
    )
    if revision is not None and revision.state != PlanState.DRAFT:
        raise RevisionLocked(_kept_message(revision))
