"""SLA clocks: deadlines on create and every state change, pauses, escalation.

Deadlines are written to the order's indexed columns with a queryset update
(they are derived data, not an edit, so the order's version does not move);
the pause bookkeeping and the escalations done live in OrderClock.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from gongdan.core.models import Role, User
from gongdan.workorders.models import EventKind, StateCategory, WorkOrder
from gongdan.workorders.services import event_record

from .calendar import add_business_time, business_time_between
from .models import EscalationStep, OrderClock, SlaPolicy, Target

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


def policy_for(order: WorkOrder) -> SlaPolicy | None:
    """The active policy for the order's type and priority; a type's own beats a global one."""
    return (
        SlaPolicy.objects.filter(is_active=True, priority=order.priority)
        .filter(Q(order_type=order.type_id) | Q(order_type__isnull=True))
        .select_related("calendar")
        .order_by(F("order_type").asc(nulls_last=True), "pk")
        .first()
    )


def _elapsed_target(clock: OrderClock, policy: SlaPolicy, minutes: float) -> datetime.datetime:
    """When ``minutes`` of the policy's clock will have run, pauses excluded."""
    budget = datetime.timedelta(minutes=minutes, seconds=clock.paused_seconds)
    return add_business_time(clock.started_at, budget, policy.calendar_spec())


def deadlines(clock: OrderClock) -> dict[str, datetime.datetime | None]:
    policy = clock.policy
    out: dict[str, datetime.datetime | None] = {}
    for target, column in DEADLINE_COLUMNS.items():
        minutes = policy.minutes(target) if policy else None
        out[column] = (
            None if policy is None or minutes is None else _elapsed_target(clock, policy, minutes)
        )
    return out


def _step_due(clock: OrderClock, step: EscalationStep) -> datetime.datetime | None:
    policy = clock.policy
    if policy is None:
        return None
    minutes = policy.minutes(step.target)
    if minutes is None:
        return None
    return _elapsed_target(clock, policy, minutes * step.percent / 100)


def _pending_steps(clock: OrderClock, order: WorkOrder) -> list[EscalationStep]:
    if clock.policy is None or clock.paused_at is not None or order.state_category not in RUNNING:
        return []
    return [
        step
        for step in clock.policy.ladder()
        if step.key not in clock.steps_done and getattr(order, MET_COLUMNS[step.target]) is None
    ]


def _next_check(clock: OrderClock, order: WorkOrder) -> datetime.datetime | None:
    times = [t for s in _pending_steps(clock, order) if (t := _step_due(clock, s)) is not None]
    return min(times) if times else None


def _write(clock: OrderClock, order: WorkOrder) -> None:
    columns = deadlines(clock)
    WorkOrder.objects.filter(pk=order.pk).update(**columns)
    for name, value in columns.items():
        setattr(order, name, value)
    clock.next_check_at = _next_check(clock, order)
    clock.save()


@transaction.atomic
def sla_clock_start(*, order: WorkOrder) -> OrderClock | None:
    """Start the order's clocks under its policy and write its deadlines."""
    policy = policy_for(order)
    if policy is None:
        return None
    clock = OrderClock(order=order, policy=policy, started_at=order.created_at)
    if order.state_category == StateCategory.WAITING:
        clock.paused_at = order.created_at
    _write(clock, order)
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
