from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal import sso
from portal.overview.urls import overview_urls
from portal.views import (
    apps,
    dashboard,
    drift,
    inventory,
    notifications,
    plans,
    runs,
    vms,
    whatif,
)
from portal.views.csp import csp_report
from portal.views.health import healthz
from portal.views.metrics import metrics

admin.site.site_header = "Recovery Planner — operators"
admin.site.site_title = "Recovery Planner"
admin.site.index_title = "Clouds, targets, catalogs and the estate"
admin.site.index_template = "admin/overview/admin_index.html"  # links the estate overview

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("csp-report/", csp_report, name="csp-report"),
    path("login/", sso.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Single sign-on with the organisation's directory (404 unless OIDC_ISSUER is set).
    path("oidc/authenticate/", sso.SignInView.as_view(), name="oidc-sign-in"),
    path("oidc/callback/", sso.CallbackView.as_view(), name="oidc-callback"),
    # The operators' estate overview, before the admin's catch-all.
    path("admin/overview/", include((overview_urls(admin.site), "overview"))),
    path("admin/", admin.site.urls),
    path("api/v1/", include("portal.api.urls")),
    # The owners' portal.
    path("", dashboard.dashboard, name="dashboard"),
    path("apps/", apps.app_list, name="app-list"),
    path("apps/new/", apps.app_create, name="app-create"),
    path("apps/<int:pk>/", apps.app_detail, name="app-detail"),
    path("apps/<int:pk>/edit/", apps.app_edit, name="app-edit"),
    path("apps/<int:pk>/size/", apps.app_size, name="app-size"),
    path("apps/<int:pk>/what-if/", whatif.app_whatif, name="app-whatif"),
    path("apps/<int:pk>/vms.csv", apps.app_vms_export, name="app-vms-export"),
    path("apps/<int:pk>/findings.csv", apps.app_findings_export, name="app-findings-export"),
    path("apps/<int:pk>/drift/review/", drift.app_drift_review, name="app-drift-review"),
    path("apps/<int:pk>/claims/", drift.app_claim, name="app-claim"),
    path("apps/<int:pk>/plans/", plans.app_plans, name="app-plans"),
    path("apps/<int:pk>/plans/new/", plans.plan_create, name="plan-create"),
    path("plans/<int:pk>/", plans.plan_detail, name="plan-detail"),
    path("plans/<int:pk>/submit/", plans.plan_submit, name="plan-submit"),
    path("plans/<int:pk>/approve/", plans.plan_approve, name="plan-approve"),
    path("plans/<int:pk>/reject/", plans.plan_reject, name="plan-reject"),
    path("plans/<int:pk>/waivers/", plans.plan_waive, name="plan-waive"),
    path("plans/<int:pk>/pdf/", plans.plan_pdf, name="plan-pdf"),
    path("plans/<int:pk>/annex.csv", plans.plan_annex, name="plan-annex"),
    path("plans/<int:pk>/verify/", plans.plan_verify, name="plan-verify"),
    path("vms/", vms.vm_list, name="vm-list"),
    path("vms/new/", vms.vm_create, name="vm-create"),
    path("vms/opt-in/", apps.vm_bulk_opt, name="vm-bulk-opt"),
    path("vms/<int:pk>/", vms.vm_detail, name="vm-detail"),
    path("vms/<int:pk>/edit/", vms.vm_edit, name="vm-edit"),
    path("import/", inventory.inventory_upload, name="inventory-upload"),
    path("import/<str:token>/", inventory.inventory_preview, name="inventory-preview"),
    path("runs/", runs.run_list, name="run-list"),
    path("runs/<int:pk>/", runs.run_detail, name="run-detail"),
    path("runs/<int:pk>/progress/", runs.run_progress, name="run-progress"),
    path("notifications/", notifications.notification_list, name="notification-list"),
    path("notifications/<int:pk>/", notifications.notification_open, name="notification-open"),
    path("notifications/read/", notifications.notification_read_all, name="notification-read-all"),
    path(
        "notifications/preferences/",
        notifications.notification_preferences,
        name="notification-preferences",
    ),
]
