from __future__ import annotations

from django.contrib import admin

from .models import Rating


@admin.register(Rating)
class RatingAdmin(admin.ModelAdmin):
    list_display = ["order", "stars", "recommend", "created_at"]
    readonly_fields = ["order", "stars", "recommend", "comment", "created_at"]
