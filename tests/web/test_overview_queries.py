"""The operators' estate overview on an empty estate, and its query count whatever the estate's
size: tests that build their own estate, apart from test_overview.py's one built per module."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from planner.demo import seed
from planner.models import VirtualMachine
from tests.conftest import _user
from tests.shared import module_rows
from tests.web.test_overview import URL, page, size_all

pytestmark = pytest.mark.django_db


def test_an_empty_estate_renders(client, olga):
    response = page(client, olga)
    assert response.context["o"].vms.total == 0
    assert b"Nothing to show yet." in response.content


# --- speed -------------------------------------------------------------------------------------


def queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries]


URLS = [
    URL,
    URL + "?months=36",
    URL + "export/cost-by-subscription.csv",
    URL + "apps/?state=protected",
    URL + "vms/?state=protected",
    URL + "vms/?night=1",
]


@pytest.fixture(scope="class")
def counted(django_db_setup, django_db_blocker) -> dict[str, tuple[list, list]]:
    """Each page's queries on a small estate (12 apps / 60 VMs), then on a larger one (48 /
    400): the two estates built once for the class (tests/shared.py)."""
    with module_rows(django_db_blocker):
        with django_db_blocker.unblock():
            client = Client()
            client.force_login(_user("olga", "operators", staff=True))
            seed(apps=12, vms=60, seed=7, password="x")
            size_all()
            small = {}
            for url in URLS:
                queries(client, url)  # the session and the user, loaded once
                small[url] = queries(client, url)
            seed(apps=48, vms=400, seed=7, password="x")
            size_all()
            assert VirtualMachine.objects.count() > 5 * 60
            counts = {url: (small[url], queries(client, url)) for url in URLS}
        yield counts


class TestQueryCount:
    """A bounded number of queries whatever the estate: 12 apps / 60 VMs, then 48 / 400."""

    @pytest.mark.parametrize("url", URLS)
    def test_query_count_is_the_same_for_a_small_and_a_larger_estate(self, counted, url):
        small, large = counted[url]
        assert len(small) == len(large), "\n".join(large)
        assert len(large) <= 25
