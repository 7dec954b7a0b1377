from __future__ import annotations

from django.contrib import admin

from .models import ArrivalRule, PresenceCheck, TravelRecord


@admin.register(ArrivalRule)
class ArrivalRuleAdmin(admin.ModelAdmin):
    list_display = ["order_type", "require_asset_code"]


@admin.register(TravelRecord)
class TravelRecordAdmin(admin.ModelAdmin):
    list_display = ["order", "engineer", "kind", "distance_m", "eta_at", "created_at"]
    list_filter = ["kind"]


@admin.register(PresenceCheck)
class PresenceCheckAdmin(admin.ModelAdmin):
    list_display = ["order", "engineer", "method", "created_at"]
