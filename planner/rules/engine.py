"""``evaluate``: run every rule family on one app and return its findings, sorted.

The figures several rules share (protected VMs, start-up groups, capability of the chosen
scheme, drill summary, recommendation) are computed once per app in ``Derived``.
Pure Python: no Django import.
"""

from __future__ import annotations

from dataclasses import replace

from planner.facts import App
from planner.guard import bound_app, bound_catalog
from planner.rules import capacity, dependencies, drills, objectives, platform, policy, topology
from planner.rules.bootorder import Layering, layer_vms
from planner.rules.capability import Capability, scheme_capability
from planner.rules.context import RuleContext
from planner.rules.estate import replication_mbps
from planner.rules.findings import Finding, finding
from planner.rules.recommend import Recommendation, recommend_scheme

__all__ = ["Derived", "derive", "evaluate"]

FAMILIES = (topology, platform, objectives, drills, capacity, dependencies, policy)
# How many replaced inputs the INPUT_OUT_OF_RANGE finding names before "and N more".
NAMED_INPUTS = 10


class Derived:
    """Per-app figures shared by the rules.

    protected     the opted-in VMs
    used_gib      their used data (the sizing figure of a VM when given, else the facts')
    all_layers    start-up layering of all the app's VMs (cycles are found here)
    layers        start-up layering of the protected VMs (the runbook's groups)
    boot_groups   number of groups of ``layers``
    capability    capability of the app's chosen scheme
    drill         ``drills.DrillSummary``
    recommendation  computed on first use
    """

    __slots__ = (
        "_recommendation",
        "all_layers",
        "app",
        "boot_groups",
        "capability",
        "ctx",
        "drill",
        "layers",
        "max_groups",
        "protected",
        "used_gib",
        "vm_ids",
    )

    def __init__(self, app: App, ctx: RuleContext) -> None:
        self.app = app
        self.ctx = ctx
        self.protected = app.protected_vms
        self.vm_ids = frozenset(v.id for v in app.vms)
        self.max_groups = int(ctx.limit("boot.max_groups"))
        per_vm = ctx.sizing.vms if ctx.sizing is not None else {}
        used = 0.0
        for v in self.protected:
            fig = per_vm.get(v.id)
            used += fig.used_gib if fig is not None else v.used_gib
        self.used_gib = used
        self.all_layers: Layering = layer_vms(app.vms, max_groups=self.max_groups)
        if len(self.protected) == len(app.vms):
            self.layers = self.all_layers
        else:
            self.layers = layer_vms(self.protected, max_groups=self.max_groups)
        self.boot_groups = len(self.layers.groups)
        self.capability: Capability = scheme_capability(
            app,
            app.scheme,
            self.boot_groups,
            used_gib=self.used_gib,
            replication_mbps=replication_mbps(app, ctx.sizing),
        )
        self.drill = drills.summarize(app.drills)
        self._recommendation: Recommendation | None = None

    @property
    def recommendation(self) -> Recommendation:
        if self._recommendation is None:
            self._recommendation = recommend_scheme(
                self.app, self.ctx, self.boot_groups, self.used_gib
            )
        return self._recommendation


def _bounded(app: App, ctx: RuleContext) -> tuple[App, RuleContext, tuple[str, ...]]:
    """The app and limits with every number in the engine's domain (``planner.guard``)."""
    app, notes = bound_app(app)
    limits, limit_notes = bound_catalog(ctx.limits, "limits")
    if limit_notes:
        ctx = replace(ctx, limits=limits)
    return app, ctx, notes + limit_notes


def derive(app: App, ctx: RuleContext) -> Derived:
    app, ctx, _ = _bounded(app, ctx)
    return Derived(app, ctx)


def evaluate(app: App, ctx: RuleContext, derived: Derived | None = None) -> list[Finding]:
    """All findings on ``app``, sorted by severity (blocking first), code, VMs and message.
    ``derived``: the app's ``Derived`` when the caller has it (its recommendation is computed
    once).

    A number outside the engine's domain is replaced by the nearest one in it before any rule
    reads it, and named in a blocking INPUT_OUT_OF_RANGE finding (``planner.guard``)."""
    app, ctx, notes = _bounded(app, ctx)
    d = derived if derived is not None and derived.app is app and derived.ctx is ctx else None
    d = d or Derived(app, ctx)
    out: list[Finding] = []
    for family in FAMILIES:
        out.extend(family.check(app, ctx, d))
    if notes:
        more = len(notes) - NAMED_INPUTS
        tail = f"; and {more} more" if more > 0 else ""
        out.append(finding("INPUT_OUT_OF_RANGE", app.id, "; ".join(notes[:NAMED_INPUTS]) + tail))
    out.sort(key=Finding.sort_key)
    return out
