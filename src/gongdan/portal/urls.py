from __future__ import annotations

from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("q/<str:code>", views.scan, name="scan"),
    path("q/<str:code>/", views.scan),
    path("rate/<str:token>", views.rate, name="rate"),
]
