from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from core import views as core_views

api_v1 = [
    path("", include("core.api.urls")),
    path("", include("inventory.api.urls")),
    path("", include("shipping.api.urls")),
    path("", include("integrations.api.urls")),
    path("", include("dashboards.api.urls")),
]

urlpatterns = [
    path("health/", core_views.health, name="health"),
    path("ping/", core_views.ping, name="ping"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("dashboards.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="redoc"),
    # Last: whatever else is asked under /api/ is a JSON 404, with DEBUG on too.
    re_path(r"^api/(?P<rest>.*)$", core_views.api_not_found),
]

handler500 = "core.views.server_error"
