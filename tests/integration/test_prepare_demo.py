"""make run's first start: the demo estate sized by a real worker and a plan in every state,
made through the workflow by the demo owner and approver (issue 18)."""

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command
from django.urls import reverse

from planner.models import Application, PlanRevision, PlanState, PlanTransition, SizingRun
from planner.services.plans import plan_statuses

pytestmark = pytest.mark.integration


def test_prepare_demo_sizes_through_the_worker_and_leaves_every_plan_state(
    start_worker, tmp_path, capsys, client
):
    call_command("seed_demo", apps=12, vms=60, seed=1)
    client.force_login(User.objects.get(username="owner"))
    before = client.get(reverse("dashboard")).content.decode()
    assert before.count("not sized yet") == 3 and "USD 0.00" not in before

    start_worker()
    pending = tmp_path / "demo-pending"
    pending.touch()
    call_command("prepare_demo", timeout=120, pending_file=pending)
    out = capsys.readouterr().out

    assert not pending.exists()
    assert not Application.objects.filter(result__isnull=True).exists()
    estate_run = SizingRun.objects.get(application=None)
    assert estate_run.status == "succeeded" and f"run {estate_run.pk} succeeded" in out

    owner, approver = User.objects.get(username="owner"), User.objects.get(username="approver")
    revisions = PlanRevision.objects.select_related("application")
    assert {r.application.owner_id for r in revisions} == {owner.pk}
    states = sorted(r.state for r in revisions)
    assert states == sorted(["draft", "submitted", "approved", "approved", "rejected"])
    statuses = plan_statuses([r.application_id for r in revisions])
    stale = [r for r in revisions if statuses[r.application_id]["stale"]]
    assert len(stale) == 1 and stale[0].state == PlanState.APPROVED
    for line in ("draft plan", "submitted plan", "approved plan", "stale plan", "rejected plan"):
        assert f"demo: {line}: " in out
    # Separation of duties: the owner took and submitted, the approver decided.
    for t in PlanTransition.objects.all():
        expected = owner if t.to_state in ("draft", "submitted") else approver
        assert t.by_id == expected.pk, (t.from_state, t.to_state)
    rejected = revisions.get(state=PlanState.REJECTED)
    assert "Blocking findings" in rejected.decision_comment

    after = client.get(reverse("dashboard")).content.decode()
    assert "not sized yet" not in after and "stale" in after

    # A second run changes nothing: the estate is sized and plans exist.
    call_command("prepare_demo", timeout=30)
    assert "every app is sized already" in capsys.readouterr().out
    assert (
        PlanRevision.objects.count() == 5 and SizingRun.objects.filter(trigger="cli").count() == 1
    )
