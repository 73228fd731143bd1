from rest_framework.routers import SimpleRouter

from shipping.api import views

router = SimpleRouter()
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("ship-tos", views.ShipToViewSet, basename="ship-to")
router.register("orders", views.OrderViewSet, basename="order")

urlpatterns = router.urls
