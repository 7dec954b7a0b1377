"""Reads for the office screens, always through the orders' one visibility rule."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Prefetch, QuerySet
from django.http import QueryDict
from django.utils import timezone

from gongdan.assets.models import Asset
from gongdan.core.models import Region, Role, Skill, Team, User, UserSkill
from gongdan.workorders.models import (
    Attachment,
    FieldDefinition,
    StateCategory,
    WorkOrder,
    WorkOrderType,
)
from gongdan.workorders.selectors import SORTABLE, OrderFilter, work_order_list

from .models import SavedView

BOARD_CATEGORIES = (
    StateCategory.NEW,
    StateCategory.ASSIGNED,
    StateCategory.IN_PROGRESS,
    StateCategory.WAITING,
    StateCategory.RESOLVED,
)
# A board is for what needs attention now; more cards than this per screen are
# a list's job (the list view pages through everything).
BOARD_LIMIT = 400
FILTER_KEYS = ("type", "priority", "team", "region", "assignee", "asset", "q")
CERTIFICATE_WARNING_DAYS = 30


def order_filter_from(params: QueryDict, *, category: str | None = None) -> OrderFilter:
    """The URL's filters as the shared OrderFilter; unknown values simply match nothing."""
    values = active_filters(params)
    return OrderFilter(
        category=category or params.get("category") or None,
        type=values.get("type"),
        priority=values.get("priority"),
        team=values.get("team"),
        region=values.get("region"),
        assignee=values.get("assignee"),
        asset=values.get("asset"),
        q=values.get("q"),
    )


def active_filters(params: QueryDict) -> dict[str, str]:
    out = {}
    for key in FILTER_KEYS:
        value = str(params.get(key) or "").strip()
        if value:
            out[key] = value
    return out


@dataclass
class Column:
    category: str
    label: str
    orders: list[WorkOrder] = field(default_factory=list)


def board_columns(*, user: User, filters: OrderFilter) -> tuple[list[Column], bool]:
    """The board's columns, red first in each; one query however many cards.

    Returns the columns and whether the limit cut some cards off."""
    scoped = OrderFilter(
        **{**filters.__dict__, "category": ",".join(str(c) for c in BOARD_CATEGORIES)}
    )
    orders = list(work_order_list(user=user, filters=scoped)[: BOARD_LIMIT + 1])
    truncated = len(orders) > BOARD_LIMIT
    columns = {c: Column(str(c), str(StateCategory(c).label)) for c in BOARD_CATEGORIES}
    for order in orders[:BOARD_LIMIT]:
        columns[StateCategory(order.state_category)].orders.append(order)
    return list(columns.values()), truncated


def order_list(*, user: User, filters: OrderFilter, sort: str | None) -> QuerySet[WorkOrder]:
    return work_order_list(user=user, filters=filters, sort=sort if sort in SORTABLE else None)


@dataclass
class FilterOptions:
    types: list[WorkOrderType]
    teams: list[Team]
    regions: list[Region]
    engineers: list[User]


def filter_options() -> FilterOptions:
    return FilterOptions(
        types=list(WorkOrderType.objects.filter(is_active=True)),
        teams=list(Team.objects.all()),
        regions=list(Region.objects.all()),
        engineers=list(
            User.objects.filter(is_active=True, role=Role.ENGINEER).order_by("username")
        ),
    )


def saved_views(*, user: User, kind: str) -> list[SavedView]:
    return list(SavedView.objects.filter(user=user, kind=kind))


def engineers_for_assignment(order: WorkOrder) -> list[User]:
    """Active engineers, the order's team and region first: the likely picks on top."""
    engineers = list(
        User.objects.filter(is_active=True, role=Role.ENGINEER).select_related("team", "region")
    )

    def rank(user: User) -> tuple[int, int, str]:
        return (
            0 if order.team_id and user.team_id == order.team_id else 1,
            0 if order.region_id and user.region_id == order.region_id else 1,
            user.username,
        )

    return sorted(engineers, key=rank)


def order_for_page(*, user: User, number: str) -> WorkOrder:
    """One visible order with everything its page shows; DoesNotExist otherwise."""
    return (
        WorkOrder.objects.visible_to(user)
        .with_related()
        .select_related("created_by", "entered_by")
        .prefetch_related(
            Prefetch("type__fields", queryset=FieldDefinition.objects.order_by("position", "id")),
            "type__states",
            "type__transitions",
        )
        .get(number=number)
    )


def order_photos(order: WorkOrder) -> list[Attachment]:
    return list(order.attachments.all())


def order_comments(order: WorkOrder) -> list[Any]:
    return list(order.comments.select_related("author", "on_behalf_of"))


# --- people ----------------------------------------------------------------------


def people_users() -> QuerySet[User]:
    return (
        User.objects.select_related("team", "region")
        .prefetch_related(Prefetch("skills", queryset=UserSkill.objects.select_related("skill")))
        .order_by("role", "username")
    )


def people_teams() -> QuerySet[Team]:
    return Team.objects.select_related("region", "leader").annotate(n_members=Count("members"))


def people_regions() -> QuerySet[Region]:
    return Region.objects.annotate(
        n_members=Count("members", distinct=True), n_teams=Count("team", distinct=True)
    )


@dataclass
class Holding:
    holding: UserSkill
    status: str  # "ok", "soon", "expired", "none"


def people_skills() -> list[tuple[Skill, list[Holding]]]:
    """Every skill with its holders; certificates expiring within 30 days are flagged."""
    today = timezone.localdate()
    soon = today + datetime.timedelta(days=CERTIFICATE_WARNING_DAYS)
    holdings: dict[int, list[Holding]] = {}
    for item in UserSkill.objects.select_related("user", "skill").order_by("expires_on", "id"):
        if item.expires_on is None:
            status = "none"
        elif item.expires_on < today:
            status = "expired"
        elif item.expires_on <= soon:
            status = "soon"
        else:
            status = "ok"
        holdings.setdefault(item.skill_id, []).append(Holding(item, status))
    return [(skill, holdings.get(skill.pk, [])) for skill in Skill.objects.all()]


def asset_codes() -> list[tuple[str, str]]:
    return list(Asset.objects.order_by("code").values_list("code", "name")[:500])
