"""Numbers no entrance should let through, put straight into the database (a row stored before
the ranges, a hand edit): an estate run still sizes every app, names the value and stores no NaN
or Infinity (issue 15). Before: MemoryError or a killed worker (link 1e-5), OverflowError
(horizon 3,000,000 days), IntegrityError on SQLite and DataError on PostgreSQL (link 1e308,
disk 1e12 GiB) that lost the whole chunk.

Where the database itself refuses the value (a check constraint on the range), the test checks
that instead: either way nothing the engine cannot size reaches it unnamed."""

import pytest
from django.db import IntegrityError, transaction

from planner.demo import seed
from planner.models import (
    Application,
    AppResult,
    Disk,
    Finding,
    RunError,
    RunStatus,
    VmResult,
)
from planner.services import runs

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def estate():
    seed(apps=12, vms=120, seed=2, password="x")


def inject(queryset, **values) -> bool:
    try:
        with transaction.atomic():
            queryset.update(**values)
    except IntegrityError:
        return False
    return True


# case -> (scheme of the app, table, column, value, what the finding names)
CASES = {
    "link 1e308": ("replication", Application, "link_mbps", 1e308, "link_mbps 1e+308"),
    "link 1e-5": ("replication", Application, "link_mbps", 1e-5, "link_mbps 1e-05"),
    "horizon 3,000,000 days": (
        "backup_restore",
        Application,
        "growth_horizon_days",
        3_000_000,
        "horizon_days 3,000,000 is outside 0 to 3,650 days",
    ),
    "disk 1e12 GiB": (
        "backup_restore",
        Disk,
        "provisioned_gib",
        1e12,
        "provisioned_gib 1,000,000,000,000 is outside 0 to 65,536 GiB",
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_value_out_of_every_range_is_sized_named_and_stored_finite(estate, case):
    scheme, model, field, value, named = CASES[case]
    victim = Application.objects.filter(scheme=scheme, vms__opted_in=True).order_by("id")[0]
    if model is Disk:
        rows = Disk.objects.filter(vm__application=victim, vm__opted_in=True)
        values = {field: value, "used_gib": value}
    else:
        rows = Application.objects.filter(pk=victim.pk)
        values = {field: value}
    if not inject(rows, **values):
        assert not rows.filter(**{field: value}).exists()  # the database refused it
        return

    run = runs.run_sync(runs.request_run(dispatch=False))

    assert run.status == RunStatus.SUCCEEDED, list(RunError.objects.values_list("message"))
    assert AppResult.objects.filter(run=run).count() == Application.objects.count()
    finding = Finding.objects.get(application=victim, code="INPUT_OUT_OF_RANGE")
    assert named in finding.message and finding.severity == "blocking"
    result = AppResult.objects.get(application=victim)
    assert result.blocking_count >= 1 and not result.compliant
    schedule = result.detail["schedule"]
    assert schedule is None or schedule["nights"] <= 365
    assert VmResult.objects.filter(application=victim).exists()
