from __future__ import annotations

from django.contrib import admin

from .models import BusinessCalendar, CalendarException, OrderClock, SlaPolicy, WorkSchedule


class CalendarExceptionInline(admin.TabularInline):
    model = CalendarException
    extra = 0


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "follow_public_holidays", "is_default"]
    inlines = [CalendarExceptionInline]


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "order_type",
        "priority",
        "clock",
        "response_minutes",
        "arrival_minutes",
        "resolution_minutes",
        "is_active",
    ]
    list_filter = ["priority", "clock", "is_active"]


@admin.register(WorkSchedule)
class WorkScheduleAdmin(admin.ModelAdmin):
    list_display = ["user", "calendar"]


@admin.register(OrderClock)
class OrderClockAdmin(admin.ModelAdmin):
    list_display = ["order", "policy", "started_at", "paused_at", "next_check_at"]
    readonly_fields = [f.name for f in OrderClock._meta.fields]
