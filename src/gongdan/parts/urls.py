from __future__ import annotations

from django.urls import path

from . import views

app_name = "parts"

urlpatterns = [
    path("", views.parts_home, name="home"),
    path("requisitions/<int:pk>/", views.requisition_detail, name="requisition"),
    path("orders/<str:number>/", views.order_parts, name="order"),
    path("import/", views.parts_import, name="import"),
    path("import/template.xlsx", views.parts_import_template, name="import-template"),
    path("export.xlsx", views.stock_export, name="export"),
]
