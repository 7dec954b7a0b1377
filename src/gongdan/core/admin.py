"""People and organisation in the configuration back office: users with their
certificates, teams, regions, the skill library, and API tokens (revoke only)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import ApiToken, Region, Skill, Team, User, UserSkill
from .services import api_token_revoke


class UserSkillInline(admin.TabularInline):
    model = UserSkill
    extra = 0
    fields = ["skill", "level", "certificate_no", "expires_on"]
    autocomplete_fields = ["skill"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "display_name", "role", "team", "region", "phone", "is_active"]
    list_filter = ["role", "team", "region", "is_active", "is_staff"]
    search_fields = ["username", "display_name", "first_name", "last_name", "phone", "email"]
    list_select_related = ["team", "region"]
    ordering = ["username"]
    inlines = [UserSkillInline]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("工作信息"),
            {"fields": ("display_name", "role", "team", "region", "phone", "email", "language")},
        ),
        (
            _("后台权限"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("重要日期"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "display_name",
                    "role",
                    "team",
                    "region",
                    "phone",
                    "password1",
                    "password2",
                ),
            },
        ),
    )


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region", "leader"]
    list_filter = ["region"]
    search_fields = ["code", "name"]
    list_select_related = ["region", "leader"]


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "is_certificate"]
    list_filter = ["is_certificate"]
    search_fields = ["code", "name", "name_en"]


@admin.register(UserSkill)
class UserSkillAdmin(admin.ModelAdmin):
    """Certificates across people: who holds what, and what runs out soon."""

    list_display = ["user", "skill", "level", "certificate_no", "expires_on"]
    list_filter = ["skill", "skill__is_certificate"]
    search_fields = ["user__username", "user__display_name", "certificate_no"]
    list_select_related = ["user", "skill"]
    date_hierarchy = "expires_on"
    autocomplete_fields = ["user", "skill"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Tokens are shown, never made or edited here: the raw value exists only once,
    at creation. An administrator can revoke one that has leaked."""

    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["prefix", "name", "user__username"]
    list_select_related = ["user"]
    readonly_fields = [f.name for f in ApiToken._meta.fields if f.name != "digest"]
    exclude = ["digest"]
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description=_("吊销所选令牌"), permissions=["delete"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        tokens = list(queryset.filter(revoked_at__isnull=True))
        for token in tokens:
            api_token_revoke(token=token)
        self.message_user(
            request,
            ngettext("已吊销 %(n)d 个令牌。", "已吊销 %(n)d 个令牌。", len(tokens))
            % {"n": len(tokens)},
            messages.SUCCESS,
        )
