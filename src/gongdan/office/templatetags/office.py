"""Template helpers for the office screens: navigation by role, ages, labels."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django import template
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gongdan.core.models import Role
from gongdan.workorders import permissions

register = template.Library()

OFFICE = (Role.ADMIN, Role.DISPATCHER, Role.MANAGER, Role.CLERK, Role.WAREHOUSE)


@dataclass(frozen=True)
class NavItem:
    label: str
    url: str
    key: str


# Pages other apps serve: shown once the app is installed, to the roles that use them.
OTHER_PAGES = (
    ("mobile", "/m/", gettext_lazy("我的任务"), (Role.ENGINEER,)),
    ("reports", "/reports/", gettext_lazy("报表"), (Role.ADMIN, Role.MANAGER, Role.DISPATCHER)),
    ("parts", "/parts/", gettext_lazy("备件"), (Role.ADMIN, Role.WAREHOUSE, Role.DISPATCHER)),
    ("routing", "/routing/", gettext_lazy("派单规则"), (Role.ADMIN,)),
    ("sla", "/sla/", gettext_lazy("时限"), (Role.ADMIN,)),
)


@lru_cache(maxsize=32)
def _served(path: str) -> bool:
    try:
        resolve(path)
    except Resolver404:
        return False
    return True


@register.simple_tag(takes_context=True)
def nav_items(context: dict[str, Any]) -> list[NavItem]:
    """The navigation this person needs: an engineer never sees the designer."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    items: list[NavItem] = []
    if user.has_role(*OFFICE):
        items.append(NavItem(_("看板"), reverse("office:board"), "board"))
    label = _("我的工单") if user.role == Role.REQUESTER else _("工单列表")
    items.append(NavItem(label, reverse("office:list"), "list"))
    if permissions.can_create(user):
        items.append(NavItem(_("新建工单"), reverse("office:order-new"), "new"))
    for key, path, text, roles in OTHER_PAGES:
        if user.has_role(*roles) and _served(path):
            items.append(NavItem(str(text), path, key))
    if user.has_role(Role.ADMIN, Role.DISPATCHER, Role.MANAGER):
        items.append(NavItem(_("人员"), reverse("office:people"), "people"))
    if user.is_admin:
        items.append(NavItem(_("类型设计"), reverse("office:designer"), "designer"))
    return items


@register.filter
def age(moment: datetime.datetime | None) -> str:
    """How long ago, in the fewest characters a card can afford: 5分钟, 3小时, 2天."""
    if moment is None:
        return ""
    seconds = max(0, int((timezone.now() - moment).total_seconds()))
    if seconds < 3600:
        return _("%(n)d分钟") % {"n": seconds // 60}
    if seconds < 86400:
        return _("%(n)d小时") % {"n": seconds // 3600}
    return _("%(n)d天") % {"n": seconds // 86400}


@register.filter
def overdue(moment: datetime.datetime | None) -> bool:
    return moment is not None and moment < timezone.now()


@register.filter
def get(mapping: dict[str, Any], key: str) -> Any:
    return mapping.get(key, "") if isinstance(mapping, dict) else ""


@register.filter
def field_error(errors: dict[str, str], name: str) -> str:
    return errors.get(name, "") if errors else ""


@register.simple_tag
def row_error(errors: dict[str, str], kind: str, index: int, name: str) -> str:
    return errors.get(f"{kind}-{index}-{name}", "") if errors else ""
