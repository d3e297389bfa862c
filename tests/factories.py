"""factory_boy factories for the domain: small, valid defaults; tests say what matters."""

from __future__ import annotations

import factory
from django.contrib.auth.models import User

from planner import models as m


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Site
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Site {n}")
    country = "DE"


class CloudFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Cloud
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"ASH {n}")
    kind = "azure_stack_hub"
    operated_by = "customer"
    site = factory.SubFactory(SiteFactory)
    nodes = 4
    memory_per_node_gib = 384
    largest_vm_gib = 112


class SubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Subscription

    cloud = factory.SubFactory(CloudFactory)
    name = factory.Sequence(lambda n: f"sub {n}")
    subscription_id = factory.Sequence(lambda n: f"00000000-0000-4000-8000-{n:012d}")


class BackupTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.BackupTarget

    name = factory.Sequence(lambda n: f"target {n}")
    kind = "dedicated_external"
    site = factory.SubFactory(SiteFactory)
    capacity_gib = 100_000
    ingest_mbps = 1000
    streams = 4


class PolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.BackupPolicy
        django_get_or_create = ("name",)

    name = "daily 14"
    interval_minutes = 1440
    retention_points = 14


class ApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Application

    name = factory.Sequence(lambda n: f"app-{n}")
    owner = factory.SubFactory(UserFactory)
    rto_minutes = 240
    rpo_minutes = 1440
    scheme = "backup_restore"
    source_cloud = factory.SubFactory(CloudFactory)
    recovery_target = factory.SubFactory(CloudFactory)
    backup_target = factory.SubFactory(BackupTargetFactory)
    policy = factory.SubFactory(PolicyFactory)
    product = factory.LazyFunction(lambda: m.Product.objects.get(name="Veeam Backup & Replication"))


class VmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.VirtualMachine

    application = factory.SubFactory(ApplicationFactory)
    # In the app's source cloud, as VirtualMachine.clean requires.
    subscription = factory.SubFactory(
        SubscriptionFactory, cloud=factory.SelfAttribute("..application.source_cloud")
    )
    resource_group = "rg-test"
    name = factory.Sequence(lambda n: f"vm-{n:04d}")
    opted_in = True


class DiskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = m.Disk

    vm = factory.SubFactory(VmFactory)
    name = factory.Sequence(lambda n: f"disk{n}")
    provisioned_gib = 128
    used_gib = 64
