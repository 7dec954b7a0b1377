from __future__ import annotations

from django.contrib import admin

from .models import AssetPosition, EngineerPosition, RoutingRule, RoutingTicket


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "order_type", "position", "is_active"]
    list_filter = ["is_active", "order_type"]


@admin.register(RoutingTicket)
class RoutingTicketAdmin(admin.ModelAdmin):
    list_display = ["order", "rule", "assignee_id", "accept_due_at", "attempts"]
    readonly_fields = [f.name for f in RoutingTicket._meta.fields]


admin.site.register(EngineerPosition)
admin.site.register(AssetPosition)
