"""Start-up order of an app's VMs: boot groups, failover / failback / shutdown runbooks.

The model (DESIGN §5, the seed's "Replication/manual failover": "a multi-tiered app that
requires a specific start-up sequence"):

1. Each VM gets a *floor*: its role's rank among the roles present in the app, database →
   middleware → web → other (so an app with only databases and web servers has floors 1 and 2).
   A VM's explicit ``boot_group`` replaces its role floor.
2. Explicit dependencies refine it: a VM that depends on another VM of the app boots in a later
   layer. Layering is Kahn's algorithm: a VM's layer = max(floor, 1 + layer of each VM it
   depends on). Empty layers are dropped, so groups are numbered 1..n without gaps.
   Dependencies on VMs of other apps are not ordered: they are *external prerequisites*, listed
   before the first group of the failover runbook.
3. A dependency cycle does not stop the plan: the VMs of each cycle (strongly connected
   component, Tarjan) are placed together in one layer, after everything they depend on outside
   the cycle; the cycle is reported by name; the other VMs are layered as usual.
4. More than ``max_groups`` layers are merged, in two passes. First, two adjacent layers are
   merged when no VM of the later one depends on a VM of the earlier one (they were apart only
   by role rank), latest pair first; groups stay "all VMs start together". If still too many,
   the last layers are merged into the last group, whose VMs are then listed — and started — in
   dependency order ("start a, then b"). Either way every dependency is still honoured.
5. Failover starts groups 1..n, then runs the app's manual steps (e.g. "re-point DNS").
   Failback uses the same groups in the same order; shutdown is the reverse order.

Pure Python: no Django import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from planner.facts import Vm
from planner.rules import _units as u

__all__ = ["ROLE_RANK", "BootPlan", "Layering", "boot_order", "layer_vms"]

ROLE_RANK = {"database": 0, "middleware": 1, "web": 2, "other": 3}
_OTHER = 3


@dataclass(frozen=True, slots=True)
class Layering:
    """The groups alone (what the rules need), without the runbook text.

    groups      VM ids per start-up group, in start order within the group
    group_of    VM id -> group number (1-based)
    cycle       VM ids that are part of a dependency cycle (sorted), empty when none
    cycles      each cycle's VM ids, in dependency order
    external    (VM id, id of a VM outside the set it depends on), sorted
    sequenced   group numbers whose VMs must start one after another (merged dependent layers)
    layers      number of dependency layers before merging
    notes       lines explaining merges and cycles
    deps        VM id -> ids of VMs in the set it depends on
    """

    groups: tuple[tuple[int, ...], ...]
    group_of: dict[int, int]
    cycle: tuple[int, ...] = ()
    cycles: tuple[tuple[int, ...], ...] = ()
    external: tuple[tuple[int, int], ...] = ()
    sequenced: tuple[int, ...] = ()
    layers: int = 0
    notes: tuple[str, ...] = ()
    deps: Mapping[int, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class BootPlan:
    """Start-up groups and the runbooks derived from them.

    groups      VM ids per group, group 1 first (order within a group is the start order)
    group_of    VM id -> group number (1-based)
    failover    runbook steps: external prerequisites, groups 1..n, the app's manual steps
    failback    the same groups in the same order, back to the source
    shutdown    the groups in reverse order
    cycle       VM ids in a dependency cycle, empty when none
    external    (VM id, prerequisite VM id of another app)
    notes       merges and cycles, as text
    """

    groups: tuple[tuple[int, ...], ...]
    group_of: dict[int, int]
    failover: tuple[str, ...]
    failback: tuple[str, ...]
    shutdown: tuple[str, ...]
    cycle: tuple[int, ...] = ()
    external: tuple[tuple[int, int], ...] = ()
    notes: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """Plain lists and strings; ``from_json`` gives back an equal plan."""
        return {
            "groups": [list(g) for g in self.groups],
            "failover": list(self.failover),
            "failback": list(self.failback),
            "shutdown": list(self.shutdown),
            "cycle": list(self.cycle),
            "external": [list(p) for p in self.external],
            "notes": list(self.notes),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BootPlan:
        groups = tuple(tuple(int(v) for v in g) for g in data.get("groups", ()))
        return cls(
            groups=groups,
            group_of={v: i for i, g in enumerate(groups, 1) for v in g},
            failover=tuple(data.get("failover", ())),
            failback=tuple(data.get("failback", ())),
            shutdown=tuple(data.get("shutdown", ())),
            cycle=tuple(int(v) for v in data.get("cycle", ())),
            external=tuple((int(a), int(b)) for a, b in data.get("external", ())),
            notes=tuple(data.get("notes", ())),
        )


def layer_vms(vms: Sequence[Vm], *, max_groups: int = 7) -> Layering:
    """Boot groups of ``vms`` (see the module docstring); fast, no runbook text."""
    if max_groups < 1:
        raise ValueError(f"max_groups must be >= 1, got {max_groups!r}")
    if not vms:
        return Layering((), {})
    by_id = {v.id: v for v in vms}
    present = sorted({ROLE_RANK.get(v.role, _OTHER) for v in vms})
    dense = {rank: i for i, rank in enumerate(present, 1)}
    floor = {v.id: (v.boot_group or dense[ROLE_RANK.get(v.role, _OTHER)]) for v in vms}
    deps: dict[int, tuple[int, ...]] = {}
    external: list[tuple[int, int]] = []
    any_dep = False
    for v in vms:
        if v.depends_on:
            inside = []
            for d in v.depends_on:
                if d in by_id:
                    if d not in inside:
                        inside.append(d)
                else:
                    external.append((v.id, d))
            deps[v.id] = tuple(inside)
            any_dep = any_dep or bool(inside)
        else:
            deps[v.id] = ()

    def order_key(vid: int) -> tuple[Any, ...]:
        vm = by_id[vid]
        return (ROLE_RANK.get(vm.role, _OTHER), vm.name, vid)

    cycles: list[tuple[int, ...]] = []
    layer: dict[int, int] | None
    if not any_dep:
        layer = floor
    else:
        self_loop = any(vid in deps[vid] for vid in deps)
        layer = None if self_loop else _kahn([(vid,) for vid in by_id], deps, floor)
        if layer is None:
            components = _tarjan(list(by_id), deps)
            for comp in components:
                if len(comp) > 1 or comp[0] in deps[comp[0]]:
                    cycles.append(tuple(sorted(comp, key=order_key)))
            layer = _kahn(components, deps, floor)
            assert layer is not None  # the condensation is acyclic

    # Dense layers 1..n.
    distinct = sorted(set(layer.values()))
    renum = {old: i for i, old in enumerate(distinct)}
    layers: list[list[int]] = [[] for _ in distinct]
    for vid in by_id:
        layers[renum[layer[vid]]].append(vid)
    n_layers = len(layers)
    notes: list[str] = []
    sequenced: tuple[int, ...] = ()
    if n_layers > max_groups:
        layers, sequenced, merge_notes = _merge(layers, deps, max_groups, by_id, order_key)
        notes.extend(merge_notes)
    groups = []
    for i, members in enumerate(layers, 1):
        if i in sequenced:
            groups.append(tuple(_topological(members, deps, order_key)))
        else:
            groups.append(tuple(sorted(members, key=order_key)))
    group_of = {vid: i for i, g in enumerate(groups, 1) for vid in g}
    cycle_ids: tuple[int, ...] = ()
    if cycles:
        cycle_ids = tuple(sorted({vid for c in cycles for vid in c}))
        for c in cycles:
            notes.append(
                f"dependency cycle among {u.names([by_id[v].name for v in c])} "
                f"({cycle_edges(c, deps, by_id)}): placed together in group {group_of[c[0]]}; "
                "no valid start order exists until the cycle is broken"
            )
    return Layering(
        groups=tuple(groups),
        group_of=group_of,
        cycle=cycle_ids,
        cycles=tuple(cycles),
        external=tuple(sorted(external)),
        sequenced=sequenced,
        layers=n_layers,
        notes=tuple(notes),
        deps=deps,
    )


def cycle_edges(
    cycle: Sequence[int], deps: Mapping[int, tuple[int, ...]], by_id: Mapping[int, Vm]
) -> str:
    """ "a needs b, b needs a": the dependencies inside one cycle."""
    inside = set(cycle)
    return ", ".join(
        f"{by_id[v].name} needs {by_id[d].name}" for v in cycle for d in deps[v] if d in inside
    )


def _kahn(
    components: Sequence[Sequence[int]],
    deps: Mapping[int, tuple[int, ...]],
    floor: Mapping[int, int],
) -> dict[int, int] | None:
    """Layer of each VM by Kahn's algorithm over ``components`` (single VMs, or the VMs of a
    cycle treated as one node). None when the components graph has a cycle."""
    comp_of = {vid: i for i, comp in enumerate(components) for vid in comp}
    n = len(components)
    indegree = [0] * n
    users: list[list[int]] = [[] for _ in range(n)]
    for i, comp in enumerate(components):
        seen = set()
        for vid in comp:
            for d in deps[vid]:
                j = comp_of[d]
                if j != i and j not in seen:
                    seen.add(j)
                    indegree[i] += 1
                    users[j].append(i)
    level = [max(floor[vid] for vid in comp) for comp in components]
    ready = [i for i in range(n) if indegree[i] == 0]
    done = 0
    while ready:
        nxt = []
        for j in ready:
            done += 1
            for i in users[j]:
                if level[j] + 1 > level[i]:
                    level[i] = level[j] + 1
                indegree[i] -= 1
                if indegree[i] == 0:
                    nxt.append(i)
        ready = nxt
    if done < n:
        return None
    return {vid: level[i] for i, comp in enumerate(components) for vid in comp}


def _tarjan(nodes: list[int], deps: Mapping[int, tuple[int, ...]]) -> list[list[int]]:
    """Strongly connected components (iterative Tarjan), dependencies first."""
    index: dict[int, int] = {}
    low: dict[int, int] = {}
    on_stack: set[int] = set()
    stack: list[int] = []
    result: list[list[int]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, pos = work[-1]
            if pos == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            edges = deps[node]
            if pos < len(edges):
                work[-1] = (node, pos + 1)
                nxt = edges[pos]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    w = stack.pop()
                    on_stack.discard(w)
                    comp.append(w)
                    if w == node:
                        break
                result.append(comp)
    return result


def _merge(
    layers: list[list[int]],
    deps: Mapping[int, tuple[int, ...]],
    max_groups: int,
    by_id: Mapping[int, Vm],
    order_key: Callable[[int], tuple[Any, ...]],
) -> tuple[list[list[int]], tuple[int, ...], list[str]]:
    """Merge layers down to ``max_groups`` (module docstring, step 4)."""
    layers = [list(x) for x in layers]
    original = len(layers)
    notes: list[str] = []
    merged_free = 0
    while len(layers) > max_groups:
        pos = {vid: i for i, layer in enumerate(layers) for vid in layer}
        for i in range(len(layers) - 2, -1, -1):
            if not any(pos[d] == i for vid in layers[i + 1] for d in deps[vid]):
                layers[i] = layers[i] + layers.pop(i + 1)
                merged_free += 1
                break
        else:
            break
    if merged_free:
        notes.append(
            f"{original} dependency layers for at most {max_groups} groups: {merged_free} pair(s)"
            " of adjacent layers with no dependency between them were merged (their VMs were "
            "apart only by role)"
        )
    sequenced: tuple[int, ...] = ()
    if len(layers) > max_groups:
        tail = [vid for layer in layers[max_groups - 1 :] for vid in layer]
        count = len(layers) - max_groups + 1
        layers = [*layers[: max_groups - 1], tail]
        sequenced = (max_groups,)
        ordered = _topological(tail, deps, order_key)
        notes.append(
            f"the last {count} layers were merged into group {max_groups}: start its VMs one "
            f"after another in dependency order: {' → '.join(by_id[v].name for v in ordered)}"
        )
    return layers, sequenced, notes


def _topological(
    members: Iterable[int],
    deps: Mapping[int, tuple[int, ...]],
    order_key: Callable[[int], tuple[Any, ...]],
) -> list[int]:
    """``members`` in dependency order (dependencies first), ties by role, name and id."""
    members = list(members)
    inside = set(members)
    placed: set[int] = set()
    out: list[int] = []
    remaining = sorted(members, key=order_key)
    while remaining:
        progress = False
        rest = []
        for vid in remaining:
            if all(d in placed or d not in inside or d == vid for d in deps[vid]):
                out.append(vid)
                placed.add(vid)
                progress = True
            else:
                rest.append(vid)
        if not progress:  # a cycle inside the group: keep the stable order
            out.extend(rest)
            break
        remaining = rest
    return out


def boot_order(
    vms: Sequence[Vm],
    *,
    max_groups: int = 7,
    manual_steps: Sequence[str] = (),
    external_names: Mapping[int, str] | None = None,
) -> BootPlan:
    """Start-up groups of ``vms`` with failover, failback and shutdown runbooks.

    ``manual_steps`` (the app's, e.g. "re-point DNS") end the failover; ``external_names``
    names the VMs of other apps this app depends on (ids are shown otherwise).
    """
    lay = layer_vms(vms, max_groups=max_groups)
    by_id = {v.id: v for v in vms}
    ext_names = external_names or {}

    def label(ids: Iterable[int]) -> str:
        return ", ".join(by_id[v].name for v in ids)

    failover: list[str] = []
    if lay.external:
        needed: dict[int, list[str]] = {}
        for vid, ext in lay.external:
            needed.setdefault(ext, []).append(by_id[vid].name)
        parts = [
            f"{ext_names.get(ext, f'VM #{ext}')} (needed by {', '.join(users)})"
            for ext, users in sorted(
                needed.items(), key=lambda kv: str(ext_names.get(kv[0], kv[0]))
            )
        ]
        failover.append(
            "Before failover: make sure these VMs of other apps run in the recovery "
            f"environment: {'; '.join(parts)}"
        )
    cycle_set = set(lay.cycle)
    failback: list[str] = []
    shutdown: list[str] = []
    for i, group in enumerate(lay.groups, 1):
        seq = i in lay.sequenced
        joiner = " → " if seq else ", "
        names = joiner.join(by_id[v].name for v in group)
        how = (
            "one after another in this order, each after the previous passes its checks"
            if seq
            else (
                "together; wait until they boot and pass their checks"
                if len(group) > 1
                else "and wait until it boots and passes its checks"
            )
        )
        warn = (
            " (dependency cycle: check the order by hand)" if cycle_set.intersection(group) else ""
        )
        failover.append(f"Group {i}: start {names} {how}{warn}")
        failback.append(
            f"Group {i}: fail back {names} to the source and start {'them' if len(group) > 1 else 'it'}"
            f"{' in this order' if seq else ''}"
        )
    for step in manual_steps:
        failover.append(f"Manual step: {step}")
    failover.append("Confirm the app serves requests in the recovery environment")
    if lay.groups:
        failback.insert(
            0,
            "Before failback: stop the app in the recovery environment in shutdown order and "
            "synchronize its data back to the source",
        )
    for step in manual_steps:
        failback.append(f"Manual step (back to the source): {step}")
    for i in range(len(lay.groups), 0, -1):
        group = lay.groups[i - 1]
        if i in lay.sequenced:
            shutdown.append(
                f"Group {i}: shut down {' → '.join(by_id[v].name for v in reversed(group))}"
                " one after another in this order"
            )
        else:
            shutdown.append(f"Group {i}: shut down {label(group)}")
    notes = list(lay.notes)
    if lay.external:
        count = len({e for _, e in lay.external})
        notes.append(
            f"{u.plural(count, 'VM')} of other apps {'is an external prerequisite' if count == 1 else 'are external prerequisites'}: "
            "listed before group 1, not ordered"
        )
    return BootPlan(
        groups=lay.groups,
        group_of=lay.group_of,
        failover=tuple(failover),
        failback=tuple(failback),
        shutdown=tuple(shutdown),
        cycle=lay.cycle,
        external=lay.external,
        notes=tuple(notes),
    )
