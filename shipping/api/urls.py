from rest_framework.routers import SimpleRouter

from shipping.api import views

router = SimpleRouter()
router.register("customers", views.CustomerViewSet, basename="customer")
router.register("ship-tos", views.ShipToViewSet, basename="ship-to")
router.register("orders", views.OrderViewSet, basename="order")
router.register("orders", views.OrderPackViewSet, basename="order-pack")
router.register("carriers", views.CarrierViewSet, basename="carrier")
router.register("vehicles", views.VehicleViewSet, basename="vehicle")
router.register("drivers", views.DriverViewSet, basename="driver")
router.register("docks", views.DockViewSet, basename="dock")
router.register("appointments", views.AppointmentViewSet, basename="appointment")
router.register("dock-holds", views.DockHoldViewSet, basename="dock-hold")
router.register("loads", views.LoadViewSet, basename="load")
router.register("waves", views.WaveViewSet, basename="wave")
router.register("picks", views.PickViewSet, basename="pick")
router.register("units", views.UnitViewSet, basename="unit")
router.register("shipments", views.ShipmentViewSet, basename="shipment")
router.register("lots", views.LotQualityViewSet, basename="lot-quality")

urlpatterns = router.urls
