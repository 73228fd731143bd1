from django.urls import path

from dashboards import actions, run_sheet, shell, views

urlpatterns = [
    path("", views.home, name="home"),
    path("favicon.ico", views.favicon),
    path("start/", shell.start, name="start"),
    path("alerts/bell/", shell.bell, name="bell"),
    path("alerts/<int:pk>/take/", actions.alert_take, name="alert-acknowledge"),
    path("stock/", views.stock_overview, name="stock-overview"),
    path("floor/", views.floor, name="floor"),
    path("floor/lookup/", views.stock_lookup, name="floor-lookup"),
    path("floor/tasks/<int:pk>/assign/", actions.task_reassign, name="floor-task-assign"),
    path("floor/receipts/<int:pk>/receive/", actions.receipt_receive, name="floor-receive"),
    path("floor/orders/<int:pk>/pack/", actions.order_pack, name="floor-pack"),
    path("floor/orders/<int:pk>/bench/", views.pack_bench, name="floor-pack-bench"),
    path("floor/orders/<int:pk>/units/", actions.unit_close, name="floor-unit-close"),
    path("floor/units/<int:pk>/stage/", actions.unit_stage, name="floor-stage"),
    path("floor/trucks/<int:pk>/check-in/", actions.truck_check_in, name="floor-check-in"),
    path("floor/loads/<int:pk>/scan/", actions.load_scan, name="floor-load-scan"),
    path("floor/loads/<int:pk>/unload/", actions.unit_unload, name="floor-unload"),
    path("floor/loads/<int:pk>/depart/", actions.load_depart, name="floor-depart"),
    path("dispatch/", views.dispatch, name="dispatch"),
    path("dispatch/appointments/", actions.appointment_book, name="dispatch-book"),
    path("dispatch/appointments/<int:pk>/move/", actions.appointment_move, name="dispatch-move"),
    path(
        "dispatch/appointments/<int:pk>/cancel/",
        actions.appointment_cancel,
        name="dispatch-cancel-appointment",
    ),
    path("dispatch/loads/", actions.load_build, name="dispatch-load-build"),
    path("dispatch/vehicles/", views.vehicle_choice, name="dispatch-vehicle-choice"),
    path("dispatch/loads/proposed/", views.loads_proposed, name="dispatch-loads-proposed"),
    path("dispatch/loads/slot/", views.load_slot, name="dispatch-load-slot"),
    path("dispatch/loads/<int:pk>/release/", actions.wave_release, name="dispatch-release"),
    path("dispatch/loads/<int:pk>/route/", views.load_route, name="dispatch-load-route"),
    path(
        "dispatch/loads/<int:pk>/remove-order/",
        actions.load_order_remove,
        name="dispatch-load-remove-order",
    ),
    path(
        "dispatch/loads/<int:pk>/add-order/", actions.load_order_add, name="dispatch-load-add-order"
    ),
    path("dispatch/loads/<int:pk>/cancel/", actions.load_cancel, name="dispatch-load-cancel"),
    path(
        "dispatch/loads/<int:pk>/vehicle/",
        actions.load_vehicle_change,
        name="dispatch-load-vehicle",
    ),
    path("dispatch/shipments/<int:pk>/report/", actions.stop_report, name="dispatch-stop-report"),
    path(
        "dispatch/shipments/<int:pk>/waybill/", actions.stop_waybill, name="dispatch-stop-waybill"
    ),
    path("run/<str:token>/", run_sheet.run_sheet, name="run-sheet"),
    path("run/<str:token>/report/", run_sheet.run_report, name="run-report"),
    path("orders/", views.orders_list, name="orders"),
    path("orders/import/", actions.orders_import, name="orders-import"),
    path(
        "orders/import/template.csv",
        actions.orders_import_template,
        name="orders-import-template",
    ),
    path("orders/<int:pk>/", views.order_page, name="order"),
    path(
        "orders/<int:pk>/lines/<int:line_no>/",
        actions.order_line_change,
        name="order-change-line",
    ),
    path("orders/<int:pk>/cancel/", actions.order_cancel, name="order-cancel"),
    path("kpis/", views.kpi_board_page, name="kpi-board"),
    path("kpis/jobs/<str:job>/", views.kpi_job, name="kpi-job"),
]
