"""The guardrails hold: ruff refuses a Django import in the engine, one table names every scheme,
the domain imports nothing from the web side, the API nothing from the HTML views, and the
services queue work by task name without importing the tasks."""

import ast
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


# --- the layout: who may import whom ------------------------------------------------------------


def imported_modules(source: str, package: str = "") -> set[str]:
    """Every module a source file imports, anywhere in it (imports inside functions too): for
    ``from a import b`` both "a" and "a.b" (b may be a module); relative imports resolved
    against ``package``."""
    out: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return out


def imports_under(folder: str, forbidden: str) -> list[str]:
    """ "path: module" for each import of ``forbidden`` (or a module under it) in ``folder``."""
    found = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        rel = path.relative_to(ROOT)
        package = ".".join(rel.with_suffix("").parts[:-1])
        for module in imported_modules(path.read_text(), package):
            if module == forbidden or module.startswith(forbidden + "."):
                found.append(f"{rel}: {module}")
    return sorted(found)


def test_the_import_finder_sees_imports_inside_functions_and_relative_ones():
    source = (
        "from portal import views\n"
        "def f():\n    from planner.tasks import plan_run\n"
        "def g():\n    import portal.access\n"
        "from ..views import apps\n"
    )
    found = imported_modules(source, "portal.api")
    assert {"portal.views", "planner.tasks.plan_run", "portal.access", "portal.views.apps"} <= found


def test_the_domain_imports_nothing_from_the_web_side():
    assert imports_under("planner", "portal") == []


def test_the_api_imports_nothing_from_the_html_views():
    assert imports_under("portal/api", "portal.views") == []


def test_services_queue_work_by_name_and_never_import_the_tasks():
    assert imports_under("planner/services", "planner.tasks") == []


# Task name -> queue, as deployed (CELERY_TASK_ROUTES, the workers' -Q): renders and e-mail on
# "reports", the rest on "sizing".
TASK_QUEUES = {
    "planner.tasks.plan_run": "sizing",
    "planner.tasks.size_chunk": "sizing",
    "planner.tasks.dispatch_pending_runs": "sizing",
    "planner.tasks.start_nightly_run": "sizing",
    "planner.tasks.render_plan_pdf": "reports",
    "planner.tasks.render_draft_pdf": "reports",
    "planner.tasks.flag_plans_for_review": "sizing",
    "planner.tasks.render_missing_pdfs": "reports",
    "planner.tasks.sync_hub": "sizing",
    "planner.tasks.sync_hubs": "sizing",
    "planner.tasks.send_notification": "reports",
    "planner.tasks.send_pending_notifications": "reports",
    "planner.tasks.notify_due_events": "reports",
}


def test_every_queued_name_is_a_registered_task_routed_to_its_queue():
    from celery import current_app

    import planner.tasks  # noqa: F401  (registers the tasks, as the workers do)
    from planner import queue

    names = {v for k, v in vars(queue).items() if k.isupper() and isinstance(v, str)}
    assert names == set(TASK_QUEUES)
    registered = {name for name in current_app.tasks if name.startswith("planner.")}
    assert registered == names
    router = current_app.amqp.router
    routed = {name: router.route({}, name)["queue"].name for name in names}
    assert routed == TASK_QUEUES
