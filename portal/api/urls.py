"""The REST API under /api/v1/ (included by portal/urls.py); docs/api.md walks through it.

Every route is in the OpenAPI schema at /api/v1/schema/ and its interactive documentation at
/api/v1/docs/ (Swagger UI served from local static files, no inline script).
"""

from django.urls import path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from portal.api import apps, auth, catalog, plans, results, vms

app_name = "api"


class Router(DefaultRouter):
    include_format_suffixes = False  # one URL per resource: /vms/, never /vms.json


router = Router()
router.register("applications", apps.ApplicationViewSet, basename="application")
router.register("vms", vms.VirtualMachineViewSet, basename="virtualmachine")
router.register("drills", apps.DrillViewSet, basename="drill")
router.register("inventory", vms.InventoryViewSet, basename="inventory")
router.register("runs", results.SizingRunViewSet, basename="sizingrun")
router.register("findings", results.FindingViewSet, basename="finding")
router.register("recommendations", results.RecommendationViewSet, basename="recommendation")
router.register("plans", plans.PlanRevisionViewSet, basename="planrevision")
router.register("sites", catalog.SiteViewSet, basename="site")
router.register("clouds", catalog.CloudViewSet, basename="cloud")
router.register("subscriptions", catalog.SubscriptionViewSet, basename="subscription")
router.register("backup-targets", catalog.BackupTargetViewSet, basename="backuptarget")
router.register("backup-policies", catalog.BackupPolicyViewSet, basename="backuppolicy")
router.register("products", catalog.ProductViewSet, basename="product")
router.register("vm-sizes", catalog.VmSizeViewSet, basename="vmsize")
router.register("prices", catalog.PriceViewSet, basename="price")
router.register("limits", catalog.LimitViewSet, basename="limit")

urlpatterns = [
    path("auth/token/", auth.TokenView.as_view(), name="token"),
    path("auth/me/", auth.MeView.as_view(), name="me"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view loads its start-up script from ?script instead of inlining it: the
    # Content-Security-Policy allows no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
    re_path(r"^.*$", auth.not_found),  # any other /api/v1/ path: a JSON 404, not a page
]
