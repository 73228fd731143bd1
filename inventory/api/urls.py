from django.urls import path
from rest_framework.routers import SimpleRouter

from inventory.api import views

router = SimpleRouter()
router.register("items", views.ItemViewSet, basename="item")
router.register("suppliers", views.SupplierViewSet, basename="supplier")
router.register("zones", views.ZoneViewSet, basename="zone")
router.register("locations", views.LocationViewSet, basename="location")
router.register("lots", views.LotViewSet, basename="lot")
router.register("reorder-policies", views.ReorderPolicyViewSet, basename="reorder-policy")
router.register("stock/balances", views.BalanceViewSet, basename="balance")
router.register("movements", views.MovementViewSet, basename="movement")
router.register("reservations", views.ReservationViewSet, basename="reservation")
router.register("receipts", views.ReceiptViewSet, basename="receipt")
router.register("tasks", views.TaskViewSet, basename="task")

urlpatterns = [
    path("stock/availability/", views.AvailabilityView.as_view(), name="stock-availability"),
    path(
        "stock/below-reorder-point/", views.BelowReorderPointView.as_view(), name="stock-below-rop"
    ),
    path("stock/receive/", views.ReceiveView.as_view(), name="stock-receive"),
    path("stock/move/", views.MoveView.as_view(), name="stock-move"),
    path("stock/adjust/", views.AdjustView.as_view(), name="stock-adjust"),
    path("counts/", views.CountPlanView.as_view(), name="count-plan"),
    path("replenishments/", views.ReplenishPlanView.as_view(), name="replenish-plan"),
    *router.urls,
]
