from __future__ import annotations

from django.urls import path

from . import views

app_name = "mobile"

urlpatterns = [
    path("", views.my_orders, name="home"),
    path("o/<str:number>/", views.order_detail, name="order"),
    path("o/<str:number>/act", views.order_action, name="act"),
    path("o/<str:number>/verify", views.order_verify, name="verify"),
    path("o/<str:number>/photo", views.order_photo, name="photo"),
    path("o/<str:number>/note", views.order_note, name="note"),
    path("o/<str:number>/print/", views.order_print, name="print"),
    path("a/<str:code>/", views.asset_history, name="history"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("sw.js", views.service_worker, name="sw"),
    path("offline/", views.offline, name="offline"),
]
