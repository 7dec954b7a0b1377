from __future__ import annotations

from django.urls import path

from . import views

app_name = "routing"
urlpatterns = [
    path("routing/rules/", views.rules, name="rules"),
    path("routing/rules/<int:rule_id>/", views.rules, name="rule"),
]
