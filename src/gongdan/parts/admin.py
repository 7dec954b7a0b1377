"""Spare parts in the configuration back office.

Administrators keep the catalogue, the store rooms, the stock thresholds and the
approval chain here. Quantities are not edited: stock changes only through
parts.services (receive, issue, adjust), so every change leaves a movement.
Requisitions and movements are records, shown read-only.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    ApprovalRule,
    Part,
    Requisition,
    RequisitionLine,
    Stock,
    StockMovement,
    Warehouse,
)


@admin.register(Part)
class PartAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "specification", "unit", "unit_cost", "category", "is_active"]
    list_filter = ["is_active", "category"]
    search_fields = ["code", "name", "specification"]


@admin.register(Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region", "keeper"]
    list_filter = ["region"]
    search_fields = ["code", "name"]
    list_select_related = ["region", "keeper"]


@admin.register(Stock)
class StockAdmin(admin.ModelAdmin):
    """Safety stock per part and store room; the quantity itself moves only by service."""

    list_display = ["part", "warehouse", "quantity", "low_threshold", "updated_at"]
    list_editable = ["low_threshold"]
    list_filter = ["warehouse"]
    search_fields = ["part__code", "part__name"]
    list_select_related = ["part", "warehouse"]
    readonly_fields = ["part", "warehouse", "quantity", "updated_at"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # A stock row appears with the part's first receipt (parts.services).
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApprovalRule)
class ApprovalRuleAdmin(admin.ModelAdmin):
    list_display = [
        "level",
        "name",
        "amount_over",
        "approver_kind",
        "approver_role",
        "approver_user",
        "deputy",
        "limit_minutes",
        "is_active",
    ]
    list_display_links = ["name"]
    list_filter = ["is_active", "approver_kind"]
    search_fields = ["name"]
    filter_horizontal = ["teams"]
    list_select_related = ["approver_user", "deputy"]


class _ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RequisitionLineInline(admin.TabularInline):
    model = RequisitionLine
    extra = 0
    fields = ["part", "quantity", "unit_cost", "quantity_issued", "quantity_returned"]
    readonly_fields = ["part", "quantity", "unit_cost", "quantity_issued", "quantity_returned"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Requisition)
class RequisitionAdmin(_ReadOnly):
    list_display = ["number", "order", "requester", "warehouse", "status", "amount", "created_at"]
    list_filter = ["status", "warehouse", "charge_to"]
    search_fields = ["number", "order__number", "requester__username"]
    list_select_related = ["order", "requester", "warehouse"]
    date_hierarchy = "created_at"
    inlines = [RequisitionLineInline]


@admin.register(StockMovement)
class StockMovementAdmin(_ReadOnly):
    list_display = [
        "created_at",
        "kind",
        "part",
        "warehouse",
        "quantity",
        "balance_after",
        "actor",
        "reason",
    ]
    list_filter = ["kind", "warehouse"]
    search_fields = ["part__code", "reason", "reference"]
    list_select_related = ["part", "warehouse", "actor"]
    date_hierarchy = "created_at"
