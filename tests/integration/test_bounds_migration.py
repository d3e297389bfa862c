"""The bounds migration (planner's ``*_h2_bounds``): rows stored before the ranges existed, such as a 1e-5 Mbit/s link
or a 3,000,000-day horizon that made sizing run out of memory or overflow (issue 15), are
clamped to the nearest end of their range so the check constraints can be added; app names
longer than 80 characters are cut (with the app's id when two would clash). Run on SQLite and
PostgreSQL alike; the database is migrated forward again afterwards."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)


def _targets():
    """(the migration before the bounds migration, the bounds migration), whatever their numbers."""
    graph = MigrationExecutor(connection).loader.graph
    (bounds,) = [key for key in graph.nodes if key[0] == "planner" and key[1].endswith("_bounds")]
    (before,) = [n.key for n in graph.node_map[bounds].parents if n.key[0] == "planner"]
    return [before], [bounds]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_apps():
    apps = _migrate(_targets()[0])
    yield apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def test_rows_outside_the_ranges_are_clamped_and_names_cut(old_apps, alice):
    site = old_apps.get_model("planner", "Site").objects.create(name="S", country="DE")
    cloud = old_apps.get_model("planner", "Cloud").objects.create(
        name="C", kind="azure_stack_hub", operated_by="customer", site=site, nodes=4
    )
    sub = old_apps.get_model("planner", "Subscription").objects.create(
        cloud=cloud, name="s", subscription_id="g"
    )
    App = old_apps.get_model("planner", "Application")
    common = {"owner_id": alice.pk, "source_cloud": cloud, "rto_minutes": 60, "rpo_minutes": 60}
    long_a, long_b = "x" * 100 + "a", "x" * 100 + "b"  # the same first 80 characters
    tiny = App.objects.create(name="tiny", link_mbps=1e-5, growth_horizon_days=3_000_000, **common)
    huge = App.objects.create(
        name=long_a, link_mbps=1e308, replication_interval_minutes=0, **common
    )
    clash = App.objects.create(name=long_b, **common)
    fine = App.objects.create(name="fine", link_mbps=1000, growth_horizon_days=365, **common)
    vm = old_apps.get_model("planner", "VirtualMachine").objects.create(
        application=tiny, subscription=sub, resource_group="rg", name="vm"
    )
    Disk = old_apps.get_model("planner", "Disk")
    # LUN 30,000: PostgreSQL's smallint holds no more (70,000 was refused there, stored on SQLite)
    big = Disk.objects.create(vm=vm, name="big", lun=30_000, provisioned_gib=1e12, used_gib=5e11)
    small = Disk.objects.create(vm=vm, name="small", lun=None, provisioned_gib=0.5, used_gib=0.4)

    new_apps = _migrate(_targets()[1])

    App = new_apps.get_model("planner", "Application")
    rows = {a.pk: a for a in App.objects.all()}
    assert (rows[tiny.pk].link_mbps, rows[tiny.pk].growth_horizon_days) == (0.1, 3650)
    assert (rows[huge.pk].link_mbps, rows[huge.pk].replication_interval_minutes) == (400_000, 1)
    assert rows[huge.pk].name == "x" * 80
    assert rows[clash.pk].name == "x" * (80 - len(f" #{clash.pk}")) + f" #{clash.pk}"
    assert (rows[fine.pk].name, rows[fine.pk].link_mbps) == ("fine", 1000)
    Disk = new_apps.get_model("planner", "Disk")
    big, small = Disk.objects.get(pk=big.pk), Disk.objects.get(pk=small.pk)
    assert (big.lun, big.provisioned_gib, big.used_gib) == (63, 65_536, 65_536)
    assert (small.lun, small.provisioned_gib, small.used_gib) == (None, 1, 0.4)
