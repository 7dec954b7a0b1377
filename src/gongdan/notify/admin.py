from __future__ import annotations

from django.contrib import admin
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Endpoint, MessageBatch, Notification, Preference, Status


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "channel", "recipient", "order", "template", "status"]
    list_filter = ["status", "channel", "template"]
    search_fields = ["recipient__username", "order__number", "last_error"]
    readonly_fields = [f.name for f in Notification._meta.fields]
    actions = ["retry"]

    @admin.action(description=_("重新发送失败的通知"))
    def retry(self, request: HttpRequest, queryset: QuerySet[Notification]) -> None:
        from django.utils import timezone

        queryset.filter(status=Status.FAILED).exclude(channel="inbox").update(
            status=Status.PENDING, next_attempt_at=timezone.now(), attempts=0
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "url", "team", "is_active"]
    list_filter = ["kind", "is_active"]
    # An address typed without a scheme is an https one (Django 6's default too).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Preference)
class PreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "channels"]
    search_fields = ["user__username"]


@admin.register(MessageBatch)
class MessageBatchAdmin(admin.ModelAdmin):
    """New orders' messages the ticker has not made yet. A batch lives about a second;
    rows that stay mean no ticker is running, or a batch fails (its error is in the
    ticker's log)."""

    list_display = ["id", "created_at", "size"]
    readonly_fields = ["created_at", "messages"]

    @admin.display(description=_("消息数"))
    def size(self, batch: MessageBatch) -> int:
        return len(batch.messages)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
