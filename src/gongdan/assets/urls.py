from __future__ import annotations

from django.urls import path

from . import views

app_name = "assets"

urlpatterns = [
    path("", views.asset_list, name="list"),
    path("export.xlsx", views.asset_export, name="export"),
    path("labels.pdf", views.asset_labels, name="labels"),
    path("import/", views.asset_import, name="import"),
    path("<str:code>/", views.asset_detail, name="detail"),
]
