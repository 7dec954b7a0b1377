"""SLA clocks: deadlines on create and every state change, pauses, escalation.

Deadlines are written to the order's indexed columns with a queryset update
(they are derived data, not an edit, so the order's version does not move);
the pause bookkeeping and the escalations done live in OrderClock.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from pydantic import ValidationError as PydanticValidationError

from gongdan.core.cache import ProcessCache
from gongdan.core.errors import Conflict, ValidationFailed
from gongdan.core.models import Role, User
from gongdan.workorders.models import EventKind, StateCategory, WorkOrder, WorkOrderType
from gongdan.workorders.services import event_record

from .calendar import add_business_time, business_time_between
from .models import (
    BusinessCalendar,
    CalendarException,
    EscalationStep,
    OrderClock,
    SlaPolicy,
    Target,
)

DEADLINE_COLUMNS = {
    Target.RESPONSE: "response_due_at",
    Target.ARRIVAL: "arrival_due_at",
    Target.RESOLUTION: "resolution_due_at",
}
MET_COLUMNS = {
    Target.RESPONSE: "first_response_at",
    Target.ARRIVAL: "arrived_at",
    Target.RESOLUTION: "resolved_at",
}
RUNNING = (StateCategory.NEW, StateCategory.ASSIGNED, StateCategory.IN_PROGRESS)


def check_lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=getattr(settings, "SLA_CHECK_LEASE_SECONDS", 300))


def _load_policies() -> dict[int, SlaPolicy]:
    policies = {}
    for policy in (
        SlaPolicy.objects.filter(is_active=True)
        .select_related("calendar")
        .prefetch_related("calendar__exceptions")
        .order_by("pk")
    ):
        # Resolved now, read-only afterwards: every thread shares these objects.
        policy.calendar_spec()
        policy.ladder()
        policies[policy.pk] = policy
    return policies


# The active policies with their calendars resolved, by id.
_policies = ProcessCache(_load_policies, models=(SlaPolicy, BusinessCalendar, CalendarException))


def policy_for(order: WorkOrder) -> SlaPolicy | None:
    """The active policy for the order's type and priority; a type's own beats a global one."""
    candidates = [p for p in _policies.get().values() if p.priority == order.priority]
    own = [p for p in candidates if p.order_type_id == order.type_id]
    general = [p for p in candidates if p.order_type_id is None]
    chosen = own or general
    return chosen[0] if chosen else None


def _policy(clock: OrderClock) -> SlaPolicy | None:
    """The clock's policy, from the cache when it is still active (no query)."""
    if clock.policy_id is None:
        return None
    cached = _policies.get().get(clock.policy_id)
    if cached is not None and clock.policy is not cached:
        clock.policy = cached
    return clock.policy


def _elapsed_target(clock: OrderClock, policy: SlaPolicy, minutes: float) -> datetime.datetime:
    """When ``minutes`` of the policy's clock will have run, pauses excluded."""
    budget = datetime.timedelta(minutes=minutes, seconds=clock.paused_seconds)
    return add_business_time(clock.started_at, budget, policy.calendar_spec())


def deadlines(clock: OrderClock) -> dict[str, datetime.datetime | None]:
    policy = _policy(clock)
    out: dict[str, datetime.datetime | None] = {}
    for target, column in DEADLINE_COLUMNS.items():
        minutes = policy.minutes(target) if policy else None
        out[column] = (
            None if policy is None or minutes is None else _elapsed_target(clock, policy, minutes)
        )
    return out


def _step_due(clock: OrderClock, step: EscalationStep) -> datetime.datetime | None:
    policy = _policy(clock)
    if policy is None:
        return None
    minutes = policy.minutes(step.target)
    if minutes is None:
        return None
    return _elapsed_target(clock, policy, minutes * step.percent / 100)


def _pending_steps(clock: OrderClock, order: WorkOrder) -> list[EscalationStep]:
    policy = _policy(clock)
    if policy is None or clock.paused_at is not None or order.state_category not in RUNNING:
        return []
    return [
        step
        for step in policy.ladder()
        if step.key not in clock.steps_done and getattr(order, MET_COLUMNS[step.target]) is None
    ]


def _next_check(clock: OrderClock, order: WorkOrder) -> datetime.datetime | None:
    times = [t for s in _pending_steps(clock, order) if (t := _step_due(clock, s)) is not None]
    return min(times) if times else None


def _apply(clock: OrderClock, order: WorkOrder) -> dict[str, datetime.datetime | None]:
    """Set the deadlines on the order instance and the clock's next check; the
    deadline columns are returned for the caller to write."""
    columns = deadlines(clock)
    for name, value in columns.items():
        setattr(order, name, value)
    clock.next_check_at = _next_check(clock, order)
    return columns


def _write(clock: OrderClock, order: WorkOrder) -> None:
    _store(clock, order, _apply(clock, order))


def _store(
    clock: OrderClock, order: WorkOrder, columns: dict[str, datetime.datetime | None]
) -> None:
    WorkOrder.objects.filter(pk=order.pk).update(**columns)
    clock.save(force_insert=clock._state.adding)


def _plan(order: WorkOrder) -> tuple[OrderClock, dict[str, datetime.datetime | None]] | None:
    policy = policy_for(order)
    if policy is None:
        return None
    clock = OrderClock(order=order, policy=policy, started_at=order.created_at)
    if order.state_category == StateCategory.WAITING:
        clock.paused_at = order.created_at
    return clock, _apply(clock, order)


def sla_clock_plan(*, order: WorkOrder) -> OrderClock | None:
    """For an order not yet saved: set its deadlines and return its clock, unsaved
    (the order's INSERT carries the deadlines; the clock is written after it)."""
    planned = _plan(order)
    return planned[0] if planned else None


@transaction.atomic
def sla_clock_start(*, order: WorkOrder) -> OrderClock | None:
    """Start a saved order's clocks under its policy and write its deadlines (a new
    order gets them from ``sla_clock_plan`` before it is saved)."""
    planned = _plan(order)
    if planned is None:
        return None
    clock, columns = planned
    _store(clock, order, columns)
    return clock


@transaction.atomic
def sla_clock_update(*, order: WorkOrder, at: datetime.datetime | None = None) -> None:
    """Pause in waiting states, resume elsewhere, and recompute the deadlines."""
    clock = OrderClock.objects.select_for_update().filter(order_id=order.pk).first()
    if clock is None:
        return
    order = WorkOrder.objects.get(pk=order.pk)
    # The services stamp updated_at with the change's own time (history imports
    # pass an explicit one), so a pause starts when the change happened.
    now = at or order.updated_at or timezone.now()
    waiting = order.state_category == StateCategory.WAITING
    if waiting and clock.paused_at is None:
        clock.paused_at = now
    elif not waiting and clock.paused_at is not None:
        spec = clock.policy.calendar_spec() if clock.policy else None
        paused = business_time_between(clock.paused_at, max(now, clock.paused_at), spec)
        clock.paused_seconds += paused.total_seconds()
        clock.paused_at = None
    _write(clock, order)


@transaction.atomic
def sla_clock_rebuild(
    *, order: WorkOrder, now: datetime.datetime | None = None
) -> OrderClock | None:
    """Recompute an order's clock from its events under today's policy — for orders
    that existed before any policy did (imported history, the demo) or after a
    policy changed. Pauses are replayed from the waiting states in the timeline.
    Escalation steps already due are taken as done: rebuilding must not fire a
    burst of reminders about the past."""
    now = now or timezone.now()
    OrderClock.objects.filter(order_id=order.pk).delete()
    policy = policy_for(order)
    if policy is None:
        return None
    clock = OrderClock(order=order, policy=policy, started_at=order.created_at)
    waiting = set(
        order.type.states.filter(category=StateCategory.WAITING).values_list("key", flat=True)
    )
    spec = policy.calendar_spec()
    since: datetime.datetime | None = None
    changes = order.events.exclude(to_state="").order_by("created_at", "id")
    for at, state in changes.values_list("created_at", "to_state"):
        if state in waiting and since is None:
            since = at
        elif state not in waiting and since is not None:
            clock.paused_seconds += business_time_between(
                since, max(at, since), spec
            ).total_seconds()
            since = None
    clock.paused_at = since
    clock.steps_done = [
        step.key
        for step in policy.ladder()
        if (due := _step_due(clock, step)) is not None and due <= now
    ]
    _write(clock, order)
    return clock


@transaction.atomic
def sla_clock_reprioritize(*, order: WorkOrder) -> None:
    """A new priority can mean another policy: the targets follow it, time already
    run (and paused) stays as it was."""
    clock = OrderClock.objects.select_for_update().filter(order_id=order.pk).first()
    policy = policy_for(order)
    if clock is None:
        if policy is not None:
            sla_clock_start(order=order)
        return
    if clock.policy_id != (policy.pk if policy else None):
        clock.policy = policy
        _write(clock, WorkOrder.objects.get(pk=order.pk))


def escalation_recipients(order: WorkOrder, who: list[str]) -> list[User]:
    """Turn the ladder's names (assignee, supervisor, dispatchers, managers, a username)
    into people, each once."""
    people: dict[int, User] = {}
    active = User.objects.filter(is_active=True)

    def add(users: Any) -> None:
        for user in users:
            if user is not None:
                people.setdefault(user.pk, user)

    for name in who:
        if name == "assignee":
            add([order.assignee])
        elif name == "supervisor":
            team = order.assignee.team if order.assignee and order.assignee.team else order.team
            if team is not None and team.leader_id:
                add([team.leader])
            else:
                add(active.filter(role=Role.DISPATCHER))
        elif name == "dispatchers":
            add(active.filter(role=Role.DISPATCHER))
        elif name == "managers":
            add(active.filter(role=Role.MANAGER))
        else:
            add(active.filter(username=name))
    return list(people.values())


@transaction.atomic
def sla_escalate(*, order_id: int, now: datetime.datetime | None = None) -> list[str]:
    """Take every escalation step that has come due; each becomes an event.

    Runs under the clock's row lock, and a step is recorded as done in the same
    transaction as its event, so a step is never taken twice.
    """
    from gongdan.notify.services import notify

    now = now or timezone.now()
    clock = (
        OrderClock.objects.select_for_update(of=("self",))
        .select_related("policy")
        .filter(pk=order_id)
        .first()
    )
    if clock is None:
        return []
    order = WorkOrder.objects.select_related("assignee__team", "team", "type").get(pk=order_id)
    taken: list[str] = []
    for step in _pending_steps(clock, order):
        due = _step_due(clock, step)
        if due is None or due > now:
            continue
        column = DEADLINE_COLUMNS[step.target]
        deadline = getattr(order, column)
        recipients = escalation_recipients(order, step.notify)
        breached = step.percent >= 100
        for person in recipients:
            notify(
                recipient=person,
                template="sla_breached" if breached else "sla_warning",
                context={
                    "target": Target(step.target).label,
                    "percent": step.percent,
                    "due": deadline,
                },
                order=order,
                channel=step.channel,
                urgent=breached,
            )
        reassigned_to = None
        if step.reassign:
            from gongdan.routing.services import route_order

            exclude = [order.assignee] if order.assignee else []
            decision = route_order(order=order, trigger="sla", exclude=exclude)
            reassigned_to = decision.winner.username if decision and decision.winner else None
            order.refresh_from_db()
        event_record(
            order=order,
            kind=EventKind.SLA,
            actor=None,
            action="escalate",
            data={
                "target": step.target,
                "percent": step.percent,
                "due_at": deadline.isoformat() if deadline else None,
                "step_due_at": due.isoformat(),
                "notified": [p.username for p in recipients],
                "reassign": step.reassign,
                "reassigned_to": reassigned_to,
            },
            at=now,
        )
        clock.steps_done = [*clock.steps_done, step.key]
        taken.append(step.key)
    clock.next_check_at = _next_check(clock, order)
    clock.save(update_fields=["steps_done", "next_check_at"])
    return taken


def sla_claim_due(*, now: datetime.datetime | None = None, limit: int = 500) -> list[int]:
    """Claim clocks whose next step is due; a claim pushes next_check_at out by a
    lease, so a second ticker skips the row and a lost task is retried later."""
    now = now or timezone.now()
    due = OrderClock.objects.filter(next_check_at__lte=now).values_list(
        "order_id", "next_check_at"
    )[:limit]
    claimed = []
    for order_id, at in due:
        won = OrderClock.objects.filter(order_id=order_id, next_check_at=at).update(
            next_check_at=now + check_lease()
        )
        if won:
            claimed.append(order_id)
    return claimed


def requester_auto_reply(*, order: WorkOrder) -> None:
    """Tell the requester at once that the order is in, and by when we will respond."""
    from gongdan.notify.services import notify

    if order.requester is None or not order.requester.is_active:
        return
    if order.response_due_at is not None:
        notify(
            recipient=order.requester,
            template="order_received",
            context={"due": order.response_due_at},
            order=order,
            urgent=True,
        )
    else:
        notify(
            recipient=order.requester,
            template="order_received_no_sla",
            context={},
            order=order,
            urgent=True,
        )


# --- configuration: calendars and policies (administrators) -------------------


def _check_time(value: Any) -> datetime.time:
    text = str(value or "")
    hours, sep, minutes = text.partition(":")
    if not (sep and hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        raise ValueError(text)
    return datetime.time(int(hours), int(minutes))


def _clean_periods(periods: list[dict[str, Any]], errors: dict[str, str]) -> list[dict[str, Any]]:
    cleaned: list[dict[str, Any]] = []
    for n, item in enumerate(periods):
        days = sorted(set(item.get("days") or []))
        if not days or not set(days) <= set(range(7)):
            errors[f"periods.{n}.days"] = _("应为 0–6 之间的星期（周一为 0），至少一天。")
        for key in ("start", "end"):
            try:
                _check_time(item.get(key))
            except ValueError:
                errors[f"periods.{n}.{key}"] = _("时间格式应为 HH:MM，例如 08:30。")
        if item.get("start") and item.get("start") == item.get("end"):
            errors[f"periods.{n}.end"] = _("结束时间不能与开始时间相同。")
        cleaned.append({"days": days, "start": item.get("start"), "end": item.get("end")})
    return cleaned


@transaction.atomic
def business_calendar_save(
    *, data: dict[str, Any], calendar: BusinessCalendar | None = None
) -> BusinessCalendar:
    """Create a calendar, or replace one (its periods and exceptions too), after checking
    every period and exception; errors are named by field (``periods.0.start``)."""
    errors: dict[str, str] = {}
    code = (data.get("code") or "").strip()
    name = (data.get("name") or "").strip()
    if not code or not re.fullmatch(r"[-a-zA-Z0-9_]{1,40}", code):
        errors["code"] = _("代码只能包含字母、数字、下划线和连字符，最多 40 个字符。")
    elif (
        BusinessCalendar.objects.filter(code=code)
        .exclude(pk=calendar.pk if calendar else 0)
        .exists()
    ):
        errors["code"] = _("代码 %(code)s 已被使用。") % {"code": code}
    if not name or len(name) > 100:
        errors["name"] = _("名称为必填，最多 100 个字符。")
    periods = _clean_periods(data.get("periods") or [], errors)
    exceptions: list[CalendarException] = []
    seen: set[datetime.date] = set()
    for n, item in enumerate(data.get("exceptions") or []):
        day = item["date"]
        if day in seen:
            errors[f"exceptions.{n}.date"] = _("日期重复。")
        seen.add(day)
        start = end = None
        if item.get("start") or item.get("end"):
            try:
                start, end = _check_time(item.get("start")), _check_time(item.get("end"))
            except ValueError:
                errors[f"exceptions.{n}.start"] = _("上班的例外日需同时填写开始和结束（HH:MM）。")
        if start is not None and not item.get("is_working"):
            errors[f"exceptions.{n}.is_working"] = _("不上班的日子不应填写时间。")
        exceptions.append(
            CalendarException(
                date=day,
                is_working=bool(item.get("is_working")),
                start=start,
                end=end,
                note=(item.get("note") or "")[:200],
            )
        )
    if errors:
        raise ValidationFailed(_("工作日历有误。"), errors)
    values = {
        "code": code,
        "name": name,
        "periods": periods,
        "follow_public_holidays": bool(data.get("follow_public_holidays", True)),
        "is_default": bool(data.get("is_default", False)),
    }
    if calendar is None:
        calendar = BusinessCalendar.objects.create(**values)
    else:
        for key, value in values.items():
            setattr(calendar, key, value)
        calendar.save()
        calendar.exceptions.all().delete()
    for exc in exceptions:
        exc.calendar = calendar
    CalendarException.objects.bulk_create(exceptions)
    if calendar.is_default:
        # One default: the new one takes over.
        BusinessCalendar.objects.exclude(pk=calendar.pk).filter(is_default=True).update(
            is_default=False
        )
    return calendar


@transaction.atomic
def business_calendar_delete(*, calendar: BusinessCalendar) -> None:
    """Remove a calendar no policy or shift uses; refused with 409 while one does."""
    try:
        with transaction.atomic():
            calendar.delete()
    except ProtectedError:
        raise Conflict(
            _("该日历正被时限策略或人员班次使用，不能删除。"), {"calendar": _("使用中。")}
        ) from None


@transaction.atomic
def sla_policy_save(*, data: dict[str, Any], policy: SlaPolicy | None = None) -> SlaPolicy:
    """Create a policy, or replace one. Targets are positive minutes (at least one);
    the calendar and the order type are named by code/key and must exist."""
    errors: dict[str, str] = {}
    name = (data.get("name") or "").strip()
    if not name or len(name) > 100:
        errors["name"] = _("名称为必填，最多 100 个字符。")
    order_type = None
    if data.get("order_type"):
        order_type = WorkOrderType.objects.filter(key=data["order_type"]).first()
        if order_type is None:
            errors["order_type"] = _("未知的工单类型“%(key)s”。") % {"key": data["order_type"]}
    calendar = None
    if data.get("calendar"):
        calendar = BusinessCalendar.objects.filter(code=data["calendar"]).first()
        if calendar is None:
            errors["calendar"] = _("未知的日历“%(code)s”。") % {"code": data["calendar"]}
    targets = {f"{t}_minutes": data.get(f"{t}_minutes") for t in Target.values}
    for key, minutes in targets.items():
        if minutes is not None and minutes <= 0:
            errors[key] = _("时限应为正整数（分钟）。")
    if all(minutes is None for minutes in targets.values()):
        errors["resolution_minutes"] = _("至少设置一项时限。")
    escalations = data.get("escalations") or []
    for n, step in enumerate(escalations):
        try:
            EscalationStep.model_validate(step)
        except PydanticValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "step"
            errors[f"escalations.{n}.{field}"] = _("升级步骤有误：%(detail)s") % {
                "detail": first["msg"]
            }
    if errors:
        raise ValidationFailed(_("时限策略有误。"), errors)
    values = {
        "name": name,
        "order_type": order_type,
        "priority": data["priority"],
        "clock": data["clock"],
        "calendar": calendar,
        **targets,
        "escalations": escalations,
        "is_active": bool(data.get("is_active", True)),
    }
    if policy is None:
        return SlaPolicy.objects.create(**values)
    for key, value in values.items():
        setattr(policy, key, value)
    policy.save()
    return policy


@transaction.atomic
def sla_policy_delete(*, policy: SlaPolicy) -> None:
    """Remove a policy; running clocks keep their deadlines and stop escalating by it."""
    policy.delete()
