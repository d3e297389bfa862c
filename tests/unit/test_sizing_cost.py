"""Public-cloud cost: Azure Backup instances and fees, ASR, stand-by and drills, projections.

Prices always come from the catalog (planner.catalog_defaults), never from the engine.
"""

from itertools import pairwise

import pytest

from planner.catalog_defaults import prices
from planner.sizing import (
    asr_cost,
    asr_free_months,
    azure_backup_cost,
    azure_backup_instances,
    azure_standby_cost,
    drill_compute_cost,
    monthly_projection,
    service_provider_cost,
    standby_compute_cost,
)

P = prices()


@pytest.mark.parametrize(
    ("used", "count", "small"),
    [
        (0, 1, True),
        (50, 1, True),  # ≤ 50 GiB: one small instance
        (50.5, 1, False),
        (500, 1, False),  # ≤ 500 GiB: one instance
        (500.1, 2, False),  # ceil(500.1 / 500) = 2
        (1200, 3, False),  # ceil(1,200 / 500) = 3
        (1500, 3, False),
    ],
)
def test_azure_backup_instances(used, count, small):
    i = azure_backup_instances(used)
    assert (i.count, i.small) == (count, small)


def test_azure_backup_instances_explained():
    assert azure_backup_instances(1200).explanation == (
        "Azure Backup: 1,200 GiB > 500 GiB: ceil(1,200 ÷ 500) = 3 instances",
    )
    assert "1 small instance" in azure_backup_instances(40).explanation[0]


def test_azure_backup_instances_custom_sizes():
    # ceil(1,200 / 1,000) = 2; 80 ≤ 100: small
    assert azure_backup_instances(1200, instance_gib=1000).count == 2
    assert azure_backup_instances(80, small_gib=100).small


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"used_gib": -1}, "used_gib"),
        ({"instance_gib": 0}, "instance_gib"),
        ({"small_gib": -1}, "small_gib"),
        ({"small_gib": 600}, "small_gib"),
    ],
)
def test_azure_backup_instances_bad_arguments(kwargs, name):
    used = kwargs.pop("used_gib", 100)
    with pytest.raises(ValueError, match=name):
        azure_backup_instances(used, **kwargs)


def _backup_prices():
    return {
        "small_instance_month": P["azure_backup.small_instance_month"],
        "instance_month": P["azure_backup.instance_month"],
        "storage_gib_month": P["azure_backup.storage_lrs_gib_month"],
    }


def test_azure_backup_cost():
    # 3 instances × 10 + 1,620 GiB × 0.0224 = 30 + 36.288 = 66.288 USD
    f = azure_backup_cost(azure_backup_instances(1200), 1620, **_backup_prices())
    assert f.value == pytest.approx(66.288)
    assert f.explanation == (
        "Azure Backup = 3 × USD 10.00 + 1,620 GiB × USD 0.0224/GiB = USD 66.29/month",
    )


def test_azure_backup_cost_small_instance():
    # 1 × 5 + 46.2 × 0.0224 = 5 + 1.03488 = 6.03488 USD
    f = azure_backup_cost(azure_backup_instances(40), 46.2, **_backup_prices())
    assert f.value == pytest.approx(6.03488)


def test_prices_are_read_not_hard_coded():
    # doubling the instance price: 3 × 20 + 36.288 = 96.288
    args = _backup_prices() | {"instance_month": 20.0}
    assert azure_backup_cost(azure_backup_instances(1200), 1620, **args).value == pytest.approx(
        96.288
    )


def test_service_provider_cost():
    # 1 × 15 + 1,000 GiB × 0.03 = 45 USD
    f = service_provider_cost(
        1,
        1000,
        instance_month=P["service_provider.instance_month"],
        storage_gib_month=P["service_provider.storage_gib_month"],
    )
    assert f.value == pytest.approx(45)
    assert "USD 45.00/month" in f.explanation[0]
    with pytest.raises(ValueError, match="instances"):
        service_provider_cost(-1, 10, instance_month=1, storage_gib_month=1)


def test_asr_cost():
    # 25 + 1,728 GiB × 0.05 = 25 + 86.4 = 111.4 USD
    f = asr_cost(
        1728,
        instance_month=P["asr.instance_month"],
        disk_gib_month=P["azure.managed_disk_gib_month"],
    )
    assert f.value == pytest.approx(111.4)
    assert "1,728 GiB × USD 0.05/GiB = USD 111.40/month" in f.explanation[0]
    with pytest.raises(ValueError, match="replica_gib"):
        asr_cost(-1, instance_month=25, disk_gib_month=0.05)


def test_standby_compute_cost():
    # 4 vCPU × 730 h × 0.048 = 140.16 USD
    f = standby_compute_cost(4, vcpu_hour=P["azure.vcpu_hour"])
    assert f.value == pytest.approx(140.16)
    assert "4 vCPU × 730 h × USD 0.048/vCPU-h = USD 140.16/month" in f.explanation[0]


def test_drill_compute_cost():
    # 4 drills × 7 d × 24 h = 672 h × 4 vCPU = 2,688 vCPU-h × 0.048 = 129.024 ÷ 12 = 10.752 USD
    f = drill_compute_cost(4, drills_per_year=4, drill_days=7, vcpu_hour=P["azure.vcpu_hour"])
    assert f.value == pytest.approx(10.752)
    assert f.explanation[0].endswith("= USD 10.75/month")
    with pytest.raises(ValueError, match="drills_per_year"):
        drill_compute_cost(4, drills_per_year=-1, drill_days=7, vcpu_hour=0.048)


@pytest.mark.parametrize(("days", "months"), [(31, 1), (30, 0), (0, 0), (62, 2), (90, 2)])
def test_asr_free_months(days, months):
    # a month is 365 / 12 = 30.42 days; 31 days cover month 1 only
    assert asr_free_months(days) == months


def test_projection_with_growth_and_waiver():
    # fixed 10 + ASR 25 (waived in month 1) + 100 growing 20 %/year:
    # month 12 = 10 + 25 + 120 = 155; month 24 = 10 + 25 + 144 = 179; month 36 = 10 + 25 + 172.8
    by_month = monthly_projection(fixed=10, waivable=25, waived_months=1, growing={0.2: 100})
    assert len(by_month) == 36
    assert by_month[11] == pytest.approx(155)
    assert by_month[23] == pytest.approx(179)
    assert by_month[35] == pytest.approx(207.8)
    # month 1: no ASR fee, data grown one month: 10 + 100 × 1.2^(1/12)
    assert by_month[0] == pytest.approx(10 + 100 * 1.2 ** (1 / 12))
    assert all(b > a for a, b in pairwise(by_month))


def test_projection_explicit_months():
    by_month = monthly_projection(fixed=1, explicit=[float(m) for m in range(1, 37)])
    assert by_month[0] == 2 and by_month[35] == 37
    with pytest.raises(ValueError, match="explicit"):
        monthly_projection(explicit=[1.0, 2.0])
    with pytest.raises(ValueError, match="waived_months"):
        monthly_projection(waived_months=-1)


def test_azure_standby_cost():
    # 4 vCPU × 730 h × 0.048 = 140.16 + 1,728 GiB × 0.05 = 86.4 → 226.56 USD
    f = azure_standby_cost(
        4,
        1728,
        vcpu_hour=P["azure.vcpu_hour"],
        disk_gib_month=P["azure.managed_disk_gib_month"],
        what="second deployment",
    )
    assert f.value == pytest.approx(226.56)
    assert f.explanation[0].startswith("second deployment = 4 vCPU × 730 h")
    assert (
        "Azure = USD 140.16 compute + 1,728 GiB × USD 0.05/GiB disks = USD 226.56/month"
        in f.explanation[1]
    )
    with pytest.raises(ValueError, match="replica_gib"):
        azure_standby_cost(4, -1, vcpu_hour=0.048, disk_gib_month=0.05)
