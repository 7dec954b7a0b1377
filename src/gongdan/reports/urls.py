from __future__ import annotations

from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("reports/", views.dashboard, name="dashboard"),
    path("reports/orders/", views.orders, name="orders"),
    path("reports/export/<slug:table>.<slug:fmt>", views.export, name="export"),
    path("reports/weekly/<str:week>.pdf", views.weekly_pdf, name="weekly-pdf"),
]
