"""The dashboard's and the app page's loops written in Python (portal/templatetags/portal.py,
portal/views/dashboard.plan_badge): the same HTML as the template loops they replaced, kept
here, for values that need escaping, missing keys and every branch."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.template import Context, Engine, Template
from django.template.loader import render_to_string

from portal.templatetags.portal import (
    attention_rows,
    candidate_rows,
    finding_blocks,
    schedule_rows,
)
from portal.views.dashboard import plan_badge

NASTY = '<script>alert("x")</script> & co'
ENGINE = Engine.get_default()


def loop(source: str, **context) -> str:
    """A template loop as the page had it (the portal's filters loaded)."""
    return Template("{% load portal %}" + source, engine=ENGINE).render(Context(context))


ATTENTION = """{% for app in attention %}
      <tr>
        <td class="strong"><a href="{{ app.get_absolute_url }}">{{ app.name }}</a><div class="muted small">{{ app.owner.username }}</div></td>
        <td><span class="tier tier-{{ app.tier }}">{{ app.tier }}</span></td>
        <td>{% if app.result %}<span class="badge badge-bad">{{ app.result.blocking_count }} blocking</span>{% else %}<span class="badge badge-muted">not sized</span>{% endif %}</td>
        <td>{% if app.first_blocking %}<span class="muted small">{{ app.first_blocking.0 }}</span><br>{{ app.first_blocking.1|truncatechars:180 }}{% else %}<span class="muted">Never sized: opt its VMs in and run a sizing.</span>{% endif %}</td>
        <td><a class="btn btn-small" href="{{ app.get_absolute_url }}#findings">Open</a></td>
      </tr>
    {% endfor %}"""

FINDINGS = """{% for f in findings %}
  <div class="finding {{ f.severity }}" id="finding-{{ f.pk }}">
    <div class="head">{{ f.severity|severity }} <span class="code">{{ f.code }}</span></div>
    <div>{{ f.message }}</div>
    {% if f.remedy %}<div class="remedy">{{ f.remedy }}</div>{% endif %}
    {% if f.vm_names %}<div class="small muted">VMs: {{ f.vm_names|join:", "|truncatechars:300 }}</div>{% endif %}
    {% if f.source %}<div class="source">Source: {{ f.source }}</div>{% endif %}
  </div>
  {% endfor %}"""

CANDIDATES = """{% for c in candidates %}
          <tr><td>{{ c.scheme|scheme_label }}</td><td>{{ c.target.name|default:"—" }}</td><td class="num">{% if c.monthly_cost is None %}—{% else %}{{ c.monthly_cost|money }}{% endif %}</td><td>{{ c.capability.rto_minutes|duration }} / {{ c.capability.rpo_minutes|duration }}</td><td>{% if c.ok %}<span class="badge badge-ok">fits</span>{% else %}<span class="small">{{ c.why }}</span>{% endif %}</td></tr>
        {% endfor %}"""

SCHEDULE = """{% for s in slots|slice:":60" %}<tr><td>{{ s.night }}</td><td>{{ s.name }}</td><td>{{ s.stream }}</td><td class="num">{{ s.gib|num }}</td><td class="num">{{ s.start_offset_minutes|duration }}</td><td class="num">{{ s.duration_minutes|duration }}</td></tr>{% endfor %}"""


class App(SimpleNamespace):
    def get_absolute_url(self):
        return f"/apps/{self.pk}/?a=1&b=<2>"


def test_attention_rows():
    owner = SimpleNamespace(username=NASTY)
    apps = [
        App(pk=1, name=NASTY, owner=owner, tier=0, result=SimpleNamespace(blocking_count=3),
            first_blocking=("CODE<1>", NASTY * 20)),
        App(pk=2, name="plain", owner=owner, tier=3, first_blocking=None),  # never sized
        App(pk=3, name="x", owner=owner, tier=1, result=None, first_blocking=("A", "short")),
    ]  # fmt: skip
    html = attention_rows(apps)
    assert html == loop(ATTENTION, attention=apps)
    assert "<script>" not in html and "Never sized" in html and "…" in html


def test_finding_blocks():
    findings = [
        SimpleNamespace(pk=7, severity="blocking", code=NASTY, message=NASTY, remedy=NASTY,
                        vm_names=[NASTY] * 30, source=NASTY),
        SimpleNamespace(pk=8, severity="warning", code="W", message="m", remedy="", vm_names=[],
                        source=""),
        SimpleNamespace(pk=9, severity="odd", code="I", message="m", remedy=None,
                        vm_names=["a", "b"], source="s"),
    ]  # fmt: skip
    html = finding_blocks(findings)
    assert html == loop(FINDINGS, findings=findings)
    assert "<script>" not in html and "badge-muted" in html


def test_candidate_rows():
    candidates = [
        {"scheme": "asr", "target": {"name": NASTY}, "monthly_cost": 1234.5, "ok": True,
         "capability": {"rto_minutes": 90, "rpo_minutes": 0.5}},
        {"scheme": "nope", "target": None, "monthly_cost": None, "ok": False, "why": NASTY,
         "capability": {"rto_minutes": None, "rpo_minutes": 15}},
        {"scheme": "backup"},  # every other key missing, as a template's lookup fails
    ]  # fmt: skip
    html = candidate_rows(candidates)
    assert html == loop(CANDIDATES, candidates=candidates)
    assert "<script>" not in html and "fits" in html


def test_schedule_rows():
    slots = [
        {"night": i, "name": NASTY if i == 0 else f"vm-{i}", "stream": i % 3, "gib": i * 10.25,
         "start_offset_minutes": i * 7, "duration_minutes": 61}
        for i in range(70)
    ]  # fmt: skip
    for some in (slots, slots[60:], []):
        assert schedule_rows(some[:60]) == loop(SCHEDULE, slots=some)
    assert "<script>" not in schedule_rows(slots[:1])


@pytest.mark.parametrize("state", ["none", "draft", "submitted", "approved", "rejected"])
@pytest.mark.parametrize("stale", [False, True])
@pytest.mark.parametrize("due", [False, True])
@pytest.mark.parametrize("approved", [None, 4])
def test_plan_badge(state, stale, due, approved):
    approved_rev = None if approved is None else SimpleNamespace(number=approved)
    latest = approved_rev if state == "approved" else SimpleNamespace(number=5)
    s = {
        "state": state,
        "stale": stale,
        "due_for_review": due,
        "label": NASTY,
        "approved": approved_rev,
        "latest": None if state == "none" else latest,
    }
    html = plan_badge(s)
    assert html == render_to_string("portal/plan_badge.html", {"s": s})
    assert "<script>" not in html
