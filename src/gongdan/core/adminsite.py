"""The configuration back office (Django admin), opened to administrators by role.

In gongdan an administrator is a person whose role is ``admin`` — the same
rule the API and the pages use (``User.is_admin``) — not only someone an
operator flagged ``is_staff`` with hand-picked Django permissions. The site
lets such a person in, and every registered ModelAdmin answers its permission
questions for them as it would for a user holding all model permissions, so a
ModelAdmin's own refusals (e.g. "outbox rows are never added by hand") still hold.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.db.models import Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _


def _role_admin(request: HttpRequest) -> bool:
    # Imported here: this module is loaded with INSTALLED_APPS, before models are.
    from gongdan.core.models import Role

    user = request.user
    return bool(
        user.is_active and not user.is_superuser and getattr(user, "role", None) == Role.ADMIN
    )


class _AllModelPermissions:
    """The request's user, seen by permission checks as holding every model permission."""

    def __init__(self, user: Any) -> None:
        self._user = user

    def __getattr__(self, name: str) -> Any:
        return getattr(self._user, name)

    def has_perm(self, perm: str, obj: Any = None) -> bool:
        return True

    def has_perms(self, perms: Any, obj: Any = None) -> bool:
        return True

    def has_module_perms(self, app_label: str) -> bool:
        return True


def _as_role_admin(check: Callable[..., bool]) -> Callable[..., bool]:
    def wrapped(self: Any, request: HttpRequest, *args: Any) -> bool:
        if not _role_admin(request):
            return check(self, request, *args)
        user = request.user
        request.user = _AllModelPermissions(user)  # type: ignore[assignment]
        try:
            return check(self, request, *args)
        finally:
            request.user = user

    return wrapped


PERMISSION_CHECKS = (
    "has_module_permission",
    "has_view_permission",
    "has_add_permission",
    "has_change_permission",
    "has_delete_permission",
)


def _with_role_admin(admin_class: type[Any]) -> type[Any]:
    # Wrap the class's own methods (inherited or overridden), so an override that
    # refuses outright keeps refusing and one that asks has_perm says yes. Inlines
    # ask their own questions (a user's certificates), so they are wrapped too.
    namespace: dict[str, Any] = {
        name: _as_role_admin(getattr(admin_class, name))
        for name in PERMISSION_CHECKS
        if hasattr(admin_class, name)
    }
    if getattr(admin_class, "inlines", None):
        namespace["inlines"] = [_with_role_admin(inline) for inline in admin_class.inlines]
    return type(admin_class.__name__, (admin_class,), namespace)


class GongdanAdminSite(admin.AdminSite):
    """The admin site: administrators by role, and staff as Django knows them."""

    site_header = _("gongdan 配置后台")
    site_title = _("gongdan 配置后台")
    index_title = _("配置")

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and (request.user.is_staff or _role_admin(request)))

    def register(
        self,
        model_or_iterable: type[Model] | Any,
        admin_class: type[admin.ModelAdmin] | None = None,
        **options: Any,
    ) -> None:
        super().register(
            model_or_iterable, _with_role_admin(admin_class or admin.ModelAdmin), **options
        )


class GongdanAdminConfig(AdminConfig):
    """``django.contrib.admin`` with :class:`GongdanAdminSite` as ``admin.site``."""

    default_site = "gongdan.core.adminsite.GongdanAdminSite"
