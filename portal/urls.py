from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from portal.views.health import healthz

admin.site.site_header = "Recovery Planner — operators"
admin.site.site_title = "Recovery Planner"
admin.site.index_title = "Clouds, targets, catalogs and the estate"

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("portal.api.urls")),
]
