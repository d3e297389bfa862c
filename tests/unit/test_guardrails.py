"""The guardrails hold: ruff refuses a Django import in the engine, one table names every scheme."""

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
RUFF = ROOT / ".venv" / "bin" / "ruff"


def ruff_codes(path: str, source: str) -> str:
    result = subprocess.run(
        [str(RUFF), "check", "--no-cache", "--select", "TID251", "--stdin-filename", path, "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return result.stdout


@pytest.mark.parametrize(
    "path", ["planner/sizing/probe.py", "planner/rules/probe.py", "planner/units.py"]
)
@pytest.mark.parametrize("line", ["import django", "from django.db import models"])
def test_ruff_refuses_django_in_the_engine(path, line):
    assert "TID251" in ruff_codes(path, f"{line}\n")


@pytest.mark.parametrize("path", ["planner/services/probe.py", "portal/probe.py"])
def test_ruff_allows_django_elsewhere(path):
    assert "TID251" not in ruff_codes(path, "from django.db import models\n")


def test_model_choices_take_their_labels_from_planner_labels():
    from planner import labels
    from planner.models import PlanState, Scheme

    assert dict(Scheme.choices) == {k: title for k, (title, _) in labels.SCHEMES.items()}
    assert dict(PlanState.choices) == {k: title for k, (title, _) in labels.PLAN_STATES.items()}
    assert labels.plan_state_banner("draft") == "Draft — not submitted, not signed"
    assert labels.scheme("high_availability") == "high availability"
