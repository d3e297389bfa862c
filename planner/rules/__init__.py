"""The rules engine: findings on an app's plan, capability estimates, the recommended scheme,
start-up order and staggered onboarding.

Pure Python — imports nothing from Django nor from ``planner.sizing``; reads
``planner.facts`` (the app) and a ``RuleContext`` (limits, sizing figures, estate loads,
dependencies across apps). See docs/rules.md for every code, its source and the models.
"""

from planner.rules.bootorder import BootPlan, boot_order, layer_vms
from planner.rules.capability import Capability, scheme_capability
from planner.rules.context import (
    CandidateFigures,
    CloudLoad,
    Dependent,
    ExternalVm,
    RuleContext,
    SizingFigures,
    TargetLoad,
    VmFigures,
)
from planner.rules.drills import achieved_rpo_minutes, last_drill_at, mttr_minutes
from planner.rules.engine import evaluate
from planner.rules.estate import app_capability, dependency_maps
from planner.rules.findings import CODES, Finding, RuleInfo
from planner.rules.recommend import COST_RANK, Candidate, Recommendation, recommend_scheme
from planner.rules.stagger import Schedule, Slot, stagger

__all__ = [
    "CODES",
    "COST_RANK",
    "BootPlan",
    "Candidate",
    "CandidateFigures",
    "Capability",
    "CloudLoad",
    "Dependent",
    "ExternalVm",
    "Finding",
    "Recommendation",
    "RuleContext",
    "RuleInfo",
    "Schedule",
    "SizingFigures",
    "Slot",
    "TargetLoad",
    "VmFigures",
    "achieved_rpo_minutes",
    "app_capability",
    "boot_order",
    "dependency_maps",
    "evaluate",
    "last_drill_at",
    "layer_vms",
    "mttr_minutes",
    "recommend_scheme",
    "scheme_capability",
    "stagger",
]
