"""Backup storage: worked numbers of DESIGN §4 (hand-computed in the comments), bad arguments."""

import pytest

from planner.sizing import backup_storage, chain_points, retention_days, workspace
from planner.sizing.backup import backup_total_at, change_per_run, grown_used, growth_factor


def ff(used=1000.0, **kw):
    args = {"change_rate": 0.10, "reduction": 0.5, "retention_points": 14}
    args["method"] = "forever_forward"
    args.update(kw)
    return backup_storage(used, **args)


# ---- DESIGN §4 worked numbers ------------------------------------------------------------------


def test_forever_forward_1000_gib_14_points():
    # F = 1, I = 13; data = 0.5 × 1,000 × (1 + 13 × 0.10) = 500 × 2.3 = 1,150 GiB
    # workspace = 0.5 × 1.05 × 1,000 = 525 GiB; total = 1,675 GiB
    b = ff()
    assert (b.fulls, b.incrementals) == (1, 13)
    assert b.data_gib == pytest.approx(1150)
    assert b.workspace_gib == pytest.approx(525)
    assert b.total_gib == pytest.approx(1675)
    assert b.used_gib == 1000
    assert b.full_gib == pytest.approx(500)  # c × U
    assert b.incremental_gib == pytest.approx(50)  # c × U × d


def test_explanation_shows_the_arithmetic():
    lines = ff().explanation
    assert "data = 0.5 × 1,000 GiB × (1 + 13 × 0.10) = 1,150 GiB" in lines
    assert "workspace = 0.5 × 1.05 × 1,000 GiB = 525 GiB" in lines
    assert "backup storage = 1,150 GiB + 525 GiB = 1,675 GiB" in lines
    assert any("1 full + 13 incrementals" in line for line in lines)


def test_reverse_800_gib_30_points():
    # F = 1, I = 29; data = 0.5 × 800 × (1 + 29 × 0.05) = 400 × 2.45 = 980 GiB
    # workspace = 0.5 × 1.05 × 800 = 420 GiB
    b = backup_storage(800, change_rate=0.05, reduction=0.5, retention_points=30, method="reverse")
    assert (b.fulls, b.incrementals) == (1, 29)
    assert b.data_gib == pytest.approx(980)
    assert b.workspace_gib == pytest.approx(420)
    assert b.total_gib == pytest.approx(1400)


def test_periodic_full_weekly_14_points():
    # K = 7, R = 14: P = 14 + 7 − 1 = 20, F = ceil(20 / 7) = 3, I = 17
    # data = 0.5 × 1,000 × (3 + 17 × 0.10) = 500 × 4.7 = 2,350 GiB; no workspace (active fulls)
    b = ff(method="forward_periodic_full", full_every=7)
    assert (b.points, b.fulls, b.incrementals) == (20, 3, 17)
    assert b.data_gib == pytest.approx(2350)
    assert b.workspace_gib == 0
    assert b.total_gib == pytest.approx(2350)
    assert any("P = 14 + 7 − 1 = 20" in line for line in b.explanation)
    assert any("workspace = 0 GiB" in line for line in b.explanation)


def test_periodic_synthetic_full_has_workspace():
    # same chain as above, plus workspace 0.5 × 1.05 × 1,000 = 525 → 2,875 GiB
    b = ff(method="forward_periodic_synthetic_full", full_every=7)
    assert (b.fulls, b.incrementals) == (3, 17)
    assert b.workspace_gib == pytest.approx(525)
    assert b.total_gib == pytest.approx(2875)


def test_periodic_full_monthly_30_points():
    # K = 30, R = 30: P = 59, F = ceil(59 / 30) = 2, I = 57
    c = chain_points(30, "forward_periodic_full", 30)
    assert (c.points, c.fulls, c.incrementals) == (59, 2, 57)


def test_full_every_run():
    # K = 1, R = 5: P = 5, F = 5, I = 0
    c = chain_points(5, "forward_periodic_full", 1)
    assert (c.points, c.fulls, c.incrementals) == (5, 5, 0)


def test_single_point():
    c = chain_points(1, "forever_forward")
    assert (c.points, c.fulls, c.incrementals) == (1, 1, 0)


def test_full_every_is_ignored_by_forever_forward():
    assert ff(full_every=7).total_gib == pytest.approx(1675)


def test_gfs_adds_fulls():
    # fulls = 1 + (4 + 12 + 1) = 18; data = 500 × (18 + 13 × 0.10) = 500 × 19.3 = 9,650 GiB
    b = ff(gfs_weekly=4, gfs_monthly=12, gfs_yearly=1)
    assert (b.chain_fulls, b.gfs_fulls, b.fulls) == (1, 17, 18)
    assert b.data_gib == pytest.approx(9650)
    assert b.total_gib == pytest.approx(9650 + 525)
    assert any("4 weekly + 12 monthly + 1 yearly = 17 more fulls" in line for line in b.explanation)


# ---- workspace tiers -----------------------------------------------------------------------------


def test_workspace_15_tib():
    # 15 TiB = 15,360 GiB: 0.5 × (1.05 × 10,240 + 0.66 × 5,120) = 0.5 × (10,752 + 3,379.2)
    # = 0.5 × 14,131.2 = 7,065.6 GiB
    value, parts = workspace(15360, 0.5)
    assert value == pytest.approx(7065.6)
    assert parts == ((1.05, 10240), (0.66, 5120))
    b = ff(15360)
    assert b.workspace_gib == pytest.approx(7065.6)
    assert "workspace = 0.5 × (1.05 × 10,240 GiB + 0.66 × 5,120 GiB) = 7,065.6 GiB" in b.explanation


def test_workspace_at_exactly_10_tib():
    # 0.5 × 1.05 × 10,240 = 5,376 GiB
    assert workspace(10240, 0.5)[0] == pytest.approx(5376)


def test_workspace_600_tib_every_tier():
    # 600 TiB = 614,400 GiB, c = 1:
    # 1.05 × 10,240 = 10,752; 0.66 × 10,240 = 6,758.4; 0.40 × 81,920 = 32,768;
    # 0.25 × 409,600 = 102,400; 0.10 × 102,400 = 10,240 → 162,918.4 GiB
    value, parts = workspace(614400, 1.0)
    assert value == pytest.approx(162918.4)
    assert [p for _, p in parts] == [10240, 10240, 81920, 409600, 102400]


def test_workspace_of_nothing():
    assert ff(0).total_gib == 0


# ---- growth and horizon ---------------------------------------------------------------------------


def test_growth_to_the_plan_horizon():
    # U = 1,000 × 1.2^(365/365) = 1,200; data = 600 × 2.3 = 1,380; workspace = 0.5 × 1.05 × 1,200
    # = 630 → total 2,010 GiB
    b = ff(growth_per_year=0.2, horizon_days=365)
    assert b.used_gib == pytest.approx(1200)
    assert b.used_gib_now == 1000
    assert b.total_gib == pytest.approx(2010)
    assert b.horizon_days == 365
    assert any("1,000 GiB × (1 + 0.20)^(365 d ÷ 365) = 1,200 GiB" in line for line in b.explanation)


def test_horizon_never_shorter_than_gfs_retention():
    # 2 yearly fulls keep 730 days: U = 1,000 × 1.21^(730/365) = 1,000 × 1.4641 = 1,464.1 GiB
    b = ff(growth_per_year=0.21, horizon_days=0, gfs_yearly=2)
    assert b.retention_days == 730
    assert b.horizon_days == 730
    assert b.used_gib == pytest.approx(1464.1)


def test_horizon_never_shorter_than_chain_retention():
    # 730 points every half day = 365 days: U = 1,000 × 1.1 = 1,100 GiB although horizon is 30 d
    b = ff(retention_points=730, interval_days=0.5, growth_per_year=0.1, horizon_days=30)
    assert b.retention_days == 365
    assert b.used_gib == pytest.approx(1100)


def test_longer_horizon_wins():
    # 14 daily points, horizon 730 d: U = 1,000 × 1.1^2 = 1,210
    assert ff(growth_per_year=0.1, horizon_days=730).used_gib == pytest.approx(1210)


def test_shrinking_data():
    # g = −0.5 over one year: 1,000 × 0.5 = 500 GiB
    assert ff(growth_per_year=-0.5, horizon_days=365).used_gib == pytest.approx(500)


def test_retention_days_spans():
    # chain 14 × 1 d = 14; 4 weekly = 28; 12 monthly = 365; 1 yearly = 365
    assert retention_days(14) == 14
    assert retention_days(14, gfs_weekly=4) == 28
    assert retention_days(14, gfs_monthly=12) == pytest.approx(365)
    assert retention_days(14, gfs_yearly=3) == 1095
    assert retention_days(48, 1 / 24) == pytest.approx(2)


def test_growth_factor_and_grown_used():
    assert growth_factor(0.2, 365) == pytest.approx(1.2)
    assert growth_factor(0.0, 1000) == 1.0
    assert growth_factor(0.44, 182.5) == pytest.approx(1.2)  # √1.44
    f = grown_used(500, 0.2, 365)
    assert f.value == pytest.approx(600)
    assert "500 GiB × (1 + 0.20)^(365 d ÷ 365) = 600 GiB" in f.explanation[0]
    assert grown_used(500, 0, 365).explanation == ()


# ---- bad arguments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"used": -1.0}, "used_gib"),
        ({"used": float("nan")}, "used_gib"),
        ({"change_rate": 1.5}, "change_rate"),
        ({"change_rate": -0.1}, "change_rate"),
        ({"reduction": 1.2}, "reduction"),
        ({"reduction": -0.5}, "reduction"),
        ({"retention_points": 0}, "retention_points"),
        ({"retention_points": 2.5}, "retention_points"),
        ({"method": "weekly"}, "method"),
        ({"method": "forward_periodic_full"}, "full_every"),
        ({"method": "forward_periodic_synthetic_full", "full_every": 0}, "full_every"),
        ({"gfs_weekly": -1}, "gfs_weekly"),
        ({"gfs_monthly": 1.5}, "gfs_monthly"),
        ({"gfs_yearly": -2}, "gfs_yearly"),
        ({"growth_per_year": 20}, "growth_per_year"),
        ({"growth_per_year": -1}, "growth_per_year"),
        ({"horizon_days": -5}, "horizon_days"),
        ({"interval_days": 0}, "interval_days"),
    ],
)
def test_bad_arguments_name_the_argument(kwargs, name):
    used = kwargs.pop("used", 1000.0)
    with pytest.raises(ValueError, match=name):
        ff(used, **kwargs)


def test_non_numeric_used_is_rejected():
    with pytest.raises(ValueError, match="used_gib"):
        ff("1000")


def test_change_per_run():
    # daily runs keep the daily change; 4-hourly runs carry 0.06 × 4/24 = 0.01; weekly 0.2 × 7 → 1
    assert change_per_run(0.05, 1.0).value == 0.05
    assert change_per_run(0.05, 1.0).explanation == ()
    assert change_per_run(0.06, 4 / 24).value == pytest.approx(0.01)
    assert change_per_run(0.06, 4 / 24).explanation[0].startswith("change per run = 0.06/day × 4 h")
    assert change_per_run(0.2, 7).value == 1.0
    with pytest.raises(ValueError, match="change_rate"):
        change_per_run(1.5, 1)
    with pytest.raises(ValueError, match="interval_days"):
        change_per_run(0.05, 0)


def test_backup_total_at_another_size():
    # same chain at 2,000 GiB: 0.5 × 2,000 × 2.3 + 0.5 × 1.05 × 2,000 = 2,300 + 1,050 = 3,350
    # at 15,360 GiB: 0.5 × 15,360 × 2.3 = 17,664 + workspace 7,065.6 = 24,729.6
    b = ff()
    assert backup_total_at(b, 1000) == pytest.approx(1675)
    assert backup_total_at(b, 2000) == pytest.approx(3350)
    assert backup_total_at(b, 15360) == pytest.approx(24729.6)
    periodic = ff(method="forward_periodic_full", full_every=7)
    assert backup_total_at(periodic, 2000) == pytest.approx(4700)  # 1,000 × 4.7, no workspace
