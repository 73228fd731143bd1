from django.urls import path
from rest_framework.routers import SimpleRouter

from integrations.api.views import (
    AcknowledgmentEdiView,
    CarrierStatusEdiView,
    EdiResendView,
    EpcisCaptureView,
    EventFeedView,
    FreightInvoiceEdiView,
    FreightInvoiceViewSet,
    ItemSheetView,
    LoadTenderView,
    OrderSheetView,
    SensorReadingsView,
    SensorsView,
    ShipNoticeView,
    ShippingAdviceView,
    ShippingOrderEdiView,
    SupplierShipNoticeEdiView,
    TenderResponseEdiView,
    WebhookDeliveryViewSet,
    WebhookViewSet,
)

router = SimpleRouter()
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register("freight-invoices", FreightInvoiceViewSet, basename="freight-invoice")
router.register("webhook-deliveries", WebhookDeliveryViewSet, basename="webhook-delivery")

urlpatterns = [
    path("events/", EventFeedView.as_view(), name="event-feed"),
    path("edi/210/", FreightInvoiceEdiView.as_view(), name="edi-210"),
    path("edi/214/", CarrierStatusEdiView.as_view(), name="edi-214"),
    path("edi/856/", SupplierShipNoticeEdiView.as_view(), name="edi-856"),
    path("edi/940/", ShippingOrderEdiView.as_view(), name="edi-940"),
    path("edi/990/", TenderResponseEdiView.as_view(), name="edi-990"),
    path("edi/997/", AcknowledgmentEdiView.as_view(), name="edi-997"),
    path("edi/resend/", EdiResendView.as_view(), name="edi-resend"),
    path("loads/<int:pk>/edi/204/", LoadTenderView.as_view(), name="load-edi-204"),
    path("orders/<int:pk>/edi/945/", ShippingAdviceView.as_view(), name="order-edi-945"),
    path(
        "shipments/<int:pk>/stops/<int:sequence>/edi/856/",
        ShipNoticeView.as_view(),
        name="stop-edi-856",
    ),
    path("epcis/capture/", EpcisCaptureView.as_view(), name="epcis-capture"),
    path("sensors/", SensorsView.as_view(), name="sensors"),
    path("sensors/<str:device>/readings/", SensorReadingsView.as_view(), name="sensor-readings"),
    path("imports/orders/", OrderSheetView.as_view(), name="orders-import-sheet"),
    path("imports/items/", ItemSheetView.as_view(), name="items-import-sheet"),
    *router.urls,
]
