"""Plan revisions: the snapshot and its hash, every transition and every forbidden one, the
ORM guards, stale detection, yearly review, and the stored PDF's hash check."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from planner.models import Application, Disk, Limit, VirtualMachine
from planner.models.plans import (
    PlanError,
    PlanRevision,
    PlanState,
    PlanTransition,
    RevisionLocked,
    Waiver,
)
from planner.reports.canonical import canonical_json, content_sha256
from planner.services import plans
from tests.factories import ApplicationFactory, BackupTargetFactory, DiskFactory, VmFactory

pytestmark = pytest.mark.django_db

WHY = "Accepted until the new target is installed in Q3; restore tested by hand."


def make_app(owner, *, vms=3, name="payroll", **kwargs):
    app = ApplicationFactory(owner=owner, name=name, rto_minutes=240, **kwargs)
    for i in range(vms):
        vm = VmFactory(
            application=app,
            name=f"{name}-vm-{i:02d}",
            role=("database", "middleware", "web")[i % 3],
        )
        DiskFactory(vm=vm, provisioned_gib=128, used_gib=40 + i % 80)
    return app


@pytest.fixture
def app(alice):
    return make_app(alice)


@pytest.fixture
def blocked_app(alice):
    """An app with a blocking finding: its backup appliance sits in the ASH rack."""
    return make_app(alice, name="ledger", backup_target=BackupTargetFactory(kind="rack_appliance"))


@pytest.fixture
def submitted(app, alice):
    return plans.submit_revision(plans.create_revision(app, alice), alice)


@pytest.fixture
def approved(submitted, carol):
    return plans.approve_revision(submitted, carol, "Fits the BC/DR strategy.")


def trail(rev):
    return list(
        PlanTransition.objects.filter(revision=rev).values_list(
            "by__username", "from_state", "to_state", "comment"
        )
    )


# --- the snapshot -----------------------------------------------------------------------------


def test_owner_creates_a_draft_snapshot_with_its_hash(app, alice):
    rev = plans.create_revision(app, alice)
    assert (rev.number, rev.state, rev.created_by) == (1, PlanState.DRAFT, alice)
    s = rev.snapshot
    assert rev.sha256 == content_sha256(s) and len(rev.sha256) == 64
    assert rev.snapshot_intact()
    assert s["app"]["name"] == "payroll" and s["inputs"]["rto_minutes"] == 240
    assert [v["name"] for v in s["vms"]] == ["payroll-vm-00", "payroll-vm-01", "payroll-vm-02"]
    assert all(v["result"]["explanation"] for v in s["vms"])
    detail = s["result"]["detail"]
    assert len(detail["cost_by_month"]) == 36
    assert detail["boot"]["groups"] and detail["boot"]["failover"] and detail["boot"]["shutdown"]
    assert detail["schedule"]["slots"] and "drills" in detail and "capability" in detail
    assert {f["code"] for f in s["findings"]} >= {"OBJECTIVE_MET", "DRILL_NEVER"}
    assert set(s["versions"]) == {"engine", "prices", "limits", "sizes"}
    assert all(s["versions"].values())
    assert s["inputs_sha256"] == content_sha256(s["inputs"])
    assert s["topology"]["combination"]["text"]
    assert trail(rev) == [("alice", "", "draft", "revision taken")]


def test_hash_is_over_canonical_json():
    a = {"b": [1, 2.5, "é"], "a": {"y": None, "x": True}}
    b = {"a": {"x": True, "y": None}, "b": [1, 2.5, "é"]}
    assert (
        canonical_json(a)
        == canonical_json(b)
        == '{"a":{"x":true,"y":null},"b":[1,2.5,"é"]}'.encode()
    )
    assert content_sha256(a) == content_sha256(b)
    with pytest.raises(ValueError):
        canonical_json({"x": float("inf")})


def test_revisions_number_up_and_each_freezes_its_own_inputs(app, alice):
    r1 = plans.create_revision(app, alice)
    Application.objects.filter(pk=app.pk).update(rto_minutes=120)
    r2 = plans.create_revision(app, alice)
    assert (r1.number, r2.number) == (1, 2)
    r1.refresh_from_db()
    assert r1.snapshot["inputs"]["rto_minutes"] == 240 and r1.snapshot_intact()
    assert r2.snapshot["inputs"]["rto_minutes"] == 120
    assert r1.inputs_sha256 != r2.inputs_sha256


@pytest.mark.parametrize("who", ["bob", "carol", "olga"])
def test_only_the_owner_creates_a_revision(app, who, request):
    user = request.getfixturevalue(who)
    with pytest.raises(PlanError, match="Only the owner of 'payroll'"):
        plans.create_revision(app, user)
    assert not PlanRevision.objects.exists()


# --- transitions ------------------------------------------------------------------------------


def test_submit_then_approve_records_every_transition(app, alice, carol):
    rev = plans.create_revision(app, alice)
    rev = plans.submit_revision(rev, alice, "Ready for review")
    assert rev.state == PlanState.SUBMITTED
    rev = plans.approve_revision(rev, carol, "Fits the BC/DR strategy.")
    assert rev.state == PlanState.APPROVED
    assert rev.decided_by == carol and rev.decision_comment == "Fits the BC/DR strategy."
    assert abs((timezone.now() - rev.decided_at).total_seconds()) < 60
    assert trail(rev) == [
        ("alice", "", "draft", "revision taken"),
        ("alice", "draft", "submitted", "Ready for review"),
        ("carol", "submitted", "approved", "Fits the BC/DR strategy."),
    ]


def test_reject_needs_a_comment_and_records_it(submitted, carol):
    with pytest.raises(PlanError, match="Say why"):
        plans.reject_revision(submitted, carol, "   ")
    rev = plans.reject_revision(submitted, carol, "RPO of a day is too long for payroll.")
    assert rev.state == PlanState.REJECTED and rev.decided_by == carol
    assert trail(rev)[-1] == (
        "carol",
        "submitted",
        "rejected",
        "RPO of a day is too long for payroll.",
    )


def test_owner_who_is_an_approver_cannot_approve_own_plan(submitted, alice):
    alice.groups.add(Group.objects.get(name="approvers"))
    alice = type(alice).objects.get(pk=alice.pk)  # drop the role cache
    with pytest.raises(PlanError, match="You own 'payroll'"):
        plans.approve_revision(submitted, alice, "")
    with pytest.raises(PlanError, match="You own 'payroll'"):
        plans.reject_revision(submitted, alice, "no")
    submitted.refresh_from_db()
    assert submitted.state == PlanState.SUBMITTED


@pytest.mark.parametrize("who", ["alice", "bob", "olga"])
def test_only_an_approver_decides(submitted, who, request):
    user = request.getfixturevalue(who)
    with pytest.raises(PlanError, match="Only an approver"):
        plans.approve_revision(submitted, user, "")
    with pytest.raises(PlanError, match="Only an approver"):
        plans.reject_revision(submitted, user, "because")


def test_only_the_owner_submits(app, alice, bob, carol):
    rev = plans.create_revision(app, alice)
    for user in (bob, carol):
        with pytest.raises(PlanError, match="Only the owner"):
            plans.submit_revision(rev, user)


def test_forbidden_state_moves(app, alice, carol):
    rev = plans.create_revision(app, alice)
    with pytest.raises(PlanError, match="only a submitted revision can be approved"):
        plans.approve_revision(rev, carol, "")
    with pytest.raises(PlanError, match="only a submitted revision can be rejected"):
        plans.reject_revision(rev, carol, "no")
    plans.submit_revision(rev, alice)
    with pytest.raises(PlanError, match="already submitted"):
        plans.submit_revision(rev, alice)
    plans.approve_revision(rev, carol, "")
    with pytest.raises(PlanError, match="is approved"):
        plans.approve_revision(rev, carol, "")
    with pytest.raises(PlanError, match="is approved"):
        plans.reject_revision(rev, carol, "changed my mind")
    assert [t[2] for t in trail(rev)] == ["draft", "submitted", "approved"]


def test_a_superseded_revision_is_neither_submitted_nor_approved(app, alice, carol):
    r1 = plans.create_revision(app, alice)
    plans.submit_revision(r1, alice)
    plans.create_revision(app, alice)
    with pytest.raises(PlanError, match="r2 of 'payroll' supersedes r1"):
        plans.approve_revision(r1, carol, "")
    plans.reject_revision(r1, carol, "Superseded by r2.")  # rejecting it stays possible


def test_submit_refused_when_the_app_changed_since_the_draft(app, alice):
    rev = plans.create_revision(app, alice)
    Disk.objects.filter(vm__name="payroll-vm-01").update(used_gib=100)
    with pytest.raises(
        PlanError, match=r"changed since revision r1 was taken \(VMs changed: payroll-vm-01\)"
    ):
        plans.submit_revision(rev, alice)


def test_approve_refused_when_the_app_changed_since_submission(submitted, carol):
    VirtualMachine.objects.filter(name="payroll-vm-02").update(opted_in=False)
    with pytest.raises(PlanError, match="changed since revision r1"):
        plans.approve_revision(submitted, carol, "")


# --- blocking findings and waivers ------------------------------------------------------------


def test_approval_refused_while_a_blocking_finding_has_no_waiver(blocked_app, alice, carol):
    rev = plans.submit_revision(plans.create_revision(blocked_app, alice), alice)
    assert "TOPOLOGY_RACK_APPLIANCE" in rev.blocking_codes
    with pytest.raises(PlanError, match=r"Approval refused: .*TOPOLOGY_RACK_APPLIANCE"):
        plans.approve_revision(rev, carol, "")
    rev.refresh_from_db()
    assert rev.state == PlanState.SUBMITTED and rev.decided_by is None
    for code in rev.blocking_codes:
        plans.add_waiver(rev, code, carol, WHY)
    rev = plans.approve_revision(rev, carol, "Approved with the waiver.")
    assert rev.state == PlanState.APPROVED
    waiver = Waiver.objects.get(revision=rev, code="TOPOLOGY_RACK_APPLIANCE")
    assert (waiver.by, waiver.justification) == (carol, WHY) and waiver.at is not None


def test_owner_waives_on_a_draft_with_a_real_justification(blocked_app, alice, bob):
    rev = plans.create_revision(blocked_app, alice)
    with pytest.raises(PlanError, match="Justify the waiver"):
        plans.add_waiver(rev, "TOPOLOGY_RACK_APPLIANCE", alice, "ok")
    with pytest.raises(PlanError, match="not a blocking finding"):
        plans.add_waiver(rev, "DRILL_NEVER", alice, WHY)
    with pytest.raises(PlanError, match="Only the owner"):
        plans.add_waiver(rev, "TOPOLOGY_RACK_APPLIANCE", bob, WHY)
    plans.add_waiver(rev, "TOPOLOGY_RACK_APPLIANCE", alice, WHY)
    with pytest.raises(PlanError, match="already waived"):
        plans.add_waiver(rev, "TOPOLOGY_RACK_APPLIANCE", alice, WHY)


def test_waivers_stop_at_the_decision(blocked_app, alice, carol):
    rev = plans.submit_revision(plans.create_revision(blocked_app, alice), alice)
    with pytest.raises(PlanError, match="Only an approver"):
        plans.add_waiver(rev, "TOPOLOGY_RACK_APPLIANCE", alice, WHY)
    plans.reject_revision(rev, carol, "Move the appliance out of the rack.")
    with pytest.raises(PlanError, match="waivers are recorded before the decision"):
        plans.add_waiver(rev, "TOPOLOGY_RACK_APPLIANCE", carol, WHY)


def test_allowed_actions_explain_why_not(blocked_app, alice, carol):
    rev = plans.create_revision(blocked_app, alice)
    assert plans.allowed_actions(rev, alice)["submit"] is None
    assert plans.allowed_actions(rev, alice)["waive"] is None
    assert "Only an approver" in plans.allowed_actions(rev, alice)["approve"]
    rev = plans.submit_revision(rev, alice)
    actions = plans.allowed_actions(rev, carol)
    assert "TOPOLOGY_RACK_APPLIANCE" in actions["approve"]
    assert actions["reject"] is None and actions["waive"] is None


# --- immutability -----------------------------------------------------------------------------


def test_a_submitted_revision_cannot_change_through_the_orm(submitted, app):
    rev = PlanRevision.objects.get(pk=submitted.pk)
    rev.decision_comment = "edited"
    with pytest.raises(RevisionLocked, match="can no longer change"):
        rev.save()
    rev = PlanRevision.objects.get(pk=submitted.pk)
    rev.snapshot["inputs"]["rto_minutes"] = 1
    with pytest.raises(RevisionLocked):
        rev.save(update_fields=["snapshot"])
    with pytest.raises(RevisionLocked):
        PlanRevision.objects.filter(pk=rev.pk).update(created_by=app.owner)
    with pytest.raises(RevisionLocked):
        PlanRevision.objects.filter(pk=rev.pk).update(state=PlanState.APPROVED)
    with pytest.raises(RevisionLocked), transaction.atomic():
        PlanRevision.objects.bulk_update([rev], ["snapshot"])
    with pytest.raises(RevisionLocked):
        PlanRevision.objects.filter(pk=rev.pk).delete()
    with pytest.raises(RevisionLocked):
        rev.delete()
    # Django deletes a cascade in an atomic block without a savepoint: give it one here.
    with pytest.raises(RevisionLocked, match="cannot be deleted"), transaction.atomic():
        Application.objects.filter(pk=app.pk).delete()
    stored = PlanRevision.objects.get(pk=submitted.pk)
    assert stored.state == PlanState.SUBMITTED and stored.snapshot == submitted.snapshot
    assert stored.snapshot_intact() and not stored.decision_comment


def test_the_trail_and_waivers_are_append_only(blocked_app, alice, carol):
    rev = plans.submit_revision(plans.create_revision(blocked_app, alice), alice)
    waiver = plans.add_waiver(rev, "TOPOLOGY_RACK_APPLIANCE", carol, WHY)
    waiver.justification = "nothing"
    with pytest.raises(RevisionLocked):
        waiver.save()
    step = PlanTransition.objects.filter(revision=rev).first()
    step.comment = "rewritten"
    with pytest.raises(RevisionLocked):
        step.save()
    with pytest.raises(RevisionLocked), transaction.atomic():
        PlanTransition.objects.filter(revision=rev).delete()
    with pytest.raises(RevisionLocked), transaction.atomic():
        Waiver.objects.filter(revision=rev).delete()


def test_a_revision_is_born_a_draft_and_leaves_it_only_through_the_workflow(app, alice):
    with pytest.raises(RevisionLocked, match="born a draft"):
        PlanRevision.objects.create(
            application=app, number=9, state=PlanState.APPROVED, created_by=alice
        )
    rev = plans.create_revision(app, alice)
    rev.state = PlanState.APPROVED
    with pytest.raises(RevisionLocked, match=r"Only planner\.services\.plans"):
        rev.save()
    with pytest.raises(RevisionLocked):
        PlanRevision.objects.filter(pk=rev.pk).update(state=PlanState.SUBMITTED)


def test_a_draft_saved_through_the_orm_keeps_its_hash_true(app, alice):
    rev = plans.create_revision(app, alice)
    rev.snapshot["app"]["description"] = "edited by hand"
    rev.save(update_fields=["snapshot"])
    rev.refresh_from_db()
    assert rev.snapshot_intact() and rev.snapshot["app"]["description"] == "edited by hand"
    rev.delete()  # a draft may be discarded
    assert not PlanRevision.objects.exists()


def test_tampered_snapshot_is_not_signed(submitted, carol):
    # Bypass every guard, as a database administrator could.
    forged = {**submitted.snapshot, "inputs": {**submitted.snapshot["inputs"], "rto_minutes": 1}}
    PlanRevision.objects.filter(pk=submitted.pk)._service_update(snapshot=forged)
    with pytest.raises(PlanError, match="no longer matches its SHA-256"):
        plans.approve_revision(submitted, carol, "")


# --- status: stale, review ---------------------------------------------------------------------


def test_status_without_a_plan(app):
    status = plans.plan_status(app)
    assert status["state"] == "none" and status["latest"] is None
    assert not status["stale"] and not status["due_for_review"]
    assert status["label"] == "No plan: create a revision"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda app: Disk.objects.filter(vm__name="payroll-vm-00").update(used_gib=90),
            "VMs changed: payroll-vm-00",
        ),
        (
            lambda app: DiskFactory(vm=VmFactory(application=app, name="payroll-vm-99")),
            "VMs added: payroll-vm-99",
        ),
        (
            lambda app: VirtualMachine.objects.filter(name="payroll-vm-02").delete(),
            "VMs removed: payroll-vm-02",
        ),
        (
            lambda app: Application.objects.filter(pk=app.pk).update(rpo_minutes=60),
            "settings: rpo minutes",
        ),
        (
            lambda app: app.drills.create(
                started_at=timezone.now() - timedelta(hours=3), restored_at=timezone.now()
            ),
            "drills: +1 recorded",
        ),
    ],
    ids=["disk", "vm-added", "vm-removed", "objective", "drill"],
)
def test_any_change_after_approval_makes_the_plan_stale(approved, app, change, expected):
    status = plans.plan_status(app)
    assert status["approved"] == approved and not status["stale"]
    assert status["state"] == "approved" and status["label"].startswith("Approved r1 on")
    change(app)
    status = plans.plan_status(app)
    assert status["stale"] and expected in "; ".join(status["changes"])
    assert "stale" in status["label"]


def test_a_newly_signed_revision_clears_stale(approved, app, alice, carol):
    Application.objects.filter(pk=app.pk).update(rto_minutes=480)
    assert plans.plan_status(app)["stale"]
    r2 = plans.submit_revision(plans.create_revision(app, alice), alice)
    status = plans.plan_status(app)
    assert status["stale"] and status["pending"] == r2 and status["state"] == "submitted"
    plans.approve_revision(r2, carol, "")
    status = plans.plan_status(app)
    assert not status["stale"] and status["approved"].number == 2


def test_plans_older_than_the_review_period_are_flagged(approved, app):
    now = timezone.now()
    assert not plans.plan_status(app, now=now)["due_for_review"]
    later = now + timedelta(days=366)
    status = plans.plan_status(app, now=later)
    assert status["due_for_review"] and "due for review" in status["label"]
    assert plans.flag_plans_for_review(now=now) == 0
    assert plans.flag_plans_for_review(now=later) == 1
    assert plans.flag_plans_for_review(now=later) == 0  # flagged once
    approved.refresh_from_db()
    assert approved.flagged_for_review_at == later
    assert plans.plan_status(app)["flagged_for_review"] == later


def test_the_review_period_comes_from_the_limits(approved, app):
    Limit.objects.create(
        key="plan.review_days",
        value=30,
        unit="days",
        description="monthly reviews",
        source="test",
        effective_date=timezone.localdate(),
    )
    assert plans.plan_status(app, now=timezone.now() + timedelta(days=31))["due_for_review"]


def test_statuses_of_many_apps_cost_a_fixed_number_of_queries(
    alice, carol, django_assert_max_num_queries
):
    apps = [make_app(alice, name=f"app{i}", vms=2) for i in range(6)]
    for a in apps[:4]:
        rev = plans.submit_revision(plans.create_revision(a, alice), alice)
        if a is not apps[0]:
            plans.approve_revision(rev, carol, "")
    Application.objects.filter(pk=apps[1].pk).update(rto_minutes=30)
    # revisions, waivers, limits (2), the apps' facts (5)
    with django_assert_max_num_queries(10):
        statuses = plans.plan_statuses(apps)
    assert [statuses[a.pk]["state"] for a in apps] == [
        "submitted",
        "approved",
        "approved",
        "approved",
        "none",
        "none",
    ]
    assert [statuses[a.pk]["stale"] for a in apps] == [False, True, False, False, False, False]


def test_statuses_without_an_approved_plan_read_no_inputs(alice, django_assert_num_queries):
    """Only an approved plan can be stale: apps without one never load their VMs and disks."""
    apps = [make_app(alice, name=f"app{i}", vms=2) for i in range(3)]
    plans.submit_revision(plans.create_revision(apps[0], alice), alice)
    # revisions, waivers of the latest: no inputs, no review period
    with django_assert_num_queries(2):
        statuses = plans.plan_statuses(apps)
    assert [statuses[a.pk]["state"] for a in apps] == ["submitted", "none", "none"]
    assert [statuses[a.pk]["label"] for a in apps] == [plans.plan_status(a)["label"] for a in apps]
    with django_assert_num_queries(1):  # revisions only: there is none to read waivers for
        assert plans.plan_statuses(apps[1:])[apps[1].pk]["state"] == "none"
    # Without waivers (the dashboard's badges): one query, the same statuses but the unknown
    # unwaived codes, and every submitted revision listed.
    with django_assert_num_queries(1):
        bare = plans.plan_statuses(apps, waivers=False)
    for a in apps:
        assert {**bare[a.pk], "unwaived_blocking": None} == {
            **statuses[a.pk],
            "unwaived_blocking": None,
        }
        assert bare[a.pk]["unwaived_blocking"] is None
    assert [r.state for r in bare[apps[0].pk]["submitted"]] == ["submitted"]
    assert bare[apps[1].pk]["submitted"] == []


@pytest.fixture
def reference_rows():
    """A transactional test may follow one that flushed the rows the migrations seed (the
    catalog): load them again, as they were (serialized_rollback clashed with the groups that
    an earlier transactional test left behind)."""
    from django.apps import apps as django_apps

    from planner import reference

    reference.load(django_apps)


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="row locks need PostgreSQL (SQLite serialises writers itself)",
)
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("decide", ["approve", "reject"])
def test_the_approver_who_loses_the_race_learns_it_at_once(
    reference_rows, app, alice, carol, decide
):
    """Two approvers on the same plan: while one's decision holds the revision, the other is
    told at once that it is being decided (PostgreSQL's NOWAIT), and nothing is written."""
    import threading

    from django.db import connection

    rev = plans.submit_revision(plans.create_revision(app, alice), alice)
    locked, release = threading.Event(), threading.Event()

    def winner():  # another approver's transaction, holding the row
        try:
            with transaction.atomic():
                PlanRevision.objects.select_for_update().get(pk=rev.pk)
                locked.set()
                release.wait(30)
        finally:
            connection.close()

    holder = threading.Thread(target=winner)
    holder.start()
    try:
        assert locked.wait(30)
        with pytest.raises(PlanError, match=f"Another approver is deciding revision r{rev.number}"):
            if decide == "approve":
                plans.approve_revision(rev, carol, "ok")
            else:
                plans.reject_revision(rev, carol, "Not yet: the restore was never tested.")
    finally:
        release.set()
        holder.join()
    rev.refresh_from_db()
    assert rev.state == PlanState.SUBMITTED
    assert trail(rev)[-1][2] == PlanState.SUBMITTED
    # Once the other transaction is over, the plan is there to decide as before.
    assert plans.approve_revision(rev, carol, "ok").state == PlanState.APPROVED


# --- the stored PDF -----------------------------------------------------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_signed_pdf_is_rendered_once_stored_and_checked(approved, media, monkeypatch):
    data, filename = plans.revision_pdf(approved)
    approved.refresh_from_db()
    assert filename == "payroll-plan-r1.pdf" and data.startswith(b"%PDF-")
    assert approved.pdf.name.startswith(
        f"plans/{approved.application_id}/payroll-plan-r1-approved-"
    )
    assert (media / approved.pdf.name).read_bytes() == data
    assert plans.verify_pdf(approved, data)
    assert not plans.verify_pdf(approved, data + b"\n")
    middle = len(data) // 2
    assert not plans.verify_pdf(
        approved, data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :]
    )

    def no_render(*args, **kwargs):
        raise AssertionError("a stored PDF is served from storage, not rendered again")

    monkeypatch.setattr("planner.reports.render.render_revision", no_render)
    assert plans.revision_pdf(approved) == (data, filename)
    assert plans.render_and_store_pdf(approved.pk) == "r1: PDF already stored"


def test_verify_pdf_reads_an_uploaded_file(approved, media):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data, _ = plans.revision_pdf(approved)
    approved.refresh_from_db()
    assert plans.verify_pdf(approved, SimpleUploadedFile("plan.pdf", data))
    assert not plans.verify_pdf(approved, SimpleUploadedFile("plan.pdf", b"%PDF-1.7 forged"))


def test_a_draft_pdf_is_never_stored(app, alice, media):
    rev = plans.create_revision(app, alice)
    data, _ = plans.revision_pdf(rev)
    rev.refresh_from_db()
    assert data.startswith(b"%PDF-") and not rev.pdf and not rev.pdf_sha256
    with pytest.raises(PlanError, match="never stored"):
        plans.verify_pdf(rev, data)


def test_the_decision_replaces_the_review_copy(submitted, carol, media):
    review, _ = plans.revision_pdf(submitted)
    submitted.refresh_from_db()
    review_name = submitted.pdf.name
    assert "-submitted-" in review_name
    rev = plans.approve_revision(submitted, carol, "Signed.")
    assert not rev.pdf_sha256  # the signed copy is rendered anew (on the reports queue)
    signed, _ = plans.revision_pdf(rev)
    rev.refresh_from_db()
    assert "-approved-" in rev.pdf.name and signed != review
    assert plans.verify_pdf(rev, signed) and not plans.verify_pdf(rev, review)


def test_an_altered_stored_pdf_is_refused(approved, media):
    plans.revision_pdf(approved)
    approved.refresh_from_db()
    (media / approved.pdf.name).write_bytes(b"%PDF-1.7 tampered")
    with pytest.raises(PlanError, match="altered in storage"):
        plans.revision_pdf(approved)


def test_a_superuser_alone_cannot_take_an_owners_plan_through_submit_and_approve(app, alice):
    """Separation of duties without exceptions: the submitter never decides, superuser or not."""
    from django.contrib.auth.models import User

    root = User.objects.create_superuser("root", "root@example.com", "pw-root")
    rev = plans.create_revision(app, alice)
    rev = plans.submit_revision(rev, root)  # a superuser may submit on the owner's behalf
    assert plans.allowed_actions(rev, root)["approve"].startswith("You submitted revision r1")
    for decide in (
        lambda: plans.approve_revision(rev, root, ""),
        lambda: plans.reject_revision(rev, root, "no"),
        lambda: plans.add_waiver(rev, "ANY", root, WHY),
    ):
        with pytest.raises(PlanError, match="You submitted revision r1 of 'payroll'"):
            decide()
    rev.refresh_from_db()
    assert rev.state == PlanState.SUBMITTED


def test_a_superuser_who_owns_the_app_cannot_approve_it(alice):
    from django.contrib.auth.models import User

    root = User.objects.create_superuser("root", "root@example.com", "pw-root")
    rev = plans.submit_revision(plans.create_revision(make_app(root, name="own"), root), root)
    with pytest.raises(PlanError, match="You own 'own'"):
        plans.approve_revision(rev, root, "")


def test_the_trail_and_waivers_refuse_queryset_updates(blocked_app, alice, carol):
    rev = plans.submit_revision(plans.create_revision(blocked_app, alice), alice)
    plans.add_waiver(rev, "TOPOLOGY_RACK_APPLIANCE", carol, WHY)
    with pytest.raises(RevisionLocked, match="append-only"), transaction.atomic():
        PlanTransition.objects.filter(revision=rev).update(comment="rewritten")
    with pytest.raises(RevisionLocked, match="append-only"), transaction.atomic():
        Waiver.objects.filter(revision=rev).update(justification="nothing")
    steps = list(PlanTransition.objects.filter(revision=rev))
    for step in steps:
        step.comment = "rewritten"
    with pytest.raises(RevisionLocked), transaction.atomic():
        PlanTransition.objects.bulk_update(steps, ["comment"])
    assert "rewritten" not in PlanTransition.objects.values_list("comment", flat=True)
    assert Waiver.objects.get(revision=rev).justification == WHY


def test_a_drafts_trail_goes_with_it(app, alice):
    rev = plans.create_revision(app, alice)
    with transaction.atomic():
        Application.objects.filter(pk=app.pk).delete()
    assert not PlanTransition.objects.filter(revision_id=rev.pk).exists()


def test_postgresql_refuses_changes_to_the_trail_from_any_client(blocked_app, alice, carol):
    """Raw SQL bypasses every ORM guard: on PostgreSQL the trigger still refuses it."""
    from django.db import DatabaseError, connection

    if connection.vendor != "postgresql":
        pytest.skip("the trigger exists on PostgreSQL only (the ORM guards hold on SQLite)")
    rev = plans.submit_revision(plans.create_revision(blocked_app, alice), alice)
    plans.add_waiver(rev, "TOPOLOGY_RACK_APPLIANCE", carol, WHY)
    statements = [
        ("UPDATE planner_plantransition SET comment = 'x' WHERE revision_id = %s", "append-only"),
        ("UPDATE planner_waiver SET justification = 'x' WHERE revision_id = %s", "append-only"),
        ("DELETE FROM planner_plantransition WHERE revision_id = %s", "are kept"),
        ("DELETE FROM planner_waiver WHERE revision_id = %s", "are kept"),
    ]
    for sql, message in statements:
        with (
            pytest.raises(DatabaseError, match=message),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [rev.pk])
    assert PlanTransition.objects.filter(revision=rev).count() == 2
    assert Waiver.objects.get(revision=rev).justification == WHY
    # A draft's trail is deleted with it: the trigger lets that through.
    draft = plans.create_revision(make_app(alice, name="scratch"), alice)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM planner_plantransition WHERE revision_id = %s", [draft.pk])
    assert not PlanTransition.objects.filter(revision=draft).exists()
