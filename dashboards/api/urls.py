from django.urls import path
from rest_framework.routers import SimpleRouter

from dashboards.api.views import (
    AlertViewSet,
    ConsigneeLinkView,
    KpiView,
    ThresholdsViewSet,
    TicketViewSet,
)

router = SimpleRouter()
router.register("alerts", AlertViewSet, basename="alert")
router.register("alert-thresholds", ThresholdsViewSet, basename="alert-thresholds")
router.register("tickets", TicketViewSet, basename="ticket")

urlpatterns = [
    path("kpis/", KpiView.as_view(), name="kpis"),
    path("orders/<int:pk>/consignee-link/", ConsigneeLinkView.as_view(), name="consignee-link"),
    *router.urls,
]
