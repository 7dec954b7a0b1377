"""Per-order facts replayed from the event log, loaded with a fixed number of queries.

Every metric is computed from these facts, and every fact comes from the
order's events (DESIGN.md principle 4): when the order was created, who held it
at each moment, when its assignee first acted, when it arrived, when it was
resolved (and whether that resolution still stands after a reopen), when it
waited, when it was closed and by whose hand, and how the customer rated it.

The loader issues the same handful of queries whatever the number of orders:
orders, their events, the workflow states and transitions, the engineers, and
the later orders on the same machines (for first-time fix).
"""

from __future__ import annotations

import bisect
import datetime
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, JSONField, Q, QuerySet, When
from django.db.models.fields.json import KeyTextTransform

from gongdan.core.i18n import picker
from gongdan.core.models import Role, User
from gongdan.reports.calendar import Measure, business_clock
from gongdan.workorders.models import (
    OPEN_CATEGORIES,
    EventKind,
    StateCategory,
    Transition,
    WorkflowState,
    WorkOrder,
    WorkOrderEvent,
)

DONE = (StateCategory.RESOLVED, StateCategory.CLOSED)
OPEN = tuple(str(c) for c in OPEN_CATEGORIES)


@dataclass(frozen=True)
class ReportFilter:
    """The dimensions a report is cut by; empty means "all"."""

    type: str = ""
    priority: str = ""
    team: str = ""
    region: str = ""
    engineer: str = ""
    customer: str = ""
    asset: str = ""

    def apply(self, qs: QuerySet[WorkOrder]) -> QuerySet[WorkOrder]:
        if self.type:
            qs = qs.filter(type__key=self.type)
        if self.priority:
            qs = qs.filter(priority__in=self.priority.split(","))
        if self.team:
            qs = qs.filter(team__code=self.team)
        if self.region:
            qs = qs.filter(region__code=self.region)
        if self.engineer:
            qs = qs.filter(assignee__username=self.engineer)
        if self.customer:
            qs = qs.filter(customer=self.customer)
        if self.asset:
            qs = qs.filter(asset__code=self.asset)
        return qs

    def as_query(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v}


@dataclass
class OrderFacts:
    """What the event log says about one order."""

    id: int
    number: str
    title: str
    type_id: int
    type_name: str
    priority: str
    asset_id: int | None
    asset_label: str
    customer: str
    team_id: int | None
    team_name: str
    created_at: datetime.datetime
    entered_by_id: int | None
    resolution_due_at: datetime.datetime | None
    fault_category: str
    assignee_id: int | None = None
    first_response_at: datetime.datetime | None = None
    arrived_at: datetime.datetime | None = None
    visits: int = 0
    reopens: int = 0
    # The resolution that stands now: cleared by a reopen, set again by the next resolve.
    resolved_at: datetime.datetime | None = None
    resolved_by_id: int | None = None
    closed_at: datetime.datetime | None = None
    closed_by_id: int | None = None
    category: str = StateCategory.NEW
    # (since, category) in time order, for "what was it at the end of the week?".
    timeline: list[tuple[datetime.datetime, str]] = field(default_factory=list)
    waiting: list[list[datetime.datetime | None]] = field(default_factory=list)
    stars: int | None = None
    recommend: int | None = None
    repeated: bool = False

    @property
    def clerk_entered(self) -> bool:
        return self.entered_by_id is not None

    def category_at(self, moment: datetime.datetime) -> str | None:
        """The state category at ``moment``; None before the order existed."""
        timeline = self.timeline
        if timeline and timeline[-1][0] <= moment:
            # The common case in a report: the order's last change was before it.
            return timeline[-1][1]
        current: str | None = None
        for since, category in timeline:
            if since > moment:
                break
            current = category
        return current

    def lateness(self, now: datetime.datetime) -> float | None:
        """Seconds past the resolution target (resolved late, or still open past it)."""
        if self.resolution_due_at is None or self.category == StateCategory.CANCELLED:
            return None
        moment = self.resolved_at or now
        late = (moment - self.resolution_due_at).total_seconds()
        return late if late > 0 else None

    def waiting_between(
        self, end: datetime.datetime
    ) -> list[tuple[datetime.datetime, datetime.datetime]]:
        spans = []
        for start, stop in self.waiting:
            assert start is not None
            stop = stop or end
            if start < end:
                spans.append((start, min(stop, end)))
        return spans


@dataclass
class Engineer:
    id: int
    username: str
    label: str
    team_id: int | None
    region_id: int | None
    is_active: bool


@dataclass
class FactSet:
    orders: dict[int, OrderFacts]
    engineers: dict[int, Engineer]
    # Engineers a per-person rate divides by: active, within the report's team/region/person.
    engineers_in_scope: list[int]
    # Business seconds between two instants on the site calendar (clock time without one).
    business: Measure
    # Parts cost per order id (issued − returned, at cost); None without the parts app.
    parts_costs: dict[int, Decimal] | None = None

    # A report asks for the orders created, resolved or closed in each of its nine
    # weeks: from the orders sorted once by each moment, each week is a slice
    # instead of a pass over every order.
    def created_between(
        self, start: datetime.datetime | None, end: datetime.datetime
    ) -> list[OrderFacts]:
        """Orders created in [start, end) (before ``end`` when ``start`` is None),
        oldest first."""
        return _between(self._by_created, start, end)

    def resolved_between(
        self, start: datetime.datetime, end: datetime.datetime
    ) -> list[OrderFacts]:
        """Orders whose standing resolution falls in [start, end)."""
        return _between(self._by_resolved, start, end)

    def closed_between(self, start: datetime.datetime, end: datetime.datetime) -> list[OrderFacts]:
        """Orders closed in [start, end) (whatever their state now)."""
        return _between(self._by_closed, start, end)

    @functools.cached_property
    def _by_created(self) -> _Sorted:
        return _sorted_by(self.orders.values(), lambda f: f.created_at)

    @functools.cached_property
    def _by_resolved(self) -> _Sorted:
        return _sorted_by(self.orders.values(), lambda f: f.resolved_at)

    @functools.cached_property
    def _by_closed(self) -> _Sorted:
        return _sorted_by(self.orders.values(), lambda f: f.closed_at)


_Sorted = tuple[list[datetime.datetime], list[OrderFacts]]


def _sorted_by(
    orders: Iterable[OrderFacts], moment: Callable[[OrderFacts], datetime.datetime | None]
) -> _Sorted:
    """The orders that have ``moment``, sorted by it (ties by id), beside their moments."""
    keyed = sorted((at, f.id, f) for f in orders if (at := moment(f)) is not None)
    return [at for at, _id, _f in keyed], [f for _at, _id, f in keyed]


def _between(
    index: _Sorted, start: datetime.datetime | None, end: datetime.datetime
) -> list[OrderFacts]:
    moments, orders = index
    first = 0 if start is None else bisect.bisect_left(moments, start)
    return orders[first : bisect.bisect_left(moments, end)]


def _visible(user: User | None) -> QuerySet[WorkOrder]:
    # None is the system itself (the weekly report, the command line): every order.
    return WorkOrder.objects.all() if user is None else WorkOrder.objects.visible_to(user)


def _rating(data: dict[str, Any]) -> tuple[int | None, int | None]:
    stars, recommend = data.get("stars"), data.get("recommend")
    ok_stars = isinstance(stars, int) and not isinstance(stars, bool) and 1 <= stars <= 5
    ok_rec = isinstance(recommend, int) and not isinstance(recommend, bool) and 0 <= recommend <= 10
    return (stars if ok_stars else None), (recommend if ok_rec else None)


def load_facts(
    *,
    user: User | None,
    filters: ReportFilter,
    since: datetime.datetime,
    until: datetime.datetime,
) -> FactSet:
    """Facts for every order that matters to [since, until): created in it, open at
    some point of it, or changed during it. Seven queries at most, whatever the volume."""
    scope = filters.apply(_visible(user)).filter(created_at__lt=until)
    # updated_at moves with every state change and assignment, so an order
    # resolved, closed or reopened in the window is caught by it.
    scope = scope.filter(
        Q(created_at__gte=since) | Q(state_category__in=OPEN) | Q(updated_at__gte=since)
    )
    rows = scope.annotate(fault=KeyTextTransform("fault_category", "data")).values_list(
        "id",
        "number",
        "title",
        "type_id",
        "type__name_zh",
        "type__name_en",
        "priority",
        "asset_id",
        "asset__code",
        "asset__name",
        "customer",
        "team_id",
        "team__name",
        "created_at",
        "entered_by_id",
        "resolution_due_at",
        "fault",
    )
    orders: dict[int, OrderFacts] = {}
    choose = picker()
    for r in rows:
        orders[r[0]] = OrderFacts(
            id=r[0],
            number=r[1],
            title=r[2],
            type_id=r[3],
            type_name=choose(r[4], r[5] or ""),
            priority=r[6],
            asset_id=r[7],
            asset_label=f"{r[8]} {r[9]}" if r[8] else "",
            customer=r[10] or "",
            team_id=r[11],
            team_name=r[12] or "",
            created_at=r[13],
            entered_by_id=r[14],
            resolution_due_at=r[15],
            fault_category=r[16] or "",
        )
    categories = {
        (t, k): c
        for t, k, c in WorkflowState.objects.values_list("order_type_id", "key", "category")
    }
    flags = {
        (t, k): (a, c)
        for t, k, a, c in Transition.objects.values_list(
            "order_type_id", "key", "assign_to_actor", "clears_assignee"
        )
    }
    engineers = {
        e[0]: Engineer(
            id=e[0],
            username=e[1],
            label=e[2] or e[1],
            team_id=e[3],
            region_id=e[4],
            is_active=e[5],
        )
        for e in User.objects.filter(role=Role.ENGINEER).values_list(
            "id", "username", "display_name", "team_id", "region_id", "is_active"
        )
    }
    by_username = {e.username: e.id for e in engineers.values()}
    # Only the kinds the replay acts on are read (not the routing record, SLA steps,
    # messages, edits or attachments, which leave the facts as they are), and of
    # those only an assignment's and a rating's data: the rest (the created order's
    # fields) is not decoded for every event of the window.
    replayed_data = Case(
        When(kind__in=REPLAYED_DATA, then="data"), default=None, output_field=JSONField()
    )
    events = (
        WorkOrderEvent.objects.filter(order_id__in=scope.values("id"), kind__in=REPLAYED)
        .order_by("order_id", "created_at", "id")
        .annotate(replayed_data=replayed_data)
        .values_list(
            "order_id", "kind", "action", "actor_id", "on_behalf_of_id", "created_at",
            "to_state", "replayed_data",
        )
    )  # fmt: skip
    for order_id, kind, action, actor_id, behalf_id, at, to_state, data in events:
        facts = orders.get(order_id)
        if facts is not None:
            _replay(facts, kind, action, behalf_id or actor_id, at, to_state, data or {},
                    categories, flags, by_username)  # fmt: skip
    whole = (user is None or user.sees_all_orders) and not filters.as_query()
    _mark_repeats(orders, scope, since, until if whole else None)
    in_scope = _engineers_in_scope(engineers, filters)
    return FactSet(
        orders=orders, engineers=engineers, engineers_in_scope=in_scope, business=business_clock()
    )


# The events ``_replay`` acts on (any other kind leaves an order's facts as they
# are), and those whose data it reads.
REPLAYED = (
    EventKind.CREATED,
    EventKind.TRANSITION,
    EventKind.ASSIGNED,
    EventKind.COMMENT,
    EventKind.RATING,
)
REPLAYED_DATA = (EventKind.ASSIGNED, EventKind.RATING)


def _replay(
    f: OrderFacts,
    kind: str,
    action: str,
    subject: int | None,
    at: datetime.datetime,
    to_state: str,
    data: dict[str, Any],
    categories: dict[tuple[int, str], str],
    flags: dict[tuple[int, str], tuple[bool, bool]],
    by_username: dict[str, int],
) -> None:
    """Apply one event to the order's facts (events arrive in time order)."""
    new_category = categories.get((f.type_id, to_state)) if to_state else None
    if kind == EventKind.CREATED:
        f.category = new_category or StateCategory.NEW
        f.timeline.append((at, f.category))
        return
    if kind == EventKind.RATING:
        f.stars, f.recommend = _rating(data)
        return
    if kind == EventKind.COMMENT:
        if f.first_response_at is None and subject is not None and subject == f.assignee_id:
            f.first_response_at = at
        return
    if kind == EventKind.ASSIGNED:
        after = (data.get("after") or {}).get("assignee")
        f.assignee_id = by_username.get(after) if after else None
    elif kind == EventKind.TRANSITION:
        to_actor, clears = flags.get((f.type_id, action), (False, False))
        if to_actor:
            f.assignee_id = subject
        # Any step the assignee takes (accept, decline, depart …) is a response.
        if f.first_response_at is None and subject is not None and subject == f.assignee_id:
            f.first_response_at = at
        if action == "arrive":
            f.visits += 1
            f.arrived_at = f.arrived_at or at
        if clears:
            f.assignee_id = None
    else:
        return
    if new_category is None or new_category == f.category:
        return
    before = f.category
    if new_category in DONE and before not in DONE:
        f.resolved_at, f.resolved_by_id = at, f.assignee_id
    if new_category == StateCategory.CLOSED:
        f.closed_at, f.closed_by_id = at, f.assignee_id
    if new_category in OPEN and before in DONE:
        f.reopens += 1
        f.resolved_at = f.resolved_by_id = f.closed_at = f.closed_by_id = None
    if new_category == StateCategory.WAITING:
        f.waiting.append([at, None])
    elif before == StateCategory.WAITING and f.waiting:
        f.waiting[-1][1] = at
    f.category = new_category
    f.timeline.append((at, new_category))


REPEAT_WINDOW = datetime.timedelta(days=7)


def _mark_repeats(
    orders: dict[int, OrderFacts],
    scope: QuerySet[WorkOrder],
    since: datetime.datetime,
    loaded_until: datetime.datetime | None,
) -> None:
    """Flag resolved orders followed within 7 days by a new order for the same
    machine and fault category (the fix did not hold). The later orders count
    whoever may see them; ``loaded_until`` says that ``orders`` already holds every
    order created from ``since`` up to it (a report over all orders, unfiltered), so
    only those created after it are read."""
    resolved = [
        (f, f.resolved_at)
        for f in orders.values()
        if f.resolved_at is not None and f.asset_id is not None and f.fault_category
    ]
    if not resolved:
        return
    # Nothing created before the earliest resolution can repeat any of them.
    earliest = min(at for _f, at in resolved)
    later: list[tuple[int, int | None, datetime.datetime, str | None]] = []
    if loaded_until is not None:
        later = [
            (f.id, f.asset_id, f.created_at, f.fault_category)
            for f in orders.values()
            if f.created_at >= since and f.created_at > earliest
        ]
        # The rest, by their creation time alone (the machine is matched below):
        # asking for the report's machines would run the report's scope again.
        rows = WorkOrder.objects.filter(created_at__gte=max(since, loaded_until))
    else:
        rows = WorkOrder.objects.filter(
            asset_id__in=scope.values("asset_id"), created_at__gte=since
        )
    later.extend(
        rows.filter(created_at__gt=earliest)
        .annotate(fault=KeyTextTransform("fault_category", "data"))
        .values_list("id", "asset_id", "created_at", "fault")
    )
    # Per machine and fault, the later orders in creation order: each resolved order
    # looks only at its own seven days (a busy machine has hundreds of orders in a
    # report's nine weeks, and every one of them was compared with every other).
    by_fault: dict[tuple[int | None, str], list[tuple[datetime.datetime, int]]] = {}
    for oid, asset_id, created, fault in later:
        by_fault.setdefault((asset_id, fault or ""), []).append((created, oid))
    times: dict[tuple[int | None, str], list[datetime.datetime]] = {}
    for key, found in by_fault.items():
        found.sort()
        times[key] = [created for created, _oid in found]
    for f, at in resolved:
        key = (f.asset_id, f.fault_category)
        found, moments = by_fault.get(key, []), times.get(key, [])
        # Created after the resolution, within the window: (at, at + 7 days].
        first = bisect.bisect_right(moments, at)
        last = bisect.bisect_right(moments, at + REPEAT_WINDOW)
        f.repeated = any(oid != f.id for _created, oid in found[first:last])


def _engineers_in_scope(engineers: dict[int, Engineer], filters: ReportFilter) -> list[int]:
    if not (filters.team or filters.region):
        return [e.id for e in engineers.values() if e.is_active and _person_ok(e, filters)]
    # Team and region are codes; one small lookup keeps the loader at a fixed count.
    from gongdan.core.models import Region, Team

    team_ids = set(Team.objects.filter(code=filters.team).values_list("id", flat=True))
    region_ids = set(Region.objects.filter(code=filters.region).values_list("id", flat=True))
    return [
        e.id
        for e in engineers.values()
        if e.is_active
        and _person_ok(e, filters)
        and (not filters.team or e.team_id in team_ids)
        and (not filters.region or e.region_id in region_ids)
    ]


def _person_ok(e: Engineer, filters: ReportFilter) -> bool:
    return not filters.engineer or e.username == filters.engineer
