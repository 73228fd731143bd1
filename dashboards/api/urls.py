from django.urls import path
from rest_framework.routers import SimpleRouter

from dashboards.api.views import AlertViewSet, KpiView, ThresholdsViewSet, TicketViewSet

router = SimpleRouter()
router.register("alerts", AlertViewSet, basename="alert")
router.register("alert-thresholds", ThresholdsViewSet, basename="alert-thresholds")
router.register("tickets", TicketViewSet, basename="ticket")

urlpatterns = [path("kpis/", KpiView.as_view(), name="kpis"), *router.urls]
