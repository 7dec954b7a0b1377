from __future__ import annotations

from django.urls import path

from . import views

app_name = "workorders"

urlpatterns = [
    path("attachments/<int:pk>/", views.attachment_file, name="attachment"),
    path("attachments/<int:pk>/thumb/", views.attachment_thumbnail, name="attachment-thumb"),
]
