"""Start-up order: roles, explicit dependencies (Kahn layering), diamonds, cycles, merges to
at most 7 groups, external prerequisites, runbooks and their JSON round trip."""

from __future__ import annotations

import json

import pytest

from planner.rules import BootPlan, boot_order, layer_vms
from tests.unit.rulefacts import vm


def names(plan_groups, vms):
    by_id = {v.id: v.name for v in vms}
    return [[by_id[i] for i in g] for g in plan_groups]


def test_roles_rank_database_middleware_web_other():
    vms = [
        vm(4, "misc"),
        vm(3, "web", role="web"),
        vm(2, "api", role="middleware"),
        vm(1, "sql", role="database"),
    ]
    plan = boot_order(vms)
    assert names(plan.groups, vms) == [["sql"], ["api"], ["web"], ["misc"]]
    assert plan.group_of == {1: 1, 2: 2, 3: 3, 4: 4}
    assert plan.cycle == ()


def test_roles_absent_leave_no_empty_group():
    vms = [vm(1, "sql", role="database"), vm(2, "web", role="web")]
    assert boot_order(vms).groups == ((1,), (2,))


def test_explicit_dependency_overrides_role_rank():
    # A database that needs a web VM first (unusual, but the dependency is a fact).
    vms = [vm(1, "sql", role="database", depends_on=(2,)), vm(2, "web", role="web")]
    assert names(boot_order(vms).groups, vms) == [["web"], ["sql"]]


def test_diamond_a_b_c_d():
    """B and C depend on A; D depends on B and C: A | B, C | D."""
    a = vm(1, "A")
    b = vm(2, "B", depends_on=(1,))
    c = vm(3, "C", depends_on=(1,))
    d = vm(4, "D", depends_on=(2, 3))
    plan = boot_order([d, c, b, a])
    assert names(plan.groups, [a, b, c, d]) == [["A"], ["B", "C"], ["D"]]
    assert plan.shutdown == (
        "Group 3: shut down D",
        "Group 2: shut down B, C",
        "Group 1: shut down A",
    )


def test_failover_failback_and_manual_steps():
    vms = [vm(1, "sql", role="database"), vm(2, "web", role="web", depends_on=(1,))]
    plan = boot_order(vms, manual_steps=("re-point DNS", "warm the cache"))
    assert plan.failover[0].startswith("Group 1: start sql")
    assert plan.failover[1].startswith("Group 2: start web")
    assert plan.failover[2:4] == ("Manual step: re-point DNS", "Manual step: warm the cache")
    assert plan.failover[-1].startswith("Confirm the app serves requests")
    # Failback: the same groups in the same order, after stopping the recovery side.
    assert plan.failback[0].startswith("Before failback")
    assert plan.failback[1].startswith("Group 1: fail back sql")
    assert plan.failback[2].startswith("Group 2: fail back web")
    assert plan.failback[-1] == "Manual step (back to the source): warm the cache"
    assert plan.shutdown == ("Group 2: shut down web", "Group 1: shut down sql")


def test_external_dependencies_are_prerequisites_not_ordered():
    vms = [vm(1, "web", depends_on=(900, 901)), vm(2, "api", depends_on=(900,))]
    plan = boot_order(vms, external_names={900: "ad-1", 901: "dns-1"})
    assert plan.groups == ((2, 1),)  # same layer: ordered by name
    assert plan.external == ((1, 900), (1, 901), (2, 900))
    first = plan.failover[0]
    assert first.startswith("Before failover")
    assert "ad-1 (needed by web, api)" in first and "dns-1 (needed by web)" in first
    assert any("external prerequisite" in n for n in plan.notes)


def test_unnamed_external_dependency_shows_its_id():
    plan = boot_order([vm(1, "web", depends_on=(900,))])
    assert "VM #900" in plan.failover[0]


def test_cycle_is_reported_and_other_vms_still_layered():
    x = vm(1, "x", depends_on=(2,))
    y = vm(2, "y", depends_on=(1,))
    z = vm(3, "z", depends_on=(1,))  # downstream of the cycle
    w = vm(4, "w", role="database")
    plan = boot_order([x, y, z, w])
    assert plan.cycle == (1, 2)
    assert names(plan.groups, [x, y, z, w]) == [["w"], ["x", "y"], ["z"]]
    assert any("'x', 'y'" in n and "x needs y" in n and "y needs x" in n for n in plan.notes)
    assert "dependency cycle" in plan.failover[1]


def test_self_dependency_is_a_cycle():
    plan = boot_order([vm(1, "loop", depends_on=(1,)), vm(2, "other")])
    assert plan.cycle == (1,)
    assert plan.groups == ((1, 2),)


def test_two_cycles_and_a_chain_between_them():
    vms = [
        vm(1, "a", depends_on=(2,)),
        vm(2, "b", depends_on=(1,)),
        vm(3, "c", depends_on=(2, 4)),
        vm(4, "d", depends_on=(3,)),
        vm(5, "e", depends_on=(4,)),
    ]
    lay = layer_vms(vms)
    assert lay.cycle == (1, 2, 3, 4)
    assert len(lay.cycles) == 2
    assert lay.group_of[1] == lay.group_of[2] < lay.group_of[3] == lay.group_of[4] < lay.group_of[5]


def test_chain_longer_than_seven_merges_the_tail_in_sequence():
    chain = [vm(10, "c0")] + [vm(10 + i, f"c{i}", depends_on=(9 + i,)) for i in range(1, 9)]
    plan = boot_order(chain)
    assert len(plan.groups) == 7
    assert plan.groups[-1] == (16, 17, 18)  # c6 -> c7 -> c8, in dependency order
    assert "c6 → c7 → c8" in plan.failover[6]
    assert "one after another" in plan.failover[6]
    assert plan.shutdown[0].startswith("Group 7: shut down c8 → c7 → c6")
    assert any("the last 3 layers were merged into group 7" in n for n in plan.notes)


def test_layers_apart_only_by_role_merge_first():
    vms = [vm(1, "db", role="database"), vm(2, "mw", role="middleware"), vm(3, "web", role="web")]
    vms += [vm(10 + i, f"o{i}", depends_on=(9 + i,) if i else ()) for i in range(6)]
    lay = layer_vms(vms)
    assert lay.layers == 9
    assert lay.sequenced == ()
    assert lay.groups == ((1,), (2, 3, 10), (11,), (12,), (13,), (14,), (15,))
    # Every dependency still points to an earlier group.
    for v in vms:
        for d in v.depends_on:
            assert lay.group_of[d] < lay.group_of[v.id]


def test_max_groups_is_a_parameter():
    vms = [vm(1, "db", role="database"), vm(2, "web", role="web", depends_on=(1,))]
    assert boot_order(vms, max_groups=1).groups == ((1, 2),)
    with pytest.raises(ValueError, match="max_groups"):
        boot_order(vms, max_groups=0)


def test_explicit_boot_group_is_a_floor():
    vms = [vm(1, "db", role="database"), vm(2, "web", role="web"), vm(3, "late", boot_group=5)]
    assert names(boot_order(vms).groups, vms) == [["db"], ["web"], ["late"]]
    pinned_first = [vm(1, "db", role="database"), vm(2, "web", role="web", boot_group=1)]
    assert boot_order(pinned_first).groups == ((1, 2),)


def test_no_vms():
    plan = boot_order([])
    assert plan.groups == () and plan.cycle == ()
    assert plan.failover == ("Confirm the app serves requests in the recovery environment",)


def test_json_round_trip():
    vms = [
        vm(1, "x", depends_on=(2,)),
        vm(2, "y", depends_on=(1,)),
        vm(3, "z", depends_on=(1, 900)),
    ]
    plan = boot_order(vms, manual_steps=("re-point DNS",), external_names={900: "ad-1"})
    data = json.loads(json.dumps(plan.to_json()))
    again = BootPlan.from_json(data)
    assert again == plan
    assert again.to_json() == plan.to_json()


def test_deterministic_whatever_the_input_order():
    vms = [vm(i, f"v{i % 5}-{i}", role=("database", "web", "other")[i % 3]) for i in range(1, 20)]
    vms += [vm(50, "top", depends_on=(1, 2, 3))]
    assert boot_order(vms) == boot_order(list(reversed(vms)))
