"""Azure Stack Hub compute: available memory, VM limits, stand-by, ASR appliances."""

import pytest

from planner.sizing import (
    ash_available_memory,
    ash_available_memory_gib,
    ash_vm_capacity,
    asr_appliances,
    standby_compute,
)


def test_available_memory_4_nodes_384_gib_largest_112():
    # total = 4 × 384 = 1,536 GiB
    # reserve = 384 + 0.15 × 3 × 384 + 112 × (4 − 2) = 384 + 172.8 + 224 = 780.8 GiB
    # infrastructure = 242 + 4 × 4 = 258 GiB
    # available = 1,536 − 780.8 − 258 = 497.2 GiB
    m = ash_available_memory(4, 384, 112)
    assert m.total_gib == 1536
    assert m.reserve_gib == pytest.approx(780.8)
    assert m.infrastructure_gib == 258
    assert m.available_gib == pytest.approx(497.2)
    assert ash_available_memory_gib(4, 384, 112) == pytest.approx(497.2)


def test_available_memory_explanation():
    lines = ash_available_memory(4, 384, 112).explanation
    assert "stamp memory = 4 nodes × 384 GiB = 1,536 GiB" in lines
    assert (
        "resiliency reserve = 384 GiB + 0.15 × (4 − 1) × 384 GiB + 112 GiB × (4 − 2) = 780.8 GiB"
        in lines
    )
    assert "infrastructure = 242 GiB + 4 GiB × 4 = 258 GiB" in lines
    assert lines[-1].endswith("= 497.2 GiB")


def test_available_memory_minus_running_tenants():
    # 497.2 − 200 = 297.2 GiB
    assert ash_available_memory_gib(4, 384, 112, 200) == pytest.approx(297.2)


def test_available_memory_16_nodes():
    # total = 16 × 768 = 12,288; reserve = 768 + 0.15 × 15 × 768 + 224 × 14
    # = 768 + 1,728 + 3,136 = 5,632; infra = 242 + 64 = 306; available = 6,350 GiB
    assert ash_available_memory_gib(16, 768, 224) == pytest.approx(6350)


def test_infrastructure_from_limits():
    # infra = 300 + 5 × 4 = 320: 1,536 − 780.8 − 320 = 435.2 GiB
    got = ash_available_memory_gib(4, 384, 112, infra_base_gib=300, infra_per_node_gib=5)
    assert got == pytest.approx(435.2)


def test_over_committed_stamp_is_negative():
    # 497.2 − 600 = −102.8: the rules report it, the engine does not hide it
    assert ash_available_memory_gib(4, 384, 112, 600) == pytest.approx(-102.8)


def test_small_stamp_has_no_negative_largest_vm_term():
    # N = 1: reserve = 64 + 0 + 0 = 64; infra = 246; available = 64 − 64 − 246 = −246
    assert ash_available_memory(1, 64, 8).reserve_gib == 64


@pytest.mark.parametrize(
    ("args", "kwargs", "name"),
    [
        ((0, 384, 112), {}, "nodes"),
        ((2.5, 384, 112), {}, "nodes"),
        ((4, 0, 112), {}, "memory_per_node_gib"),
        ((4, 384, -1), {}, "largest_vm_gib"),
        ((4, 384, 512), {}, "largest_vm_gib"),
        ((4, 384, 112, -5), {}, "running_tenant_gib"),
        ((4, 384, 112), {"infra_base_gib": -1}, "infra_base_gib"),
        ((4, 384, 112), {"infra_per_node_gib": -1}, "infra_per_node_gib"),
    ],
)
def test_available_memory_bad_arguments(args, kwargs, name):
    with pytest.raises(ValueError, match=name):
        ash_available_memory(*args, **kwargs)


def test_vm_capacity():
    # 8 × 60 = 480; 12 × 60 = 720 → capped at 700
    assert ash_vm_capacity(8).value == 480
    assert ash_vm_capacity(12).value == 700
    assert ash_vm_capacity(4, per_node=50, per_stamp=700).value == 200
    assert "min(8 nodes × 60, 700 per stamp) = 480 VMs" in ash_vm_capacity(8).explanation[0]
    with pytest.raises(ValueError, match="nodes"):
        ash_vm_capacity(0)


def test_standby_per_scheme():
    rep = standby_compute(4, 16, "replication")
    assert (rep.vcpu, rep.memory_gib, rep.running) == (4, 16, False)
    assert "quota reserved" in rep.explanation[0]
    ha = standby_compute(4, 16, "high_availability")
    assert (ha.vcpu, ha.running) == (4, True)
    assert "running" in ha.explanation[0]
    ft = standby_compute(4, 16, "fault_tolerance")
    assert "second deployment" in ft.explanation[0]
    for scheme in ("backup_restore", "none"):
        s = standby_compute(4, 16, scheme)
        assert (s.vcpu, s.memory_gib, s.explanation) == (0, 0, ())


def test_standby_bad_arguments():
    with pytest.raises(ValueError, match="scheme"):
        standby_compute(4, 16, "warm")
    with pytest.raises(ValueError, match="vcpu"):
        standby_compute(-4, 16, "replication")
    with pytest.raises(ValueError, match="memory_gib"):
        standby_compute(4, -16, "replication")


def test_asr_appliances():
    # ceil(121 ÷ 120) = 2 appliances: 16 vCPU, 56 GiB on the source hub
    a = asr_appliances(121)
    assert (a.count, a.vcpu, a.memory_gib) == (2, 16, 56)
    assert "ceil(121 VMs ÷ 120) = 2" in a.explanation[0]
    assert asr_appliances(120).count == 1
    assert asr_appliances(0).count == 0
    assert asr_appliances(10, vms_per_appliance=3).count == 4


def test_asr_appliances_bad_arguments():
    with pytest.raises(ValueError, match="vms_per_appliance"):
        asr_appliances(10, vms_per_appliance=0)
    with pytest.raises(ValueError, match="vm_count"):
        asr_appliances(-1)
