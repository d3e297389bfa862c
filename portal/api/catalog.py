"""The catalogs operators keep: sites, clouds, subscriptions, backup targets, backup policies,
products, VM sizes, prices and limits. Everyone signed in reads them (owners pick from them);
operators write them, as in the admin. A row still in use is a 409 that says by what."""

from __future__ import annotations

from rest_framework import mixins

from planner.models import (
    BackupPolicy,
    BackupTarget,
    Cloud,
    Limit,
    Price,
    Product,
    Site,
    Subscription,
    VmSize,
)
from portal.api.base import (
    ApiViewSet,
    CreateMixin,
    IdentityUrlField,
    ModelCleanSerializer,
    UpdateMixin,
)
from portal.api.permissions import CatalogPermission


def _serializer(model, basename: str) -> type[ModelCleanSerializer]:
    meta = type("Meta", (), {"model": model, "fields": "__all__"})
    url = IdentityUrlField(view_name=f"api:{basename}-detail")
    return type(f"{model.__name__}Serializer", (ModelCleanSerializer,), {"Meta": meta, "url": url})


class CatalogViewSet(
    ApiViewSet,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    CreateMixin,
    UpdateMixin,
    mixins.DestroyModelMixin,
):
    permission_classes = [CatalogPermission]
    ordering = ["id"]


class SiteViewSet(CatalogViewSet):
    """Datacenters (each Azure Stack Hub cloud is in one), with their country."""

    queryset = Site.objects.all()
    serializer_class = _serializer(Site, "site")
    filterset_fields = ["country"]
    ordering_fields = ["id", "name", "country"]


class CloudViewSet(CatalogViewSet):
    """Clouds VMs run in or recover to: Azure Stack Hub stamps, global Azure, providers."""

    queryset = Cloud.objects.all()
    serializer_class = _serializer(Cloud, "cloud")
    filterset_fields = ["kind", "operated_by", "site"]
    ordering_fields = ["id", "name", "kind"]


class SubscriptionViewSet(CatalogViewSet):
    queryset = Subscription.objects.all()
    serializer_class = _serializer(Subscription, "subscription")
    filterset_fields = ["cloud", "subscription_id"]
    ordering_fields = ["id", "name"]


class BackupTargetViewSet(CatalogViewSet):
    """Where backups land: capacity, ingest throughput, streams, nightly window."""

    queryset = BackupTarget.objects.all()
    serializer_class = _serializer(BackupTarget, "backuptarget")
    filterset_fields = ["kind", "site", "cloud"]
    ordering_fields = ["id", "name", "kind", "capacity_gib"]


class BackupPolicyViewSet(CatalogViewSet):
    """Interval, retention points, method (forever forward, reverse, periodic fulls), GFS."""

    queryset = BackupPolicy.objects.all()
    serializer_class = _serializer(BackupPolicy, "backuppolicy")
    filterset_fields = ["method"]
    ordering_fields = ["id", "name", "interval_minutes", "retention_points"]


class ProductViewSet(CatalogViewSet):
    """Backup and replication products validated for Azure Stack Hub."""

    queryset = Product.objects.all()
    serializer_class = _serializer(Product, "product")
    filterset_fields = ["vendor", "level", "supports_windows", "supports_linux"]
    ordering_fields = ["id", "name", "vendor"]


class VmSizeViewSet(CatalogViewSet):
    """VM sizes Azure Stack Hub supports: vCPU and memory for a VM's ``size``."""

    queryset = VmSize.objects.all()
    serializer_class = _serializer(VmSize, "vmsize")
    filterset_fields = ["series", "name"]
    ordering_fields = ["id", "name", "series", "vcpu", "memory_gib"]


class PriceViewSet(CatalogViewSet):
    """Versioned prices: the row in force is the latest whose effective date has come."""

    queryset = Price.objects.all()
    serializer_class = _serializer(Price, "price")
    filterset_fields = ["key", "effective_date"]
    ordering_fields = ["id", "key", "effective_date"]


class LimitViewSet(CatalogViewSet):
    """Versioned limits (platform maxima, review period), like prices."""

    queryset = Limit.objects.all()
    serializer_class = _serializer(Limit, "limit")
    filterset_fields = ["key", "effective_date"]
    ordering_fields = ["id", "key", "effective_date"]
