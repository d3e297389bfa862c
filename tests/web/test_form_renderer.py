"""portal/forms/renderer.py: a widget's HTML kept by a digest of its context is exactly the HTML
Django renders, and never outlives what it was made of."""

import pytest
from django.forms.renderers import DjangoTemplates

from portal.forms.renderer import CachedWidgetRenderer
from tests.factories import CloudFactory, SubscriptionFactory

pytestmark = pytest.mark.django_db


def render(form, renderer) -> str:
    form.renderer = renderer  # what BoundField.as_widget renders with
    return "".join(str(field) for field in form)


def forms():
    """The forms of the app page and of the lists' filters, unbound and bound."""
    from planner.models import Application, VirtualMachine
    from portal.filtersets import ApplicationFilterSet, VirtualMachineFilterSet
    from portal.forms import WhatIfForm
    from portal.views.drift import ClaimForm

    cloud = CloudFactory(name="ASH <Source> & co")
    SubscriptionFactory(cloud=cloud, name="sub-a")
    SubscriptionFactory(cloud=cloud, name="sub-b")
    app = type("App", (), {"source_cloud_id": cloud.pk})()
    return [
        lambda: WhatIfForm(),
        lambda: WhatIfForm({"scheme": "backup_restore", "recovery_target": str(cloud.pk)}),
        lambda: ClaimForm(app=app),
        lambda: ApplicationFilterSet(queryset=Application.objects.all()).form,
        lambda: (
            VirtualMachineFilterSet({"q": "<b>x</b>"}, queryset=VirtualMachine.objects.all()).form
        ),
    ]


def test_the_same_html_as_django_renders_twice_over():
    cached = CachedWidgetRenderer()
    for make in forms():
        plain = render(make(), DjangoTemplates())
        assert "<" in plain  # the form has fields
        assert render(make(), cached) == plain  # rendered, then kept
        assert render(make(), cached) == plain  # answered from what was kept
    assert cached._html  # something was kept


def test_a_catalogue_edit_shows_at_once():
    from planner.models import BackupPolicy
    from portal.forms import WhatIfForm

    cached = CachedWidgetRenderer()
    policy = BackupPolicy.objects.create(name="Nightly")
    assert "Nightly" in render(WhatIfForm(), cached)
    BackupPolicy.objects.filter(pk=policy.pk).update(name="Hourly & <then> nightly")
    html = render(WhatIfForm(), cached)
    assert "Nightly<" not in html and "Hourly &amp; &lt;then&gt; nightly" in html


def test_a_chosen_value_is_another_answer():
    from portal.forms import WhatIfForm

    cached = CachedWidgetRenderer()
    empty = render(WhatIfForm({}), cached)
    chosen = render(WhatIfForm({"scheme": "backup_restore"}), cached)
    assert "selected" in chosen.split('value="backup_restore"')[1].split(">")[0]
    assert "selected" not in empty.split('value="backup_restore"')[1].split(">")[0]
    assert render(WhatIfForm({}), cached) == empty


def test_the_store_is_bounded(monkeypatch):
    from portal.forms import WhatIfForm
    from portal.forms import renderer as module

    monkeypatch.setattr(module, "MAX_ENTRIES", 3)
    cached = CachedWidgetRenderer()
    for n in range(5):
        render(WhatIfForm({"link_mbps": str(10 + n)}), cached)
    assert len(cached._html) == 3


def test_the_portal_uses_it():
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), CachedWidgetRenderer)
