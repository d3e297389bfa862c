"""Every download names its file through planner.exports.content_disposition: an app's name
cannot put a quote, a parameter or a non-ASCII byte into the header."""

import pytest
from django.urls import reverse

from tests.web.test_portal_estate import build

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("export", ["app-vms-export", "app-findings-export"])
def test_an_apps_name_stays_inside_the_filename(client, alice, bob, export):
    estate = build(alice, bob)
    estate.app.name = 'q"; filename="evil.exe'
    estate.app.save()
    client.force_login(alice)
    response = client.get(reverse(export, args=[estate.app.pk]))
    assert response.status_code == 200
    header = response["Content-Disposition"]
    suffix = "vms" if export == "app-vms-export" else "findings"
    assert header == (
        f'attachment; filename="q_filename_evil.exe-{suffix}.csv"; '
        f"filename*=UTF-8''q%22%3B%20filename%3D%22evil.exe-{suffix}.csv"
    )
    assert header.count("filename=") == 1


def test_a_non_ascii_name_is_encoded_not_mime_mangled(client, alice, bob):
    estate = build(alice, bob)
    estate.app.name = "Lohnbuchhaltung Zürich"
    estate.app.save()
    client.force_login(alice)
    response = client.get(reverse("app-vms-export", args=[estate.app.pk]))
    assert response.status_code == 200
    header = response["Content-Disposition"]
    assert "=?utf-8?" not in header.lower()
    assert header == (
        'attachment; filename="Lohnbuchhaltung_Zurich-vms.csv"; '
        "filename*=UTF-8''Lohnbuchhaltung%20Z%C3%BCrich-vms.csv"
    )
