from django.urls import path
from rest_framework.routers import SimpleRouter

from core.api.views import MeView, WarehouseViewSet

router = SimpleRouter()
router.register("warehouses", WarehouseViewSet, basename="warehouse")

urlpatterns = [path("me/", MeView.as_view(), name="me"), *router.urls]
