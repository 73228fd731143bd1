from django.urls import path
from rest_framework.routers import SimpleRouter

from dashboards.api.views import AlertViewSet, KpiView, ThresholdsViewSet

router = SimpleRouter()
router.register("alerts", AlertViewSet, basename="alert")
router.register("alert-thresholds", ThresholdsViewSet, basename="alert-thresholds")

urlpatterns = [path("kpis/", KpiView.as_view(), name="kpis"), *router.urls]
