from rest_framework.routers import SimpleRouter

from dashboards.api.views import AlertViewSet, ThresholdsViewSet

router = SimpleRouter()
router.register("alerts", AlertViewSet, basename="alert")
router.register("alert-thresholds", ThresholdsViewSet, basename="alert-thresholds")

urlpatterns = router.urls
