from django.urls import path
from rest_framework.routers import SimpleRouter

from core.api.views import MeView, SopViewSet, TrainingViewSet, WarehouseViewSet

router = SimpleRouter()
router.register("warehouses", WarehouseViewSet, basename="warehouse")
router.register("sops", SopViewSet, basename="sop")
router.register("trainings", TrainingViewSet, basename="training")

urlpatterns = [path("me/", MeView.as_view(), name="me"), *router.urls]
