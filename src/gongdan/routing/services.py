"""Automatic routing: which engineer gets an order, and why.

``route_order`` runs inside the order's transaction (on create, on a decline,
when an assignee does not accept in time, on an SLA escalation). It tries the
matching rules in order; the first that yields a candidate assigns through
``work_order_assign(actor=None)``, and the decision — rule, candidates with
their scores, why the winner won — is appended to the timeline as a ROUTING
event. No candidate: the order waits in the dispatcher queue and the
dispatchers are told.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError as PydanticError

from gongdan.core.cache import ProcessCache
from gongdan.core.errors import ValidationFailed
from gongdan.core.inserts import deferred_write, insert_row
from gongdan.core.models import Role, User, UserSkill
from gongdan.workorders.models import (
    OPEN_CATEGORIES,
    EventKind,
    Priority,
    StateCategory,
    WorkOrder,
    WorkOrderType,
)
from gongdan.workorders.services import (
    assignment_changes,
    assignment_record,
    event_record,
    work_order_assign,
)

from . import conditions
from .models import (
    AssetPosition,
    EngineerPosition,
    Excluded,
    RoutingRule,
    RoutingTicket,
    RuleAction,
    Strategy,
    Why,
)

# Open orders weigh by priority when counting an engineer's load.
LOAD_WEIGHT = {Priority.RED: 3, Priority.YELLOW: 2, Priority.BLUE: 1}
# A last known position older than this says nothing about where someone is now.
FRESH_POSITION = datetime.timedelta(hours=12)


@dataclass
class Candidate:
    user: User
    load: float = 0.0
    distance_km: float | None = None
    excluded: str = ""

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"user": self.user.username, "name": str(self.user)}
        out["load"] = self.load
        if self.distance_km is not None:
            out["distance_km"] = round(self.distance_km, 2)
        if self.excluded:
            out["excluded"] = self.excluded
        return out


@dataclass
class Decision:
    """The outcome of trying the rules for one order."""

    trigger: str
    rule: RoutingRule | None = None
    candidates: list[Candidate] = field(default_factory=list)
    winner: User | None = None
    why: str = ""
    tried: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The record on the timeline: every engineer considered with their load (and
        distance), and everyone else by username under the reason they were out —
        a plant's whole roster, written with every routed order, stays a few lines."""
        excluded: dict[str, list[str]] = {}
        for c in self.candidates:
            if c.excluded:
                excluded.setdefault(c.excluded, []).append(c.user.username)
        return {
            "trigger": self.trigger,
            "rule": {"id": self.rule.pk, "name": self.rule.name} if self.rule else None,
            "candidates": [c.as_json() for c in self.candidates if not c.excluded],
            "excluded": excluded,
            "winner": self.winner.username if self.winner else None,
            "why": self.why,
            "tried": self.tried,
        }


# --- facts ---------------------------------------------------------------------


def order_facts(order: WorkOrder, now: datetime.datetime | None = None) -> dict[str, Any]:
    """What a condition can look at, flat: priority, type, data.<key>, asset.* …"""
    local = timezone.localtime(now or timezone.now())
    asset = order.asset if order.asset_id else None
    facts: dict[str, Any] = {
        "priority": order.priority,
        "type": order.type.key,
        "title": order.title,
        "customer": order.customer,
        "region": order.region.code if order.region_id and order.region else None,
        "asset": asset.code if asset else None,
        "asset.location": asset.location if asset else None,
        "asset.region": asset.region.code if asset and asset.region else None,
        "asset.customer": asset.customer if asset else None,
        "time": local.strftime("%H:%M"),
        "weekday": local.weekday(),
        "hour": local.hour,
    }
    for key, value in (order.data or {}).items():
        facts[f"data.{key}"] = value
    return facts


# --- candidates ----------------------------------------------------------------


def _haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lng1, lat2, lng2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    )
    return 2 * 6371.0 * math.asin(math.sqrt(h))


# Machines' routing coordinates by asset id (set by administrators, read per order).
_asset_positions = ProcessCache(
    lambda: {
        a: (lat, lng) for a, lat, lng in AssetPosition.objects.values_list("asset_id", "lat", "lng")
    },
    models=(AssetPosition,),
)


def _order_position(order: WorkOrder) -> tuple[float, float] | None:
    if order.asset_id:
        pos = _asset_positions.get().get(order.asset_id)
        if pos is not None:
            return pos
        # Else the equipment registry's coordinates (the machine's, or its site's).
        if order.asset is not None and (where := order.asset.coordinates) is not None:
            return where
    for value in (order.data or {}).values():
        if isinstance(value, dict) and {"lat", "lng"} <= value.keys():
            try:
                return float(value["lat"]), float(value["lng"])
            except (TypeError, ValueError):
                continue
    return None


def _user_positions(users: list[User], now: datetime.datetime) -> dict[int, tuple[float, float]]:
    out: dict[int, tuple[float, float]] = {}
    for pos in EngineerPosition.objects.filter(user__in=users):
        fresh = pos.last_seen_at is not None and now - pos.last_seen_at <= FRESH_POSITION
        if fresh and pos.last_lat is not None and pos.last_lng is not None:
            out[pos.user_id] = (pos.last_lat, pos.last_lng)
        elif pos.home_lat is not None and pos.home_lng is not None:
            out[pos.user_id] = (pos.home_lat, pos.home_lng)
    return out


# Open orders of one priority counted per engineer, at most: beyond this an
# engineer is as loaded as it gets, and routing's cost no longer grows with a
# backlog (a plant that imports years of unclosed orders from its spreadsheets).
LOAD_COUNT_CAP = 100


def _loads(users: list[User]) -> dict[int, float]:
    """Each engineer's open orders, weighted by priority, each priority counted up to
    LOAD_COUNT_CAP. It runs for every new order, so it is one plain statement: a
    VALUES list of (engineer, priority) pairs, each counted by one correlated
    subquery over one index range (the assignee index covers it). It carries no
    parameters — the values are the engineers' integer ids and the project's own
    priority and category names, written in as literals — so both engines keep its
    plan (SQLite's statement cache, PostgreSQL's prepared statement) and nothing
    binds a hundred placeholders. (Written as one scalar subquery per pair, the
    same count took ten times as long to plan on both engines.)"""
    if not users:
        return {}
    table = connection.ops.quote_name(WorkOrder._meta.db_table)
    categories = ", ".join(_sql_literal(c) for c in OPEN_CATEGORIES)
    pairs = ", ".join(
        f"({int(user.pk)}, {_sql_literal(str(priority))})"
        for user in users
        for priority in LOAD_WEIGHT
    )
    # VALUES names its columns column1, column2 on both engines.
    sql = (
        f"SELECT k.column1, k.column2, (SELECT COUNT(*) FROM (SELECT 1 FROM {table} w"
        f" WHERE w.assignee_id = k.column1 AND w.priority = k.column2"
        f" AND w.state_category IN ({categories}) LIMIT {int(LOAD_COUNT_CAP)}) AS s)"
        f" FROM (VALUES {pairs}) AS k"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        rows = cursor.fetchall()
    loads: dict[int, float] = {}
    for pk, priority, n in rows:
        if n:
            loads[pk] = loads.get(pk, 0) + LOAD_WEIGHT[Priority(priority)] * n
    return loads


def _sql_literal(name: str) -> str:
    """A project constant (a priority or category name) as an SQL string literal."""
    if not name.replace("_", "").isalnum():
        raise ValueError(f"not a plain name: {name!r}")
    return f"'{name}'"


@dataclass(frozen=True)
class Roster:
    """Who can be routed to: every active engineer with team and region, their skill
    certificates and shift calendars. Shared read-only by the process's threads."""

    engineers: list[User]
    skills: dict[int, list[UserSkill]]
    shifts: dict[int, Any]


def _load_roster() -> Roster:
    from gongdan.sla.models import WorkSchedule

    engineers = list(
        User.objects.filter(is_active=True, role=Role.ENGINEER)
        .select_related("team", "region")
        .order_by("id")
    )
    skills: dict[int, list[UserSkill]] = {}
    for us in UserSkill.objects.filter(user__in=engineers).select_related("skill"):
        skills.setdefault(us.user_id, []).append(us)
    shifts = {
        schedule.user_id: schedule.calendar.spec()
        for schedule in WorkSchedule.objects.filter(user__in=engineers)
        .select_related("calendar")
        .prefetch_related("calendar__exceptions")
    }
    return Roster(engineers=engineers, skills=skills, shifts=shifts)


def _roster_models() -> tuple[type[Any], ...]:
    from gongdan.core.models import Region, Skill, Team
    from gongdan.sla.models import BusinessCalendar, CalendarException, WorkSchedule

    return (User, UserSkill, Skill, Team, Region, WorkSchedule, BusinessCalendar, CalendarException)


_roster = ProcessCache(_load_roster, models=_roster_models())


def _on_shift(roster: Roster, user: User, now: datetime.datetime) -> bool:
    from gongdan.sla.calendar import is_working_at

    shift = roster.shifts.get(user.pk)
    # Without a shift calendar a person counts as always on duty.
    return shift is None or is_working_at(now, shift)


def candidates_for(
    order: WorkOrder,
    action: RuleAction,
    *,
    exclude_ids: set[int],
    now: datetime.datetime,
) -> list[Candidate]:
    """Every active engineer, each either scored or marked with why they are out."""
    roster = _roster.get()
    today = timezone.localdate(now)
    held: dict[int, set[str]] = {}
    if action.skills:
        for user_id, certificates in roster.skills.items():
            for us in certificates:
                if us.skill.code in action.skills and us.is_valid_on(today):
                    held.setdefault(user_id, set()).add(us.skill.code)
    region_code = None
    if action.region == "order":
        region_code = order.region.code if order.region_id and order.region else None
    elif action.region:
        region_code = action.region
    out: list[Candidate] = []
    for user in roster.engineers:
        candidate = Candidate(user=user)
        missing = set(action.skills) - held.get(user.pk, set())
        if user.pk in exclude_ids:
            candidate.excluded = Excluded.DECLINED_OR_TIMED_OUT
        elif action.strategy == Strategy.NAMED and user.username != action.person:
            candidate.excluded = Excluded.NOT_NAMED
        elif missing:
            candidate.excluded = f"{Excluded.MISSING_OR_EXPIRED.value}:" + ",".join(sorted(missing))
        elif action.region and (user.region is None or user.region.code != region_code):
            candidate.excluded = Excluded.OTHER_REGION
        elif action.team and (user.team is None or user.team.code != action.team):
            candidate.excluded = Excluded.OTHER_TEAM
        elif action.on_shift and not _on_shift(roster, user, now):
            candidate.excluded = Excluded.OFF_SHIFT
        out.append(candidate)
    eligible = [c for c in out if not c.excluded]
    users = [c.user for c in eligible]
    loads = _loads(users)
    for c in eligible:
        c.load = loads.get(c.user.pk, 0)
    # Distance decides for the nearest strategy, and breaks a tie in load otherwise;
    # where neither applies, the positions are not looked up.
    lightest = min((c.load for c in eligible), default=0)
    tied = sum(1 for c in eligible if c.load == lightest) > 1
    if action.strategy == Strategy.NEAREST or (tied and action.strategy == Strategy.LEAST_LOADED):
        where = _order_position(order)
        positions = _user_positions(users, now) if where else {}
        for c in eligible:
            if where and c.user.pk in positions:
                c.distance_km = _haversine_km(where, positions[c.user.pk])
    return out


def _pick(
    rule: RoutingRule, action: RuleAction, eligible: list[Candidate]
) -> tuple[Candidate | None, str]:
    if not eligible:
        return None, Why.NO_CANDIDATE
    far = float("inf")
    if action.strategy == Strategy.NEAREST:
        best = min(
            eligible,
            key=lambda c: (c.distance_km if c.distance_km is not None else far, c.load, c.user.pk),
        )
        if best.distance_km is None:
            return best, Why.NEAREST_UNKNOWN_POSITIONS
        return best, Why.NEAREST
    if action.strategy == Strategy.ROUND_ROBIN:
        last = RoutingRule.objects.filter(pk=rule.pk).values_list("last_assignee_id", flat=True)
        last_id = last.first()
        after = [c for c in eligible if last_id and c.user.pk > last_id]
        return (after or eligible)[0], Why.ROUND_ROBIN
    if action.strategy == Strategy.NAMED:
        return eligible[0], Why.NAMED
    best = min(eligible, key=lambda c: (c.load, c.distance_km or far, c.user.pk))
    return best, Why.LEAST_LOADED


# Every active rule in order, shared read-only by the process's threads; the
# round-robin pointer is state, not configuration, and is read live (_pick).
_rules = ProcessCache(
    lambda: list(RoutingRule.objects.filter(is_active=True).order_by("position", "id")),
    models=(RoutingRule,),
)


def rules_for(order_type: WorkOrderType) -> list[RoutingRule]:
    return [r for r in _rules.get() if r.order_type_id in (None, order_type.pk)]


def decide(
    order: WorkOrder,
    *,
    trigger: str,
    exclude_ids: set[int],
    rules: list[RoutingRule] | None = None,
    now: datetime.datetime | None = None,
) -> Decision:
    """Try the rules in order without changing anything; the first match that has a
    candidate wins. Also what "test this rule" shows."""
    now = now or timezone.now()
    decision = Decision(trigger=trigger)
    facts = order_facts(order, now)
    for rule in rules if rules is not None else rules_for(order.type):
        if not conditions.evaluate(rule.condition, facts):
            decision.tried.append({"rule": rule.name, "matched": False})
            continue
        action = rule.parsed_action()
        candidates = candidates_for(order, action, exclude_ids=exclude_ids, now=now)
        winner, why = _pick(rule, action, [c for c in candidates if not c.excluded])
        decision.tried.append(
            {"rule": rule.name, "matched": True, "winner": winner.user.username if winner else None}
        )
        if decision.rule is None or winner is not None:
            decision.rule, decision.candidates, decision.why = rule, candidates, why
        if winner is not None:
            decision.winner = winner.user
            break
    if decision.rule is None:
        decision.why = Why.NO_RULE_MATCHED
    return decision


# --- acting on a decision -------------------------------------------------------


def _ticket(order: WorkOrder) -> RoutingTicket:
    ticket, _created = RoutingTicket.objects.select_for_update().get_or_create(order=order)
    return ticket


def _tell_dispatchers(order: WorkOrder) -> list[str]:
    from gongdan.notify.services import notify

    told = []
    for person in User.objects.filter(is_active=True, role=Role.DISPATCHER):
        notify(recipient=person, template="routing_no_candidate", context={}, order=order)
        told.append(person.username)
    return told


def _tell_others(order: WorkOrder, action: RuleAction) -> list[dict[str, Any]]:
    from gongdan.notify.services import notify
    from gongdan.sla.services import escalation_recipients

    told = []
    for target in action.notify:
        for person in escalation_recipients(order, [target.who]):
            notify(
                recipient=person,
                template=target.template,
                context={},
                order=order,
                channel=target.channel,
            )
            told.append({"user": person.username, "channel": target.channel})
    return told


@transaction.atomic(savepoint=False)
def route_order(
    *,
    order: WorkOrder,
    trigger: str,
    exclude: list[User] | None = None,
    now: datetime.datetime | None = None,
) -> Decision | None:
    """Find the engineer for ``order`` and assign; None when no rule is configured
    (routing is off and the order simply waits for a dispatcher). Joins the
    caller's transaction: nothing here fails half-way."""
    now = now or timezone.now()
    rules = rules_for(order.type)
    if not rules:
        return None
    order = WorkOrder.objects.select_related("type", "asset__region", "region", "team").get(
        pk=order.pk
    )
    ticket = _ticket(order)
    declined = set(ticket.declined_by) | {u.pk for u in exclude or []}
    decision = decide(order, trigger=trigger, exclude_ids=declined, rules=rules, now=now)

    def assign(
        order: WorkOrder, assignee: User | None, reason: str, details: dict[str, Any]
    ) -> WorkOrder:
        return work_order_assign(
            order=order, actor=None, assignee=assignee, reason=reason, details=details, at=now
        )

    _carry_out(order, decision, trigger=trigger, ticket=ticket, assign=assign, now=now)
    return decision


def route_plan(*, order: WorkOrder, now: datetime.datetime) -> Callable[[WorkOrder], None] | None:
    """Route a new order before it is saved: the winner goes into its INSERT (the
    decision reads only), and the returned write records the decision, the
    assignment and the ticket once the row exists. None when no rule is configured.

    Deciding outside the write transaction means two orders opened in the same
    instant can both see the same engineer as least loaded; the next order sees
    both and evens it out, and nobody waits on SQLite's write lock meanwhile."""
    rules = rules_for(order.type)
    if not rules:
        return None
    decision = decide(order, trigger="created", exclude_ids=set(), rules=rules, now=now)
    from_state = order.state
    if decision.winner is not None:
        for name, value in assignment_changes(order, decision.winner).items():
            setattr(order, name, value)

    def assign(
        order: WorkOrder, assignee: User | None, reason: str, details: dict[str, Any]
    ) -> WorkOrder:
        # The columns are in the INSERT already; what remains is the record of it.
        assignment_record(
            order=order,
            actor=None,
            previous=None,
            from_state=from_state,
            reason=reason,
            details=details,
            at=now,
        )
        return order

    def write(saved: WorkOrder) -> None:
        _carry_out(
            saved,
            decision,
            trigger="created",
            ticket=RoutingTicket(order=saved),
            assign=assign,
            now=now,
        )

    return write


def _carry_out(
    order: WorkOrder,
    decision: Decision,
    *,
    trigger: str,
    ticket: RoutingTicket,
    assign: Callable[[WorkOrder, User | None, str, dict[str, Any]], WorkOrder],
    now: datetime.datetime,
) -> None:
    """Write what a decision means: the routing event, the assignment (or the
    dispatchers told there is nobody), the ticket and anyone the rule notifies."""
    record: dict[str, Any] = decision.as_json()
    new_ticket = ticket._state.adding
    if decision.winner is not None:
        assert decision.rule is not None
        action = decision.rule.parsed_action()
        if decision.why == Why.ROUND_ROBIN:
            rule_id, winner_id = decision.rule.pk, decision.winner.pk
            deferred_write(
                lambda: RoutingRule.objects.filter(pk=rule_id).update(last_assignee_id=winner_id)
            )
        event_record(
            order=order, kind=EventKind.ROUTING, actor=None, action=trigger, data=record, at=now
        )
        order = assign(
            order,
            decision.winner,
            _("自动派单：%(rule)s") % {"rule": decision.rule.name},
            {"routing_rule": decision.rule.name, "why": decision.why},
        )
        ticket.rule = decision.rule
        ticket.assignee_id = decision.winner.pk
        ticket.attempts += 1
        minutes = action.accept_within_minutes
        in_queue = order.state_category == StateCategory.ASSIGNED
        ticket.accept_due_at = (
            now + datetime.timedelta(minutes=minutes) if minutes and in_queue else None
        )
        _save_ticket(ticket, new=new_ticket)
        _tell_others(order, action)
        return
    if order.assignee_id is not None and trigger == "not_accepted":
        # Nobody else can take it: back to the queue rather than left with
        # someone who is not answering. (An SLA escalation keeps the assignee.)
        assign(order, None, _("无人接单，退回待派"), {"why": decision.why})
    record["notified"] = _tell_dispatchers(order)
    event_record(
        order=order, kind=EventKind.ROUTING, actor=None, action=trigger, data=record, at=now
    )
    ticket.assignee_id = None
    ticket.accept_due_at = None
    _save_ticket(ticket, new=new_ticket)


def _save_ticket(ticket: RoutingTicket, *, new: bool) -> None:
    if new:
        insert_row(ticket)
    else:
        ticket.save()


@transaction.atomic
def routing_declined(*, order: WorkOrder, decliner: User) -> Decision | None:
    """An assignee declined: remember them and route again without them."""
    ticket = _ticket(order)
    if decliner.pk not in ticket.declined_by:
        ticket.declined_by = [*ticket.declined_by, decliner.pk]
    ticket.accept_due_at = None
    ticket.save()
    return route_order(order=order, trigger="declined", exclude=[decliner])


@transaction.atomic
def routing_accept_timeout(*, order_id: int, now: datetime.datetime | None = None) -> bool:
    """The assignee did not accept in time: route again without them.

    Does nothing if meanwhile the order was accepted or reassigned."""
    now = now or timezone.now()
    ticket = RoutingTicket.objects.select_for_update().filter(order_id=order_id).first()
    if ticket is None:
        return False
    order = WorkOrder.objects.select_related("assignee").get(pk=order_id)
    still_waiting = (
        order.state_category == StateCategory.ASSIGNED
        and order.assignee_id is not None
        and order.assignee_id == ticket.assignee_id
    )
    if not still_waiting:
        ticket.accept_due_at = None
        ticket.save(update_fields=["accept_due_at"])
        return False
    assert order.assignee is not None
    ticket.declined_by = [*ticket.declined_by, order.assignee_id]
    ticket.accept_due_at = None
    ticket.save()
    route_order(order=order, trigger="not_accepted", exclude=[order.assignee], now=now)
    return True


def routing_claim_timeouts(*, now: datetime.datetime | None = None, limit: int = 500) -> list[int]:
    """Claim orders whose acceptance window has closed (guarded UPDATE: a second
    ticker finds the row already pushed out by the lease)."""
    now = now or timezone.now()
    lease = datetime.timedelta(seconds=getattr(settings, "ROUTING_CLAIM_LEASE_SECONDS", 300))
    due = RoutingTicket.objects.filter(accept_due_at__lte=now).values_list(
        "order_id", "accept_due_at"
    )[:limit]
    claimed = []
    for order_id, at in due:
        if RoutingTicket.objects.filter(order_id=order_id, accept_due_at=at).update(
            accept_due_at=now + lease
        ):
            claimed.append(order_id)
    return claimed


def on_accepted(*, order: WorkOrder) -> None:
    RoutingTicket.objects.filter(order_id=order.pk).update(accept_due_at=None)


# --- rules, edited by administrators ------------------------------------------


def _clean_rule(data: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors["name"] = _("此项为必填。")
    elif len(name) > 100:
        errors["name"] = _("不能超过 100 个字符。")
    try:
        conditions.validate(data.get("condition") or {})
    except conditions.ConditionError as exc:
        errors["condition"] = _("条件有误：%(detail)s") % {"detail": str(exc)}
    try:
        action = RuleAction.model_validate(data.get("action") or {})
    except PydanticError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        errors["action"] = _("动作有误：%(detail)s") % {"detail": f"{where} {first.get('msg')}"}
    else:
        if (
            action.strategy == Strategy.NAMED
            and not User.objects.filter(username=action.person, is_active=True).exists()
        ):
            errors["action"] = _("动作有误：找不到指定人员。")
    order_type = None
    if data.get("order_type"):
        order_type = WorkOrderType.objects.filter(key=data["order_type"]).first()
        if order_type is None:
            errors["order_type"] = _("找不到工单类型 %(key)s。") % {"key": data["order_type"]}
    position = data.get("position", 100)
    if isinstance(position, bool) or not isinstance(position, int) or position < 0:
        errors["position"] = _("应为非负整数。")
    if errors:
        raise ValidationFailed(_("请检查标出的字段。"), errors)
    return {
        "name": name,
        "order_type": order_type,
        "position": position,
        "is_active": bool(data.get("is_active", True)),
        "condition": data.get("condition") or {},
        "action": action.model_dump(exclude_defaults=True),
    }


@transaction.atomic
def routing_rule_save(*, data: dict[str, Any], rule: RoutingRule | None = None) -> RoutingRule:
    """Create a rule, or replace one, after checking its condition and action."""
    values = _clean_rule(data)
    if rule is None:
        return RoutingRule.objects.create(**values)
    for key, value in values.items():
        setattr(rule, key, value)
    rule.save()
    return rule


@transaction.atomic
def routing_rule_delete(*, rule: RoutingRule) -> None:
    """Remove a rule; orders it routed keep their history."""
    rule.delete()


def routing_rule_test(*, rule: RoutingRule, order: WorkOrder) -> dict[str, Any]:
    """What ``rule`` alone would do for ``order`` now — nothing is written."""
    facts = order_facts(order)
    matched = conditions.evaluate(rule.condition, facts)
    result: dict[str, Any] = {"matched": matched, "facts": facts}
    if matched:
        decision = decide(order, trigger="test", exclude_ids=set(), rules=[rule])
        result.update(decision.as_json())
        # The test page lists everyone, each with their name and why they are out.
        result["candidates"] = [c.as_json() for c in decision.candidates]
    else:
        result.update({"candidates": [], "winner": None, "why": Why.CONDITION_NOT_MET})
    return result


@transaction.atomic
def engineer_position_update(
    *, user: User, lat: float, lng: float, at: datetime.datetime | None = None
) -> EngineerPosition:
    """Remember where an engineer was just seen (depart, arrive, check-in)."""
    position, _created = EngineerPosition.objects.get_or_create(user=user)
    position.last_lat, position.last_lng = lat, lng
    position.last_seen_at = at or timezone.now()
    position.save()
    return position
