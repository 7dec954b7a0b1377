from __future__ import annotations

from django.contrib import admin

from .models import Area, Asset, AssetDocument, Line, Site


class AreaInline(admin.TabularInline):
    model = Area
    extra = 0


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "customer", "region", "latitude", "longitude"]
    search_fields = ["code", "name", "customer"]
    inlines = [AreaInline]


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ["name", "site"]
    list_filter = ["site"]


@admin.register(Line)
class LineAdmin(admin.ModelAdmin):
    list_display = ["name", "area"]
    list_filter = ["area__site"]


class DocumentInline(admin.TabularInline):
    model = AssetDocument
    extra = 0


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "site", "area", "line", "model", "warranty_until", "is_active"]
    list_filter = ["site", "is_active"]
    search_fields = ["code", "name", "serial_number", "customer"]
    inlines = [DocumentInline]
