from django.urls import path

from dashboards import views

urlpatterns = [
    path("", views.home, name="home"),
    path("stock/", views.stock_overview, name="stock-overview"),
    path("floor/", views.floor, name="floor"),
    path("dispatch/", views.dispatch, name="dispatch"),
    path("kpis/", views.kpi_board_page, name="kpi-board"),
    path("kpis/jobs/<str:job>/", views.kpi_job, name="kpi-job"),
]
